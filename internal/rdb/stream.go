package rdb

import (
	"encoding/binary"
	"slices"
)

// StreamID is a stream entry's ID.
type StreamID struct{ Ms, Seq uint64 }

func (id StreamID) compare(o StreamID) int {
	if c := cmpUint(id.Ms, o.Ms); c != 0 {
		return c
	}
	return cmpUint(id.Seq, o.Seq)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Stream is a stream as Redis writes it: its nodes (the listpacks of its
// radix tree), its counters and its consumer groups. Load checks what
// Strata relies on and Redis assumes: entries in ID order, none past
// LastID, every node with a live entry, Length live entries, and each
// pending entry owned by one consumer.
type Stream struct {
	Nodes  []StreamNode
	Length uint64
	LastID StreamID
	// FirstID, MaxDeletedID and EntriesAdded are RDB_TYPE_STREAM_LISTPACKS_2's;
	// for a version 1 stream Load sets what Redis 7.0 does: the first live
	// entry's ID, 0-0 and Length.
	FirstID      StreamID
	MaxDeletedID StreamID
	EntriesAdded uint64
	Groups       []StreamGroup
}

// StreamNode is one listpack of entries: Master is its key, the ID its
// entries' IDs are written relative to (its first entry's), and Fields
// its master entry's fields, which entries with the same fields share.
type StreamNode struct {
	Master  StreamID
	Fields  [][]byte
	Entries []StreamEntry
}

// StreamEntry is an entry of a node; a deleted one stays in its node,
// flagged, until the node goes.
type StreamEntry struct {
	ID      StreamID
	Deleted bool
	Pairs   [][]byte // field, value, field, value...
}

// StreamGroup is a consumer group. EntriesRead is -1 when unknown (and
// always for a version 1 stream, whose groups do not record it).
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64
	Pending     []StreamPending // the group's PEL, ascending
	Consumers   []StreamConsumer
}

// StreamPending is an entry of a group's PEL.
type StreamPending struct {
	ID            StreamID
	DeliveryTime  int64 // unix ms
	DeliveryCount uint64
}

// StreamConsumer is a consumer of a group and the IDs of the pending
// entries it owns.
type StreamConsumer struct {
	Name     []byte
	SeenTime int64 // unix ms
	Pending  []StreamID
}

// Flags of a stream entry.
const (
	streamDeleted    = 1
	streamSameFields = 2
)

// streamMasterElems are a node's listpack elements before its entries:
// live count, deleted count, field count, the fields, a 0.
const streamMasterElems = 4

// stream appends s as Redis 7.0's rdbSaveObject writes a stream.
func (w *writer) stream(s *Stream) {
	w.length(uint64(len(s.Nodes)))
	for i := range s.Nodes {
		n := &s.Nodes[i]
		w.string(appendRawID(nil, n.Master))
		w.string(nodeListpack(n))
	}
	w.length(s.Length)
	for _, id := range []StreamID{s.LastID, s.FirstID, s.MaxDeletedID} {
		w.length(id.Ms)
		w.length(id.Seq)
	}
	w.length(s.EntriesAdded)
	w.length(uint64(len(s.Groups)))
	for i := range s.Groups {
		g := &s.Groups[i]
		w.string(g.Name)
		w.length(g.LastID.Ms)
		w.length(g.LastID.Seq)
		w.length(uint64(g.EntriesRead)) // -1 as 2^64-1, as Redis writes it
		w.length(uint64(len(g.Pending)))
		for _, p := range g.Pending {
			w.b = appendRawID(w.b, p.ID)
			w.b = binary.LittleEndian.AppendUint64(w.b, uint64(p.DeliveryTime))
			w.length(p.DeliveryCount)
		}
		w.length(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			w.string(c.Name)
			w.b = binary.LittleEndian.AppendUint64(w.b, uint64(c.SeenTime))
			w.length(uint64(len(c.Pending)))
			for _, id := range c.Pending {
				w.b = appendRawID(w.b, id)
			}
		}
	}
}

// appendRawID appends id as a radix tree key: two big-endian uint64s.
func appendRawID(b []byte, id StreamID) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(b, id.Ms), id.Seq)
}

