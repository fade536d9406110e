package storage

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"unsafe"
)

// StreamID is a stream entry's ID: a time in milliseconds and a sequence
// number within it, ordered by both.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the greatest ID, "+" in a range.
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Compare returns -1, 0 or 1 as id is less than, equal to or greater than
// o.
func (id StreamID) Compare(o StreamID) int {
	switch {
	case id.Ms < o.Ms:
		return -1
	case id.Ms > o.Ms:
		return 1
	case id.Seq < o.Seq:
		return -1
	case id.Seq > o.Seq:
		return 1
	}
	return 0
}

// IsZero reports whether id is 0-0.
func (id StreamID) IsZero() bool { return id == StreamID{} }

// Next returns the ID after id. For MaxStreamID, which has none, it returns
// 0-0 and false, as Redis's streamIncrID.
func (id StreamID) Next() (StreamID, bool) {
	switch {
	case id.Seq < math.MaxUint64:
		return StreamID{id.Ms, id.Seq + 1}, true
	case id.Ms < math.MaxUint64:
		return StreamID{id.Ms + 1, 0}, true
	}
	return StreamID{}, false
}

// Prev returns the ID before id. For 0-0, which has none, it returns
// MaxStreamID and false, as Redis's streamDecrID.
func (id StreamID) Prev() (StreamID, bool) {
	switch {
	case id.Seq > 0:
		return StreamID{id.Ms, id.Seq - 1}, true
	case id.Ms > 0:
		return StreamID{id.Ms - 1, math.MaxUint64}, true
	}
	return MaxStreamID, false
}

// AppendText appends id as "ms-seq".
func (id StreamID) AppendText(b []byte) []byte {
	b = strconv.AppendUint(b, id.Ms, 10)
	return strconv.AppendUint(append(b, '-'), id.Seq, 10)
}

// String returns id as "ms-seq".
func (id StreamID) String() string { return string(id.AppendText(nil)) }

// Stream is the object of a stream value: entries of field-value pairs
// under increasing IDs, and consumer groups (stream_group.go). It is not
// safe for concurrent use: the key's lock guards it, and a command that
// changes it stores the key again (see object.go).
//
// Entries live in nodes that mirror Redis 7.0's radix tree of listpacks:
// an entry goes to the last node until that node holds
// stream-node-max-entries entries (deleted ones included) or its listpack
// would reach stream-node-max-bytes, and a deleted entry stays counted in
// its node, flagged, until the whole node goes. A node keeps what the
// replies Redis derives from that layout need (XINFO STREAM's
// radix-tree-keys and radix-tree-nodes, and which entries ~ trimming
// removes: only whole nodes): the size its listpack would have, its live
// entries, and, as a listpack does, their strings back to back in one
// buffer, deleted ones too until the node goes, shrunk to fit once the
// node is full.
//
// Entry strings never change once added: a reader needs no copy.
type Stream struct {
	nodes        []*streamNode
	length       int
	lastID       StreamID // the last ID added or set (XSETID)
	firstID      StreamID // the first live entry's ID, 0-0 when empty
	maxDeletedID StreamID // the greatest ID XDEL removed
	entriesAdded int64    // entries ever added
	groups       []*StreamGroup
	nodeBytes    int64 // what the nodes cost
	groupBytes   int64 // what the groups cost
}

// Redis 7.0's defaults for stream-node-max-entries and
// stream-node-max-bytes. Like the hash encoding thresholds, Strata uses
// the defaults whatever CONFIG SET says.
const (
	streamNodeMaxEntries = 100
	streamNodeMaxBytes   = 4096
	// StreamMaxEntryBytes bounds the fields and values of one entry
	// together, as Redis bounds a listpack (STREAM_LISTPACK_MAX_SIZE).
	StreamMaxEntryBytes = 1 << 30
)

