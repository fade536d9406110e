package storage

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// pairs makes XADD's field-value arguments.
func pairs(kv ...string) [][]byte {
	out := make([][]byte, len(kv))
	for i, s := range kv {
		out[i] = []byte(s)
	}
	return out
}

// entryText renders e as "id f=v f=v".
func entryText(e StreamEntry) string {
	var sb strings.Builder
	sb.WriteString(e.ID.String())
	e.Fields(func(f, v string) { fmt.Fprintf(&sb, " %s=%s", f, v) })
	return sb.String()
}

// streamEntries returns every entry of s rendered, in order.
func streamEntries(s *Stream) []string {
	var out []string
	s.Range(StreamID{}, MaxStreamID, false, func(e StreamEntry) bool {
		out = append(out, entryText(e))
		return true
	})
	return out
}

// recountStream recomputes from scratch what the stream's size accounts
// incrementally, and its length.
func recountStream(s *Stream) (size int64, length int) {
	size = streamSize + int64(allocSize(cap(s.nodes)*8)) + int64(allocSize(cap(s.groups)*8))
	for _, n := range s.nodes {
		size += streamNodeSize + int64(allocSize(cap(n.entries)*streamEntrySize)) + int64(allocSize(cap(n.fields)*16)) +
			int64(allocSize(cap(n.buf)))
		for _, f := range n.fields {
			size += int64(allocSize(len(f)))
		}
		length += len(n.entries)
	}
	for _, g := range s.groups {
		size += streamGroupSize + int64(allocSize(len(g.name))) + g.pel.cost() + int64(allocSize(cap(g.consumers)*8))
		size += int64(g.pel.live) * pendingEntrySize
		for _, c := range g.consumers {
			size += c.cost()
		}
	}
	return size, length
}

// checkStream fails the test when s's accounting has drifted.
func checkStream(t *testing.T, s *Stream) {
	t.Helper()
	size, length := recountStream(s)
	if s.size() != size || s.Len() != length {
		t.Errorf("size %d, length %d; recounted %d, %d", s.size(), s.Len(), size, length)
	}
}

func TestStreamIDs(t *testing.T) {
	max := MaxStreamID
	tests := []struct {
		id         StreamID
		next, prev StreamID
		nextOK     bool
		prevOK     bool
	}{
		{StreamID{1, 2}, StreamID{1, 3}, StreamID{1, 1}, true, true},
		{StreamID{1, math.MaxUint64}, StreamID{2, 0}, StreamID{1, math.MaxUint64 - 1}, true, true},
		{StreamID{2, 0}, StreamID{2, 1}, StreamID{1, math.MaxUint64}, true, true},
		{StreamID{}, StreamID{0, 1}, max, true, false},
		{max, StreamID{}, StreamID{math.MaxUint64, math.MaxUint64 - 1}, false, true},
	}
	for _, tt := range tests {
		if next, ok := tt.id.Next(); next != tt.next || ok != tt.nextOK {
			t.Errorf("%v.Next() = %v, %v", tt.id, next, ok)
		}
		if prev, ok := tt.id.Prev(); prev != tt.prev || ok != tt.prevOK {
			t.Errorf("%v.Prev() = %v, %v", tt.id, prev, ok)
		}
	}
	if got := max.String(); got != "18446744073709551615-18446744073709551615" {
		t.Errorf("MaxStreamID = %s", got)
	}
}

