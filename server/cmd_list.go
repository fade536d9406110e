package server

// List commands.
// https://redis.io/commands/?group=list
//
// Each handler follows its counterpart in Redis 7.0's t_list.c: the same
// order of checks, lookups and replies, and the same keyspace events
// (class l, plus a generic "del" when a list empties: Redis never keeps an
// empty list). A handler that changes a list in place stores the key again
// (DB.StoreObject), which accounts its memory and tells WATCH, the disk
// tier and BLPOP's waiters. The blocking commands are here too; how they
// wait is in blocking.go.

import (
	"bytes"
	"time"

	"github.com/stratakv/strata/storage"
)

func registerListCommands(t commandTable) {
	const w, grow = flagWrite, flagWrite | flagDenyOOM
	const blk = flagWrite | flagBlocking
	t.add(
		&command{name: "lpush", handler: cmdLPush, arity: -3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "rpush", handler: cmdRPush, arity: -3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "lpushx", handler: cmdLPushX, arity: -3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "rpushx", handler: cmdRPushX, arity: -3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "lpop", handler: cmdLPop, arity: -2, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "rpop", handler: cmdRPop, arity: -2, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "llen", handler: cmdLLen, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "lrange", handler: cmdLRange, arity: 4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "lindex", handler: cmdLIndex, arity: 3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "lset", handler: cmdLSet, arity: 4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "linsert", handler: cmdLInsert, arity: 5, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "lrem", handler: cmdLRem, arity: 4, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "ltrim", handler: cmdLTrim, arity: 4, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "lpos", handler: cmdLPos, arity: -3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "lmove", handler: cmdLMove, arity: 5, flags: grow, firstKey: 1, lastKey: 2, keyStep: 1},
		&command{name: "rpoplpush", handler: cmdRPopLPush, arity: 3, flags: grow, firstKey: 1, lastKey: 2, keyStep: 1},
		// LMPOP's keys follow numkeys: with no fixed key positions it runs
		// under the exclusive lock.
		&command{name: "lmpop", handler: cmdLMPop, arity: -4, flags: w},
		&command{name: "blpop", handler: cmdBLPop, arity: -3, flags: blk, firstKey: 1, lastKey: -2, keyStep: 1},
		&command{name: "brpop", handler: cmdBRPop, arity: -3, flags: blk, firstKey: 1, lastKey: -2, keyStep: 1},
		&command{name: "blmove", handler: cmdBLMove, arity: 6, flags: blk | flagDenyOOM, firstKey: 1, lastKey: 2, keyStep: 1},
		&command{name: "brpoplpush", handler: cmdBRPopLPush, arity: 4, flags: blk | flagDenyOOM, firstKey: 1, lastKey: 2, keyStep: 1},
		&command{name: "blmpop", handler: cmdBLMPop, arity: -5, flags: blk},
	)
	registerClientUnblock(t) // blocking.go
}

// lookupList is a list command's lookup of key, for a write (Redis's
// lookupKeyWrite: no hit or miss counted) or a read. l is nil when the key
// does not exist; ok is false after replying WRONGTYPE.
func lookupList(c *client, key []byte, write bool) (l *storage.List, v storage.Value, ok bool) {
	flags := storage.LookupFlags(0)
	if write {
		flags = storage.LookupWrite
	}
	l, v, err := c.tx.LookupList(key, flags)
	if err != nil {
		c.out.Error(msgWrongType)
		return nil, v, false
	}
	return l, v, true
}

// storeList stores key's list after a change: a new list is added, an
// existing one stored again or, when it emptied, deleted with Redis's
// "del" event.
func storeList(c *client, key []byte, l *storage.List, v storage.Value, created bool) {
	if created {
		c.tx.Set(key, storage.ListValue(l))
		return
	}
	if c.tx.StoreObject(key, v, l.Len() == 0) {
		c.notify(notifyGeneric, "del", key)
	}
}