// streamNode is one of Redis's listpacks: the entries from its master ID
// (its first entry's, the radix tree key) until the next node's.
type streamNode struct {
	master     StreamID
	last       StreamID      // the last entry added, deleted since or not
	fields     []string      // the master entry's fields: the first entry's
	entries    []streamEntry // the live entries, in ID order
	buf        []byte        // every entry's strings, appended in turn
	deleted    int           // entries deleted but still in the listpack
	lpBase     int           // the listpack's bytes but for its two counters
	fieldsSize int64         // what the fields' strings cost
}

// streamEntry is a live entry. Its strings start at buf[off], each a
// uvarint length and the bytes: field and value in turn, or the values
// alone when the fields are the node's (sameFields).
type streamEntry struct {
	id    StreamID
	off   uint32
	pairs uint32 // field-value pairs, and the sameFields bit
}

// sameFields marks an entry whose fields are its node's.
const sameFields = 1 << 31

var (
	streamSize      = int64(allocSize(int(unsafe.Sizeof(Stream{}))))
	streamNodeSize  = int64(allocSize(int(unsafe.Sizeof(streamNode{}))))
	streamEntrySize = int(unsafe.Sizeof(streamEntry{}))
)

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// StreamValue returns a value holding s, for DB.Set.
func StreamValue(s *Stream) Value { return ObjectValue(KindStream, s) }

// Len returns the number of entries.
func (s *Stream) Len() int { return s.length }

// LastID returns the last ID added, or set by SetLastID.
func (s *Stream) LastID() StreamID { return s.lastID }

// FirstID returns the first entry's ID, 0-0 when the stream is empty
// (XINFO's recorded-first-entry-id).
func (s *Stream) FirstID() StreamID { return s.firstID }

// MaxDeletedID returns the greatest ID deleted by Delete, or set by
// SetMaxDeletedID.
func (s *Stream) MaxDeletedID() StreamID { return s.maxDeletedID }

// EntriesAdded returns the number of entries ever added, or the count set
// by SetEntriesAdded.
func (s *Stream) EntriesAdded() int64 { return s.entriesAdded }

// SetLastID, SetEntriesAdded and SetMaxDeletedID serve XSETID, which
// checks the values against the stream first.
func (s *Stream) SetLastID(id StreamID)       { s.lastID = id }
func (s *Stream) SetEntriesAdded(n int64)     { s.entriesAdded = n }
func (s *Stream) SetMaxDeletedID(id StreamID) { s.maxDeletedID = id }

// Nodes returns the number of nodes (XINFO's radix-tree-keys).
func (s *Stream) Nodes() int { return len(s.nodes) }

// LastLiveID returns the last entry's ID; ok is false when the stream is
// empty. Unlike LastID it skips deleted entries.
func (s *Stream) LastLiveID() (id StreamID, ok bool) {
	for i := len(s.nodes) - 1; i >= 0; i-- {
		if es := s.nodes[i].entries; len(es) > 0 {
			return es[len(es)-1].id, true
		}
	}
	return StreamID{}, false
}

// firstLiveID returns the first entry's ID, 0-0 when the stream is empty.
func (s *Stream) firstLiveID() StreamID {
	for _, n := range s.nodes {
		if len(n.entries) > 0 {
			return n.entries[0].id
		}
	}
	return StreamID{}
}

// NextID returns the ID XADD gives an entry with "*": now (unix ms) when
// it is past the last ID, else the next ID after it. The caller checks
// that the last ID is not MaxStreamID.
func (s *Stream) NextID(now int64) StreamID {
	if uint64(now) > s.lastID.Ms {
		return StreamID{uint64(now), 0}
	}
	id, _ := s.lastID.Next()
	return id
}

// Add appends an entry of fields and values (pairs alternate them, and
// are copied). id must be greater than LastID, and the pairs together no
// longer than StreamMaxEntryBytes: the caller checks both.
func (s *Stream) Add(id StreamID, pairs [][]byte) {
	total := 0
	for _, p := range pairs {
		total += len(p)
	}
	var n *streamNode
	if len(s.nodes) > 0 {
		n = s.nodes[len(s.nodes)-1]
		if n.lpBytes()+total >= streamNodeMaxBytes || len(n.entries)+n.deleted >= streamNodeMaxEntries {
			n = nil // full: it takes no more entries
		}
	}
	if n == nil {
		n = s.appendNode(id, pairs, 2)
	}
	s.changeNode(n, func() { n.add(id, pairs) })
	s.length++
	s.entriesAdded++
	s.lastID = id
	if s.length == 1 {
		s.firstID = id
	}
}

