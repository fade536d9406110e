package server

// Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID,
// XREAD and XREADGROUP; the consumer group commands are in
// cmd_stream_group.go.
// https://redis.io/commands/?group=stream
//
// Each handler follows its counterpart in Redis 7.0's t_stream.c: the same
// order of checks (arguments first, then the key), the same lookups and
// replies, and the same keyspace events (class t). A write changes the
// key's Stream in place and stores the key again (DB.StoreObject), which
// accounts its memory, persists it and wakes blocked readers; a change
// Redis does not signal as a modification (to consumer groups, XSETID)
// leaves WATCH alone. Unlike the other collections, a stream is never
// deleted for being empty.
//
// XREAD and XREADGROUP with BLOCK wait as BLPOP does (blocking.go): an
// XREAD waiter is woken by every write of its keys and takes nothing from
// other readers, while the XREADGROUP waiters of one group are served one
// at a time, in the order they blocked. Their keys follow STREAMS, so they
// have no fixed key positions and run under the exclusive storage lock.

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/stratakv/strata/storage"
)

func registerStreamCommands(t commandTable) {
	const w, grow = flagWrite, flagWrite | flagDenyOOM
	t.add(
		&command{name: "xadd", handler: cmdXadd, arity: -5, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "xlen", handler: cmdXlen, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "xrange", handler: cmdXrange, arity: -4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "xrevrange", handler: cmdXrevrange, arity: -4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "xdel", handler: cmdXdel, arity: -3, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "xtrim", handler: cmdXtrim, arity: -4, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "xsetid", handler: cmdXsetid, arity: -3, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "xread", handler: cmdXread, arity: -4, flags: flagBlocking},
		&command{name: "xreadgroup", handler: cmdXreadgroup, arity: -7, flags: w | flagBlocking},
	)
	registerStreamGroupCommands(t) // cmd_stream_group.go
}

// lookupStream looks key's stream up, for a write (not counted as a hit
// or a miss) or a read. s is nil when the key does not exist; ok is false
// after replying WRONGTYPE.
func lookupStream(c *client, key []byte, write bool) (s *storage.Stream, v storage.Value, ok bool) {
	flags := storage.LookupFlags(0)
	if write {
		flags = storage.LookupWrite
	}
	s, v, err := c.tx.LookupStream(key, flags)
	if err != nil {
		c.out.Error(msgWrongType)
		return nil, v, false
	}
	return s, v, true
}

// storeStream stores key's stream after a change: a new stream is added,
// an existing one stored again.
func storeStream(c *client, key []byte, s *storage.Stream, v storage.Value, created bool) {
	if created {
		c.tx.Set(key, storage.StreamValue(s))
	} else {
		c.tx.StoreObject(key, v, false)
	}
}

// parseStreamID parses an ID argument as Redis's streamGenericParseIDOrReply,
// replying with Redis's error when it is invalid.
func parseStreamID(c *client, arg []byte, missingSeq uint64, strict, partial bool) (id storage.StreamID, seqGiven, ok bool) {
	if id, seqGiven, ok = streamIDArg(arg, missingSeq, strict, partial); !ok {
		c.out.Error(msgStreamID)
	}
	return id, seqGiven, ok
}

// streamIDArg parses an ID argument: "ms-seq", or "ms" with the sequence
// missingSeq; "-" and "+" unless strict; with partial (XADD), "ms-*", for
// which seqGiven is false.
func streamIDArg(arg []byte, missingSeq uint64, strict, partial bool) (id storage.StreamID, seqGiven, ok bool) {
	if len(arg) > 127 {
		return id, false, false
	}
	// Redis parses a copy as a C string: it ends at a NUL byte.
	if i := bytes.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	switch {
	case string(arg) == "-" && !strict:
		return storage.StreamID{}, true, true
	case string(arg) == "+" && !strict:
		return storage.MaxStreamID, true, true
	}
	ms, seq, hasSeq := bytes.Cut(arg, []byte{'-'})
	id.Seq, seqGiven = missingSeq, true
	if id.Ms, ok = parseIDPart(ms); !ok {
		return id, false, false
	}
	switch {
	case !hasSeq:
	case partial && string(seq) == "*":
		id.Seq, seqGiven = 0, false
	default:
		if id.Seq, ok = parseIDPart(seq); !ok {
			return id, false, false
		}
	}
	return id, seqGiven, true
}