func TestStreamAddRangeDelete(t *testing.T) {
	s := NewStream()
	s.Add(StreamID{1, 0}, pairs("a", "1", "b", "2"))
	s.Add(StreamID{1, 1}, pairs("a", "3", "b", "4")) // the node's fields
	s.Add(StreamID{2, 0}, pairs("c", "", "", "x"))   // others, empty strings
	checkStream(t, s)
	want := []string{"1-0 a=1 b=2", "1-1 a=3 b=4", "2-0 c= =x"}
	if got := streamEntries(s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	var rev []string
	s.Range(StreamID{1, 1}, MaxStreamID, true, func(e StreamEntry) bool {
		rev = append(rev, e.ID.String())
		return true
	})
	if fmt.Sprint(rev) != "[2-0 1-1]" {
		t.Errorf("reverse range %v", rev)
	}
	if !s.Delete(StreamID{1, 0}) || s.Delete(StreamID{1, 0}) {
		t.Error("Delete of 1-0 twice")
	}
	if s.FirstID() != (StreamID{1, 1}) || s.MaxDeletedID() != (StreamID{1, 0}) || s.EntriesAdded() != 3 {
		t.Errorf("after delete: first %v, max deleted %v, added %d", s.FirstID(), s.MaxDeletedID(), s.EntriesAdded())
	}
	checkStream(t, s)
	s.Delete(StreamID{1, 1})
	s.Delete(StreamID{2, 0})
	if s.Len() != 0 || s.Nodes() != 0 || !s.FirstID().IsZero() || s.LastID() != (StreamID{2, 0}) {
		t.Errorf("emptied: len %d, nodes %d, first %v, last %v", s.Len(), s.Nodes(), s.FirstID(), s.LastID())
	}
	if _, ok := s.LastLiveID(); ok {
		t.Error("an empty stream has a last live ID")
	}
	checkStream(t, s)
}

// TestStreamNodes checks the node layout against what redis-server 7.0.15
// reports in XINFO STREAM (radix-tree-keys, radix-tree-nodes) for the same
// XADDs.
func TestStreamNodes(t *testing.T) {
	tests := []struct {
		name         string
		n            int
		value        string
		keys, radix  int
		afterTrimMax int64 // MAXLEN ~ then
		trimmed      int64
	}{
		{"100 small entries fill one node", 100, "v", 1, 2, 50, 0},
		{"the 101st opens a node", 101, "v", 2, 6, 1, 100},
		{"~ keeps a node it cannot remove whole", 101, "v", 2, 6, 50, 0},
		{"4kb of listpack opens a node", 40, strings.Repeat("x", 100), 2, 6, 1, 36},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStream()
			for i := 1; i <= tt.n; i++ {
				s.Add(StreamID{uint64(i), 1}, pairs("f", tt.value))
			}
			if s.Nodes() != tt.keys || s.RadixNodes() != tt.radix {
				t.Errorf("nodes %d, radix nodes %d; want %d, %d", s.Nodes(), s.RadixNodes(), tt.keys, tt.radix)
			}
			if got := s.Trim(StreamTrim{Strategy: TrimMaxLen, MaxLen: tt.afterTrimMax, Approx: true, Limit: 10000}); got != tt.trimmed {
				t.Errorf("MAXLEN ~ %d trimmed %d, want %d", tt.afterTrimMax, got, tt.trimmed)
			}
			checkStream(t, s)
		})
	}
}

func TestStreamTrim(t *testing.T) {
	build := func() *Stream {
		s := NewStream()
		for i := 1; i <= 250; i++ {
			s.Add(StreamID{uint64(i), 0}, pairs("f", "v"))
		}
		return s
	}
	tests := []struct {
		name    string
		trim    StreamTrim
		removed int64
		first   StreamID
		nodes   int
	}{
		{"exact maxlen trims within a node", StreamTrim{Strategy: TrimMaxLen, MaxLen: 120}, 130, StreamID{131, 0}, 2},
		{"approx maxlen stops at a node", StreamTrim{Strategy: TrimMaxLen, MaxLen: 120, Approx: true}, 100, StreamID{101, 0}, 2},
		{"limit stops before a node past it", StreamTrim{Strategy: TrimMaxLen, MaxLen: 0, Approx: true, Limit: 150}, 100, StreamID{101, 0}, 2},
		{"exact minid", StreamTrim{Strategy: TrimMinID, MinID: StreamID{205, 0}}, 204, StreamID{205, 0}, 1},
		{"approx minid", StreamTrim{Strategy: TrimMinID, MinID: StreamID{205, 0}, Approx: true}, 200, StreamID{201, 0}, 1},
		{"maxlen 0 empties", StreamTrim{Strategy: TrimMaxLen}, 250, StreamID{}, 0},
		{"none", StreamTrim{}, 0, StreamID{1, 0}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build()
			if got := s.Trim(tt.trim); got != tt.removed {
				t.Errorf("removed %d, want %d", got, tt.removed)
			}
			if s.FirstID() != tt.first || s.Nodes() != tt.nodes || !s.MaxDeletedID().IsZero() {
				t.Errorf("first %v, nodes %d, max deleted %v; want %v, %d, 0-0", s.FirstID(), s.Nodes(), s.MaxDeletedID(), tt.first, tt.nodes)
			}
			checkStream(t, s)
		})
	}
}

