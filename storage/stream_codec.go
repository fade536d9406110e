package storage

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// errBadStream means a stream's disk encoding does not decode.
var errBadStream = errors.New("storage: corrupt stream encoding")

// A stream's disk encoding keeps its nodes as they are, so that a stream
// read back trims and reports its layout as before:
//
//	last ID | first ID | max deleted ID | entries added | node count
//	per node: master ID | last ID | deleted | listpack base | fields | buffer
//	  | entry count | per entry: ID | offset | pairs (with the sameFields bit)
//	group count
//	per group: name | last ID | entries read | consumers (name, seen time)
//	  | pending count | per pending entry: ID | consumer index | delivery time | deliveries
//
// IDs are two uvarints, strings and data a uvarint length and the bytes,
// counters uvarints, times and entries read varints. A consumer's own
// pending entries are those of the group that name it.

func appendStream(dst []byte, v Value) []byte {
	s := Object[Stream](v)
	dst = appendStreamID(dst, s.lastID)
	dst = appendStreamID(dst, s.firstID)
	dst = appendStreamID(dst, s.maxDeletedID)
	dst = binary.AppendUvarint(dst, uint64(s.entriesAdded))
	dst = binary.AppendUvarint(dst, uint64(len(s.nodes)))
	for _, n := range s.nodes {
		dst = appendStreamID(dst, n.master)
		dst = appendStreamID(dst, n.last)
		dst = binary.AppendUvarint(dst, uint64(n.deleted))
		dst = binary.AppendUvarint(dst, uint64(n.lpBase))
		dst = binary.AppendUvarint(dst, uint64(len(n.fields)))
		for _, f := range n.fields {
			dst = appendUvarintString(dst, f)
		}
		dst = binary.AppendUvarint(dst, uint64(len(n.buf)))
		dst = append(dst, n.buf...)
		dst = binary.AppendUvarint(dst, uint64(len(n.entries)))
		for _, e := range n.entries {
			dst = appendStreamID(dst, e.id)
			dst = binary.AppendUvarint(dst, uint64(e.off))
			dst = binary.AppendUvarint(dst, uint64(e.pairs))
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(s.groups)))
	for _, g := range s.groups {
		dst = appendUvarintString(dst, g.name)
		dst = appendStreamID(dst, g.lastID)
		dst = binary.AppendVarint(dst, g.entriesRead)
		dst = binary.AppendUvarint(dst, uint64(len(g.consumers)))
		index := make(map[*StreamConsumer]int, len(g.consumers))
		for i, c := range g.consumers {
			index[c] = i
			dst = appendUvarintString(dst, c.name)
			dst = binary.AppendVarint(dst, c.seenTime)
		}
		dst = binary.AppendUvarint(dst, uint64(g.pel.live))
		g.pel.each(StreamID{}, func(e *PendingEntry) bool {
			dst = appendStreamID(dst, e.ID)
			dst = binary.AppendUvarint(dst, uint64(index[e.consumer]))
			dst = binary.AppendVarint(dst, e.DeliveryTime)
			dst = binary.AppendVarint(dst, e.DeliveryCount)
			return true
		})
	}
	return dst
}

func appendStreamID(dst []byte, id StreamID) []byte {
	return binary.AppendUvarint(binary.AppendUvarint(dst, id.Ms), id.Seq)
}

func appendUvarintString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// streamDecoder reads a stream's encoding; the first failure sticks.
type streamDecoder struct {
	b   []byte
	bad bool
}

func (d *streamDecoder) uvarint() uint64 {
	n, w := binary.Uvarint(d.b)
	if w <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[w:]
	return n
}

func (d *streamDecoder) varint() int64 {
	n, w := binary.Varint(d.b)
	if w <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[w:]
	return n
}

// count reads a count of items that take at least one byte each.
func (d *streamDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return 0
	}
	return int(n)
}

func (d *streamDecoder) id() StreamID { return StreamID{d.uvarint(), d.uvarint()} }

func (d *streamDecoder) bytes() []byte {
	s, rest, ok := cutUvarintBytes(d.b)
	if !ok {
		d.bad, d.b = true, nil
	}
	d.b = rest
	return s
}

