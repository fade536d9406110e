package storage

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"unsafe"
)

// Set is the object of a set value. It is not safe for concurrent use:
// the key's lock guards it, and a command that changes it stores the key
// again (see object.go).
//
// It has Redis 7.0's two encodings, which decide the order members are
// returned in: an intset, a sorted array of 64-bit integers, while every
// member is an integer in canonical form and there are at most
// set-max-intset-entries of them; then, for good, a hashtable (table.go,
// in insertion order where Redis's order is arbitrary).
type Set struct {
	ints  []int64 // the intset encoding, ascending, while !large
	t     table[struct{}]
	large bool // hashtable encoding
}

// setIntsetEntries is Redis's default set-max-intset-entries.
const setIntsetEntries = 512

// NewSet returns an empty set (an intset until a member says otherwise).
func NewSet() *Set { return &Set{} }

// SetValue returns a value holding s, for DB.Set.
func SetValue(s *Set) Value { return ObjectValue(KindSet, s) }

// intMember returns the integer m stands for when an intset may hold it:
// m is an integer's canonical decimal form (no sign but a leading '-', no
// leading zero, not "-0"), as Redis's string2ll requires.
func intMember(m []byte) (int64, bool) {
	if len(m) == 0 || len(m) > 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(unsafeString(m), 10, 64)
	if err != nil {
		return 0, false
	}
	var buf [20]byte
	return n, string(strconv.AppendInt(buf[:0], n, 10)) == unsafeString(m)
}

// Len returns the number of members.
func (s *Set) Len() int {
	if s.large {
		return s.t.len()
	}
	return len(s.ints)
}

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	if s.large {
		_, ok := s.t.find(m)
		return ok
	}
	n, ok := intMember(m)
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(s.ints, n)
	return found
}

// Add adds a copy of m and reports whether it was not a member.
func (s *Set) Add(m []byte) bool {
	if !s.large {
		n, ok := intMember(m)
		if ok {
			i, found := slices.BinarySearch(s.ints, n)
			if found {
				return false
			}
			s.ints = slices.Insert(s.ints, i, n)
			if len(s.ints) > setIntsetEntries {
				s.convert()
			}
			return true
		}
		s.convert()
	}
	if _, ok := s.t.find(m); ok {
		return false
	}
	s.t.insert(string(m), struct{}{})
	return true
}

// convert moves the members of an intset into a hashtable.
func (s *Set) convert() {
	s.t = newTable[struct{}](len(s.ints) + 1)
	var buf [20]byte
	for _, n := range s.ints {
		s.t.insert(string(strconv.AppendInt(buf[:0], n, 10)), struct{}{})
	}
	s.ints, s.large = nil, true
}

// Remove removes m and reports whether it was a member.
func (s *Set) Remove(m []byte) bool {
	if s.large {
		i, ok := s.t.find(m)
		if ok {
			s.t.remove(i)
		}
		return ok
	}
	n, ok := intMember(m)
	if !ok {
		return false
	}
	i, found := slices.BinarySearch(s.ints, n)
	if found {
		s.removeInt(i)
	}
	return found
}

// removeInt removes the intset's member at index i.
func (s *Set) removeInt(i int) {
	s.ints = slices.Delete(s.ints, i, i+1)
	if cap(s.ints) > 16 && len(s.ints) < cap(s.ints)/4 {
		s.ints = slices.Clip(slices.Clone(s.ints))
	}
}

// Each calls fn with every member, ascending for an intset, until fn
// returns false. m is valid only during the call; fn must not change s.
func (s *Set) Each(fn func(m []byte) bool) {
	if s.large {
		s.t.each(func(i int) bool { return fn(s.memberAt(i)) })
		return
	}
	var buf [20]byte
	for _, n := range s.ints {
		if !fn(strconv.AppendInt(buf[:0], n, 10)) {
			return
		}
	}
}

// memberAt views the hashtable's member at position i.
func (s *Set) memberAt(i int) []byte {
	k := s.t.cells[i].key
	return unsafe.Slice(unsafe.StringData(k), len(k))
}

// member returns the member at position i of either encoding.
func (s *Set) member(i int) string {
	if s.large {
		return s.t.cells[i].key
	}
	return strconv.FormatInt(s.ints[i], 10)
}

// randomPos returns the position of a random member; s must not be empty.
func (s *Set) randomPos() int {
	if s.large {
		return s.t.random()
	}
	return rand.IntN(len(s.ints))
}