func TestStreamGroups(t *testing.T) {
	s := NewStream()
	for i := 1; i <= 5; i++ {
		s.Add(StreamID{uint64(i), 0}, pairs("f", fmt.Sprint(i)))
	}
	g := s.CreateGroup([]byte("g"), StreamID{}, 0)
	if s.CreateGroup([]byte("g"), StreamID{}, 0) != nil {
		t.Fatal("a group created twice")
	}
	alice := g.CreateConsumer([]byte("alice"), 1000)
	bob := g.CreateConsumer([]byte("bob"), 1000)
	var got []string
	read := func(e StreamEntry) { got = append(got, e.ID.String()) }
	g.ReadNew(alice, 2, false, 2000, read)
	g.ReadNew(bob, 0, false, 3000, read)
	if fmt.Sprint(got) != "[1-0 2-0 3-0 4-0 5-0]" || g.LastID() != (StreamID{5, 0}) || g.EntriesRead() != 5 {
		t.Fatalf("read %v, last %v, entries read %d", got, g.LastID(), g.EntriesRead())
	}
	if lag, ok := g.Lag(); !ok || lag != 0 || g.Pending() != 5 || alice.Pending() != 2 || bob.Pending() != 3 {
		t.Errorf("lag %d %v, pending %d, alice %d, bob %d", lag, ok, g.Pending(), alice.Pending(), bob.Pending())
	}
	checkStream(t, s)

	// Claiming moves an entry; acknowledging drops it from both PELs.
	g.Assign(g.PendingEntry(StreamID{3, 0}), alice)
	if !g.Ack(StreamID{1, 0}) || g.Ack(StreamID{1, 0}) {
		t.Error("Ack of 1-0 twice")
	}
	var owned []string
	alice.EachPending(StreamID{}, func(e *PendingEntry) bool {
		owned = append(owned, e.ID.String()+"@"+e.Consumer().Name())
		return true
	})
	if fmt.Sprint(owned) != "[2-0@alice 3-0@alice]" {
		t.Errorf("alice owns %v", owned)
	}
	checkStream(t, s)

	// History reads count a delivery; a deleted entry is reported missing.
	s.Delete(StreamID{2, 0})
	var history []string
	g.ReadHistory(alice, StreamID{}, 0, 4000, func(id StreamID, e StreamEntry, ok bool) {
		history = append(history, fmt.Sprintf("%v:%v", id, ok))
	})
	if fmt.Sprint(history) != "[2-0:false 3-0:true]" || g.PendingEntry(StreamID{3, 0}).DeliveryCount != 2 {
		t.Errorf("history %v, deliveries of 3-0 %d", history, g.PendingEntry(StreamID{3, 0}).DeliveryCount)
	}
	if pending, ok := g.DeleteConsumer([]byte("bob")); !ok || pending != 2 || g.Pending() != 2 {
		t.Errorf("deleting bob: %d %v, group pending %d", pending, ok, g.Pending())
	}
	checkStream(t, s)
	if !s.DestroyGroup([]byte("g")) || s.Group([]byte("g")) != nil {
		t.Error("group not destroyed")
	}
	checkStream(t, s)
}

