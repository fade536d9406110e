package server

// Set commands.
// https://redis.io/commands/?group=set
//
// Each handler follows its counterpart in Redis 7.0's t_set.c: the same
// order of checks, the same lookups and the same replies (RESP3 sets for
// SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count; arrays for
// SRANDMEMBER). A write changes the key's Set in place and stores the key
// again (DB.StoreObject), or deletes it when the set is left empty, as
// Redis deletes empty sets; then it publishes Redis's keyspace events.
//
// SINTERCARD's keys follow its numkeys argument, which the command
// table's key positions cannot express: like Redis, it declares none, so
// it runs under the exclusive store lock.

import (
	"github.com/stratakv/strata/cache"
	"slices"
	"strconv"

	"github.com/stratakv/strata/storage"
)

func registerSetCommands(t commandTable) {
	const w, grow = flagWrite, flagWrite | flagDenyOOM
	t.add(
		&command{name: "sadd", handler: cmdSadd, arity: -3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "srem", handler: cmdSrem, arity: -3, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "smove", handler: cmdSmove, arity: 4, flags: w, firstKey: 1, lastKey: 2, keyStep: 1},
		&command{name: "sismember", handler: cmdSismember, arity: 3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "smismember", handler: cmdSmismember, arity: -3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "scard", handler: cmdScard, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "smembers", handler: cmdSinter, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "spop", handler: cmdSpop, arity: -2, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "srandmember", handler: cmdSrandmember, arity: -2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "sinter", handler: cmdSinter, arity: -2, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "sintercard", handler: cmdSintercard, arity: -3},
		&command{name: "sinterstore", handler: cmdSinterstore, arity: -3, flags: grow, firstKey: 1, lastKey: -1, keyStep: 1, write: cache.WriteReplace},
		&command{name: "sunion", handler: cmdSunion, arity: -2, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "sunionstore", handler: cmdSunionstore, arity: -3, flags: grow, firstKey: 1, lastKey: -1, keyStep: 1, write: cache.WriteReplace},
		&command{name: "sdiff", handler: cmdSdiff, arity: -2, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "sdiffstore", handler: cmdSdiffstore, arity: -3, flags: grow, firstKey: 1, lastKey: -1, keyStep: 1, write: cache.WriteReplace},
		&command{name: "sscan", handler: cmdSscan, arity: -3, firstKey: 1, lastKey: 1, keyStep: 1},
	)
}

// lookupSet looks key's set up with flags (0 for a read, LookupWrite for a
// write). s is nil when the key does not exist; when it holds another
// kind, lookupSet replies WRONGTYPE and returns ok false.
func lookupSet(c *client, key []byte, flags storage.LookupFlags) (s *storage.Set, v storage.Value, ok bool) {
	s, v, err := c.tx.LookupSet(key, flags)
	if err != nil {
		c.out.Error(msgWrongType)
		return nil, v, false
	}
	return s, v, true
}

// setLen is s's length, 0 for a missing set.
func setLen(s *storage.Set) int {
	if s == nil {
		return 0
	}
	return s.Len()
}

// writeSet replies with s's members as a set (RESP2: an array).
func writeSet(c *client, s *storage.Set) {
	c.out.Set(setLen(s))
	if s == nil {
		return
	}
	s.Each(func(m []byte) bool {
		c.out.Bulk(m)
		return true
	})
}

func cmdSadd(c *client, args [][]byte) {
	key := args[1]
	s, v, ok := lookupSet(c, key, storage.LookupWrite)
	if !ok {
		return
	}
	if s == nil {
		s = storage.NewSet()
		v = storage.SetValue(s)
	}
	added := int64(0)
	for _, m := range args[2:] {
		if s.Add(m) {
			added++
		}
	}
	if added > 0 {
		c.tx.StoreObject(key, v, false)
		c.notify(notifySet, "sadd", key)
	}
	c.out.Int(added)
}

