package storage

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// List is the object of a list value: a deque of elements in a ring buffer
// whose capacity is a power of two, so pushes and pops at either end are
// amortized O(1) and indexing is O(1). It is not safe for concurrent use:
// the key's lock guards it, and a command that changes it stores the key
// again (see object.go).
//
// Elements are strings: they never change once pushed (LSET replaces one),
// so reading them needs no copy and a COPY of the list may share them.
type List struct {
	ring  []string
	head  int   // index in ring of element 0
	n     int   // elements
	bytes int64 // the elements' allocations
}

const listMinRing = 4

// NewList returns an empty list.
func NewList() *List { return &List{} }

// ListValue returns a value holding l, for DB.Set.
func ListValue(l *List) Value { return ObjectValue(KindList, l) }

// Len returns the number of elements.
func (l *List) Len() int { return l.n }

// At returns element i, 0 <= i < Len().
func (l *List) At(i int) string { return l.ring[(l.head+i)&(len(l.ring)-1)] }

// SetAt replaces element i, 0 <= i < Len(), with e.
func (l *List) SetAt(i int, e string) {
	p := &l.ring[(l.head+i)&(len(l.ring)-1)]
	l.bytes += int64(allocSize(len(e)) - allocSize(len(*p)))
	*p = e
}

// PushFront adds e before the first element.
func (l *List) PushFront(e string) {
	l.grow()
	l.head = (l.head - 1) & (len(l.ring) - 1)
	l.ring[l.head] = e
	l.n++
	l.bytes += int64(allocSize(len(e)))
}

// PushBack adds e after the last element.
func (l *List) PushBack(e string) {
	l.grow()
	l.ring[(l.head+l.n)&(len(l.ring)-1)] = e
	l.n++
	l.bytes += int64(allocSize(len(e)))
}

// PopFront removes and returns the first element; the list must not be
// empty.
func (l *List) PopFront() string {
	p := &l.ring[l.head]
	e := *p
	*p = ""
	l.head = (l.head + 1) & (len(l.ring) - 1)
	l.n--
	l.bytes -= int64(allocSize(len(e)))
	l.shrink()
	return e
}

// PopBack removes and returns the last element; the list must not be
// empty.
func (l *List) PopBack() string {
	p := &l.ring[(l.head+l.n-1)&(len(l.ring)-1)]
	e := *p
	*p = ""
	l.n--
	l.bytes -= int64(allocSize(len(e)))
	l.shrink()
	return e
}

// Insert adds e at index i (0 <= i <= Len()), moving the elements on the
// shorter side by one.
func (l *List) Insert(i int, e string) {
	l.grow()
	mask := len(l.ring) - 1
	if i < l.n/2 {
		l.head = (l.head - 1) & mask
		for j := 0; j < i; j++ {
			l.ring[(l.head+j)&mask] = l.ring[(l.head+j+1)&mask]
		}
	} else {
		for j := l.n; j > i; j-- {
			l.ring[(l.head+j)&mask] = l.ring[(l.head+j-1)&mask]
		}
	}
	l.ring[(l.head+i)&mask] = e
	l.n++
	l.bytes += int64(allocSize(len(e)))
}

// Remove removes elements equal to e, as LREM: the first count from the
// head when count > 0, the last -count from the tail when count < 0,
// every one when count is 0. It returns how many it removed.
func (l *List) Remove(count int64, e []byte) int64 {
	limit := count
	if limit < 0 {
		limit = -limit
	}
	keep := make([]bool, l.n)
	removed := int64(0)
	for k := 0; k < l.n; k++ {
		i := k
		if count < 0 {
			i = l.n - 1 - k
		}
		if (limit == 0 || removed < limit) && l.At(i) == unsafeString(e) {
			removed++
			continue
		}
		keep[i] = true
	}
	if removed == 0 {
		return 0
	}
	w := 0
	for i := 0; i < l.n; i++ {
		if keep[i] {
			l.ring[(l.head+w)&(len(l.ring)-1)] = l.At(i)
			w++
		} else {
			l.bytes -= int64(allocSize(len(l.At(i))))
		}
	}
	for i := w; i < l.n; i++ {
		l.ring[(l.head+i)&(len(l.ring)-1)] = ""
	}
	l.n = w
	l.shrink()
	return removed
}