// newStreamNode returns an empty node whose master entry takes the
// fields strs[0], strs[stride], ...: an entry's pairs (stride 2), or the
// fields alone (1).
func newStreamNode(master StreamID, strs [][]byte, stride int) *streamNode {
	n := &streamNode{master: master, fields: make([]string, len(strs)/stride)}
	// header, end byte, master field count, its 0 terminator
	n.lpBase = 6 + 1 + lpIntSize(int64(len(n.fields))) + lpIntSize(0)
	for i := range n.fields {
		f := strs[stride*i]
		n.fields[i] = string(f)
		n.fieldsSize += int64(allocSize(len(f)))
		n.lpBase += lpStringSize(f)
	}
	return n
}

// appendNode adds an empty node after the last, which takes no more
// entries and is shrunk to fit; newStreamNode's arguments make the new
// one. The last node is the best guess of what the new one will hold: it
// gets room for as much (but a listpack's worth of bytes at most), which
// spares growing it entry by entry.
func (s *Stream) appendNode(master StreamID, strs [][]byte, stride int) *streamNode {
	n := newStreamNode(master, strs, stride)
	if len(s.nodes) > 0 {
		last := s.nodes[len(s.nodes)-1]
		s.changeNode(last, last.shrink)
		n.entries = make([]streamEntry, 0, len(last.entries)+last.deleted)
		n.buf = make([]byte, 0, min(len(last.buf), streamNodeMaxBytes))
	}
	s.nodes = append(s.nodes, n)
	s.nodeBytes += n.cost()
	return n
}

// NodeEntry is an entry of a node AppendNode rebuilds: its ID, its
// fields and values (alternating), and whether it is deleted.
type NodeEntry struct {
	ID      StreamID
	Pairs   [][]byte
	Deleted bool
}

// AppendNode adds a node after the last, as RESTORE rebuilds a stream
// Redis dumped node by node: master is the node's ID, fields its master
// entry's fields, and entries all it holds, deleted ones included, which
// count in it as they do in Redis's listpack. The caller checks that the
// IDs ascend from master on, past the last node's, and that an entry is
// live; and then sets the last ID and the counters (SetLastID...).
func (s *Stream) AppendNode(master StreamID, fields [][]byte, entries []NodeEntry) {
	n := s.appendNode(master, fields, 1)
	s.changeNode(n, func() {
		for _, e := range entries {
			n.add(e.ID, e.Pairs)
			if e.Deleted {
				n.drop(len(n.entries)-1, len(n.entries))
			}
		}
	})
	if s.length == 0 {
		s.firstID = n.entries[0].id
	}
	s.length += len(n.entries)
}

// StreamNode is a view of a stream's node, valid until the stream
// changes.
type StreamNode struct{ n *streamNode }

// EachNode calls fn with each node, in order.
func (s *Stream) EachNode(fn func(n StreamNode)) {
	for _, n := range s.nodes {
		fn(StreamNode{n})
	}
}

// Master returns the node's ID: its first entry's, deleted or not.
func (n StreamNode) Master() StreamID { return n.n.master }

// Fields returns the fields of the node's master entry. The slice is the
// node's: it must not be modified.
func (n StreamNode) Fields() []string { return n.n.fields }

// Entries calls fn with the node's live entries, in order.
func (n StreamNode) Entries(fn func(e StreamEntry)) {
	for i := range n.n.entries {
		e := &n.n.entries[i]
		fn(StreamEntry{e.id, e, n.n})
	}
}

