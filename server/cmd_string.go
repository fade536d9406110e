package server

// String commands.
// https://redis.io/commands/?group=string
//
// Each handler follows its counterpart in Redis 7.0's t_string.c: the same
// order of checks (so that a command with two faults reports the one Redis
// reports), the same lookups (reads count keyspace hits and misses, writes
// do not) and the same replies. Values passed to DB.Set view request or
// scratch bytes: Set copies them into the store. Writes publish the
// keyspace events Redis publishes for them, in the same order.

import (
	"github.com/stratakv/strata/cache"
	"math"

	"github.com/stratakv/strata/storage"
)

func registerStringCommands(t commandTable) {
	const w, grow = flagWrite, flagWrite | flagDenyOOM
	t.add(
		&command{name: "get", handler: cmdGet, arity: 2, flags: flagReadThrough, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "set", handler: cmdSet, arity: -3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteReplace},
		&command{name: "setnx", handler: cmdSetnx, arity: 3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteReplace},
		&command{name: "setex", handler: cmdSetex, arity: 4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteReplace},
		&command{name: "psetex", handler: cmdPsetex, arity: 4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteReplace},
		&command{name: "getset", handler: cmdGetset, arity: 3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteReplace},
		&command{name: "getdel", handler: cmdGetdel, arity: 2, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "getex", handler: cmdGetex, arity: -2, flags: w, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteExpire},
		&command{name: "mget", handler: cmdMget, arity: -2, flags: flagReadThrough, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "mset", handler: cmdMset, arity: -3, flags: grow, firstKey: 1, lastKey: -1, keyStep: 2, write: cache.WriteReplace},
		&command{name: "msetnx", handler: cmdMsetnx, arity: -3, flags: grow, firstKey: 1, lastKey: -1, keyStep: 2, write: cache.WriteReplace},
		&command{name: "append", handler: cmdAppend, arity: 3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "strlen", handler: cmdStrlen, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "getrange", handler: cmdGetrange, arity: 4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "substr", handler: cmdGetrange, arity: 4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "setrange", handler: cmdSetrange, arity: 4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "incr", handler: cmdIncr, arity: 2, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "decr", handler: cmdDecr, arity: 2, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "incrby", handler: cmdIncrby, arity: 3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "decrby", handler: cmdDecrby, arity: 3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "incrbyfloat", handler: cmdIncrbyfloat, arity: 3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "lcs", handler: cmdLCS, arity: -3, firstKey: 1, lastKey: 2, keyStep: 1},
	)
}

// lookupOverwrite is the lookup of a write that replaces the key's value
// whenever it succeeds: DB.Set then refreshes the key's LRU position and
// access clock, so the lookup need not.
const lookupOverwrite = storage.LookupWrite | storage.LookupNoTouch

// getString is a read lookup of a string key. When the key holds another
// kind it replies WRONGTYPE and returns ok false.
func getString(c *client, key []byte) (v storage.Value, exists, ok bool) {
	v, exists = c.get(key) // through the origin, for GET (readthrough.go)
	if exists && v.Kind() != storage.KindString {
		c.out.Error(msgWrongType)
		return v, exists, false
	}
	return v, exists, true
}

// writeStringOrNull replies with a string value, or null when absent.
func writeStringOrNull(c *client, v storage.Value, exists bool) {
	if !exists {
		c.out.Null()
		return
	}
	c.out.Bulk(v.Bytes())
}

func cmdGet(c *client, args [][]byte) {
	if v, exists, ok := getString(c, args[1]); ok {
		writeStringOrNull(c, v, exists)
	}
}

// setFlags are the options of SET and GETEX.
type setFlags uint16

const (
	setNX setFlags = 1 << iota
	setXX
	setGet
	setKeepTTL
	setPersist
	setEX
	setPX
	setEXAT
	setPXAT

	setExpire = setEX | setPX | setEXAT | setPXAT
)

// unit names the expire option among f for expireTime.
func (f setFlags) unit() string {
	switch f & setExpire {
	case setEX:
		return "ex"
	case setPX:
		return "px"
	case setEXAT:
		return "exat"
	}
	return "pxat"
}

// stringOptions are parsed SET or GETEX options: the flags, and the
// expire amount, not yet checked.
type stringOptions struct {
	flags  setFlags
	expire []byte
}