// Trim keeps elements start to stop (0 <= start <= stop < Len()) and
// removes the others; start > stop empties the list.
func (l *List) Trim(start, stop int) {
	if start > stop {
		start, stop = 0, -1
	}
	for k := l.n - 1; k > stop; k-- {
		l.PopBack()
	}
	for k := 0; k < start; k++ {
		l.PopFront()
	}
}

// grow makes room for one more element.
func (l *List) grow() {
	if l.n < len(l.ring) {
		return
	}
	l.resize(max(listMinRing, 2*len(l.ring)))
}

// shrink halves the ring when it is less than a quarter full, so a list
// that was long once does not keep its memory.
func (l *List) shrink() {
	if len(l.ring) > listMinRing && l.n < len(l.ring)/4 {
		l.resize(len(l.ring) / 2)
	}
}

func (l *List) resize(size int) {
	ring := make([]string, size)
	for i := 0; i < l.n; i++ {
		ring[i] = l.At(i)
	}
	l.ring, l.head = ring, 0
}

// size is what the list costs: the struct, the ring and the elements.
func (l *List) size() int64 {
	return int64(allocSize(int(unsafe.Sizeof(List{})))+allocSize(len(l.ring)*int(unsafe.Sizeof("")))) + l.bytes
}

// clone returns a copy of l sharing its (immutable) elements.
func (l *List) clone() *List {
	c := &List{ring: make([]string, len(l.ring)), n: l.n, bytes: l.bytes}
	for i := 0; i < l.n; i++ {
		c.ring[i] = l.At(i)
	}
	return c
}

// errBadList means a list's disk encoding does not decode.
var errBadList = errors.New("storage: corrupt list encoding")

// A list's disk encoding is its length, then each element as a uvarint
// length and its bytes, head first.

func appendList(dst []byte, v Value) []byte {
	l := Object[List](v)
	dst = binary.AppendUvarint(dst, uint64(l.n))
	for i := 0; i < l.n; i++ {
		e := l.At(i)
		dst = binary.AppendUvarint(dst, uint64(len(e)))
		dst = append(dst, e...)
	}
	return dst
}

func decodeList(b []byte) (Value, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return Value{}, errBadList
	}
	b = b[w:]
	l := NewList()
	for ; n > 0; n-- {
		m, w := binary.Uvarint(b)
		if w <= 0 || m > uint64(len(b)-w) {
			return Value{}, errBadList
		}
		l.PushBack(string(b[w : w+int(m)]))
		b = b[w+int(m):]
	}
	if len(b) != 0 || l.n == 0 {
		return Value{}, errBadList
	}
	return ListValue(l), nil
}

func init() {
	registerObjectKind(KindList, objectKind{
		size: func(v Value) int64 { return Object[List](v).size() },
		// Redis 7.0 keeps every list in a quicklist (7.2 added listpack
		// lists).
		encoding: func(Value) string { return "quicklist" },
		clone:    func(v Value) Value { return ListValue(Object[List](v).clone()) },
	})
	RegisterKindCodec(KindList, KindCodec{Append: appendList, Decode: decodeList})
}

// LookupList returns key's list for a command: nil when the key does not
// exist, ErrWrongType when it holds another kind. flags are Lookup's.
func (tx *Tx) LookupList(key []byte, flags LookupFlags) (*List, Value, error) {
	v, ok := tx.Lookup(key, flags)
	if !ok {
		return nil, v, nil
	}
	if v.Kind() != KindList {
		return nil, v, ErrWrongType
	}
	return Object[List](v), v, nil
}