// parseIDPart parses one part of an ID as Redis's string2ull: a string2ll
// integer that is not negative, or else anything C's strtoull takes
// whole: leading blanks, a sign (a minus negates, modulo 2^64, as in C),
// leading zeros; not an out-of-range number.
func parseIDPart(b []byte) (uint64, bool) {
	if n, ok := argInt(b); ok {
		return uint64(n), n >= 0
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var n uint64
	for ; i < len(b); i++ {
		d := uint64(b[i] - '0')
		if b[i] < '0' || b[i] > '9' || n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseRangeID parses a range bound: an ID (missing sequence missingSeq),
// "-", "+", or with a leading '(' an exclusive ID, which it turns
// inclusive, replying startErr or endErr when there is no such ID (the
// start past the last ID, the end before 0-0).
func parseRangeID(c *client, arg []byte, missingSeq uint64, end bool) (storage.StreamID, bool) {
	exclusive := len(arg) > 1 && arg[0] == '('
	if !exclusive {
		id, _, ok := parseStreamID(c, arg, missingSeq, false, false)
		return id, ok
	}
	id, _, ok := parseStreamID(c, arg[1:], missingSeq, true, false)
	if !ok {
		return id, false
	}
	if end {
		if id, ok = id.Prev(); !ok {
			c.out.Error(msgStreamEndID)
		}
	} else if id, ok = id.Next(); !ok {
		c.out.Error(msgStreamStartID)
	}
	return id, ok
}

// writeStreamID replies with id as a bulk string.
func writeStreamID(c *client, id storage.StreamID) {
	var buf [41]byte
	c.out.Bulk(id.AppendText(buf[:0]))
}

// writeStreamEntry replies with an entry: its ID and its fields and
// values, an array even in RESP3.
func writeStreamEntry(c *client, e storage.StreamEntry) {
	c.out.Array(2)
	writeStreamID(c, e.ID)
	c.out.Array(2 * e.Pairs())
	e.Fields(func(f, v string) {
		c.out.BulkString(f)
		c.out.BulkString(v)
	})
}

// writeStreamEntries replies with an array of entries.
func writeStreamEntries(c *client, es []storage.StreamEntry) {
	c.out.Array(len(es))
	for _, e := range es {
		writeStreamEntry(c, e)
	}
}

// streamRange returns up to count (0: all) entries of s with IDs in
// [start, end], from end down with rev.
func streamRange(s *storage.Stream, start, end storage.StreamID, count int64, rev bool) []storage.StreamEntry {
	var es []storage.StreamEntry
	s.Range(start, end, rev, func(e storage.StreamEntry) bool {
		es = append(es, e)
		return count == 0 || int64(len(es)) < count
	})
	return es
}

// addTrimArgs are XADD's and XTRIM's options, parsed as Redis's
// streamParseAddOrTrimArgsOrReply.
type addTrimArgs struct {
	trim       storage.StreamTrim
	id         storage.StreamID
	idGiven    bool
	seqGiven   bool
	noMkStream bool
}

// Redis 7.0's default LIMIT for ~ trimming: 100 nodes' worth of entries.
const defaultTrimLimit = 100 * 100

// parseAddTrim parses XADD's options up to its ID (xadd) or XTRIM's, and
// returns them with the position of the ID (XADD's fields follow it). It
// replies with the error when they are bad.
func parseAddTrim(c *client, args [][]byte, xadd bool) (addTrimArgs, int, bool) {
	var a addTrimArgs
	limitGiven := false
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && string(opt) == "*":
			return a, i, a.checkTrim(c, limitGiven)
		case (is(opt, "maxlen") || is(opt, "minid")) && more > 0:
			if a.trim.Strategy != storage.TrimNone {
				c.out.Error(msgTrimBothStrategies)
				return a, i, false
			}
			a.trim.Approx = false
			if next := args[i+1]; more >= 2 && (string(next) == "~" || string(next) == "=") {
				a.trim.Approx = string(next) == "~"
				i++
			}
			if is(opt, "maxlen") {
				n, ok := argInt(args[i+1])
				if !ok {
					c.out.Error(msgNotInteger)
					return a, i, false
				}
				if n < 0 {
					c.out.Error(msgTrimMaxLen)
					return a, i, false
				}
				a.trim.Strategy, a.trim.MaxLen = storage.TrimMaxLen, n
			} else {
				id, _, ok := parseStreamID(c, args[i+1], 0, true, false)
				if !ok {
					return a, i, false
				}
				a.trim.Strategy, a.trim.MinID = storage.TrimMinID, id
			}
			i++
		case is(opt, "limit") && more > 0:
			n, ok := argInt(args[i+1])
			if !ok {
				c.out.Error(msgNotInteger)
				return a, i, false
			}
			if n < 0 {
				c.out.Error(msgTrimLimit)
				return a, i, false
			}
			a.trim.Limit, limitGiven = n, true
			i++
		case xadd && is(opt, "nomkstream"):
			a.noMkStream = true
		case xadd:
			id, seqGiven, ok := parseStreamID(c, opt, 0, true, true)
			if !ok {
				return a, i, false
			}
			a.id, a.idGiven, a.seqGiven = id, true, seqGiven
			return a, i, a.checkTrim(c, limitGiven)
		default:
			c.out.Error(msgSyntax)
			return a, i, false
		}
	}
	if !xadd && a.trim.Strategy == storage.TrimNone {
		c.out.Error(msgXTrimNoStrategy)
		return a, i, false
	}
	return a, i, a.checkTrim(c, limitGiven)
}

// checkTrim checks LIMIT against the trimming options and gives ~ its
// default limit.
func (a *addTrimArgs) checkTrim(c *client, limitGiven bool) bool {
	switch {
	case a.trim.Limit != 0 && a.trim.Strategy == storage.TrimNone:
		c.out.Error(msgTrimLimitNoStrategy)
		return false
	case limitGiven && !a.trim.Approx:
		c.out.Error(msgTrimLimitNoApprox)
		return false
	case !limitGiven && a.trim.Approx:
		a.trim.Limit = defaultTrimLimit
	}
	return true
}

func cmdXadd(c *client, args [][]byte) {
	a, idPos, ok := parseAddTrim(c, args, true)
	if !ok {
		return
	}
	if n := len(args) - idPos - 1; n < 2 || n%2 == 1 {
		c.out.Error(wrongArity("xadd"))
		return
	}
	pairs := args[idPos+1:]
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.out.Error(msgXAddIDZero)
		return
	}
	key := args[1]
	s, v, ok := lookupStream(c, key, true)
	if !ok {
		return
	}
	created := s == nil
	if created {
		if a.noMkStream {
			c.out.Null()
			return
		}
		s = storage.NewStream()
	}
	last := s.LastID()
	if last == storage.MaxStreamID {
		c.out.Error(msgStreamExhausted)
		return
	}
	id := a.id
	switch {
	case !a.idGiven:
		id = s.NextID(c.srv.store.Now())
	case !a.seqGiven && id.Ms == last.Ms:
		if id, ok = last.Next(); !ok || id.Ms != last.Ms {
			c.out.Error(msgXAddIDTooSmall)
			return
		}
	}
	if a.idGiven && id.Compare(last) <= 0 {
		c.out.Error(msgXAddIDTooSmall)
		return
	}
	total := 0
	for _, p := range pairs {
		total += len(p)
	}
	if total > storage.StreamMaxEntryBytes {
		c.out.Error(msgStreamTooLarge)
		return
	}
	s.Add(id, pairs)
	trimmed := s.Trim(a.trim)
	storeStream(c, key, s, v, created)
	writeStreamID(c, id)
	c.notify(notifyStream, "xadd", key)
	if trimmed > 0 {
		c.notify(notifyStream, "xtrim", key)
	}
}