// nodeListpack returns a node's listpack as Redis's streamAppendItem
// builds it.
func nodeListpack(n *StreamNode) []byte {
	var lp listpack
	live := 0
	for _, e := range n.Entries {
		if !e.Deleted {
			live++
		}
	}
	lp.appendInt(int64(live))
	lp.appendInt(int64(len(n.Entries) - live))
	lp.appendInt(int64(len(n.Fields)))
	for _, f := range n.Fields {
		lp.append(f)
	}
	lp.appendInt(0)
	for _, e := range n.Entries {
		fields := len(e.Pairs) / 2
		flags := int64(0)
		if e.Deleted {
			flags |= streamDeleted
		}
		same := sameFields(n.Fields, e.Pairs)
		if same {
			flags |= streamSameFields
		}
		lp.appendInt(flags)
		lp.appendInt(int64(e.ID.Ms - n.Master.Ms))
		lp.appendInt(int64(e.ID.Seq - n.Master.Seq))
		if !same {
			lp.appendInt(int64(fields))
		}
		for i, p := range e.Pairs {
			if i%2 == 1 || !same {
				lp.append(p)
			}
		}
		elems := 3 + fields // flags, the ID, the values: lp-count
		if !same {
			elems += 1 + fields
		}
		lp.appendInt(int64(elems))
	}
	return lp.bytes()
}

// sameFields reports whether an entry's fields are the master entry's.
func sameFields(master, pairs [][]byte) bool {
	if len(pairs) != 2*len(master) {
		return false
	}
	for i, f := range master {
		if string(pairs[2*i]) != string(f) {
			return false
		}
	}
	return true
}

// stream reads a stream of either version.
func (r *reader) stream(t Type) *Stream {
	s := &Stream{}
	nodes := r.count(2)
	var prev StreamID
	for i := 0; i < nodes && !r.bad; i++ {
		key := r.string()
		blob := r.string()
		if r.bad || !r.check(len(key) == 16) {
			break
		}
		n := StreamNode{Master: StreamID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}}
		if !r.check(len(s.Nodes) == 0 || n.Master.compare(prev) > 0) || !r.node(&n, blob) {
			break
		}
		s.Nodes = append(s.Nodes, n)
		prev = n.Entries[len(n.Entries)-1].ID
	}
	s.Length = r.length()
	s.LastID = StreamID{r.length(), r.length()}
	if t == TypeStreamListpacks2 {
		s.FirstID = StreamID{r.length(), r.length()}
		s.MaxDeletedID = StreamID{r.length(), r.length()}
		s.EntriesAdded = r.length()
	} else {
		s.FirstID = firstLive(s)
		s.EntriesAdded = s.Length
	}
	var live uint64
	for _, n := range s.Nodes {
		for _, e := range n.Entries {
			if !e.Deleted {
				live++
			}
		}
	}
	if r.bad || !r.check(live == s.Length && (len(s.Nodes) == 0 || prev.compare(s.LastID) <= 0)) {
		return nil
	}
	groups := r.count(1)
	names := make(map[string]struct{}, groups)
	for i := 0; i < groups && !r.bad; i++ {
		g := StreamGroup{Name: r.string(), LastID: StreamID{r.length(), r.length()}, EntriesRead: -1}
		if t == TypeStreamListpacks2 {
			g.EntriesRead = int64(r.length())
		}
		if _, dup := names[string(g.Name)]; !r.check(!dup) {
			break
		}
		names[string(g.Name)] = struct{}{}
		r.group(&g)
		s.Groups = append(s.Groups, g)
	}
	if r.bad {
		return nil
	}
	return s
}

// firstLive returns the first live entry's ID, 0-0 when there is none.
func firstLive(s *Stream) StreamID {
	for _, n := range s.Nodes {
		for _, e := range n.Entries {
			if !e.Deleted {
				return e.ID
			}
		}
	}
	return StreamID{}
}