// parseStringOptions parses the options of SET (forSet) or GETEX from
// args[start:] as Redis's parseExtendedStringArgumentsOrReply does. An
// expire option conflicts with the other expire options, KEEPTTL and
// PERSIST, but may repeat (the last amount wins). On error it returns the
// reply text.
func parseStringOptions(args [][]byte, start int, forSet bool) (stringOptions, string) {
	var o stringOptions
	for i := start; i < len(args); i++ {
		a, f := args[i], setFlags(0)
		switch {
		case forSet && is(a, "nx") && o.flags&setXX == 0:
			f = setNX
		case forSet && is(a, "xx") && o.flags&setNX == 0:
			f = setXX
		case forSet && is(a, "get"):
			f = setGet
		case forSet && is(a, "keepttl") && o.flags&setExpire == 0:
			f = setKeepTTL
		case !forSet && is(a, "persist") && o.flags&setExpire == 0:
			f = setPersist
		case is(a, "ex"):
			f = setEX
		case is(a, "px"):
			f = setPX
		case is(a, "exat"):
			f = setEXAT
		case is(a, "pxat"):
			f = setPXAT
		}
		if f&setExpire != 0 {
			if o.flags&(setKeepTTL|setPersist|setExpire&^f) != 0 || i+1 == len(args) {
				f = 0
			} else {
				i++
				o.expire = args[i]
			}
		}
		if f == 0 {
			return o, msgSyntax
		}
		o.flags |= f
	}
	return o, ""
}

// expireAt converts the parsed expire amount to absolute unix
// milliseconds, as Redis's getExpireMillisecondsOrReply; cmd names the
// command in the error. On error it returns the reply text.
func (o stringOptions) expireAt(c *client, cmd string) (int64, string) {
	n, ok := argInt(o.expire)
	if !ok {
		return 0, msgNotInteger
	}
	at, ok := expireTime(c, o.flags.unit(), n)
	if !ok {
		return 0, invalidExpire(cmd)
	}
	return at, ""
}

// setString is Redis's setGenericCommand, the core of SET, SETNX, SETEX
// and PSETEX. With setGet it first replies with the old value; then it
// stores val unless NX or XX forbid it. It returns whether it stored, and
// ok false when it replied with an error instead.
func setString(c *client, key, val []byte, f setFlags, expireAt int64) (stored, ok bool) {
	var old storage.Value
	var exists bool
	switch {
	case f&setGet != 0:
		if old, exists, ok = getString(c, key); !ok {
			return false, false
		}
		writeStringOrNull(c, old, exists)
	case f&(setNX|setXX) != 0:
		old, exists = c.tx.Lookup(key, storage.LookupWrite)
	default:
		old, exists = c.tx.Lookup(key, lookupOverwrite)
	}
	if f&setNX != 0 && exists || f&setXX != 0 && !exists {
		return false, true
	}
	v := storage.StringValue(val)
	if expireAt != 0 {
		v = v.WithExpireAt(expireAt)
	} else if f&setKeepTTL != 0 {
		v = v.WithExpireAt(old.ExpireAt())
	}
	c.tx.Set(key, v)
	c.notify(notifyString, "set", key)
	if expireAt != 0 {
		c.notify(notifyGeneric, "expire", key)
	}
	return true, true
}

// parseSetOptions parses SET's options from args[3:] and resolves their
// expire time (0: none) for command cmd; on bad options it replies with the
// error and returns false.
func parseSetOptions(c *client, args [][]byte, cmd string) (stringOptions, int64, bool) {
	o, errMsg := parseStringOptions(args, 3, true)
	var at int64
	if errMsg == "" && o.expire != nil {
		at, errMsg = o.expireAt(c, cmd)
	}
	if errMsg != "" {
		c.out.Error(errMsg)
		return o, 0, false
	}
	return o, at, true
}

func cmdSet(c *client, args [][]byte) {
	o, at, ok := parseSetOptions(c, args, "set")
	if !ok {
		return
	}
	stored, ok := setString(c, args[1], args[2], o.flags, at)
	switch {
	case !ok || o.flags&setGet != 0:
	case stored:
		c.out.OK()
	default:
		c.out.Null()
	}
}

func cmdSetnx(c *client, args [][]byte) {
	if stored, _ := setString(c, args[1], args[2], setNX, 0); stored {
		c.out.Int(1)
	} else {
		c.out.Int(0)
	}
}

func cmdSetex(c *client, args [][]byte)  { setexGeneric(c, args, "setex", setEX) }
func cmdPsetex(c *client, args [][]byte) { setexGeneric(c, args, "psetex", setPX) }

// setexGeneric serves SETEX and PSETEX: SET with EX or PX, the amount
// before the value.
func setexGeneric(c *client, args [][]byte, cmd string, unit setFlags) {
	at, errMsg := stringOptions{flags: unit, expire: args[2]}.expireAt(c, cmd)
	if errMsg != "" {
		c.out.Error(errMsg)
		return
	}
	setString(c, args[1], args[3], unit, at)
	c.out.OK()
}