func cmdXlen(c *client, args [][]byte) {
	s, _, ok := lookupStream(c, args[1], false)
	if !ok {
		return
	}
	n := 0
	if s != nil {
		n = s.Len()
	}
	c.out.Int(int64(n))
}

func cmdXrange(c *client, args [][]byte)    { xrangeGeneric(c, args, false) }
func cmdXrevrange(c *client, args [][]byte) { xrangeGeneric(c, args, true) }

// xrangeGeneric serves XRANGE key start end [COUNT n] and XREVRANGE key
// end start [COUNT n]. A COUNT of 0 (or less) answers a null array.
func xrangeGeneric(c *client, args [][]byte, rev bool) {
	startArg, endArg := args[2], args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := parseRangeID(c, startArg, 0, false)
	if !ok {
		return
	}
	end, ok := parseRangeID(c, endArg, math.MaxUint64, true)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(args); j++ {
		if !is(args[j], "count") || j+1 >= len(args) {
			c.out.Error(msgSyntax)
			return
		}
		n, ok := argInt(args[j+1])
		if !ok {
			c.out.Error(msgNotInteger)
			return
		}
		count = max(n, 0)
		j++
	}
	s, _, ok := lookupStream(c, args[1], false)
	if !ok {
		return
	}
	switch {
	case s == nil:
		c.out.Array(0)
	case count == 0:
		c.out.NullArray()
	default:
		writeStreamEntries(c, streamRange(s, start, end, max(count, 0), rev))
	}
}