func decodeStream(b []byte) (Value, error) {
	d := &streamDecoder{b: b}
	s := NewStream()
	s.lastID, s.firstID, s.maxDeletedID = d.id(), d.id(), d.id()
	s.entriesAdded = int64(d.uvarint())
	nodes := d.count()
	for i := 0; i < nodes && !d.bad; i++ {
		n := &streamNode{master: d.id(), last: d.id(), deleted: int(d.uvarint()), lpBase: int(d.uvarint())}
		n.fields = make([]string, d.count())
		for j := range n.fields {
			n.fields[j] = string(d.bytes())
			n.fieldsSize += int64(allocSize(len(n.fields[j])))
		}
		n.buf = slices.Clone(d.bytes())
		n.entries = make([]streamEntry, d.count())
		prev := n.master
		for j := range n.entries {
			e := &n.entries[j]
			e.id = d.id()
			off, pairs := d.uvarint(), d.uvarint()
			e.off, e.pairs = uint32(off), uint32(pairs)
			if d.bad || off > uint64(len(n.buf)) || pairs > math.MaxUint32 || !validEntry(e, n, prev, j == 0) {
				d.bad = true
				break
			}
			prev = e.id
		}
		if d.bad || n.last.Compare(prev) < 0 || len(s.nodes) > 0 && s.nodes[len(s.nodes)-1].last.Compare(n.master) >= 0 ||
			uint(n.deleted) > math.MaxUint32 || uint(n.lpBase) > math.MaxUint32 {
			return Value{}, errBadStream
		}
		s.nodes = append(s.nodes, n)
		s.nodeBytes += n.cost()
		s.length += len(n.entries)
	}
	groups := d.count()
	for i := 0; i < groups && !d.bad; i++ {
		name := d.bytes()
		if len(s.groups) > 0 && s.groups[len(s.groups)-1].name >= string(name) {
			return Value{}, errBadStream
		}
		g := s.CreateGroup(name, d.id(), d.varint())
		consumers := make([]*StreamConsumer, d.count())
		for j := range consumers {
			name := d.bytes()
			if j > 0 && consumers[j-1].name >= string(name) {
				return Value{}, errBadStream
			}
			consumers[j] = g.CreateConsumer(name, d.varint())
		}
		pending := d.count()
		var prev StreamID
		for j := 0; j < pending && !d.bad; j++ {
			id, c := d.id(), d.uvarint()
			if c >= uint64(len(consumers)) || j > 0 && id.Compare(prev) <= 0 {
				return Value{}, errBadStream
			}
			e := g.AddPending(id, d.varint())
			e.DeliveryCount = d.varint()
			g.Assign(e, consumers[c])
			prev = id
		}
	}
	if d.bad || len(d.b) != 0 {
		return Value{}, errBadStream
	}
	return StreamValue(s), nil
}

// validEntry reports whether entry e of node n, after ID prev (or the
// first, at or after the master ID), decodes: its strings are in the
// buffer.
func validEntry(e *streamEntry, n *streamNode, prev StreamID, first bool) bool {
	same := e.pairs&sameFields != 0
	pairs := int(e.pairs &^ sameFields)
	if c := e.id.Compare(prev); c < 0 || c == 0 && !first || same && pairs != len(n.fields) {
		return false
	}
	strs := pairs * 2
	if same {
		strs = pairs
	}
	rest := n.buf[e.off:]
	for ; strs > 0; strs-- {
		var ok bool
		if _, rest, ok = cutUvarintBytes(rest); !ok {
			return false
		}
	}
	return true
}

func init() {
	registerObjectKind(KindStream, objectKind{
		size:     func(v Value) int64 { return Object[Stream](v).size() },
		encoding: func(v Value) string { return Object[Stream](v).Encoding() },
		// A copy is the stream read back from its encoding: one way to
		// build a stream, not two.
		clone: func(v Value) Value {
			c, err := decodeStream(appendStream(nil, v))
			if err != nil {
				panic("storage: a stream's own encoding does not decode: " + err.Error())
			}
			return c
		},
	})
	RegisterKindCodec(KindStream, KindCodec{Append: appendStream, Decode: decodeStream})
}