// cmdGetset is SET key value GET, replying with the old value.
func cmdGetset(c *client, args [][]byte) { setString(c, args[1], args[2], setGet, 0) }

func cmdGetdel(c *client, args [][]byte) {
	v, exists, ok := getString(c, args[1])
	if !ok {
		return
	}
	writeStringOrNull(c, v, exists)
	if exists {
		c.tx.Delete(args[1])
		c.notify(notifyGeneric, "del", args[1])
	}
}

func cmdGetex(c *client, args [][]byte) {
	o, errMsg := parseStringOptions(args, 2, false)
	if errMsg != "" {
		c.out.Error(errMsg)
		return
	}
	key := args[1]
	v, exists, ok := getString(c, key)
	if !ok {
		return
	}
	if !exists {
		c.out.Null()
		return
	}
	var at int64
	if o.expire != nil {
		if at, errMsg = o.expireAt(c, "getex"); errMsg != "" {
			c.out.Error(errMsg)
			return
		}
	}
	c.out.Bulk(v.Bytes())
	switch {
	case o.expire != nil && at <= c.srv.store.Now():
		// Only EXAT and PXAT can name a time already past; Redis then
		// deletes the key rather than leave it to expire.
		c.tx.Delete(key)
		c.notify(notifyGeneric, "del", key)
	case o.expire != nil:
		c.tx.SetExpireAt(key, at)
		c.notify(notifyGeneric, "expire", key)
	case o.flags&setPersist != 0 && v.ExpireAt() != 0:
		c.tx.SetExpireAt(key, 0)
		c.notify(notifyGeneric, "persist", key)
	}
}

func cmdMget(c *client, args [][]byte) {
	c.out.Array(len(args) - 1)
	for _, key := range args[1:] {
		v, exists := c.get(key) // through the origin (readthrough.go)
		writeStringOrNull(c, v, exists && v.Kind() == storage.KindString)
	}
}

func cmdMset(c *client, args [][]byte) {
	if msetGeneric(c, args, "mset", false) {
		c.out.OK()
	}
}

func cmdMsetnx(c *client, args [][]byte) {
	if msetGeneric(c, args, "msetnx", true) {
		c.out.Int(1)
	}
}

// msetGeneric stores each key/value pair of args[1:]; with nx it stores
// none (and replies 0) when any key exists. It returns whether it stored,
// leaving the success reply to the caller.
func msetGeneric(c *client, args [][]byte, cmd string, nx bool) bool {
	if len(args)%2 == 0 {
		c.out.Error(wrongArity(cmd))
		return false
	}
	if nx {
		for i := 1; i < len(args); i += 2 {
			if _, exists := c.tx.Lookup(args[i], storage.LookupWrite); exists {
				c.out.Int(0)
				return false
			}
		}
	}
	for i := 1; i < len(args); i += 2 {
		c.tx.Lookup(args[i], lookupOverwrite) // reclaim an expired value first, as Redis's setKey
		c.tx.Set(args[i], storage.StringValue(args[i+1]))
		c.notify(notifyString, "set", args[i])
	}
	return true
}

// stringLimit is the longest string APPEND and SETRANGE may build:
// proto-max-bulk-len, as Redis's checkStringLength, within what a value
// can hold.
func (s *Server) stringLimit() int64 {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return min(s.cfg.ProtoMaxBulkLen, storage.MaxStringBytes)
}

// fitsString reports whether a string of n+extra bytes is within the
// limit, replying with Redis's error when it is not. n+extra may overflow.
func fitsString(c *client, n, extra int64) bool {
	if limit := c.srv.stringLimit(); n > limit || extra > limit-n {
		c.out.Error(msgStringTooLong)
		return false
	}
	return true
}

func cmdAppend(c *client, args [][]byte) {
	key, tail := args[1], args[2]
	old, exists := c.tx.Lookup(key, storage.LookupWrite)
	if !exists {
		c.tx.Set(key, storage.StringValue(tail))
		c.notify(notifyString, "append", key)
		c.out.Int(int64(len(tail)))
		return
	}
	if old.Kind() != storage.KindString {
		c.out.Error(msgWrongType)
		return
	}
	if !fitsString(c, int64(old.Len()), int64(len(tail))) {
		return
	}
	b := make([]byte, 0, old.Len()+len(tail))
	b = append(append(b, old.Bytes()...), tail...)
	c.tx.Set(key, storage.StringValue(b).WithFlags(storage.FlagRaw).WithExpireAt(old.ExpireAt()))
	c.notify(notifyString, "append", key)
	c.out.Int(int64(len(b)))
}

