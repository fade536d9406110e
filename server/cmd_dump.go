package server

// DUMP and RESTORE: a key's value in Redis 7.0's serialization, so that
// data moves between Redis and Strata with the tools made for Redis.
// https://redis.io/commands/dump/
// https://redis.io/commands/restore/
//
// The payload codec is internal/rdb; this file converts between storage
// values and its Objects. DUMP writes each value in the encoding Redis
// would use for it (the one OBJECT ENCODING reports), and RESTORE builds
// values through the same methods the commands use, so a restored value
// settles on the encoding Redis's loading gives it.

import (
	"bytes"
	"errors"
	"math"
	"slices"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/internal/rdb"
	"github.com/stratakv/strata/storage"
)

func registerDumpCommands(t commandTable) {
	t.add(
		&command{name: "dump", handler: cmdDump, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "restore", handler: cmdRestore, arity: -4, flags: flagWrite | flagDenyOOM, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteReplace},
	)
}

func cmdDump(c *client, args [][]byte) {
	v, ok := c.tx.Get(args[1])
	if !ok {
		c.out.Null()
		return
	}
	payload, err := rdb.Dump(dumpObject(v))
	if err != nil { // a value no RDB type holds: a bug
		c.srv.log.Error("DUMP failed", "err", err)
		c.out.Error(msgInternal)
		return
	}
	c.out.Bulk(payload)
}