// node decodes a node's listpack into n, checking it as Redis's deep
// streamValidateListpackIntegrity does, and that its entries are in ID
// order from its master ID on, and not all deleted.
func (r *reader) node(n *StreamNode, blob []byte) bool {
	lp, err := readListpack(blob)
	if !r.check(err == nil && len(lp) >= streamMasterElems) {
		return false
	}
	integer := func(e lpEntry) int64 {
		r.check(e.isInt)
		return e.v
	}
	live, deleted, fields := integer(lp[0]), integer(lp[1]), integer(lp[2])
	if r.bad || !r.check(fields >= 0 && fields <= int64(len(lp)-streamMasterElems)) {
		return false
	}
	for _, e := range lp[3 : 3+fields] {
		n.Fields = append(n.Fields, e.text())
	}
	lp = lp[3+fields:]
	if integer(lp[0]) != 0 {
		r.fail()
	}
	lp = lp[1:]
	var seenLive, seenDeleted int64
	for len(lp) > 0 && !r.bad {
		if !r.check(len(lp) >= 4) {
			break
		}
		flags := integer(lp[0])
		ms, seq := integer(lp[1]), integer(lp[2])
		e := StreamEntry{
			ID:      StreamID{n.Master.Ms + uint64(ms), n.Master.Seq + uint64(seq)},
			Deleted: flags&streamDeleted != 0,
		}
		lp = lp[3:]
		same := flags&streamSameFields != 0
		count := fields
		if !same {
			count = integer(lp[0])
			lp = lp[1:]
		}
		if r.bad || !r.check(flags&^(streamDeleted|streamSameFields) == 0 && count >= 0 && count < int64(len(lp))) {
			break
		}
		strs := count // values, and the fields unless they are the master's
		if !same {
			strs *= 2
		}
		if !r.check(strs < int64(len(lp))) {
			break
		}
		for i := int64(0); i < count; i++ {
			if same {
				e.Pairs = append(e.Pairs, n.Fields[i], lp[i].text())
			} else {
				e.Pairs = append(e.Pairs, lp[2*i].text(), lp[2*i+1].text())
			}
		}
		want := 3 + count
		if !same {
			want += 1 + count
		}
		r.check(integer(lp[strs]) == want)
		lp = lp[strs+1:]
		after := n.Master
		if len(n.Entries) > 0 {
			after = n.Entries[len(n.Entries)-1].ID
		}
		if c := e.ID.compare(after); !r.check(c > 0 || c == 0 && len(n.Entries) == 0) {
			break
		}
		if e.Deleted {
			seenDeleted++
		} else {
			seenLive++
		}
		n.Entries = append(n.Entries, e)
	}
	return r.check(seenLive == live && seenDeleted == deleted && live > 0)
}

// group reads a group's PEL and consumers into g: every pending entry
// once in the PEL, and owned by exactly one consumer.
func (r *reader) group(g *StreamGroup) {
	pending := r.count(16 + 8 + 1)
	owners := make(map[StreamID]bool, pending) // pending ID -> owned yet
	for i := 0; i < pending && !r.bad; i++ {
		p := StreamPending{ID: r.rawID()}
		if t := r.next(8); t != nil {
			p.DeliveryTime = int64(binary.LittleEndian.Uint64(t))
		}
		p.DeliveryCount = r.length()
		if _, dup := owners[p.ID]; !r.check(!dup) {
			return
		}
		owners[p.ID] = false
		g.Pending = append(g.Pending, p)
	}
	slices.SortFunc(g.Pending, func(a, b StreamPending) int { return a.ID.compare(b.ID) })
	consumers := r.count(1 + 8 + 1)
	names := make(map[string]struct{}, consumers)
	for i := 0; i < consumers && !r.bad; i++ {
		c := StreamConsumer{Name: r.string()}
		if t := r.next(8); t != nil {
			c.SeenTime = int64(binary.LittleEndian.Uint64(t))
		}
		if _, dup := names[string(c.Name)]; !r.check(!dup) {
			return
		}
		names[string(c.Name)] = struct{}{}
		n := r.count(16)
		for j := 0; j < n && !r.bad; j++ {
			id := r.rawID()
			owned, ok := owners[id]
			if !r.check(ok && !owned) {
				return
			}
			owners[id] = true
			c.Pending = append(c.Pending, id)
		}
		slices.SortFunc(c.Pending, StreamID.compare)
		g.Consumers = append(g.Consumers, c)
	}
	for _, owned := range owners {
		if !r.check(owned) {
			return
		}
	}
}

// rawID reads an ID written as a radix tree key.
func (r *reader) rawID() StreamID {
	if p := r.next(16); p != nil {
		return StreamID{binary.BigEndian.Uint64(p), binary.BigEndian.Uint64(p[8:])}
	}
	return StreamID{}
}
