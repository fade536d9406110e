package rdb

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// Dump returns o's DUMP payload: its type, its value and the footer. It
// fails only for an Object its type cannot hold (an intset of a member
// that is not an integer, say) or a type it does not write.
func Dump(o *Object) ([]byte, error) {
	w := &writer{b: []byte{byte(o.Type)}}
	switch o.Type {
	case TypeString:
		w.string(o.String)
	case TypeListQuicklist2:
		w.quicklist(o.List)
	case TypeSet:
		w.length(uint64(len(o.Set)))
		for _, m := range o.Set {
			w.string(m)
		}
	case TypeSetIntset:
		blob, err := intsetBlob(o.Set)
		if err != nil {
			return nil, err
		}
		w.string(blob)
	case TypeZSet2:
		w.length(uint64(len(o.ZSet)))
		for _, m := range o.ZSet {
			w.string(m.Member)
			w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(m.Score))
		}
	case TypeZSetListpack:
		var lp listpack
		for _, m := range o.ZSet {
			lp.append(m.Member)
			lp.appendScore(m.Score)
		}
		w.string(lp.bytes())
	case TypeHash:
		w.length(uint64(len(o.Hash)))
		for _, f := range o.Hash {
			w.string(f.Field)
			w.string(f.Value)
		}
	case TypeHashListpack:
		var lp listpack
		for _, f := range o.Hash {
			lp.append(f.Field)
			lp.append(f.Value)
		}
		w.string(lp.bytes())
	case TypeStreamListpacks2:
		if o.Stream == nil {
			return nil, fmt.Errorf("rdb: Dump of a stream without one")
		}
		w.stream(o.Stream)
	default:
		return nil, fmt.Errorf("rdb: Dump does not write type %d", o.Type)
	}
	return appendFooter(w.b), nil
}

// writer appends a payload's body.
type writer struct{ b []byte }

// length appends n as rdbSaveLen does: 6 bits, 14 bits, 32 bits or 64.
func (w *writer) length(n uint64) {
	switch {
	case n < 1<<6:
		w.b = append(w.b, byte(n))
	case n < 1<<14:
		w.b = append(w.b, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		w.b = binary.BigEndian.AppendUint32(append(w.b, 0x80), uint32(n))
	default:
		w.b = binary.BigEndian.AppendUint64(append(w.b, 0x81), n)
	}
}

// Special string encodings (the low six bits after 11 in a length byte).
const (
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// string appends s as rdbSaveRawString does: a short canonical integer
// that fits 32 bits as an integer, a string of more than 20 bytes LZF
// compressed when that saves at least four bytes, else its length and
// bytes.
func (w *writer) string(s []byte) {
	if len(s) <= 11 {
		if v, ok := canonicalInt(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			w.integer(v)
			return
		}
	}
	if len(s) > 20 {
		if data := lzfCompress(nil, s, len(s)-4); data != nil {
			w.b = append(w.b, 0xC0|encLZF)
			w.length(uint64(len(data)))
			w.length(uint64(len(s)))
			w.b = append(w.b, data...)
			return
		}
	}
	w.length(uint64(len(s)))
	w.b = append(w.b, s...)
}

// integer appends v in the smallest integer encoding; v fits 32 bits.
func (w *writer) integer(v int64) {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		w.b = append(w.b, 0xC0|encInt8, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		w.b = binary.LittleEndian.AppendUint16(append(w.b, 0xC0|encInt16), uint16(v))
	default:
		w.b = binary.LittleEndian.AppendUint32(append(w.b, 0xC0|encInt32), uint32(v))
	}
}

// canonicalInt parses s as Redis's string2ll does: an integer that
// prints back as s (no sign but '-', no leading zero, not "-0") and fits
// 64 bits.
func canonicalInt(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		return 0, false
	}
	var buf [20]byte
	return v, string(strconv.AppendInt(buf[:0], v, 10)) == string(s)
}

// quicklistNodeBytes is the listpack size a node of Redis's quicklist
// stops growing at under list-max-listpack-size -2, its default.
const quicklistNodeBytes = 8192

// quicklist appends a list as a quicklist of packed listpack nodes, split
// where Redis 7.0's quicklistPushTail starts a node: when the node's size,
// the element's and 8 bytes of estimated overhead pass 8 KB.
func (w *writer) quicklist(elems [][]byte) {
	var nodes []listpack
	for _, e := range elems {
		if n := len(nodes); n == 0 || nodes[n-1].size()+len(e)+quicklistOverhead > quicklistNodeBytes {
			nodes = append(nodes, listpack{})
		}
		nodes[len(nodes)-1].append(e)
	}
	w.length(uint64(len(nodes)))
	for i := range nodes {
		w.length(quicklistPacked)
		w.string(nodes[i].bytes())
	}
}

// Quicklist node containers: an element on its own, or a listpack.
const (
	quicklistPlain  = 1
	quicklistPacked = 2
)

// quicklistOverhead is Redis's SIZE_ESTIMATE_OVERHEAD: what an element is
// taken to add to a listpack besides its bytes.
const quicklistOverhead = 8

// intsetBlob returns the intset of members, which must be integers in
// canonical form, ascending and distinct, in the narrowest encoding.
func intsetBlob(members [][]byte) ([]byte, error) {
	vals := make([]int64, len(members))
	width := 2
	for i, m := range members {
		v, ok := canonicalInt(m)
		if !ok || i > 0 && v <= vals[i-1] {
			return nil, fmt.Errorf("rdb: intset member %q is not an ascending integer", m)
		}
		vals[i] = v
		switch {
		case v < math.MinInt32 || v > math.MaxInt32:
			width = 8
		case (v < math.MinInt16 || v > math.MaxInt16) && width < 4:
			width = 4
		}
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(width))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vals)))
	for _, v := range vals {
		switch width {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b, nil
}