// cmdRestore checks its arguments in Redis's order: the options, then
// whether the key exists, the TTL, and the payload.
func cmdRestore(c *client, args [][]byte) {
	key := args[1]
	replace, absTTL := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch a := args[j]; {
		case is(a, "replace"):
			replace = true
		case is(a, "absttl"):
			absTTL = true
		case is(a, "idletime") && more > 0 && freq < 0: // IDLETIME and FREQ exclude each other
			n, ok := argInt(args[j+1])
			switch {
			case !ok:
				c.out.Error(msgNotInteger)
				return
			case n < 0:
				c.out.Error(msgInvalidIdletime)
				return
			}
			idle = n
			j++
		case is(a, "freq") && more > 0 && idle < 0:
			n, ok := argInt(args[j+1])
			switch {
			case !ok:
				c.out.Error(msgNotInteger)
				return
			case n < 0 || n > 255:
				c.out.Error(msgInvalidFreq)
				return
			}
			freq = n
			j++
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	if _, exists := c.tx.Lookup(key, storage.LookupWrite|storage.LookupNoTouch); exists && !replace {
		c.out.Error(msgBusyKey)
		return
	}
	ttl, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if ttl < 0 {
		c.out.Error(msgInvalidTTL)
		return
	}
	o, err := rdb.Load(args[3])
	if errors.Is(err, rdb.ErrChecksum) {
		c.out.Error(msgDumpPayload)
		return
	}
	var v storage.Value
	if err == nil {
		v, err = restoredValue(o)
	}
	if err != nil {
		c.out.Error(msgBadDataFormat)
		return
	}
	deleted := replace && c.tx.Delete(key)
	now := c.srv.store.Now()
	if ttl != 0 && !absTTL {
		ttl += now // wraps past 2^63 as Redis's does, into the past
	}
	if ttl != 0 && ttl <= now { // already expired: nothing to store
		if deleted {
			c.notify(notifyGeneric, "del", key)
		}
		c.out.OK()
		return
	}
	c.tx.Set(key, v.WithExpireAt(ttl))
	// As Redis, FREQ counts only under an LFU policy and IDLETIME only
	// under another.
	if lfuPolicy(c.srv.store.Policy()) {
		idle = -1
	} else {
		freq = -1
	}
	if idle >= 0 || freq >= 0 {
		c.tx.SetAccess(key, idle, int(freq))
	}
	c.notify(notifyGeneric, "restore", key)
	c.out.OK()
}

// dumpObject returns v as the Object DUMP writes. Its slices view v's
// strings, which never change: they are only read while the lock is held.
func dumpObject(v storage.Value) *rdb.Object {
	switch v.Kind() {
	case storage.KindList:
		l := storage.Object[storage.List](v)
		elems := make([][]byte, l.Len())
		for i := range elems {
			elems[i] = keyBytes(l.At(i))
		}
		return &rdb.Object{Type: rdb.TypeListQuicklist2, List: elems}
	case storage.KindSet:
		s := storage.Object[storage.Set](v)
		members := make([][]byte, 0, s.Len())
		s.Each(func(m []byte) bool {
			members = append(members, bytes.Clone(m)) // an intset's are made for the call
			return true
		})
		if s.Encoding() == "intset" {
			return &rdb.Object{Type: rdb.TypeSetIntset, Set: members}
		}
		return &rdb.Object{Type: rdb.TypeSet, Set: members}
	case storage.KindZSet:
		z := storage.Object[storage.ZSet](v)
		members := make([]rdb.ZMember, 0, z.Len())
		z.Each(func(m string, score float64) bool {
			members = append(members, rdb.ZMember{Member: keyBytes(m), Score: score})
			return true
		})
		if z.Listpack() {
			return &rdb.Object{Type: rdb.TypeZSetListpack, ZSet: members}
		}
		slices.Reverse(members) // Redis writes a skiplist from its greatest member
		return &rdb.Object{Type: rdb.TypeZSet2, ZSet: members}
	case storage.KindHash:
		h := storage.Object[storage.Hash](v)
		fields := make([]rdb.HashField, 0, h.Len())
		h.Each(func(f, val string) bool {
			fields = append(fields, rdb.HashField{Field: keyBytes(f), Value: keyBytes(val)})
			return true
		})
		if h.Encoding() == "listpack" {
			return &rdb.Object{Type: rdb.TypeHashListpack, Hash: fields}
		}
		return &rdb.Object{Type: rdb.TypeHash, Hash: fields}
	case storage.KindStream:
		return &rdb.Object{Type: rdb.TypeStreamListpacks2, Stream: dumpStream(storage.Object[storage.Stream](v))}
	}
	return &rdb.Object{Type: rdb.TypeString, String: v.Bytes()}
}

// dumpStream returns s as RDB_TYPE_STREAM_LISTPACKS_2 holds it, node by
// node. A node keeps no trace of its deleted entries, so it is written
// with its live ones only.
func dumpStream(s *storage.Stream) *rdb.Stream {
	out := &rdb.Stream{
		Length:       uint64(s.Len()),
		LastID:       rdbID(s.LastID()),
		FirstID:      rdbID(s.FirstID()),
		MaxDeletedID: rdbID(s.MaxDeletedID()),
		EntriesAdded: uint64(s.EntriesAdded()),
	}
	s.EachNode(func(n storage.StreamNode) {
		node := rdb.StreamNode{Master: rdbID(n.Master())}
		for _, f := range n.Fields() {
			node.Fields = append(node.Fields, keyBytes(f))
		}
		n.Entries(func(e storage.StreamEntry) {
			entry := rdb.StreamEntry{ID: rdbID(e.ID), Pairs: make([][]byte, 0, 2*e.Pairs())}
			e.Fields(func(f, val string) { entry.Pairs = append(entry.Pairs, keyBytes(f), keyBytes(val)) })
			node.Entries = append(node.Entries, entry)
		})
		out.Nodes = append(out.Nodes, node)
	})
	for _, g := range s.Groups() {
		group := rdb.StreamGroup{Name: keyBytes(g.Name()), LastID: rdbID(g.LastID()), EntriesRead: g.EntriesRead()}
		g.EachPending(storage.StreamID{}, func(e *storage.PendingEntry) bool {
			group.Pending = append(group.Pending, rdb.StreamPending{ID: rdbID(e.ID), DeliveryTime: e.DeliveryTime, DeliveryCount: uint64(e.DeliveryCount)})
			return true
		})
		for _, c := range g.Consumers() {
			consumer := rdb.StreamConsumer{Name: keyBytes(c.Name()), SeenTime: c.SeenTime()}
			c.EachPending(storage.StreamID{}, func(e *storage.PendingEntry) bool {
				consumer.Pending = append(consumer.Pending, rdbID(e.ID))
				return true
			})
			group.Consumers = append(group.Consumers, consumer)
		}
		out.Groups = append(out.Groups, group)
	}
	return out
}

func rdbID(id storage.StreamID) rdb.StreamID     { return rdb.StreamID{Ms: id.Ms, Seq: id.Seq} }
func storageID(id rdb.StreamID) storage.StreamID { return storage.StreamID{Ms: id.Ms, Seq: id.Seq} }

// errRestore means a payload that decodes holds a value Strata cannot
// store: a string past 512 MB, counters past 2^63.
var errRestore = errors.New("server: payload value out of range")

// restoredValue builds the value o holds. The collections are filled in
// the payload's order by the commands' own methods, which settle their
// encodings as Redis's loading does.
func restoredValue(o *rdb.Object) (storage.Value, error) {
	switch o.Type.Kind() {
	case rdb.KindList:
		l := storage.NewList()
		for _, e := range o.List {
			l.PushBack(string(e))
		}
		return storage.ListValue(l), nil
	case rdb.KindSet:
		s := storage.NewSet()
		for _, m := range o.Set {
			s.Add(m)
		}
		return storage.SetValue(s), nil
	case rdb.KindZSet:
		longest := 0
		for _, m := range o.ZSet {
			longest = max(longest, len(m.Member))
		}
		z := storage.NewZSet(len(o.ZSet), longest)
		for _, m := range o.ZSet {
			z.Set(m.Member, m.Score)
		}
		return storage.ZSetValue(z), nil
	case rdb.KindHash:
		h := storage.NewHash(len(o.Hash))
		for _, f := range o.Hash {
			h.Set(f.Field, f.Value)
		}
		return storage.HashValue(h), nil
	case rdb.KindStream:
		s, err := restoredStream(o.Stream, o.Type == rdb.TypeStreamListpacks)
		return storage.StreamValue(s), err
	}
	if len(o.String) > storage.MaxStringBytes {
		return storage.Value{}, errRestore
	}
	return storage.StringValue(o.String), nil
}

// restoredStream rebuilds a stream node by node, deleted entries
// included, so that it lays out as the one dumped. A version 1 stream's
// groups get the entries-read counter Redis 7.0 estimates for them.
func restoredStream(rs *rdb.Stream, version1 bool) (*storage.Stream, error) {
	if rs.EntriesAdded > math.MaxInt64 {
		return nil, errRestore
	}
	s := storage.NewStream()
	for _, n := range rs.Nodes {
		entries := make([]storage.NodeEntry, len(n.Entries))
		for i, e := range n.Entries {
			entries[i] = storage.NodeEntry{ID: storageID(e.ID), Pairs: e.Pairs, Deleted: e.Deleted}
		}
		s.AppendNode(storageID(n.Master), n.Fields, entries)
	}
	s.SetLastID(storageID(rs.LastID))
	s.SetEntriesAdded(int64(rs.EntriesAdded))
	s.SetMaxDeletedID(storageID(rs.MaxDeletedID))
	for _, g := range rs.Groups {
		read := g.EntriesRead
		if version1 {
			read = s.EntriesReadAt(storageID(g.LastID))
		}
		group := s.CreateGroup(g.Name, storageID(g.LastID), read)
		for _, p := range g.Pending {
			if p.DeliveryCount > math.MaxInt64 {
				return nil, errRestore
			}
			e := group.AddPending(storageID(p.ID), p.DeliveryTime)
			e.DeliveryCount = int64(p.DeliveryCount)
		}
		for _, c := range g.Consumers {
			consumer := group.CreateConsumer(c.Name, c.SeenTime)
			for _, id := range c.Pending {
				group.Assign(group.PendingEntry(storageID(id)), consumer)
			}
		}
	}
	return s, nil
}