func cmdSrem(c *client, args [][]byte) {
	key := args[1]
	s, v, ok := lookupSet(c, key, storage.LookupWrite)
	if !ok {
		return
	}
	removed := int64(0)
	if s != nil {
		for _, m := range args[2:] {
			if s.Remove(m) {
				removed++
			}
		}
	}
	if removed > 0 {
		deleted := c.tx.StoreObject(key, v, s.Len() == 0)
		c.notify(notifySet, "srem", key)
		if deleted {
			c.notify(notifyGeneric, "del", key)
		}
	}
	c.out.Int(removed)
}

// cmdSmove looks both keys up before checking either's kind, as Redis
// does: a missing source replies 0 whatever the destination holds.
func cmdSmove(c *client, args [][]byte) {
	src, dst, m := args[1], args[2], args[3]
	sv, srcExists := c.tx.Lookup(src, storage.LookupWrite)
	dv, dstExists := c.tx.Lookup(dst, storage.LookupWrite)
	if !srcExists {
		c.out.Int(0)
		return
	}
	if sv.Kind() != storage.KindSet || dstExists && dv.Kind() != storage.KindSet {
		c.out.Error(msgWrongType)
		return
	}
	from := storage.Object[storage.Set](sv)
	if string(src) == string(dst) {
		c.out.Int(boolInt(from.Has(m)))
		return
	}
	if !from.Remove(m) {
		c.out.Int(0)
		return
	}
	c.notify(notifySet, "srem", src)
	if c.tx.StoreObject(src, sv, from.Len() == 0) {
		c.notify(notifyGeneric, "del", src)
	}
	var to *storage.Set
	if dstExists {
		to = storage.Object[storage.Set](dv)
	} else {
		to = storage.NewSet()
		dv = storage.SetValue(to)
	}
	if to.Add(m) {
		c.tx.StoreObject(dst, dv, false)
		c.notify(notifySet, "sadd", dst)
	}
	c.out.Int(1)
}

func cmdSismember(c *client, args [][]byte) {
	if s, _, ok := lookupSet(c, args[1], 0); ok {
		c.out.Int(boolInt(s != nil && s.Has(args[2])))
	}
}

func cmdSmismember(c *client, args [][]byte) {
	s, _, ok := lookupSet(c, args[1], 0)
	if !ok {
		return
	}
	c.out.Array(len(args) - 2)
	for _, m := range args[2:] {
		c.out.Int(boolInt(s != nil && s.Has(m)))
	}
}

func cmdScard(c *client, args [][]byte) {
	if s, _, ok := lookupSet(c, args[1], 0); ok {
		c.out.Int(int64(setLen(s)))
	}
}

func cmdSpop(c *client, args [][]byte) {
	switch {
	case len(args) == 3:
		spopWithCount(c, args)
		return
	case len(args) > 3:
		c.out.Error(msgSyntax)
		return
	}
	key := args[1]
	s, v, ok := lookupSet(c, key, storage.LookupWrite)
	if !ok {
		return
	}
	if s == nil {
		c.out.Null()
		return
	}
	s.Pop(1, func(m string) { c.out.BulkString(m) })
	c.notify(notifySet, "spop", key)
	if c.tx.StoreObject(key, v, s.Len() == 0) {
		c.notify(notifyGeneric, "del", key)
	}
}

// spopWithCount serves SPOP key count: count distinct random members,
// the whole set (and the key gone) when count is at least its length.
func spopWithCount(c *client, args [][]byte) {
	count, ok := argInt(args[2])
	if !ok || count < 0 {
		c.out.Error(msgMustBePositive)
		return
	}
	key := args[1]
	s, v, ok := lookupSet(c, key, storage.LookupWrite)
	if !ok {
		return
	}
	if s == nil || count == 0 {
		c.out.Set(0)
		return
	}
	c.notify(notifySet, "spop", key)
	if count >= int64(s.Len()) {
		writeSet(c, s)
		c.tx.Delete(key)
		c.notify(notifyGeneric, "del", key)
		return
	}
	c.out.Set(int(count))
	s.Pop(int(count), func(m string) { c.out.BulkString(m) })
	c.tx.StoreObject(key, v, false)
}

