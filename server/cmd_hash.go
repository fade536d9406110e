package server

// Hash commands.
// https://redis.io/commands/?group=hash
//
// Each handler follows its counterpart in Redis 7.0's t_hash.c: the same
// order of checks, the same lookups (reads count keyspace hits and misses,
// writes do not) and the same replies, RESP3 maps included. A write
// changes the key's Hash in place and stores the key again
// (DB.StoreObject), or deletes it when the hash is left empty, as Redis
// deletes empty hashes; then it publishes Redis's keyspace events.

import (
	"math"
	"strconv"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

func registerHashCommands(t commandTable) {
	const w, grow = flagWrite, flagWrite | flagDenyOOM
	t.add(
		&command{name: "hset", handler: cmdHset, arity: -4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hmset", handler: cmdHmset, arity: -4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hsetnx", handler: cmdHsetnx, arity: 4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hget", handler: cmdHget, arity: 3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hmget", handler: cmdHmget, arity: -3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hgetall", handler: cmdHgetall, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hkeys", handler: cmdHkeys, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hvals", handler: cmdHvals, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hdel", handler: cmdHdel, arity: -3, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hlen", handler: cmdHlen, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hstrlen", handler: cmdHstrlen, arity: 3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hexists", handler: cmdHexists, arity: 3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hincrby", handler: cmdHincrby, arity: 4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hincrbyfloat", handler: cmdHincrbyfloat, arity: 4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hrandfield", handler: cmdHrandfield, arity: -2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "hscan", handler: cmdHscan, arity: -3, firstKey: 1, lastKey: 1, keyStep: 1},
	)
}

// lookupHash looks key's hash up with flags (0 for a read, LookupWrite for
// a write). h is nil when the key does not exist; when it holds another
// kind, lookupHash replies WRONGTYPE and returns ok false.
func lookupHash(c *client, key []byte, flags storage.LookupFlags) (h *storage.Hash, v storage.Value, ok bool) {
	h, v, err := c.tx.LookupHash(key, flags)
	if err != nil {
		c.out.Error(msgWrongType)
		return nil, v, false
	}
	return h, v, true
}

// hashToWrite is Redis's hashTypeLookupWriteOrCreate: key's hash, or a
// new empty one (with room for hint fields) when the key does not exist,
// for the caller to fill and store.
func hashToWrite(c *client, key []byte, hint int) (*storage.Hash, storage.Value, bool) {
	h, v, ok := lookupHash(c, key, storage.LookupWrite)
	if ok && h == nil {
		h = storage.NewHash(hint)
		v = storage.HashValue(h)
	}
	return h, v, ok
}

func cmdHset(c *client, args [][]byte)  { hsetGeneric(c, args, "hset") }
func cmdHmset(c *client, args [][]byte) { hsetGeneric(c, args, "hmset") }

// hsetGeneric serves HSET, which replies with the number of new fields,
// and its deprecated twin HMSET, which replies OK.
func hsetGeneric(c *client, args [][]byte, name string) {
	if len(args)%2 == 1 {
		c.out.Error(wrongArity(name))
		return
	}
	key := args[1]
	h, v, ok := hashToWrite(c, key, (len(args)-2)/2)
	if !ok {
		return
	}
	created := int64(0)
	for i := 2; i < len(args); i += 2 {
		if h.Set(args[i], args[i+1]) {
			created++
		}
	}
	c.tx.StoreObject(key, v, false)
	c.notify(notifyHash, "hset", key)
	if name == "hset" {
		c.out.Int(created)
	} else {
		c.out.OK()
	}
}

func cmdHsetnx(c *client, args [][]byte) {
	key, field := args[1], args[2]
	h, v, ok := hashToWrite(c, key, 1)
	if !ok {
		return
	}
	if _, exists := h.Get(field); exists {
		c.out.Int(0)
		return
	}
	h.Set(field, args[3])
	c.tx.StoreObject(key, v, false)
	c.notify(notifyHash, "hset", key)
	c.out.Int(1)
}

func cmdHget(c *client, args [][]byte) {
	h, _, ok := lookupHash(c, args[1], 0)
	if !ok {
		return
	}
	if h == nil {
		c.out.Null()
		return
	}
	writeHashField(c, h, args[2])
}

// writeHashField replies with field's value, or null when h lacks it.
func writeHashField(c *client, h *storage.Hash, field []byte) {
	if val, ok := h.Get(field); ok {
		c.out.BulkString(val)
	} else {
		c.out.Null()
	}
}

func cmdHmget(c *client, args [][]byte) {
	h, _, ok := lookupHash(c, args[1], 0)
	if !ok {
		return
	}
	c.out.Array(len(args) - 2)
	for _, field := range args[2:] {
		if h == nil {
			c.out.Null()
		} else {
			writeHashField(c, h, field)
		}
	}
}

// hashParts selects what HGETALL, HKEYS and HVALS reply with.
type hashParts uint8

const (
	hashFields hashParts = 1 << iota
	hashValues
)

func cmdHgetall(c *client, args [][]byte) { hashGetAll(c, args[1], hashFields|hashValues) }
func cmdHkeys(c *client, args [][]byte)   { hashGetAll(c, args[1], hashFields) }
func cmdHvals(c *client, args [][]byte)   { hashGetAll(c, args[1], hashValues) }

// hashGetAll serves HGETALL (a map in RESP3), HKEYS and HVALS (arrays).
func hashGetAll(c *client, key []byte, parts hashParts) {
	h, _, ok := lookupHash(c, key, 0)
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if parts == hashFields|hashValues {
		c.out.Map(n)
	} else {
		c.out.Array(n)
	}
	if h == nil {
		return
	}
	h.Each(func(f, v string) bool {
		if parts&hashFields != 0 {
			c.out.BulkString(f)
		}
		if parts&hashValues != 0 {
			c.out.BulkString(v)
		}
		return true
	})
}

func cmdHdel(c *client, args [][]byte) {
	key := args[1]
	h, v, ok := lookupHash(c, key, storage.LookupWrite)
	if !ok {
		return
	}
	deleted := int64(0)
	if h != nil {
		for _, field := range args[2:] {
			if h.Delete(field) {
				deleted++
			}
		}
	}
	if deleted > 0 {
		removed := c.tx.StoreObject(key, v, h.Len() == 0)
		c.notify(notifyHash, "hdel", key)
		if removed {
			c.notify(notifyGeneric, "del", key)
		}
	}
	c.out.Int(deleted)
}

func cmdHlen(c *client, args [][]byte) {
	if h, _, ok := lookupHash(c, args[1], 0); ok {
		c.out.Int(int64(hashLen(h)))
	}
}

// hashLen is h's length, 0 for a missing hash.
func hashLen(h *storage.Hash) int {
	if h == nil {
		return 0
	}
	return h.Len()
}

func cmdHstrlen(c *client, args [][]byte) {
	h, _, ok := lookupHash(c, args[1], 0)
	if !ok {
		return
	}
	n := 0
	if h != nil {
		val, _ := h.Get(args[2])
		n = len(val)
	}
	c.out.Int(int64(n))
}

func cmdHexists(c *client, args [][]byte) {
	h, _, ok := lookupHash(c, args[1], 0)
	if !ok {
		return
	}
	exists := false
	if h != nil {
		_, exists = h.Get(args[2])
	}
	c.out.Int(boolInt(exists))
}

func cmdHincrby(c *client, args [][]byte) {
	incr, ok := argInt(args[3])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	key, field := args[1], args[2]
	h, v, ok := hashToWrite(c, key, 1)
	if !ok {
		return
	}
	cur := int64(0)
	if old, exists := h.Get(field); exists {
		if cur, ok = argInt([]byte(old)); !ok {
			c.out.Error(msgHashNotInteger)
			return
		}
	}
	if incr < 0 && cur < 0 && incr < math.MinInt64-cur || incr > 0 && cur > 0 && incr > math.MaxInt64-cur {
		c.out.Error(msgOverflow)
		return
	}
	cur += incr
	var buf [20]byte
	h.Set(field, strconv.AppendInt(buf[:0], cur, 10))
	c.tx.StoreObject(key, v, false)
	c.notify(notifyHash, "hincrby", key)
	c.out.Int(cur)
}

func cmdHincrbyfloat(c *client, args [][]byte) {
	incr, ok := parseLongDouble(args[3])
	if !ok {
		c.out.Error(msgNotFloat)
		return
	}
	if incr.IsInf() {
		c.out.Error(msgNaNOrInfinity)
		return
	}
	key, field := args[1], args[2]
	h, v, ok := hashToWrite(c, key, 1)
	if !ok {
		return
	}
	cur := newLongDouble()
	if old, exists := h.Get(field); exists {
		if cur, ok = parseLongDouble([]byte(old)); !ok {
			c.out.Error(msgHashNotFloat)
			return
		}
	}
	sum, ok := addLongDouble(cur, incr)
	if !ok {
		c.out.Error(msgNaN)
		return
	}
	b := formatLongDouble(sum)
	h.Set(field, b)
	c.tx.StoreObject(key, v, false)
	c.notify(notifyHash, "hincrbyfloat", key)
	c.out.Bulk(b)
}

// maxRandomCount bounds how many elements HRANDFIELD and SRANDMEMBER
// return with a negative count (with repetition), which no size bounds.
// Redis builds whatever reply is asked for, and runs out of memory on a
// count near 2^63; Strata refuses such a count with Redis's range error.
const maxRandomCount = 1 << 24

func cmdHrandfield(c *client, args [][]byte) {
	if len(args) >= 3 {
		n, ok := argInt(args[2])
		if !ok {
			c.out.Error(msgNotInteger)
			return
		}
		withValues := len(args) == 4
		if len(args) > 4 || withValues && !is(args[3], "withvalues") {
			c.out.Error(msgSyntax)
			return
		}
		if withValues && (n < -math.MaxInt64/2 || n > math.MaxInt64/2) {
			c.out.Error(msgOutOfRange)
			return
		}
		hrandfieldWithCount(c, args[1], n, withValues)
		return
	}
	h, _, ok := lookupHash(c, args[1], 0)
	if !ok {
		return
	}
	if h == nil {
		c.out.Null()
		return
	}
	f, _ := h.Random()
	c.out.BulkString(f)
}

// hrandfieldWithCount serves HRANDFIELD key count [WITHVALUES]: a
// positive count asks for distinct fields (all of them when count is at
// least the length), a negative one for -count fields drawn with
// repetition. With values, RESP2 gets a flat array and RESP3 pairs.
func hrandfieldWithCount(c *client, key []byte, n int64, withValues bool) {
	h, _, ok := lookupHash(c, key, 0)
	if !ok {
		return
	}
	if h == nil || n == 0 {
		c.out.Array(0)
		return
	}
	distinct := n > 0
	count := n
	if !distinct {
		if n < -maxRandomCount {
			c.out.Error(msgOutOfRange)
			return
		}
		count = -n
	}
	if distinct && count >= int64(h.Len()) {
		count = int64(h.Len())
	}
	if withValues && !c.out.RESP3() {
		c.out.Array(int(count) * 2)
	} else {
		c.out.Array(int(count))
	}
	write := func(f, v string) {
		if withValues && c.out.RESP3() {
			c.out.Array(2)
		}
		c.out.BulkString(f)
		if withValues {
			c.out.BulkString(v)
		}
	}
	switch {
	case !distinct || count == 1:
		for i := int64(0); i < count; i++ {
			write(h.Random())
		}
	case count == int64(h.Len()):
		h.Each(func(f, v string) bool {
			write(f, v)
			return true
		})
	default:
		h.Sample(int(count), true, write)
	}
}

func cmdHscan(c *client, args [][]byte) {
	cursor, ok := parseCursor(args[2])
	if !ok {
		c.out.Error(msgInvalidCursor)
		return
	}
	h, _, ok := lookupHash(c, args[1], 0)
	if !ok {
		return
	}
	if h == nil {
		writeEmptyScan(c)
		return
	}
	o, ok := parseObjectScan(c, args[3:])
	if !ok {
		return
	}
	var pairs []string
	next := h.Scan(cursor, o.count, func(f, v string) {
		if o.matches(f) {
			pairs = append(pairs, f, v)
		}
	})
	c.out.Array(2)
	c.out.BulkString(strconv.FormatUint(next, 10))
	c.out.Strings(pairs)
}

// objectScan holds the options of HSCAN and SSCAN.
type objectScan struct {
	count   int
	pattern string // "" when every element matches
}

// matches reports whether an element passes MATCH.
func (o objectScan) matches(s string) bool { return o.pattern == "" || policy.Match(o.pattern, s) }

// parseObjectScan parses HSCAN's and SSCAN's options (COUNT and MATCH;
// TYPE is SCAN's only), replying with Redis's error when they are bad.
// Redis parses them only once it has found the key, so a missing key's
// scan never reports them.
func parseObjectScan(c *client, args [][]byte) (objectScan, bool) {
	o := objectScan{count: scanDefaultCount}
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.out.Error(msgSyntax)
			return o, false
		}
		switch {
		case is(args[i], "count"):
			n, ok := argInt(args[i+1])
			if !ok {
				c.out.Error(msgNotInteger)
				return o, false
			}
			if n < 1 {
				c.out.Error(msgSyntax)
				return o, false
			}
			o.count = int(min(n, math.MaxInt32))
		case is(args[i], "match"):
			o.pattern = string(args[i+1])
			if o.pattern == "*" {
				o.pattern = ""
			}
		default:
			c.out.Error(msgSyntax)
			return o, false
		}
	}
	return o, true
}

// writeEmptyScan replies as a scan of a missing key: cursor 0, nothing.
func writeEmptyScan(c *client) {
	c.out.Array(2)
	c.out.BulkString("0")
	c.out.Array(0)
}
