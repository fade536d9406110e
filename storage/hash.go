package storage

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// Hash is the object of a hash value: fields and their values in a table
// (table.go), iterated in insertion order. It is not safe for concurrent
// use: the key's lock guards it, and a command that changes it stores the
// key again (see object.go).
//
// Fields and values are strings: a value never changes once set (a new
// one replaces it), so a reader needs no copy and a COPY may share them.
//
// Redis 7.0 keeps a small hash in a listpack, whose order is insertion
// order, and converts it for good to a hashtable when it grows past
// hash-max-listpack-entries fields or is given a field or value longer
// than hash-max-listpack-value. A Hash follows the same rule only to
// report its encoding and to answer HSCAN as Redis does (a listpack in one
// reply); its structure does not change.
type Hash struct {
	t        table[string]
	valBytes int64 // what the values' allocations cost
	large    bool  // Redis would hold it in a hashtable, no longer a listpack
}

// Redis 7.0's compiled-in defaults for hash-max-listpack-entries and
// hash-max-listpack-value (the redis.conf it ships lowers entries to 128,
// but a server started without a config file uses these).
const (
	hashListpackEntries = 512
	hashListpackValue   = 64
)

// NewHash returns an empty hash with room for hint fields.
func NewHash(hint int) *Hash { return &Hash{t: newTable[string](hint)} }

// HashValue returns a value holding h, for DB.Set.
func HashValue(h *Hash) Value { return ObjectValue(KindHash, h) }

// Len returns the number of fields.
func (h *Hash) Len() int { return h.t.len() }

// Get returns field's value.
func (h *Hash) Get(field []byte) (string, bool) {
	i, ok := h.t.find(field)
	if !ok {
		return "", false
	}
	return h.t.cells[i].val, true
}

// Set gives field a copy of value and reports whether the field is new.
// An existing field keeps its place in the order.
func (h *Hash) Set(field, value []byte) bool {
	if len(field) > hashListpackValue || len(value) > hashListpackValue {
		h.large = true
	}
	h.valBytes += int64(allocSize(len(value)))
	if i, ok := h.t.find(field); ok {
		c := &h.t.cells[i]
		h.valBytes -= int64(allocSize(len(c.val)))
		c.val = string(value)
		return false
	}
	h.t.insert(string(field), string(value))
	if h.t.len() > hashListpackEntries {
		h.large = true
	}
	return true
}

// Delete removes field and reports whether it existed.
func (h *Hash) Delete(field []byte) bool {
	i, ok := h.t.find(field)
	if !ok {
		return false
	}
	c := h.t.remove(i)
	h.valBytes -= int64(allocSize(len(c.val)))
	return true
}

// Each calls fn with every field and its value in order until fn returns
// false. fn must not change h.
func (h *Hash) Each(fn func(field, value string) bool) {
	h.t.each(func(i int) bool { return fn(h.t.cells[i].key, h.t.cells[i].val) })
}

// Random returns a random field and its value; h must not be empty.
func (h *Hash) Random() (field, value string) {
	c := &h.t.cells[h.t.random()]
	return c.key, c.val
}

// Sample calls fn with count random fields (count < Len() when distinct),
// as HRANDFIELD picks them: distinct ones, or with repetition.
func (h *Hash) Sample(count int, distinct bool, fn func(field, value string)) {
	sample(h.Len(), count, distinct, h.t.random, h.t.each, func(i int) { fn(h.t.cells[i].key, h.t.cells[i].val) })
}

// Scan calls fn with the fields of one HSCAN step from cursor and returns
// the next cursor, 0 at the end. A hash Redis keeps in a listpack is
// returned whole, whatever the cursor and count, as Redis does; a larger
// one count fields at a time.
func (h *Hash) Scan(cursor uint64, count int, fn func(field, value string)) uint64 {
	if !h.large {
		h.Each(func(f, v string) bool {
			fn(f, v)
			return true
		})
		return 0
	}
	return h.t.scan(cursor, count, func(i int) { fn(h.t.cells[i].key, h.t.cells[i].val) })
}

// Encoding returns what OBJECT ENCODING reports: listpack or hashtable.
func (h *Hash) Encoding() string {
	if h.large {
		return "hashtable"
	}
	return "listpack"
}

// size is what the hash costs: the struct, its table and the values.
func (h *Hash) size() int64 {
	return int64(allocSize(int(unsafe.Sizeof(Hash{})))) + h.t.size() + h.valBytes
}

// clone returns a copy of h in the same encoding, sharing its (immutable)
// strings.
func (h *Hash) clone() *Hash {
	c := NewHash(h.Len())
	h.Each(func(f, v string) bool {
		c.t.insert(f, v)
		return true
	})
	c.valBytes, c.large = h.valBytes, h.large
	return c
}

// errBadHash means a hash's disk encoding does not decode.
var errBadHash = errors.New("storage: corrupt hash encoding")

// A hash's disk encoding is its length, then each field and its value in
// order, each as a uvarint length and its bytes. Decoding settles the
// encoding as Redis does loading a hash: listpack when it is small enough.

func appendHash(dst []byte, v Value) []byte {
	h := Object[Hash](v)
	dst = binary.AppendUvarint(dst, uint64(h.Len()))
	h.Each(func(f, val string) bool {
		dst = binary.AppendUvarint(dst, uint64(len(f)))
		dst = append(dst, f...)
		dst = binary.AppendUvarint(dst, uint64(len(val)))
		dst = append(dst, val...)
		return true
	})
	return dst
}

func decodeHash(b []byte) (Value, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return Value{}, errBadHash
	}
	b = b[w:]
	h := NewHash(int(n))
	for ; n > 0; n-- {
		var field, value []byte
		var ok bool
		if field, b, ok = cutUvarintBytes(b); !ok {
			return Value{}, errBadHash
		}
		if value, b, ok = cutUvarintBytes(b); !ok {
			return Value{}, errBadHash
		}
		if !h.Set(field, value) {
			return Value{}, errBadHash // a field twice
		}
	}
	if len(b) != 0 || h.Len() == 0 {
		return Value{}, errBadHash
	}
	return HashValue(h), nil
}

// cutUvarintBytes splits a uvarint length and that many bytes off b.
func cutUvarintBytes(b []byte) (s, rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return nil, b, false
	}
	return b[w : w+int(n)], b[w+int(n):], true
}

func init() {
	registerObjectKind(KindHash, objectKind{
		size:     func(v Value) int64 { return Object[Hash](v).size() },
		encoding: func(v Value) string { return Object[Hash](v).Encoding() },
		clone:    func(v Value) Value { return HashValue(Object[Hash](v).clone()) },
	})
	RegisterKindCodec(KindHash, KindCodec{Append: appendHash, Decode: decodeHash})
}

// LookupHash returns key's hash for a command: nil when the key does not
// exist, ErrWrongType when it holds another kind. flags are Lookup's.
func (tx *Tx) LookupHash(key []byte, flags LookupFlags) (*Hash, Value, error) {
	v, ok := tx.Lookup(key, flags)
	if !ok {
		return nil, v, nil
	}
	if v.Kind() != KindHash {
		return nil, v, ErrWrongType
	}
	return Object[Hash](v), v, nil
}