func cmdSrandmember(c *client, args [][]byte) {
	switch {
	case len(args) == 3:
		srandmemberWithCount(c, args)
		return
	case len(args) > 3:
		c.out.Error(msgSyntax)
		return
	}
	s, _, ok := lookupSet(c, args[1], 0)
	if !ok {
		return
	}
	if s == nil {
		c.out.Null()
		return
	}
	c.out.BulkString(s.Random())
}

// srandmemberWithCount serves SRANDMEMBER key count: a positive count asks
// for distinct members (all of them when count is at least the length), a
// negative one for -count members drawn with repetition.
func srandmemberWithCount(c *client, args [][]byte) {
	n, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	s, _, ok := lookupSet(c, args[1], 0)
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.out.Array(0)
		return
	}
	write := func(m string) { c.out.BulkString(m) }
	switch {
	case n < -maxRandomCount:
		c.out.Error(msgOutOfRange)
	case n < 0 || n == 1:
		count := max(n, -n)
		c.out.Array(int(count))
		for ; count > 0; count-- {
			write(s.Random())
		}
	case n >= int64(s.Len()):
		c.out.Array(s.Len())
		s.Each(func(m []byte) bool {
			c.out.Bulk(m)
			return true
		})
	default:
		c.out.Array(int(n))
		s.Sample(int(n), true, write)
	}
}

// lookupSets looks up every key as a read (Redis 7.0 reads the inputs of
// the STORE variants as reads too), replying WRONGTYPE and returning ok
// false when one holds another kind. A missing key is a nil set.
func lookupSets(c *client, keys [][]byte) ([]*storage.Set, bool) {
	sets := make([]*storage.Set, len(keys))
	for i, k := range keys {
		s, _, ok := lookupSet(c, k, 0)
		if !ok {
			return nil, false
		}
		sets[i] = s
	}
	return sets, true
}

// interMode tells sinterGeneric what to do with the intersection.
type interMode uint8

const (
	interReply interMode = iota // SINTER, SMEMBERS: reply with it
	interCard                   // SINTERCARD: reply with its size
	interStore                  // SINTERSTORE: store it
)

func cmdSinter(c *client, args [][]byte) { sinterGeneric(c, args[1:], nil, interReply, 0) }

func cmdSinterstore(c *client, args [][]byte) {
	sinterGeneric(c, args[2:], args[1], interStore, 0)
}

func cmdSintercard(c *client, args [][]byte) {
	numKeys, ok := argInt(args[1])
	if !ok || numKeys < 1 {
		c.out.Error(msgNumKeys)
		return
	}
	if numKeys > int64(len(args)-2) {
		c.out.Error(msgNumKeysTooMany)
		return
	}
	limit := int64(0)
	for i := 2 + int(numKeys); i < len(args); i++ {
		if !is(args[i], "limit") || i+1 == len(args) {
			c.out.Error(msgSyntax)
			return
		}
		i++
		if limit, ok = argInt(args[i]); !ok || limit < 0 {
			c.out.Error(msgZLimit)
			return
		}
	}
	sinterGeneric(c, args[2:2+numKeys], nil, interCard, limit)
}