// parseStrictIDs parses args as strict IDs, replying with the error at
// the first invalid one.
func parseStrictIDs(c *client, args [][]byte) ([]storage.StreamID, bool) {
	ids := make([]storage.StreamID, len(args))
	for i, a := range args {
		var ok bool
		if ids[i], _, ok = parseStreamID(c, a, 0, true, false); !ok {
			return nil, false
		}
	}
	return ids, true
}

func cmdXdel(c *client, args [][]byte) {
	key := args[1]
	s, v, ok := lookupStream(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.out.Int(0)
		return
	}
	ids, ok := parseStrictIDs(c, args[2:])
	if !ok {
		return
	}
	deleted := int64(0)
	for _, id := range ids {
		if s.Delete(id) {
			deleted++
		}
	}
	if deleted > 0 {
		c.tx.StoreObject(key, v, false)
		c.notify(notifyStream, "xdel", key)
	}
	c.out.Int(deleted)
}

func cmdXtrim(c *client, args [][]byte) {
	a, _, ok := parseAddTrim(c, args, false)
	if !ok {
		return
	}
	key := args[1]
	s, v, ok := lookupStream(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.out.Int(0)
		return
	}
	trimmed := s.Trim(a.trim)
	if trimmed > 0 {
		c.tx.StoreObject(key, v, false)
		c.notify(notifyStream, "xtrim", key)
	}
	c.out.Int(trimmed)
}

func cmdXsetid(c *client, args [][]byte) {
	id, _, ok := parseStreamID(c, args[2], 0, true, false)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDeleted storage.StreamID
	for i := 3; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.out.Error(msgSyntax)
			return
		}
		switch {
		case is(args[i], "entriesadded"):
			if entriesAdded, ok = argInt(args[i+1]); !ok {
				c.out.Error(msgNotInteger)
				return
			}
			if entriesAdded < 0 {
				c.out.Error(msgXSetIDEntriesAdded)
				return
			}
		case is(args[i], "maxdeletedid"):
			if maxDeleted, _, ok = parseStreamID(c, args[i+1], 0, true, false); !ok {
				return
			}
			if id.Compare(maxDeleted) < 0 {
				c.out.Error(msgXSetIDMaxDeleted)
				return
			}
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	key := args[1]
	s, v, ok := lookupStream(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.out.Error(msgNoSuchKey)
		return
	}
	if last, ok := s.LastLiveID(); ok {
		if id.Compare(last) < 0 {
			c.out.Error(msgXSetIDTooSmall)
			return
		}
		if entriesAdded != -1 && int64(s.Len()) > entriesAdded {
			c.out.Error(msgXSetIDEntriesTooFew)
			return
		}
	}
	s.SetLastID(id)
	if entriesAdded != -1 {
		s.SetEntriesAdded(entriesAdded)
	}
	if !maxDeleted.IsZero() {
		s.SetMaxDeletedID(maxDeleted)
	}
	storeUnsignalled(c, key, v)
	c.notify(notifyStream, "xsetid", key)
	c.out.OK()
}

// xreadArgs are XREAD's and XREADGROUP's arguments.
type xreadArgs struct {
	count    int64
	block    bool
	timeout  time.Duration // with block; 0 waits forever
	keys     [][]byte
	ids      [][]byte
	group    []byte // XREADGROUP's
	consumer []byte
	noAck    bool
}

// Without COUNT, a blocked read is served at most this many entries, so
// that a low ID does not flood the client (XREAD_BLOCKED_DEFAULT_COUNT).
const xreadBlockedCount = 1000