// eachPos calls fn with the position of every member until it returns
// false.
func (s *Set) eachPos(fn func(i int) bool) {
	if s.large {
		s.t.each(fn)
		return
	}
	for i := range s.ints {
		if !fn(i) {
			return
		}
	}
}

// Random returns a random member; s must not be empty.
func (s *Set) Random() string { return s.member(s.randomPos()) }

// Sample calls fn with count random members (count < Len() when
// distinct), as SRANDMEMBER picks them: distinct ones, or with repetition.
func (s *Set) Sample(count int, distinct bool, fn func(m string)) {
	sample(s.Len(), count, distinct, s.randomPos, s.eachPos, func(i int) { fn(s.member(i)) })
}

// Pop removes count random members, 0 < count < Len(), calling fn with
// each.
func (s *Set) Pop(count int, fn func(m string)) {
	if count == 1 { // SPOP without a count: no bookkeeping
		i := s.randomPos()
		m := s.member(i)
		if s.large {
			s.t.remove(i)
		} else {
			s.removeInt(i)
		}
		fn(m)
		return
	}
	picked := make([]string, 0, count)
	s.Sample(count, true, func(m string) { picked = append(picked, m) })
	for _, m := range picked {
		s.Remove(unsafe.Slice(unsafe.StringData(m), len(m)))
		fn(m)
	}
}

// Scan calls fn with the members of one SSCAN step from cursor and
// returns the next cursor, 0 at the end. An intset is returned whole,
// whatever the cursor and count, as Redis does; a hashtable count members
// at a time.
func (s *Set) Scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	if !s.large {
		s.Each(func(m []byte) bool {
			fn(m)
			return true
		})
		return 0
	}
	return s.t.scan(cursor, count, func(i int) { fn(s.memberAt(i)) })
}

// Encoding returns what OBJECT ENCODING reports: intset or hashtable.
func (s *Set) Encoding() string {
	if s.large {
		return "hashtable"
	}
	return "intset"
}

// size is what the set costs: the struct and its intset or table.
func (s *Set) size() int64 {
	n := int64(allocSize(int(unsafe.Sizeof(Set{}))))
	if s.large {
		return n + s.t.size()
	}
	return n + int64(allocSize(cap(s.ints)*8))
}

// clone returns a copy of s in the same encoding, sharing its (immutable)
// member strings.
func (s *Set) clone() *Set {
	if !s.large {
		return &Set{ints: slices.Clone(s.ints)}
	}
	c := &Set{t: newTable[struct{}](s.t.len()), large: true}
	s.t.each(func(i int) bool {
		c.t.insert(s.t.cells[i].key, struct{}{})
		return true
	})
	return c
}

// errBadSet means a set's disk encoding does not decode.
var errBadSet = errors.New("storage: corrupt set encoding")

// A set's disk encoding is its length, then each member in order as a
// uvarint length and its bytes. Decoding adds them in order, which settles
// the encoding as Redis does loading a set.

func appendSet(dst []byte, v Value) []byte {
	s := Object[Set](v)
	dst = binary.AppendUvarint(dst, uint64(s.Len()))
	s.Each(func(m []byte) bool {
		dst = binary.AppendUvarint(dst, uint64(len(m)))
		dst = append(dst, m...)
		return true
	})
	return dst
}

func decodeSet(b []byte) (Value, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return Value{}, errBadSet
	}
	b = b[w:]
	s := NewSet()
	for ; n > 0; n-- {
		var m []byte
		var ok bool
		if m, b, ok = cutUvarintBytes(b); !ok || !s.Add(m) {
			return Value{}, errBadSet
		}
	}
	if len(b) != 0 || s.Len() == 0 {
		return Value{}, errBadSet
	}
	return SetValue(s), nil
}

func init() {
	registerObjectKind(KindSet, objectKind{
		size:     func(v Value) int64 { return Object[Set](v).size() },
		encoding: func(v Value) string { return Object[Set](v).Encoding() },
		clone:    func(v Value) Value { return SetValue(Object[Set](v).clone()) },
	})
	RegisterKindCodec(KindSet, KindCodec{Append: appendSet, Decode: decodeSet})
}

// LookupSet returns key's set for a command: nil when the key does not
// exist, ErrWrongType when it holds another kind. flags are Lookup's.
func (tx *Tx) LookupSet(key []byte, flags LookupFlags) (*Set, Value, error) {
	v, ok := tx.Lookup(key, flags)
	if !ok {
		return nil, v, nil
	}
	if v.Kind() != KindSet {
		return nil, v, ErrWrongType
	}
	return Object[Set](v), v, nil
}