func cmdStrlen(c *client, args [][]byte) {
	if v, _, ok := getString(c, args[1]); ok {
		c.out.Int(int64(v.Len()))
	}
}

// cmdGetrange serves GETRANGE and its old name SUBSTR.
func cmdGetrange(c *client, args [][]byte) {
	start, ok := argInt(args[2])
	end, ok2 := argInt(args[3])
	if !ok || !ok2 {
		c.out.Error(msgNotInteger)
		return
	}
	v, _, ok := getString(c, args[1])
	if !ok {
		return
	}
	s := v.Bytes()
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		c.out.Bulk(nil)
		return
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	end = min(end, n-1)
	if start > end || n == 0 {
		c.out.Bulk(nil)
		return
	}
	c.out.Bulk(s[start : end+1])
}

func cmdSetrange(c *client, args [][]byte) {
	key, patch := args[1], args[3]
	offset, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if offset < 0 {
		c.out.Error(msgOffsetRange)
		return
	}
	old, exists := c.tx.Lookup(key, storage.LookupWrite)
	switch {
	case exists && old.Kind() != storage.KindString:
		c.out.Error(msgWrongType)
		return
	case len(patch) == 0:
		// Setting nothing changes nothing, and creates no key.
		c.out.Int(int64(old.Len()))
		return
	case !fitsString(c, offset, int64(len(patch))):
		return
	}
	b, buf := editString(c, key, old, max(old.Len(), int(offset)+len(patch)))
	copy(b[offset:], patch)
	storeInPlace(c, key, b, old)
	putScratch(buf)
	c.notify(notifyString, "setrange", key)
	c.out.Int(int64(len(b)))
}

func cmdIncr(c *client, args [][]byte) { incrBy(c, args[1], 1) }
func cmdDecr(c *client, args [][]byte) { incrBy(c, args[1], -1) }

func cmdIncrby(c *client, args [][]byte) {
	if n, ok := argInt(args[2]); !ok {
		c.out.Error(msgNotInteger)
	} else {
		incrBy(c, args[1], n)
	}
}

func cmdDecrby(c *client, args [][]byte) {
	n, ok := argInt(args[2])
	switch {
	case !ok:
		c.out.Error(msgNotInteger)
	case n == math.MinInt64: // -n would overflow
		c.out.Error(msgDecrementOverflow)
	default:
		incrBy(c, args[1], -n)
	}
}

// incrBy adds by to the integer held at key (0 when absent), keeping its
// TTL, and replies with the result.
func incrBy(c *client, key []byte, by int64) {
	old, exists := c.tx.Lookup(key, lookupOverwrite)
	var n int64
	if exists {
		if old.Kind() != storage.KindString {
			c.out.Error(msgWrongType)
			return
		}
		var ok bool
		if n, ok = argInt(old.Bytes()); !ok {
			c.out.Error(msgNotInteger)
			return
		}
	}
	if by < 0 && n < 0 && by < math.MinInt64-n || by > 0 && n > 0 && by > math.MaxInt64-n {
		c.out.Error(msgOverflow)
		return
	}
	n += by
	// The reply ":<n>\r\n" holds the new value's digits, and Set copies
	// what it is given: storing a view of the reply spares INCR, a hot
	// path, a buffer of its own (a local one would escape through Set).
	at := c.out.Len()
	c.out.Int(n)
	digits := c.out.Bytes()[at+1 : c.out.Len()-2]
	c.tx.Set(key, storage.StringValue(digits).WithExpireAt(old.ExpireAt()))
	c.notify(notifyString, "incrby", key)
}

func cmdIncrbyfloat(c *client, args [][]byte) {
	key := args[1]
	old, exists := c.tx.Lookup(key, lookupOverwrite)
	if exists && old.Kind() != storage.KindString {
		c.out.Error(msgWrongType)
		return
	}
	cur := newLongDouble()
	if exists {
		var ok bool
		if cur, ok = parseLongDouble(old.Bytes()); !ok {
			c.out.Error(msgNotFloat)
			return
		}
	}
	by, ok := parseLongDouble(args[2])
	if !ok {
		c.out.Error(msgNotFloat)
		return
	}
	sum, ok := addLongDouble(cur, by)
	if !ok {
		c.out.Error(msgNaN)
		return
	}
	b := formatLongDouble(sum)
	c.tx.Set(key, storage.StringValue(b).WithExpireAt(old.ExpireAt()))
	c.notify(notifyString, "incrbyfloat", key)
	c.out.Bulk(b)
}