// TestStreamEntriesRead follows Redis 7.0's counters: the lag of a group
// behind deletions is unknown until it reads past them.
func TestStreamEntriesRead(t *testing.T) {
	s := NewStream()
	for i := 1; i <= 5; i++ {
		s.Add(StreamID{uint64(i), 0}, pairs("f", "v"))
	}
	s.Delete(StreamID{1, 0})
	s.Delete(StreamID{2, 0})
	// Deletions all before the first entry: still no fragmentation.
	g := s.CreateGroup([]byte("g"), StreamID{1, 0}, UnknownEntriesRead)
	if lag, ok := g.Lag(); !ok || lag != 3 {
		t.Errorf("lag %d %v, want 3 (as redis-server 7.0.15)", lag, ok)
	}
	s.Delete(StreamID{4, 0})
	h := s.CreateGroup([]byte("h"), StreamID{}, UnknownEntriesRead)
	if _, ok := h.Lag(); ok {
		t.Error("lag known across a deletion")
	}
	c := h.CreateConsumer([]byte("c"), 0)
	h.ReadNew(c, 0, true, 0, func(StreamEntry) {})
	if lag, ok := h.Lag(); !ok || lag != 0 || h.EntriesRead() != 5 || h.Pending() != 0 {
		t.Errorf("after reading all with NOACK: lag %d %v, read %d, pending %d", lag, ok, h.EntriesRead(), h.Pending())
	}
}

// TestStreamCodec round-trips a stream with deleted entries, several
// nodes, groups, consumers and pending entries, and refuses truncations.
func TestStreamCodec(t *testing.T) {
	s := NewStream()
	for i := 1; i <= 230; i++ {
		s.Add(StreamID{uint64(i), 7}, pairs("f", fmt.Sprint(i), "g", strings.Repeat("y", i%70)))
	}
	s.Add(StreamID{500, 0}, pairs("other", "fields"))
	s.Delete(StreamID{3, 7})
	s.Delete(StreamID{230, 7})
	s.Trim(StreamTrim{Strategy: TrimMaxLen, MaxLen: 200})
	g := s.CreateGroup([]byte("g"), StreamID{}, UnknownEntriesRead)
	s.CreateGroup([]byte("empty"), StreamID{9, 9}, 4)
	c := g.CreateConsumer([]byte("c"), 1234)
	g.CreateConsumer([]byte("idle"), 99)
	g.ReadNew(c, 10, false, 5678, func(StreamEntry) {})
	g.PendingEntry(StreamID{35, 7}).DeliveryCount = 9
	b := appendStream(nil, StreamValue(s))
	v, err := decodeStream(b)
	if err != nil {
		t.Fatal(err)
	}
	d := Object[Stream](v)
	if fmt.Sprint(streamEntries(d)) != fmt.Sprint(streamEntries(s)) || d.Nodes() != s.Nodes() ||
		d.RadixNodes() != s.RadixNodes() || d.FirstID() != s.FirstID() || d.LastID() != s.LastID() ||
		d.MaxDeletedID() != s.MaxDeletedID() || d.EntriesAdded() != s.EntriesAdded() {
		t.Error("decoded stream differs")
	}
	if string(appendStream(nil, v)) != string(b) {
		t.Error("re-encoding differs")
	}
	dg := d.Group([]byte("g"))
	if dg.Pending() != 10 || dg.Consumer([]byte("c")).Pending() != 10 || dg.Consumer([]byte("idle")).SeenTime() != 99 ||
		dg.PendingEntry(StreamID{35, 7}).DeliveryCount != 9 || dg.PendingEntry(StreamID{35, 7}).DeliveryTime != 5678 {
		t.Error("decoded group differs")
	}
	// The next entry goes where it would have gone before.
	s.Add(StreamID{600, 0}, pairs("f", "v"))
	d.Add(StreamID{600, 0}, pairs("f", "v"))
	if d.Nodes() != s.Nodes() {
		t.Errorf("after an add: %d nodes, want %d", d.Nodes(), s.Nodes())
	}
	checkStream(t, d)
	for cut := 0; cut < len(b); cut += 1 + cut/8 {
		if _, err := decodeStream(b[:cut]); err == nil {
			t.Fatalf("a truncation at %d of %d bytes decoded", cut, len(b))
		}
	}
}