// popEvent and pushEvent name the keyspace events of either end.
func popEvent(left bool) string {
	if left {
		return "lpop"
	}
	return "rpop"
}

func pushEvent(left bool) string {
	if left {
		return "lpush"
	}
	return "rpush"
}

func listPop(l *storage.List, left bool) string {
	if left {
		return l.PopFront()
	}
	return l.PopBack()
}

func listPush(l *storage.List, e string, left bool) {
	if left {
		l.PushFront(e)
	} else {
		l.PushBack(e)
	}
}

func cmdLPush(c *client, args [][]byte)  { pushCommand(c, args, true, false) }
func cmdRPush(c *client, args [][]byte)  { pushCommand(c, args, false, false) }
func cmdLPushX(c *client, args [][]byte) { pushCommand(c, args, true, true) }
func cmdRPushX(c *client, args [][]byte) { pushCommand(c, args, false, true) }

// pushCommand is [LR]PUSH[X]: with onlyExisting (X) a missing key stays
// missing.
func pushCommand(c *client, args [][]byte, left, onlyExisting bool) {
	key := args[1]
	l, v, ok := lookupList(c, key, true)
	if !ok {
		return
	}
	created := l == nil
	if created {
		if onlyExisting {
			c.out.Int(0)
			return
		}
		l = storage.NewList()
	}
	for _, e := range args[2:] {
		listPush(l, string(e), left)
	}
	storeList(c, key, l, v, created)
	c.out.Int(int64(l.Len()))
	c.notify(notifyList, pushEvent(left), key)
}

func cmdLPop(c *client, args [][]byte) { popCommand(c, args, true) }
func cmdRPop(c *client, args [][]byte) { popCommand(c, args, false) }

// popCommand is [LR]POP key [count]: a bulk string without count, an
// array with it (null when the key is missing, empty for count 0).
func popCommand(c *client, args [][]byte, left bool) {
	if len(args) > 3 {
		c.out.Error(wrongArity(popEvent(left)))
		return
	}
	hasCount := len(args) == 3
	var count int64
	if hasCount {
		n, ok := argInt(args[2])
		if !ok || n < 0 {
			c.out.Error(msgMustBePositive)
			return
		}
		count = n
	}
	key := args[1]
	l, v, ok := lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		if hasCount {
			c.out.NullArray()
		} else {
			c.out.Null()
		}
		return
	}
	if hasCount && count == 0 {
		c.out.Array(0)
		return
	}
	if !hasCount {
		c.out.BulkString(listPop(l, left))
	} else {
		n := min(count, int64(l.Len()))
		c.out.Array(int(n))
		for ; n > 0; n-- {
			c.out.BulkString(listPop(l, left))
		}
	}
	c.notify(notifyList, popEvent(left), key)
	storeList(c, key, l, v, false)
}

func cmdLLen(c *client, args [][]byte) {
	l, _, ok := lookupList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.out.Int(0)
		return
	}
	c.out.Int(int64(l.Len()))
}

// clampRange turns Redis's start and stop indexes (negative ones count
// from the end) into 0 <= start <= stop < n, reporting false when the
// range is empty (LRANGE, LTRIM, ZRANGE, ZREMRANGEBYRANK).
func clampRange(start, stop int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0, false
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop), true
}