// parseXread parses XREAD's or XREADGROUP's options, replying with the
// error when they are bad.
func parseXread(c *client, args [][]byte, xreadgroup bool) (xreadArgs, bool) {
	var a xreadArgs
	streams := 0
	for i := 1; i < len(args); i++ {
		more := len(args) - 1 - i
		switch opt := args[i]; {
		case is(opt, "block") && more > 0:
			if c.script != nil {
				// A script may not block; Redis says so rather than
				// answering as a timeout, as it does inside MULTI.
				c.out.Error(fmt.Sprintf(msgXReadBlockInScript, args[0]))
				return a, false
			}
			i++
			ms, ok := argInt(args[i])
			if !ok {
				c.out.Error(msgXReadTimeout)
				return a, false
			}
			if ms < 0 {
				c.out.Error(msgTimeoutNegative)
				return a, false
			}
			a.block = true
			// A deadline past the 64-bit range never comes, as in Redis.
			if ms <= math.MaxInt64/int64(time.Millisecond) {
				a.timeout = time.Duration(ms) * time.Millisecond
			}
		case is(opt, "count") && more > 0:
			i++
			n, ok := argInt(args[i])
			if !ok {
				c.out.Error(msgNotInteger)
				return a, false
			}
			a.count = max(n, 0)
		case is(opt, "streams") && more > 0:
			streams = i + 1
			if (len(args)-streams)%2 != 0 {
				c.out.Error(msgXReadUnbalanced)
				return a, false
			}
			n := (len(args) - streams) / 2
			a.keys, a.ids = args[streams:streams+n], args[streams+n:]
			i = len(args)
		case is(opt, "group") && more >= 2:
			if !xreadgroup {
				c.out.Error(msgXReadGroupOption)
				return a, false
			}
			a.group, a.consumer = args[i+1], args[i+2]
			i += 2
		case is(opt, "noack"):
			if !xreadgroup {
				c.out.Error(msgXReadNoAckOption)
				return a, false
			}
			a.noAck = true
		default:
			c.out.Error(msgSyntax)
			return a, false
		}
	}
	if streams == 0 {
		c.out.Error(msgSyntax)
		return a, false
	}
	if xreadgroup && a.group == nil {
		c.out.Error(msgXReadGroupMissing)
		return a, false
	}
	return a, true
}

func cmdXread(c *client, args [][]byte)      { xreadGeneric(c, args, false) }
func cmdXreadgroup(c *client, args [][]byte) { xreadGeneric(c, args, true) }

// xreadGeneric serves XREAD and XREADGROUP as Redis's xreadCommand: it
// resolves each key's ID ($, >, or given), then replies with the entries
// of every key that has some past its ID, or blocks (BLOCK) or replies
// null when none has. A re-run after a wake-up is serveWokenReader's.
func xreadGeneric(c *client, args [][]byte, xreadgroup bool) {
	a, ok := parseXread(c, args, xreadgroup)
	if !ok {
		return
	}
	if c.rerun() {
		serveWokenReader(c, a)
		return
	}
	ids := make([]storage.StreamID, len(a.keys))
	for i, key := range a.keys {
		s, _, ok := lookupStream(c, key, false)
		if !ok {
			return
		}
		if a.group != nil && (s == nil || s.Group(a.group) == nil) {
			c.out.Error(fmt.Sprintf(msgXReadGroupNoGroup, key, a.group))
			return
		}
		switch string(a.ids[i]) {
		case "$":
			if xreadgroup {
				c.out.Error(msgXReadGroupDollar)
				return
			}
			if s != nil {
				ids[i] = s.LastID()
			}
			continue
		case ">":
			if !xreadgroup {
				c.out.Error(msgXReadGreaterID)
				return
			}
			ids[i] = storage.MaxStreamID // resolved when serving
			continue
		}
		if ids[i], _, ok = parseStreamID(c, a.ids[i], 0, true, false); !ok {
			return
		}
	}
	// One key, the common read, is served or not: its header goes first,
	// with nothing to move. Several have theirs put before them after.
	single := len(a.keys) == 1
	mark := c.out.Len()
	served := 0
	for i, key := range a.keys {
		// Redis looks each key up again here, counting a second hit.
		s, v, _ := lookupStream(c, key, false)
		if s == nil {
			continue
		}
		history := a.group != nil && ids[i] != storage.MaxStreamID
		from := ids[i]
		if a.group != nil && !history {
			from = s.Group(a.group).LastID()
		}
		if last, ok := s.LastLiveID(); !history && (!ok || last.Compare(from) <= 0) {
			continue
		}
		if single {
			writeReadLen(c, 1)
		}
		served++
		serveStreamRead(c, a, key, s, v, from, history, a.count)
	}
	if served > 0 {
		if !single {
			writeReadHeader(c, mark, served)
		}
		return
	}
	if !a.block {
		c.out.NullArray()
		return
	}
	if b := c.block; b != nil {
		// ids stays the call's own (on its stack) but for a reader that waits.
		b.solo, b.strict, b.queue, b.state = a.group == nil, a.group != nil, string(a.group), slices.Clone(ids)
	}
	if !c.blockFor(storage.KindStream, a.keys, a.timeout) {
		c.out.NullArray() // in MULTI: as on a timeout
	}
}

