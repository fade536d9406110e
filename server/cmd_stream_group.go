package server

// Stream consumer group commands: XGROUP, XACK, XPENDING, XCLAIM,
// XAUTOCLAIM, and XINFO. XREADGROUP is with XREAD in cmd_stream.go.
// https://redis.io/docs/data-types/streams/#consumer-groups
//
// As in cmd_stream.go, each handler follows Redis 7.0's t_stream.c, and a
// change to a group stores the key again. Times (delivery, idle, seen) are
// the store's clock in unix milliseconds.

import (
	"fmt"
	"math"
	"strconv"

	"github.com/stratakv/strata/storage"
)

func registerStreamGroupCommands(t commandTable) {
	const w, grow = flagWrite, flagWrite | flagDenyOOM
	t.add(
		&command{name: "xack", handler: cmdXack, arity: -4, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "xpending", handler: cmdXpending, arity: -3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "xclaim", handler: cmdXclaim, arity: -6, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "xautoclaim", handler: cmdXautoclaim, arity: -6, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
	)
	t.container("xgroup", -2,
		&command{name: "create", handler: cmdXgroupCreate, arity: -5, flags: grow, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "setid", handler: cmdXgroupSetid, arity: -5, flags: w, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "destroy", handler: cmdXgroupDestroy, arity: 4, flags: w, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "createconsumer", handler: cmdXgroupCreateConsumer, arity: 5, flags: grow, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "delconsumer", handler: cmdXgroupDelConsumer, arity: 5, flags: w, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "help", handler: cmdXgroupHelp, arity: 2, flags: flagNoData},
	)
	t.container("xinfo", -2,
		&command{name: "consumers", handler: cmdXinfoConsumers, arity: 4, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "groups", handler: cmdXinfoGroups, arity: 3, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "stream", handler: cmdXinfoStream, arity: -3, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "help", handler: cmdXinfoHelp, arity: 2, flags: flagNoData},
	)
}

// storeUnsignalled stores key after a change that Redis 7.0 does not
// signal as a modification of the key (one to its consumer groups, and
// XSETID): WATCH ignores it.
func storeUnsignalled(c *client, key []byte, v storage.Value) {
	c.srv.watches.quietly(c.dbIndex, key, func() { c.tx.StoreObject(key, v, false) })
}

// subcommandSyntax replies as Redis's addReplySubcommandSyntaxError.
func subcommandSyntax(c *client, args [][]byte) {
	c.out.Error(fmt.Sprintf(msgSubcommandSyntax, truncate(string(args[1]), 128), upper(string(args[0]))))
}

// lookupGroup is the lookup of XACK, XPENDING, XCLAIM and XAUTOCLAIM: a
// read of key (counted as a hit or a miss, as Redis's lookupKeyRead) and
// its group. s or g is nil when missing; ok is false after WRONGTYPE.
func lookupGroup(c *client, key, group []byte) (s *storage.Stream, v storage.Value, g *storage.StreamGroup, ok bool) {
	if s, v, ok = lookupStream(c, key, false); ok && s != nil {
		g = s.Group(group)
	}
	return s, v, g, ok
}

// noKeyOrGroup replies NOGROUP for a missing key or group.
func noKeyOrGroup(c *client, key, group []byte) {
	c.out.Error(fmt.Sprintf(msgNoKeyOrGroup, key, group))
}

// xgroupOptions are XGROUP CREATE's and SETID's options.
type xgroupOptions struct {
	mkStream    bool
	entriesRead int64
}

// xgroupTarget does what XGROUP's subcommands share, in Redis's order:
// CREATE's and SETID's options, then the key, which must exist but for
// CREATE MKSTREAM, and for all but CREATE the group. It replies with the
// error when one fails.
func xgroupTarget(c *client, args [][]byte, needGroup bool) (o xgroupOptions, s *storage.Stream, v storage.Value, g *storage.StreamGroup, ok bool) {
	o.entriesRead = storage.UnknownEntriesRead
	create := is(args[1], "create")
	if create || is(args[1], "setid") {
		for i := 5; i < len(args); {
			switch {
			case create && is(args[i], "mkstream"):
				o.mkStream = true
				i++
			case is(args[i], "entriesread") && i+1 < len(args):
				n, ok := argInt(args[i+1])
				if !ok {
					c.out.Error(msgNotInteger)
					return o, nil, v, nil, false
				}
				if n < 0 && n != storage.UnknownEntriesRead {
					c.out.Error(msgXGroupEntriesRead)
					return o, nil, v, nil, false
				}
				o.entriesRead = n
				i += 2
			default:
				subcommandSyntax(c, args)
				return o, nil, v, nil, false
			}
		}
	}
	key := args[2]
	if s, v, ok = lookupStream(c, key, true); !ok {
		return o, nil, v, nil, false
	}
	if o.mkStream {
		return o, s, v, nil, true
	}
	if s == nil {
		c.out.Error(msgXGroupNoKey)
		return o, nil, v, nil, false
	}
	if g = s.Group(args[3]); g == nil && needGroup {
		c.out.Error(fmt.Sprintf(msgXGroupNoGroup, args[3], key))
		return o, s, v, nil, false
	}
	return o, s, v, g, true
}

func cmdXgroupCreate(c *client, args [][]byte) {
	o, s, v, _, ok := xgroupTarget(c, args, false)
	if !ok {
		return
	}
	if len(args) > 8 {
		subcommandSyntax(c, args)
		return
	}
	var id storage.StreamID
	if string(args[4]) == "$" {
		if s != nil {
			id = s.LastID()
		}
	} else if id, _, ok = parseStreamID(c, args[4], 0, true, false); !ok {
		return
	}
	key := args[2]
	created := s == nil
	if created {
		s = storage.NewStream()
	}
	if s.CreateGroup(args[3], id, o.entriesRead) == nil {
		c.out.Error(msgBusyGroup)
		return
	}
	if created {
		storeStream(c, key, s, v, true)
	} else {
		storeUnsignalled(c, key, v)
	}
	c.out.OK()
	c.notify(notifyStream, "xgroup-create", key)
}

func cmdXgroupSetid(c *client, args [][]byte) {
	o, s, v, g, ok := xgroupTarget(c, args, true)
	if !ok {
		return
	}
	if len(args) != 5 && len(args) != 7 {
		subcommandSyntax(c, args)
		return
	}
	id := s.LastID()
	if string(args[4]) != "$" {
		if id, _, ok = parseStreamID(c, args[4], 0, false, false); !ok {
			return
		}
	}
	g.SetLastID(id, o.entriesRead)
	storeUnsignalled(c, args[2], v)
	c.out.OK()
	c.notify(notifyStream, "xgroup-setid", args[2])
}

func cmdXgroupDestroy(c *client, args [][]byte) {
	_, s, v, g, ok := xgroupTarget(c, args, false)
	if !ok {
		return
	}
	if g == nil {
		c.out.Int(0)
		return
	}
	s.DestroyGroup(args[3])
	storeUnsignalled(c, args[2], v) // wakes the group's blocked readers, to fail
	c.out.Int(1)
	c.notify(notifyStream, "xgroup-destroy", args[2])
}

func cmdXgroupCreateConsumer(c *client, args [][]byte) {
	_, _, v, g, ok := xgroupTarget(c, args, true)
	if !ok {
		return
	}
	if g.CreateConsumer(args[4], c.srv.store.Now()) == nil {
		c.out.Int(0)
		return
	}
	storeUnsignalled(c, args[2], v)
	c.out.Int(1)
	c.notify(notifyStream, "xgroup-createconsumer", args[2])
}

func cmdXgroupDelConsumer(c *client, args [][]byte) {
	_, _, v, g, ok := xgroupTarget(c, args, true)
	if !ok {
		return
	}
	pending, found := g.DeleteConsumer(args[4])
	if found {
		storeUnsignalled(c, args[2], v)
	}
	c.out.Int(int64(pending))
	if found {
		c.notify(notifyStream, "xgroup-delconsumer", args[2])
	}
}

var xgroupHelp = []string{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

func cmdXgroupHelp(c *client, args [][]byte) { c.out.Help(xgroupHelp) }

func cmdXack(c *client, args [][]byte) {
	key := args[1]
	_, v, g, ok := lookupGroup(c, key, args[2])
	if !ok {
		return
	}
	if g == nil {
		c.out.Int(0)
		return
	}
	ids, ok := parseStrictIDs(c, args[3:])
	if !ok {
		return
	}
	acked := int64(0)
	for _, id := range ids {
		if g.Ack(id) {
			acked++
		}
	}
	if acked > 0 {
		storeUnsignalled(c, key, v)
	}
	c.out.Int(acked)
}

// cmdXpending is XPENDING key group [[IDLE min-idle] start end count
// [consumer]]: a summary of the group's pending entries, or the entries
// themselves.
func cmdXpending(c *client, args [][]byte) {
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.out.Error(msgSyntax)
		return
	}
	var start, end storage.StreamID
	var count, minIdle int64
	var consumerName []byte
	if len(args) >= 6 {
		first := 3
		if is(args[3], "idle") {
			var ok bool
			if minIdle, ok = argInt(args[4]); !ok {
				c.out.Error(msgNotInteger)
				return
			}
			if len(args) < 8 {
				c.out.Error(msgSyntax)
				return
			}
			first = 5
		}
		n, ok := argInt(args[first+2])
		if !ok {
			c.out.Error(msgNotInteger)
			return
		}
		count = max(n, 0)
		if start, ok = parseRangeID(c, args[first], 0, false); !ok {
			return
		}
		if end, ok = parseRangeID(c, args[first+1], math.MaxUint64, true); !ok {
			return
		}
		if first+3 < len(args) {
			consumerName = args[first+3]
		}
	}
	_, _, g, ok := lookupGroup(c, args[1], args[2])
	if !ok {
		return
	}
	if g == nil {
		noKeyOrGroup(c, args[1], args[2])
		return
	}
	if len(args) == 3 {
		writePendingSummary(c, g)
		return
	}
	each := g.EachPending
	if consumerName != nil {
		consumer := g.Consumer(consumerName)
		if consumer == nil {
			c.out.Array(0)
			return
		}
		each = consumer.EachPending
	}
	now := c.srv.store.Now()
	var es []*storage.PendingEntry
	if count > 0 {
		each(start, func(e *storage.PendingEntry) bool {
			if e.ID.Compare(end) > 0 {
				return false
			}
			if minIdle == 0 || now-e.DeliveryTime >= minIdle {
				es = append(es, e)
			}
			return int64(len(es)) < count
		})
	}
	c.out.Array(len(es))
	for _, e := range es {
		c.out.Array(4)
		writeStreamID(c, e.ID)
		c.out.BulkString(e.Consumer().Name())
		c.out.Int(max(now-e.DeliveryTime, 0))
		c.out.Int(e.DeliveryCount)
	}
}

// writePendingSummary replies to XPENDING key group: the number of
// pending entries, the first and last of them, and each consumer with
// some and how many (a bulk string).
func writePendingSummary(c *client, g *storage.StreamGroup) {
	c.out.Array(4)
	c.out.Int(int64(g.Pending()))
	if g.Pending() == 0 {
		c.out.Null()
		c.out.Null()
		c.out.NullArray()
		return
	}
	writeStreamID(c, g.FirstPending().ID)
	writeStreamID(c, g.LastPending().ID)
	n := 0
	for _, con := range g.Consumers() {
		if con.Pending() > 0 {
			n++
		}
	}
	c.out.Array(n)
	for _, con := range g.Consumers() {
		if con.Pending() > 0 {
			c.out.Array(2)
			c.out.BulkString(con.Name())
			var buf [20]byte
			c.out.Bulk(strconv.AppendInt(buf[:0], int64(con.Pending()), 10))
		}
	}
}

// claimer takes pending entries for a consumer of a group, as XCLAIM and
// XAUTOCLAIM do: the consumer is looked up, or created, at the first
// entry it takes, and its seen time refreshed.
type claimer struct {
	c        *client
	key      []byte
	g        *storage.StreamGroup
	name     []byte
	consumer *storage.StreamConsumer
	now      int64
}

// take gives e to the claimer's consumer.
func (cl *claimer) take(e *storage.PendingEntry) {
	if cl.consumer == nil {
		if cl.consumer = cl.g.Consumer(cl.name); cl.consumer == nil {
			cl.consumer = cl.g.CreateConsumer(cl.name, cl.now)
			cl.c.notify(notifyStream, "xgroup-createconsumer", cl.key)
		}
		cl.consumer.Touch(cl.now)
	}
	cl.g.Assign(e, cl.consumer)
}

// cmdXclaim is XCLAIM key group consumer min-idle-time id [id ...] [IDLE
// ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id].
func cmdXclaim(c *client, args [][]byte) {
	key := args[1]
	s, v, g, ok := lookupGroup(c, key, args[2])
	if !ok {
		return
	}
	if g == nil {
		noKeyOrGroup(c, key, args[2])
		return
	}
	minIdle, ok := argInt(args[4])
	if !ok {
		c.out.Error(msgXClaimMinIdle)
		return
	}
	minIdle = max(minIdle, 0)
	// The IDs run up to the first argument that is not one; options
	// follow.
	var ids []storage.StreamID
	j := 5
	for ; j < len(args); j++ {
		id, _, ok := streamIDArg(args[j], 0, true, false)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := c.srv.store.Now()
	retryCount, deliveryTime := int64(-1), int64(-1)
	var force, justID bool
	var lastID storage.StreamID
	for ; j < len(args); j++ {
		more := j+1 < len(args)
		switch opt := args[j]; {
		case is(opt, "force"):
			force = true
		case is(opt, "justid"):
			justID = true
		case is(opt, "idle") && more:
			j++
			idle, ok := argInt(args[j])
			if !ok {
				c.out.Error(msgXClaimIdle)
				return
			}
			deliveryTime = now - idle
		case is(opt, "time") && more:
			j++
			if deliveryTime, ok = argInt(args[j]); !ok {
				c.out.Error(msgXClaimTime)
				return
			}
		case is(opt, "retrycount") && more:
			j++
			if retryCount, ok = argInt(args[j]); !ok {
				c.out.Error(msgXClaimRetryCount)
				return
			}
		case is(opt, "lastid") && more:
			j++
			if lastID, _, ok = parseStreamID(c, args[j], 0, true, false); !ok {
				return
			}
		default:
			c.out.Error(fmt.Sprintf(msgXClaimOption, opt))
			return
		}
	}
	changed := false
	if lastID.Compare(g.LastID()) > 0 {
		g.SetLastID(lastID, g.EntriesRead())
		changed = true
	}
	// A bogus time (a client's clock ahead of ours) is taken as now.
	if deliveryTime < 0 || deliveryTime > now {
		deliveryTime = now
	}
	cl := claimer{c: c, key: key, g: g, name: args[3], now: now}
	var claimed []storage.StreamID
	for _, id := range ids {
		e := g.PendingEntry(id)
		if _, exists := s.Get(id); !exists {
			// Deleted from the stream: it leaves the PEL.
			if e != nil {
				g.Ack(id)
				changed = true
			}
			continue
		}
		if e == nil {
			if !force {
				continue
			}
			e = g.AddPending(id, now)
		} else if minIdle > 0 && now-e.DeliveryTime < minIdle {
			continue
		}
		cl.take(e)
		e.DeliveryTime = deliveryTime
		if retryCount >= 0 {
			e.DeliveryCount = retryCount
		} else if !justID {
			e.DeliveryCount++
		}
		claimed = append(claimed, id)
		changed = true
	}
	if changed {
		storeUnsignalled(c, key, v)
	}
	writeClaimed(c, s, claimed, justID)
}

// writeClaimed replies with the entries claimed, or their IDs alone.
func writeClaimed(c *client, s *storage.Stream, ids []storage.StreamID, justID bool) {
	c.out.Array(len(ids))
	for _, id := range ids {
		if justID {
			writeStreamID(c, id)
		} else {
			e, _ := s.Get(id)
			writeStreamEntry(c, e)
		}
	}
}

// maxAutoClaimCount bounds XAUTOCLAIM's COUNT as Redis's allocation of
// COUNT deleted IDs (16 bytes each) does: Redis answers an error when
// malloc fails, which depends on the machine. Strata refuses what no
// x86-64 process can allocate, past 128 TiB.
const maxAutoClaimCount = 1 << 47 / 16

// cmdXautoclaim is XAUTOCLAIM key group consumer min-idle-time start
// [COUNT count] [JUSTID]: it claims up to count entries idle for long
// enough, from start on, looking at no more than 10 times count, and
// replies with the cursor to go on from (0-0 at the end), the entries
// claimed, and the IDs it dropped from the PEL because they were deleted
// from the stream.
func cmdXautoclaim(c *client, args [][]byte) {
	minIdle, ok := argInt(args[4])
	if !ok {
		c.out.Error(msgXAutoClaimMinIdle)
		return
	}
	minIdle = max(minIdle, 0)
	start, ok := parseRangeID(c, args[5], 0, false)
	if !ok {
		return
	}
	const attemptsFactor = 10
	count := int64(100)
	justID := false
	for j := 6; j < len(args); j++ {
		switch {
		case is(args[j], "count") && j+1 < len(args):
			n, ok := argInt(args[j+1])
			if !ok || n < 1 || n > math.MaxInt64/16 {
				c.out.Error(msgXAutoClaimCount)
				return
			}
			count = n
			j++
		case is(args[j], "justid"):
			justID = true
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	key := args[1]
	s, v, g, ok := lookupGroup(c, key, args[2])
	if !ok {
		return
	}
	if g == nil {
		noKeyOrGroup(c, key, args[2])
		return
	}
	if count > maxAutoClaimCount {
		c.out.Error(msgXAutoClaimMemory)
		return
	}
	now := c.srv.store.Now()
	cl := claimer{c: c, key: key, g: g, name: args[3], now: now}
	attempts := count * attemptsFactor
	var claimed, deleted []storage.StreamID
	var last *storage.PendingEntry // the last entry looked at
	g.EachPending(start, func(e *storage.PendingEntry) bool {
		if attempts == 0 || count == 0 {
			return false
		}
		attempts--
		last = e
		if _, exists := s.Get(e.ID); !exists {
			g.Ack(e.ID)
			deleted = append(deleted, e.ID)
			count--
			return true
		}
		if minIdle > 0 && now-e.DeliveryTime < minIdle {
			return true
		}
		cl.take(e)
		e.DeliveryTime = now
		if !justID {
			e.DeliveryCount++
		}
		claimed = append(claimed, e.ID)
		count--
		return true
	})
	// The cursor is the entry after the last one looked at.
	var cursor storage.StreamID
	from := start
	if last != nil {
		from, ok = last.ID.Next()
	}
	if ok {
		g.EachPending(from, func(e *storage.PendingEntry) bool {
			cursor = e.ID
			return false
		})
	}
	if len(claimed) > 0 || len(deleted) > 0 {
		storeUnsignalled(c, key, v)
	}
	c.out.Array(3)
	writeStreamID(c, cursor)
	writeClaimed(c, s, claimed, justID)
	c.out.Array(len(deleted))
	for _, id := range deleted {
		writeStreamID(c, id)
	}
}

// lookupInfo is XINFO's lookup: key must hold a stream.
func lookupInfo(c *client, key []byte) *storage.Stream {
	s, _, ok := lookupStream(c, key, false)
	if ok && s == nil {
		c.out.Error(msgNoSuchKey)
	}
	return s
}

func cmdXinfoConsumers(c *client, args [][]byte) {
	s := lookupInfo(c, args[2])
	if s == nil {
		return
	}
	g := s.Group(args[3])
	if g == nil {
		c.out.Error(fmt.Sprintf(msgXGroupNoGroup, args[3], args[2]))
		return
	}
	now := c.srv.store.Now()
	c.out.Array(len(g.Consumers()))
	for _, con := range g.Consumers() {
		c.out.Map(3)
		c.out.BulkString("name")
		c.out.BulkString(con.Name())
		c.out.BulkString("pending")
		c.out.Int(int64(con.Pending()))
		c.out.BulkString("idle")
		c.out.Int(max(now-con.SeenTime(), 0))
	}
}

func cmdXinfoGroups(c *client, args [][]byte) {
	s := lookupInfo(c, args[2])
	if s == nil {
		return
	}
	c.out.Array(len(s.Groups()))
	for _, g := range s.Groups() {
		c.out.Map(6)
		c.out.BulkString("name")
		c.out.BulkString(g.Name())
		c.out.BulkString("consumers")
		c.out.Int(int64(len(g.Consumers())))
		c.out.BulkString("pending")
		c.out.Int(int64(g.Pending()))
		c.out.BulkString("last-delivered-id")
		writeStreamID(c, g.LastID())
		writeGroupCounters(c, g)
	}
}

// writeGroupCounters writes a group's entries-read and lag fields, null
// when unknown.
func writeGroupCounters(c *client, g *storage.StreamGroup) {
	c.out.BulkString("entries-read")
	if n := g.EntriesRead(); n != storage.UnknownEntriesRead {
		c.out.Int(n)
	} else {
		c.out.Null()
	}
	c.out.BulkString("lag")
	if lag, ok := g.Lag(); ok {
		c.out.Int(lag)
	} else {
		c.out.Null()
	}
}

// cmdXinfoStream is XINFO STREAM key [FULL [COUNT n]]: the stream's
// counters and its first and last entries, or with FULL its entries (10
// by default, all with COUNT 0) and its groups with their PELs and
// consumers.
func cmdXinfoStream(c *client, args [][]byte) {
	s := lookupInfo(c, args[2])
	if s == nil {
		return
	}
	opts := args[3:]
	full := len(opts) > 0
	count := int64(10)
	switch {
	case len(opts) == 0:
	case len(opts) != 1 && len(opts) != 3, !is(opts[0], "full"), len(opts) == 3 && !is(opts[1], "count"):
		subcommandSyntax(c, args)
		return
	case len(opts) == 3:
		n, ok := argInt(opts[2])
		if !ok {
			c.out.Error(msgNotInteger)
			return
		}
		if n >= 0 {
			count = n
		}
	}
	if full {
		c.out.Map(9)
	} else {
		c.out.Map(10)
	}
	c.out.BulkString("length")
	c.out.Int(int64(s.Len()))
	c.out.BulkString("radix-tree-keys")
	c.out.Int(int64(s.Nodes()))
	c.out.BulkString("radix-tree-nodes")
	c.out.Int(int64(s.RadixNodes()))
	c.out.BulkString("last-generated-id")
	writeStreamID(c, s.LastID())
	c.out.BulkString("max-deleted-entry-id")
	writeStreamID(c, s.MaxDeletedID())
	c.out.BulkString("entries-added")
	c.out.Int(s.EntriesAdded())
	c.out.BulkString("recorded-first-entry-id")
	writeStreamID(c, s.FirstID())
	if !full {
		c.out.BulkString("groups")
		c.out.Int(int64(len(s.Groups())))
		for _, edge := range []struct {
			name string
			rev  bool
		}{{"first-entry", false}, {"last-entry", true}} {
			c.out.BulkString(edge.name)
			if es := streamRange(s, storage.StreamID{}, storage.MaxStreamID, 1, edge.rev); len(es) > 0 {
				writeStreamEntry(c, es[0])
			} else {
				c.out.Null()
			}
		}
		return
	}
	c.out.BulkString("entries")
	writeStreamEntries(c, streamRange(s, storage.StreamID{}, storage.MaxStreamID, count, false))
	c.out.BulkString("groups")
	c.out.Array(len(s.Groups()))
	for _, g := range s.Groups() {
		c.out.Map(7)
		c.out.BulkString("name")
		c.out.BulkString(g.Name())
		c.out.BulkString("last-delivered-id")
		writeStreamID(c, g.LastID())
		writeGroupCounters(c, g)
		c.out.BulkString("pel-count")
		c.out.Int(int64(g.Pending()))
		c.out.BulkString("pending")
		writePendingEntries(c, g.EachPending, count, true)
		c.out.BulkString("consumers")
		c.out.Array(len(g.Consumers()))
		for _, con := range g.Consumers() {
			c.out.Map(4)
			c.out.BulkString("name")
			c.out.BulkString(con.Name())
			c.out.BulkString("seen-time")
			c.out.Int(con.SeenTime())
			c.out.BulkString("pel-count")
			c.out.Int(int64(con.Pending()))
			c.out.BulkString("pending")
			writePendingEntries(c, con.EachPending, count, false)
		}
	}
}

// writePendingEntries writes up to count (0: all) pending entries of a
// PEL for XINFO STREAM FULL: ID, [consumer,] delivery time and count.
func writePendingEntries(c *client, each func(storage.StreamID, func(*storage.PendingEntry) bool), count int64, withConsumer bool) {
	var es []*storage.PendingEntry
	each(storage.StreamID{}, func(e *storage.PendingEntry) bool {
		es = append(es, e)
		return count == 0 || int64(len(es)) < count
	})
	c.out.Array(len(es))
	for _, e := range es {
		if withConsumer {
			c.out.Array(4)
			writeStreamID(c, e.ID)
			c.out.BulkString(e.Consumer().Name())
		} else {
			c.out.Array(3)
			writeStreamID(c, e.ID)
		}
		c.out.Int(e.DeliveryTime)
		c.out.Int(e.DeliveryCount)
	}
}

var xinfoHelp = []string{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

func cmdXinfoHelp(c *client, args [][]byte) { c.out.Help(xinfoHelp) }