// argInts parses integer arguments, replying with Redis's error for the
// first that is not one.
func argInts(c *client, args ...[]byte) ([]int64, bool) {
	out := make([]int64, len(args))
	for i, a := range args {
		n, ok := argInt(a)
		if !ok {
			c.out.Error(msgNotInteger)
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

func cmdLRange(c *client, args [][]byte) {
	r, ok := argInts(c, args[2], args[3])
	if !ok {
		return
	}
	l, _, ok := lookupList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.out.Array(0)
		return
	}
	start, stop, ok := clampRange(r[0], r[1], l.Len())
	if !ok {
		c.out.Array(0)
		return
	}
	c.out.Array(stop - start + 1)
	for i := start; i <= stop; i++ {
		c.out.BulkString(l.At(i))
	}
}

// listIndex resolves a LINDEX/LSET index (negative from the end).
func listIndex(index int64, n int) (int, bool) {
	if index < 0 {
		index += int64(n)
	}
	if index < 0 || index >= int64(n) {
		return 0, false
	}
	return int(index), true
}

// cmdLIndex looks the key up before it parses the index, as Redis does.
func cmdLIndex(c *client, args [][]byte) {
	l, _, ok := lookupList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.out.Null()
		return
	}
	index, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	i, ok := listIndex(index, l.Len())
	if !ok {
		c.out.Null()
		return
	}
	c.out.BulkString(l.At(i))
}

func cmdLSet(c *client, args [][]byte) {
	index, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	key := args[1]
	l, v, ok := lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.out.Error(msgNoSuchKey)
		return
	}
	i, ok := listIndex(index, l.Len())
	if !ok {
		c.out.Error(msgIndexOutOfRange)
		return
	}
	l.SetAt(i, string(args[3]))
	storeList(c, key, l, v, false)
	c.out.OK()
	c.notify(notifyList, "lset", key)
}

func cmdLInsert(c *client, args [][]byte) {
	var after bool
	switch {
	case is(args[2], "after"):
		after = true
	case is(args[2], "before"):
	default:
		c.out.Error(msgSyntax)
		return
	}
	key := args[1]
	l, v, ok := lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.out.Int(0)
		return
	}
	pivot := string(args[3])
	for i := 0; i < l.Len(); i++ {
		if l.At(i) != pivot {
			continue
		}
		if after {
			i++
		}
		l.Insert(i, string(args[4]))
		storeList(c, key, l, v, false)
		c.notify(notifyList, "linsert", key)
		c.out.Int(int64(l.Len()))
		return
	}
	c.out.Int(-1)
}

func cmdLRem(c *client, args [][]byte) {
	count, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	key := args[1]
	l, v, ok := lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.out.Int(0)
		return
	}
	removed := l.Remove(count, args[3])
	if removed > 0 {
		c.notify(notifyList, "lrem", key)
		storeList(c, key, l, v, false)
	}
	c.out.Int(removed)
}

// cmdLTrim stores the key and publishes "ltrim" even when nothing was
// trimmed, as Redis does (a WATCH on the key is dirtied).
func cmdLTrim(c *client, args [][]byte) {
	r, ok := argInts(c, args[2], args[3])
	if !ok {
		return
	}
	key := args[1]
	l, v, ok := lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.out.OK()
		return
	}
	start, stop, ok := clampRange(r[0], r[1], l.Len())
	if !ok {
		start, stop = 1, 0 // empty
	}
	l.Trim(start, stop)
	c.notify(notifyList, "ltrim", key)
	storeList(c, key, l, v, false)
	c.out.OK()
}