// add appends an entry to n.
func (n *streamNode) add(id StreamID, pairs [][]byte) {
	same := len(pairs)/2 == len(n.fields)
	for i := 0; same && i < len(n.fields); i++ {
		same = n.fields[i] == string(pairs[2*i])
	}
	// Redis's entry: flags, ms and seq deltas, [field count], [fields]
	// values, then the count of the entry's listpack elements.
	elems := 3 + len(pairs)/2
	lp := lpIntSize(0) + lpIntSize(int64(id.Ms-n.master.Ms)) + lpIntSize(int64(id.Seq-n.master.Seq))
	e := streamEntry{id: id, off: uint32(len(n.buf)), pairs: uint32(len(pairs) / 2)}
	for i, p := range pairs {
		if i%2 == 1 || !same {
			n.buf = binary.AppendUvarint(n.buf, uint64(len(p)))
			n.buf = append(n.buf, p...)
			lp += lpStringSize(p)
		}
	}
	if same {
		e.pairs |= sameFields
	} else {
		lp += lpIntSize(int64(len(pairs) / 2))
		elems += 1 + len(pairs)/2
	}
	n.lpBase += lp + lpIntSize(int64(elems))
	n.entries = append(n.entries, e)
	n.last = id
}

// shrink trims the spare room of a node that takes no more entries, as
// Redis's lpShrinkToFit.
func (n *streamNode) shrink() {
	if cap(n.entries) > len(n.entries) {
		n.entries = slices.Clip(slices.Clone(n.entries))
	}
	if cap(n.buf) > len(n.buf) {
		n.buf = slices.Clip(slices.Clone(n.buf))
	}
}

// changeNode runs fn, which changes n, and accounts what it changed.
func (s *Stream) changeNode(n *streamNode, fn func()) {
	before := n.cost()
	fn()
	s.nodeBytes += n.cost() - before
}

// lpBytes is the size of Redis's listpack for n.
func (n *streamNode) lpBytes() int {
	return n.lpBase + lpIntSize(int64(len(n.entries))) + lpIntSize(int64(n.deleted))
}

// cost is what n costs.
func (n *streamNode) cost() int64 {
	return streamNodeSize + int64(allocSize(cap(n.entries)*streamEntrySize)) +
		int64(allocSize(cap(n.fields)*int(unsafe.Sizeof("")))) + n.fieldsSize + int64(allocSize(cap(n.buf)))
}

// drop removes n's entries [i, j), counting them as deleted; their
// strings stay in the buffer until the node goes.
func (n *streamNode) drop(i, j int) {
	n.entries = slices.Delete(n.entries, i, j)
	n.deleted += j - i
}

// lpIntSize is the size of an integer element in a listpack.
func lpIntSize(v int64) int {
	enc := 9
	switch {
	case v >= 0 && v <= 127:
		enc = 1
	case v >= -4096 && v <= 4095:
		enc = 2
	case v >= -32768 && v <= 32767:
		enc = 3
	case v >= -8388608 && v <= 8388607:
		enc = 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		enc = 5
	}
	return enc + lpBacklenSize(enc)
}

// lpStringSize is the size of a string element in a listpack, which
// stores a canonical integer as an integer.
func lpStringSize(b []byte) int {
	if v, ok := intMember(b); ok {
		return lpIntSize(v)
	}
	enc := 5 + len(b)
	switch {
	case len(b) < 64:
		enc = 1 + len(b)
	case len(b) < 4096:
		enc = 2 + len(b)
	}
	return enc + lpBacklenSize(enc)
}

// lpBacklenSize is the size of a listpack element's back length field.
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// StreamEntry is an entry read from a stream, valid until the stream
// changes.
type StreamEntry struct {
	ID StreamID
	e  *streamEntry
	n  *streamNode
}

// Pairs returns the number of field-value pairs.
func (e StreamEntry) Pairs() int { return int(e.e.pairs &^ sameFields) }