// writeReadHeader puts the reply's header before the replies of the
// served keys written since mark: a map of key to entries in RESP3, an
// array of [key, entries] in RESP2, as Redis's setDeferredMapLen.
func writeReadHeader(c *client, mark, served int) {
	parts := slices.Clone(c.out.Bytes()[mark:])
	c.out.Truncate(mark)
	writeReadLen(c, served)
	c.out.Raw(parts)
}

// writeReadLen writes the header of a reply of served keys.
func writeReadLen(c *client, served int) {
	if c.out.RESP3() {
		c.out.Map(served)
	} else {
		c.out.Array(served)
	}
}

// serveStreamRead writes key's part of an XREAD or XREADGROUP reply: the
// entries after from (XREAD, XREADGROUP >), or for history the
// consumer's pending entries from after from. XREADGROUP creates the
// consumer when it has to, delivers and stores the key.
func serveStreamRead(c *client, a xreadArgs, key []byte, s *storage.Stream, v storage.Value, from storage.StreamID, history bool, count int64) {
	if !c.out.RESP3() {
		c.out.Array(2)
	}
	c.out.Bulk(key)
	start, ok := from.Next()
	if a.group == nil {
		if !ok {
			c.out.Array(0)
			return
		}
		writeStreamEntries(c, streamRange(s, start, storage.MaxStreamID, count, false))
		return
	}
	now := c.srv.store.Now()
	g := s.Group(a.group)
	consumer := g.Consumer(a.consumer)
	if consumer == nil {
		consumer = g.CreateConsumer(a.consumer, now)
		c.notify(notifyStream, "xgroup-createconsumer", key)
	}
	consumer.Touch(now)
	if history {
		type pending struct {
			id    storage.StreamID
			e     storage.StreamEntry
			found bool
		}
		var ps []pending
		if ok {
			g.ReadHistory(consumer, start, int(count), now, func(id storage.StreamID, e storage.StreamEntry, found bool) {
				ps = append(ps, pending{id, e, found})
			})
		}
		c.out.Array(len(ps))
		for _, p := range ps {
			if p.found {
				writeStreamEntry(c, p.e)
				continue
			}
			// An entry deleted while pending: its ID, and no fields.
			c.out.Array(2)
			writeStreamID(c, p.id)
			c.out.NullArray()
		}
	} else {
		// Room on the stack for a read of a few entries, the commonest.
		var room [4]storage.StreamEntry
		es := room[:0]
		g.ReadNew(consumer, int(count), a.noAck, now, func(e storage.StreamEntry) { es = append(es, e) })
		writeStreamEntries(c, es)
	}
	storeUnsignalled(c, key, v)
}

// serveWokenReader re-runs a blocked XREAD or XREADGROUP after a wake-up, as
// Redis serves a blocked reader: from one key, the one whose change woke
// it or else the first with entries past the ID resolved when the client
// blocked (for XREADGROUP, past the group's last delivered ID), up to
// COUNT or 1000 entries. An XREADGROUP whose key or group went away
// fails; a reader with nothing to read blocks again, in its place.
func serveWokenReader(c *client, a xreadArgs) {
	ids := c.block.state.([]storage.StreamID)
	count := a.count
	if count == 0 {
		count = xreadBlockedCount
	}
	order := make([]int, 0, len(a.keys))
	for _, woke := range []bool{true, false} {
		for i, key := range a.keys {
			if (string(key) == c.block.wokenBy) == woke {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		key := a.keys[i]
		s, v, err := c.tx.LookupStream(key, storage.LookupWrite) // no hit counted, as Redis
		switch {
		case a.group == nil && (err != nil || s == nil):
			continue
		case err != nil || s == nil:
			c.out.Error(msgStreamKeyDeleted)
			return
		case a.group != nil:
			g := s.Group(a.group)
			if g == nil {
				c.out.Error(msgStreamGroupDestroyed)
				return
			}
			ids[i] = g.LastID()
		}
		// Redis serves a reader when the stream's last ID is past its
		// ID; Strata when a live entry is, so that a write that adds
		// none (XSETID, XACK) does not end the wait with nothing.
		if last, ok := s.LastLiveID(); !ok || last.Compare(ids[i]) <= 0 {
			continue
		}
		writeReadLen(c, 1)
		serveStreamRead(c, a, key, s, v, ids[i], false, count)
		return
	}
	c.blockFor(storage.KindStream, a.keys, a.timeout)
}