// sinterGeneric is Redis's sinterGenericCommand: it walks the smallest
// input and keeps the members every other input has. limit (SINTERCARD)
// stops counting there; 0 means none.
func sinterGeneric(c *client, keys [][]byte, dst []byte, mode interMode, limit int64) {
	sets, ok := lookupSets(c, keys)
	if !ok {
		return
	}
	if slices.Contains(sets, nil) { // an empty input: an empty intersection
		switch mode {
		case interStore:
			if c.tx.Delete(dst) {
				c.notify(notifyGeneric, "del", dst)
			}
			c.out.Int(0)
		case interCard:
			c.out.Int(0)
		default:
			c.out.Set(0)
		}
		return
	}
	if len(sets) == 1 && mode == interReply { // SMEMBERS: no copies needed
		writeSet(c, sets[0])
		return
	}
	slices.SortStableFunc(sets, func(a, b *storage.Set) int { return a.Len() - b.Len() })
	var result *storage.Set
	var members []string
	card := int64(0)
	sets[0].Each(func(m []byte) bool {
		for _, other := range sets[1:] {
			if other != sets[0] && !other.Has(m) {
				return true
			}
		}
		switch mode {
		case interCard:
			card++
			return limit == 0 || card < limit
		case interStore:
			if result == nil {
				result = storage.NewSet()
			}
			result.Add(m)
		default:
			members = append(members, string(m))
		}
		return true
	})
	switch mode {
	case interCard:
		c.out.Int(card)
	case interStore:
		storeSetResult(c, dst, result, "sinterstore")
	default:
		c.out.Set(len(members))
		for _, m := range members {
			c.out.BulkString(m)
		}
	}
}

// storeSetResult ends the STORE variants: a non-empty result replaces dst
// (its TTL with it), an empty one deletes dst. It replies with the
// result's size.
func storeSetResult(c *client, dst []byte, result *storage.Set, event string) {
	if n := setLen(result); n > 0 {
		c.tx.Set(dst, storage.SetValue(result))
		c.out.Int(int64(n))
		c.notify(notifySet, event, dst)
		return
	}
	c.out.Int(0)
	if c.tx.Delete(dst) {
		c.notify(notifyGeneric, "del", dst)
	}
}

func cmdSunion(c *client, args [][]byte) { sunionDiffGeneric(c, args[1:], nil, false) }
func cmdSdiff(c *client, args [][]byte)  { sunionDiffGeneric(c, args[1:], nil, true) }

func cmdSunionstore(c *client, args [][]byte) {
	sunionDiffGeneric(c, args[2:], args[1], false)
}

func cmdSdiffstore(c *client, args [][]byte) {
	sunionDiffGeneric(c, args[2:], args[1], true)
}

// sunionDiffGeneric is Redis's sunionDiffGenericCommand: the union of the
// inputs, or (diff) the first one's members no other input has, built as
// a new set (so an all-integer result is an intset, in ascending order),
// then replied with or stored in dst.
func sunionDiffGeneric(c *client, keys [][]byte, dst []byte, diff bool) {
	sets, ok := lookupSets(c, keys)
	if !ok {
		return
	}
	result := storage.NewSet()
	switch {
	case !diff:
		for _, s := range sets {
			if s != nil {
				s.Each(func(m []byte) bool {
					result.Add(m)
					return true
				})
			}
		}
	case sets[0] != nil && !slices.Contains(sets[1:], sets[0]):
		sets[0].Each(func(m []byte) bool {
			for _, other := range sets[1:] {
				if other != nil && other.Has(m) {
					return true
				}
			}
			result.Add(m)
			return true
		})
	}
	if dst == nil {
		writeSet(c, result)
		return
	}
	event := "sunionstore"
	if diff {
		event = "sdiffstore"
	}
	storeSetResult(c, dst, result, event)
}

func cmdSscan(c *client, args [][]byte) {
	cursor, ok := parseCursor(args[2])
	if !ok {
		c.out.Error(msgInvalidCursor)
		return
	}
	s, _, ok := lookupSet(c, args[1], 0)
	if !ok {
		return
	}
	if s == nil {
		writeEmptyScan(c)
		return
	}
	o, ok := parseObjectScan(c, args[3:])
	if !ok {
		return
	}
	var members []string
	next := s.Scan(cursor, o.count, func(m []byte) {
		if member := string(m); o.matches(member) {
			members = append(members, member)
		}
	})
	c.out.Array(2)
	c.out.BulkString(strconv.FormatUint(next, 10))
	c.out.Strings(members)
}