// Fields calls fn with each field and its value, in order. The strings
// are the stream's own and never change.
func (e StreamEntry) Fields(fn func(field, value string)) {
	// The buffer's bytes never change once written: strings may view them.
	rest := unsafe.String(unsafe.SliceData(e.n.buf[e.e.off:]), len(e.n.buf)-int(e.e.off))
	next := func() string {
		var n, shift uint
		for {
			b := rest[0]
			rest = rest[1:]
			n |= uint(b&0x7f) << shift
			if b < 0x80 {
				break
			}
			shift += 7
		}
		s := rest[:n]
		rest = rest[n:]
		return s
	}
	for i := 0; i < e.Pairs(); i++ {
		var f string
		if e.e.pairs&sameFields != 0 {
			f = e.n.fields[i]
		} else {
			f = next()
		}
		fn(f, next())
	}
}

// find returns the index of the node that holds id, if any entry does:
// the last whose master ID is not greater; -1 when id precedes them all.
func (s *Stream) find(id StreamID) int {
	i, found := slices.BinarySearchFunc(s.nodes, id, func(n *streamNode, id StreamID) int { return n.master.Compare(id) })
	if found {
		return i
	}
	return i - 1
}

// Range calls fn with each entry whose ID is within [start, end], in
// order, or from end down with rev, until fn returns false. fn must not
// change s.
func (s *Stream) Range(start, end StreamID, rev bool, fn func(e StreamEntry) bool) {
	if start.Compare(end) > 0 {
		return
	}
	if !rev {
		for i := max(s.find(start), 0); i < len(s.nodes); i++ {
			n := s.nodes[i]
			j, _ := slices.BinarySearchFunc(n.entries, start, cmpEntryID)
			for ; j < len(n.entries); j++ {
				e := &n.entries[j]
				if e.id.Compare(end) > 0 || !fn(StreamEntry{e.id, e, n}) {
					return
				}
			}
		}
		return
	}
	for i := s.find(end); i >= 0; i-- {
		n := s.nodes[i]
		j, found := slices.BinarySearchFunc(n.entries, end, cmpEntryID)
		if !found {
			j--
		}
		for ; j >= 0; j-- {
			e := &n.entries[j]
			if e.id.Compare(start) < 0 || !fn(StreamEntry{e.id, e, n}) {
				return
			}
		}
	}
}

func cmpEntryID(e streamEntry, id StreamID) int { return e.id.Compare(id) }

// Get returns the entry id.
func (s *Stream) Get(id StreamID) (StreamEntry, bool) {
	if i := s.find(id); i >= 0 {
		n := s.nodes[i]
		if j, found := slices.BinarySearchFunc(n.entries, id, cmpEntryID); found {
			return StreamEntry{id, &n.entries[j], n}, true
		}
	}
	return StreamEntry{}, false
}

// Delete removes entry id, as XDEL: its node keeps counting it, until the
// node's last live entry goes with the node. It reports whether the entry
// existed.
func (s *Stream) Delete(id StreamID) bool {
	i := s.find(id)
	if i < 0 {
		return false
	}
	n := s.nodes[i]
	j, found := slices.BinarySearchFunc(n.entries, id, cmpEntryID)
	if !found {
		return false
	}
	if len(n.entries) == 1 {
		s.removeNodes(i, i+1)
	} else {
		s.changeNode(n, func() { n.drop(j, j+1) })
	}
	s.length--
	if id.Compare(s.maxDeletedID) > 0 {
		s.maxDeletedID = id
	}
	if s.length == 0 {
		s.firstID = StreamID{}
	} else if id == s.firstID {
		s.firstID = s.firstLiveID()
	}
	return true
}

// removeNodes removes nodes [i, j) and their live entries.
func (s *Stream) removeNodes(i, j int) {
	for _, n := range s.nodes[i:j] {
		s.nodeBytes -= n.cost()
	}
	s.nodes = slices.Delete(s.nodes, i, j)
}

// TrimStrategy says what Trim keeps.
type TrimStrategy uint8

// Trim strategies.
const (
	TrimNone   TrimStrategy = iota
	TrimMaxLen              // keep the last MaxLen entries
	TrimMinID               // keep the entries from MinID on
)