// cmdLPos follows Redis's lposCommand, including its arithmetic: a RANK
// of math.MinInt64 negates to itself and so matches from the first hit
// counted from the tail.
func cmdLPos(c *client, args [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch {
		case is(args[j], "rank") && more:
			j++
			n, ok := argInt(args[j])
			if !ok {
				c.out.Error(msgNotInteger)
				return
			}
			if n == 0 {
				c.out.Error(msgLPosRank)
				return
			}
			rank = n
		case is(args[j], "count") && more:
			j++
			n, ok := argInt(args[j])
			if !ok || n < 0 {
				c.out.Error(msgLPosCount)
				return
			}
			count = n
		case is(args[j], "maxlen") && more:
			j++
			n, ok := argInt(args[j])
			if !ok || n < 0 {
				c.out.Error(msgLPosMaxLen)
				return
			}
			maxlen = n
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	fromTail := false
	if rank < 0 {
		rank = -rank
		fromTail = true
	}
	l, _, ok := lookupList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		if count != -1 {
			c.out.Array(0)
		} else {
			c.out.Null()
		}
		return
	}
	elem := string(args[2])
	n := l.Len()
	var found []int64
	matches, matchIndex := int64(0), int64(-1)
	for index := 0; index < n && (maxlen == 0 || int64(index) < maxlen); index++ {
		i := index
		if fromTail {
			i = n - 1 - index
		}
		if l.At(i) != elem {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		matchIndex = int64(i)
		if count == -1 {
			break
		}
		found = append(found, matchIndex)
		if count != 0 && matches-rank+1 >= count {
			break
		}
	}
	switch {
	case count != -1:
		c.out.Array(len(found))
		for _, i := range found {
			c.out.Int(i)
		}
	case matchIndex >= 0:
		c.out.Int(matchIndex)
	default:
		c.out.Null()
	}
}

// listEnd parses LEFT or RIGHT (LMOVE, LMPOP), reporting whether it is
// LEFT; it replies with a syntax error otherwise.
func listEnd(c *client, arg []byte) (left, ok bool) {
	switch {
	case is(arg, "left"):
		return true, true
	case is(arg, "right"):
		return false, true
	}
	c.out.Error(msgSyntax)
	return false, false
}

func cmdLMove(c *client, args [][]byte) {
	from, ok := listEnd(c, args[3])
	if !ok {
		return
	}
	to, ok := listEnd(c, args[4])
	if !ok {
		return
	}
	lmove(c, args[1], args[2], from, to)
}

func cmdRPopLPush(c *client, args [][]byte) { lmove(c, args[1], args[2], false, true) }

// lmove is LMOVE (and RPOPLPUSH, and BLMOVE once its source has
// elements): it pops from src, pushes on dst and replies with the element,
// null when src is missing. It reports whether it moved an element.
func lmove(c *client, src, dst []byte, from, to bool) bool {
	sl, sv, ok := lookupList(c, src, true)
	if !ok {
		return false
	}
	if sl == nil {
		c.out.Null()
		return false
	}
	same := bytes.Equal(src, dst)
	dl, dv := sl, sv
	if !same {
		if dl, dv, ok = lookupList(c, dst, true); !ok {
			return false
		}
	}
	e := listPop(sl, from)
	created := dl == nil
	if created {
		dl = storage.NewList()
	}
	listPush(dl, e, to)
	storeList(c, dst, dl, dv, created)
	c.notify(notifyList, pushEvent(to), dst)
	c.out.BulkString(e)
	c.notify(notifyList, popEvent(from), src)
	if !same {
		storeList(c, src, sl, sv, false)
	}
	return true
}

// mpopArgs are LMPOP's and BLMPOP's parsed arguments.
type mpopArgs struct {
	keys  [][]byte
	left  bool
	count int64
}

// parseMPop parses "numkeys key [key ...] LEFT|RIGHT [COUNT count]" from
// args[i:] as Redis's lmpopGenericCommand, replying with its errors. As
// everywhere Redis gives a range check its own message, that message
// answers a non-integer too.
// ends parses the LEFT|RIGHT (or MIN|MAX) word.
func parseMPop(c *client, args [][]byte, i int, ends func(c *client, arg []byte) (bool, bool)) (mpopArgs, bool) {
	numkeys, ok := argInt(args[i])
	if !ok || numkeys < 1 {
		c.out.Error(msgNumKeys)
		return mpopArgs{}, false
	}
	where := int64(i) + numkeys + 1
	if where >= int64(len(args)) {
		c.out.Error(msgSyntax)
		return mpopArgs{}, false
	}
	a := mpopArgs{keys: args[i+1 : where], count: -1}
	if a.left, ok = ends(c, args[where]); !ok {
		return a, false
	}
	for j := int(where) + 1; j < len(args); j++ {
		if a.count == -1 && is(args[j], "count") && j+1 < len(args) {
			j++
			n, ok := argInt(args[j])
			if !ok || n < 1 {
				c.out.Error(msgCountPositive)
				return a, false
			}
			a.count = n
			continue
		}
		c.out.Error(msgSyntax)
		return a, false
	}
	if a.count == -1 {
		a.count = 1
	}
	return a, true
}

func cmdLMPop(c *client, args [][]byte) {
	a, ok := parseMPop(c, args, 1, listEnd)
	if !ok {
		return
	}
	if served, ok := popFirstList(c, a.keys, a.left, a.count); ok && !served {
		c.out.NullArray()
	}
}

// popFirstList pops from the first non-empty list of keys, replying as
// [LR]POP with count a negative count (BLPOP: [key, element]) or as LMPOP
// ([key, [elements]]). It reports whether it found a list, and false in ok
// after replying WRONGTYPE. In the re-run of a woken blocking command, keys
// of another kind are passed over instead: Redis 7.0 leaves a client
// blocked while its keys hold other kinds.
func popFirstList(c *client, keys [][]byte, left bool, count int64) (served, ok bool) {
	for _, key := range keys {
		l, v, err := c.tx.LookupList(key, storage.LookupWrite)
		if err != nil {
			if c.rerun() {
				continue
			}
			c.out.Error(msgWrongType)
			return false, false
		}
		if l == nil {
			continue
		}
		if count < 0 {
			c.out.Array(2)
			c.out.Bulk(key)
			c.out.BulkString(listPop(l, left))
		} else {
			n := min(count, int64(l.Len()))
			c.out.Array(2)
			c.out.Bulk(key)
			c.out.Array(int(n))
			for ; n > 0; n-- {
				c.out.BulkString(listPop(l, left))
			}
		}
		c.notify(notifyList, popEvent(left), key)
		storeList(c, key, l, v, false)
		return true, true
	}
	return false, true
}

func cmdBLPop(c *client, args [][]byte) { blockingPop(c, args, true) }
func cmdBRPop(c *client, args [][]byte) { blockingPop(c, args, false) }

// blockingPop is B[LR]POP key [key ...] timeout.
func blockingPop(c *client, args [][]byte, left bool) {
	timeout, ok := parseBlockTimeout(c, args[len(args)-1])
	if !ok {
		return
	}
	keys := args[1 : len(args)-1]
	if served, ok := popFirstList(c, keys, left, -1); ok && !served && !c.blockFor(storage.KindList, keys, timeout) {
		c.out.NullArray()
	}
}

func cmdBLMPop(c *client, args [][]byte) {
	a, ok := parseMPop(c, args, 2, listEnd)
	if !ok {
		return
	}
	timeout, ok := parseBlockTimeout(c, args[1])
	if !ok {
		return
	}
	if served, ok := popFirstList(c, a.keys, a.left, a.count); ok && !served && !c.blockFor(storage.KindList, a.keys, timeout) {
		c.out.NullArray()
	}
}

func cmdBLMove(c *client, args [][]byte) {
	from, ok := listEnd(c, args[3])
	if !ok {
		return
	}
	to, ok := listEnd(c, args[4])
	if !ok {
		return
	}
	timeout, ok := parseBlockTimeout(c, args[5])
	if !ok {
		return
	}
	blmove(c, args[1], args[2], from, to, timeout)
}

func cmdBRPopLPush(c *client, args [][]byte) {
	timeout, ok := parseBlockTimeout(c, args[3])
	if !ok {
		return
	}
	blmove(c, args[1], args[2], false, true, timeout)
}

// blmove moves at once when src has elements and blocks on src otherwise.
// Inside MULTI it replies as LMOVE on a missing key (a null bulk string);
// a timeout replies a null array, as Redis's.
func blmove(c *client, src, dst []byte, from, to bool, timeout time.Duration) {
	l, _, err := c.tx.LookupList(src, storage.LookupWrite)
	if err != nil && !c.rerun() {
		c.out.Error(msgWrongType)
		return
	}
	if l != nil {
		lmove(c, src, dst, from, to)
		return
	}
	if !c.blockFor(storage.KindList, [][]byte{src}, timeout) {
		c.out.Null()
	}
}