// FuzzStreamDecode feeds the stream decoder arbitrary bytes, seeded with
// real encodings: it must refuse them or give a stream that reads back
// whole and encodes to the same bytes.
func FuzzStreamDecode(f *testing.F) {
	s := NewStream()
	for i := 1; i <= 120; i++ {
		s.Add(StreamID{uint64(i), 0}, pairs("f", fmt.Sprint(i), "g", "v"))
	}
	s.Add(StreamID{200, 0}, pairs("other", "x"))
	s.Delete(StreamID{5, 0})
	g := s.CreateGroup([]byte("g"), StreamID{}, 0)
	g.ReadNew(g.CreateConsumer([]byte("c"), 1), 3, false, 2, func(StreamEntry) {})
	f.Add(appendStream(nil, StreamValue(s)))
	f.Add(appendStream(nil, StreamValue(NewStream())))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeStream(b)
		if err != nil {
			return
		}
		d := Object[Stream](v)
		d.Range(StreamID{}, MaxStreamID, false, func(e StreamEntry) bool {
			e.Fields(func(string, string) {})
			return true
		})
		for _, g := range d.Groups() {
			g.EachPending(StreamID{}, func(e *PendingEntry) bool { return e.Consumer() != nil })
		}
		again := appendStream(nil, v)
		if _, err := decodeStream(again); err != nil {
			t.Fatalf("a decoded stream's encoding does not decode: %v", err)
		}
	})
}

// TestStreamAppendNode rebuilds, node by node as RESTORE does, a stream
// made by XADD and XDEL: the rebuilt one is the same to its nodes'
// buffers and sizes, and takes the next entry into the same node.
func TestStreamAppendNode(t *testing.T) {
	made := NewStream()
	for i := uint64(1); i <= 150; i++ {
		made.Add(StreamID{i, 0}, pairs("f", fmt.Sprint(i), "g", "x"))
	}
	made.Add(StreamID{151, 0}, pairs("other", "1"))
	for _, id := range []StreamID{{2, 0}, {1, 0}, {120, 0}} {
		made.Delete(id)
	}
	rebuilt := NewStream()
	for _, n := range made.nodes {
		var entries []NodeEntry
		id := n.master
		for _, e := range n.entries {
			for ; id.Compare(e.id) < 0; id.Ms++ { // the entries XDEL removed, as Redis keeps them
				entries = append(entries, NodeEntry{ID: id, Pairs: pairs("f", fmt.Sprint(id.Ms), "g", "x"), Deleted: true})
			}
			var kv [][]byte
			StreamEntry{e.id, &e, n}.Fields(func(f, v string) { kv = append(kv, []byte(f), []byte(v)) })
			entries = append(entries, NodeEntry{ID: e.id, Pairs: kv})
			id.Ms++
		}
		var fields [][]byte
		for _, f := range n.fields {
			fields = append(fields, []byte(f))
		}
		rebuilt.AppendNode(n.master, fields, entries)
	}
	rebuilt.SetLastID(made.LastID())
	rebuilt.SetEntriesAdded(made.EntriesAdded())
	rebuilt.SetMaxDeletedID(made.MaxDeletedID())
	checkStream(t, rebuilt)
	for _, s := range []*Stream{made, rebuilt} {
		s.Add(StreamID{152, 0}, pairs("f", "152", "g", "x"))
	}
	a, b := appendStream(nil, StreamValue(made)), appendStream(nil, StreamValue(rebuilt))
	if string(a) != string(b) {
		t.Errorf("rebuilt stream encodes as\n%q\nwant\n%q", b, a)
	}
	if made.size() != rebuilt.size() || made.FirstID() != rebuilt.FirstID() {
		t.Errorf("size %d first %v, want %d %v", rebuilt.size(), rebuilt.FirstID(), made.size(), made.FirstID())
	}
	var masters []StreamID
	rebuilt.EachNode(func(n StreamNode) { masters = append(masters, n.Master()) })
	if want := []StreamID{{1, 0}, {101, 0}}; fmt.Sprint(masters) != fmt.Sprint(want) {
		t.Errorf("masters %v, want %v", masters, want)
	}
}

// BenchmarkStreamAdd is XADD's work in the stream: one 100-byte value an
// entry, as the bench's XADD row adds.
func BenchmarkStreamAdd(b *testing.B) {
	s := NewStream()
	p := pairs("payload", strings.Repeat("x", 100))
	b.ReportAllocs()
	for i := range b.N {
		s.Add(StreamID{uint64(i) + 1, 0}, p)
	}
}