// StreamTrim is a trim of XADD or XTRIM.
type StreamTrim struct {
	Strategy TrimStrategy
	MaxLen   int64
	MinID    StreamID
	// Approx (~) removes whole nodes only, stopping at the first node it
	// cannot remove.
	Approx bool
	// Limit bounds the entries removed, 0 for none; a node that would
	// pass it stops the trim.
	Limit int64
}

// Trim removes entries from the start of the stream as t says, as Redis
// 7.0's streamTrim, and returns how many it removed. Removed entries are
// not deletions: MaxDeletedID stays.
func (s *Stream) Trim(t StreamTrim) int64 {
	if t.Strategy == TrimNone {
		return 0
	}
	var removed int64
	whole := 0 // leading nodes removed whole
	for _, n := range s.nodes {
		if t.Strategy == TrimMaxLen && int64(s.length) <= t.MaxLen {
			break
		}
		live := int64(len(n.entries))
		if t.Limit > 0 && removed+live > t.Limit {
			break
		}
		if t.Strategy == TrimMaxLen && int64(s.length)-live >= t.MaxLen ||
			t.Strategy == TrimMinID && n.last.Compare(t.MinID) < 0 {
			whole++
			s.length -= int(live)
			removed += live
			continue
		}
		if t.Approx {
			break
		}
		// Remove entries from within the node, and stop there.
		k := 0
		for k < len(n.entries) {
			if t.Strategy == TrimMaxLen && int64(s.length) <= t.MaxLen ||
				t.Strategy == TrimMinID && n.entries[k].id.Compare(t.MinID) >= 0 {
				break
			}
			k++
			s.length--
		}
		s.changeNode(n, func() { n.drop(0, k) })
		removed += int64(k)
		break
	}
	s.removeNodes(0, whole)
	s.firstID = s.firstLiveID()
	return removed
}

// RadixNodes returns the number of nodes Redis's radix tree of the
// stream's nodes has (XINFO's radix-tree-nodes): the nodes of a
// compressed trie of their 16-byte big-endian master IDs, the root
// included.
func (s *Stream) RadixNodes() int {
	if len(s.nodes) == 0 {
		return 1
	}
	keys := make([][16]byte, len(s.nodes))
	for i, n := range s.nodes {
		binary.BigEndian.PutUint64(keys[i][:8], n.master.Ms)
		binary.BigEndian.PutUint64(keys[i][8:], n.master.Seq)
	}
	return raxNodes(keys, 0)
}

// raxNodes counts the nodes of a rax holding keys, sorted and sharing
// their first depth bytes, below that depth: a compressed node for a
// common prefix, a branching node where they part, and a node for each
// key's end.
func raxNodes(keys [][16]byte, depth int) int {
	if depth == 16 {
		return 1
	}
	first, last := keys[0], keys[len(keys)-1]
	p := depth
	for p < 16 && first[p] == last[p] {
		p++
	}
	if p > depth {
		return 1 + raxNodes(keys, p)
	}
	n := 1
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][depth] == keys[i][depth] {
			j++
		}
		n += raxNodes(keys[i:j], depth+1)
		i = j
	}
	return n
}

// Encoding returns what OBJECT ENCODING reports: always stream.
func (s *Stream) Encoding() string { return "stream" }

// size is what the stream costs.
func (s *Stream) size() int64 {
	return streamSize + int64(allocSize(cap(s.nodes)*8)) + s.nodeBytes +
		int64(allocSize(cap(s.groups)*8)) + s.groupBytes
}

// LookupStream returns key's stream for a command: nil when the key does
// not exist, ErrWrongType when it holds another kind. flags are Lookup's.
func (tx *Tx) LookupStream(key []byte, flags LookupFlags) (*Stream, Value, error) {
	v, ok := tx.Lookup(key, flags)
	if !ok {
		return nil, v, nil
	}
	if v.Kind() != KindStream {
		return nil, v, ErrWrongType
	}
	return Object[Stream](v), v, nil
}