// maxLCSCells bounds LCS's dynamic-programming table (4 bytes a cell, so
// 1 GiB). Redis allocates whatever the strings need and replies with its
// out-of-memory error when malloc fails; Strata refuses sooner rather than
// let two long strings exhaust the process.
const maxLCSCells = 1 << 28

// lcsMatch is one matching range of LCS IDX: a[a0..a1] equals b[b0..b1].
type lcsMatch struct{ a0, a1, b0, b1 int }

func cmdLCS(c *client, args [][]byte) {
	va, aok := c.tx.Get(args[1])
	vb, bok := c.tx.Get(args[2])
	if aok && va.Kind() != storage.KindString || bok && vb.Kind() != storage.KindString {
		c.out.Error(msgLCSWrongType)
		return
	}
	var getLen, getIdx, withMatchLen bool
	minMatchLen := 0
	for i := 3; i < len(args); i++ {
		switch a := args[i]; {
		case is(a, "idx"):
			getIdx = true
		case is(a, "len"):
			getLen = true
		case is(a, "withmatchlen"):
			withMatchLen = true
		case is(a, "minmatchlen") && i+1 < len(args):
			n, ok := argInt(args[i+1])
			if !ok {
				c.out.Error(msgNotInteger)
				return
			}
			minMatchLen = int(min(max(n, 0), math.MaxInt32))
			i++
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	if getIdx && getLen {
		c.out.Error(msgLCSLenAndIdx)
		return
	}
	a, b := va.Bytes(), vb.Bytes()
	if (len(a)+1)*(len(b)+1) > maxLCSCells {
		c.out.Error(msgLCSNoMemory)
		return
	}
	n, lcs, matches := longestCommonSubsequence(a, b, !getLen && !getIdx, getIdx, minMatchLen)
	switch {
	case getIdx:
		c.out.Map(2)
		c.out.BulkString("matches")
		c.out.Array(len(matches))
		for _, m := range matches {
			if withMatchLen {
				c.out.Array(3)
			} else {
				c.out.Array(2)
			}
			c.out.Array(2)
			c.out.Int(int64(m.a0))
			c.out.Int(int64(m.a1))
			c.out.Array(2)
			c.out.Int(int64(m.b0))
			c.out.Int(int64(m.b1))
			if withMatchLen {
				c.out.Int(int64(m.a1 - m.a0 + 1))
			}
		}
		c.out.BulkString("len")
		c.out.Int(int64(n))
	case getLen:
		c.out.Int(int64(n))
	default:
		c.out.Bulk(lcs)
	}
}

// longestCommonSubsequence returns the length of the longest common
// subsequence of a and b, with text the subsequence itself, and with ranges
// its matching ranges of at least minLen bytes, from the end of the strings
// backwards, found exactly as Redis's lcsCommand finds them.
func longestCommonSubsequence(a, b []byte, text, ranges bool, minLen int) (n int, lcs []byte, matches []lcsMatch) {
	// dp[i*(len(b)+1)+j] is the LCS length of a[:i] and b[:j].
	w := len(b) + 1
	dp := make([]uint32, (len(a)+1)*w)
	for i := 1; i <= len(a); i++ {
		row, prev := dp[i*w:(i+1)*w], dp[(i-1)*w:i*w]
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				row[j] = prev[j-1] + 1
			} else {
				row[j] = max(prev[j], row[j-1])
			}
		}
	}
	n = int(dp[len(a)*w+len(b)])
	if !text && !ranges {
		return n, nil, nil
	}
	if text {
		lcs = make([]byte, n)
	}
	idx := n
	// cur is the range being grown backwards; cur.a0 == len(a) means none.
	cur := lcsMatch{a0: len(a)}
	for i, j := len(a), len(b); i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			if text {
				lcs[idx-1] = a[i-1]
			}
			if cur.a0 == len(a) {
				cur = lcsMatch{a0: i - 1, a1: i - 1, b0: j - 1, b1: j - 1}
			} else if cur.a0 == i && cur.b0 == j {
				cur.a0--
				cur.b0--
			} else {
				emit = true
			}
			// A match at the first byte of either string ends the walk.
			if cur.a0 == 0 || cur.b0 == 0 {
				emit = true
			}
			idx, i, j = idx-1, i-1, j-1
		} else {
			if dp[(i-1)*w+j] > dp[i*w+j-1] {
				i--
			} else {
				j--
			}
			if cur.a0 != len(a) {
				emit = true
			}
		}
		if emit {
			if ranges && cur.a1-cur.a0+1 >= minLen {
				matches = append(matches, cur)
			}
			cur.a0 = len(a)
		}
	}
	return n, lcs, matches
}
