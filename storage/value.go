package storage

import (
	"encoding/binary"
	"strconv"
	"unsafe"
)

// Kind is the type of value a key holds.
type Kind uint8

// The kinds of value. Their numbers are written in the disk tier's
// entries, so a kind keeps its number for good.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

// String returns the name TYPE replies with.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindSet:
		return "set"
	case KindZSet:
		return "zset"
	case KindHash:
		return "hash"
	case KindStream:
		return "stream"
	}
	return "none"
}

// Value flags (four bits).
const (
	// FlagRaw marks a string modified in place (APPEND, SETRANGE); OBJECT
	// ENCODING then reports "raw" as Redis does.
	FlagRaw uint8 = 1 << iota
	// FlagCompressed marks a string payload stored compressed.
	FlagCompressed
	// flagStored marks a value owned by a DB: ptr points at its record
	// (see newRecord) rather than at a caller's payload.
	flagStored
	// flagGen marks a string record that carries a generation (see
	// newRecord): only records of generation 0 go without, and cost
	// nothing more.
	flagGen
)

// Value is what a key holds. It is stored inline in the LRU entry, so it is
// kept to 24 bytes: with the entry's own fields that fills one 96-byte
// allocation size class.
//
// A Value made by StringValue views the caller's bytes; DB.Set copies them
// into a record of the store's own. A Value returned by a lookup views that
// record: its bytes must not be modified, nor kept past the lock under which
// they were read.
type Value struct {
	ptr  unsafe.Pointer // payload, or a record when flagStored is set
	n    uint32         // string payload length
	meta uint32         // kind:4 | flags:4 | lfu:8 | access clock:16
	exp  int64          // absolute expiry in unix milliseconds; 0 means none
}

const (
	metaKindShift  = 28
	metaFlagShift  = 24
	metaLFUShift   = 16
	metaClockMask  = 0xffff
	lfuInitial     = 5 // Redis's LFU_INIT_VAL: new keys are not evicted at once
	maxStringBytes = 512 << 20
)

// MaxStringBytes is the largest string a value may hold (Redis's
// proto-max-bulk-len default).
const MaxStringBytes = maxStringBytes

// StringValue returns a string value viewing b. DB.Set copies b, so the
// caller may pass a request buffer and reuse it afterwards.
func StringValue(b []byte) Value {
	v := Value{n: uint32(len(b)), meta: uint32(KindString)<<metaKindShift | lfuInitial<<metaLFUShift}
	if len(b) > 0 {
		v.ptr = unsafe.Pointer(unsafe.SliceData(b))
	}
	return v
}

// objectRecord holds a non-string value with its key: pointers cannot live
// in the byte records strings use.
type objectRecord struct {
	key  string
	obj  unsafe.Pointer
	size int64 // the object's cost when stored (object.go)
}

// ObjectValue returns a value of kind k holding obj. DB.Set stores obj
// itself, not a copy.
func ObjectValue[T any](k Kind, obj *T) Value {
	return Value{ptr: unsafe.Pointer(obj), meta: uint32(k)<<metaKindShift | lfuInitial<<metaLFUShift}
}

// Object returns the object of a non-string value. T must be the type the
// value was made with.
func Object[T any](v Value) *T {
	if v.stored() {
		return (*T)((*objectRecord)(v.ptr).obj)
	}
	return (*T)(v.ptr)
}

// Kind returns the kind of value.
func (v Value) Kind() Kind { return Kind(v.meta >> metaKindShift) }

// Flags returns the value's public flags (FlagRaw, FlagCompressed).
func (v Value) Flags() uint8 { return uint8(v.meta>>metaFlagShift) & (FlagRaw | FlagCompressed) }

// stored reports whether v is a DB's record rather than a caller's view.
func (v Value) stored() bool { return v.meta>>metaFlagShift&uint32(flagStored) != 0 }

// WithFlags returns v with the public flags in f (FlagRaw, FlagCompressed)
// set.
func (v Value) WithFlags(f uint8) Value {
	v.meta |= uint32(f&(FlagRaw|FlagCompressed)) << metaFlagShift
	return v
}

// Bytes returns a string value's payload. For a stored value it is only
// valid while the lock it was read under is held, and must not be modified.
func (v Value) Bytes() []byte {
	// An empty payload ends its record: a pointer to it would point past
	// the allocation, which the GC and checkptr refuse.
	if v.ptr == nil || v.n == 0 || v.Kind() != KindString {
		return nil
	}
	p := v.ptr
	if v.stored() {
		klen, hdr := v.recordHeader()
		p = unsafe.Add(p, hdr+klen)
	}
	return unsafe.Slice((*byte)(p), v.n)
}

// Len returns a string value's payload length.
func (v Value) Len() int {
	if v.Kind() != KindString {
		return 0 // n holds a stored object's generation
	}
	return int(v.n)
}

// ExpireAt returns the absolute expiry in unix milliseconds, 0 when none.
func (v Value) ExpireAt() int64 { return v.exp }

// expiredAt reports whether a key expiring at exp (unix ms, 0 for never) is
// gone at now. As in Redis, a key lives through its expiry millisecond.
func expiredAt(exp, now int64) bool { return exp != 0 && exp < now }

// WithExpireAt returns v expiring at ms (0 removes the expiry).
func (v Value) WithExpireAt(ms int64) Value {
	v.exp = ms
	return v
}

// LFU returns the value's logarithmic access counter (0-255).
func (v Value) LFU() uint8 { return uint8(v.meta >> metaLFUShift) }

func (v Value) withLFU(c uint8) Value {
	v.meta = v.meta&^(0xff<<metaLFUShift) | uint32(c)<<metaLFUShift
	return v
}

func (v Value) clock() uint16 { return uint16(v.meta & metaClockMask) }

func (v Value) withClock(c uint16) Value {
	v.meta = v.meta&^metaClockMask | uint32(c)
	return v
}

// Encoding returns what OBJECT ENCODING reports for the value.
func (v Value) Encoding() string {
	if v.Kind() != KindString {
		if ops := objectKinds[v.Kind()]; ops != nil {
			return ops.encoding(v)
		}
		return "unknown"
	}
	b := v.Bytes()
	if v.Flags()&FlagRaw == 0 && len(b) <= 20 {
		if _, err := strconv.ParseInt(string(b), 10, 64); err == nil && (len(b) == 1 || b[0] != '0') && b[0] != '+' {
			return "int"
		}
	}
	if v.Flags()&FlagRaw == 0 && len(b) <= 44 {
		return "embstr"
	}
	return "raw"
}

// A record is the one allocation a stored string costs: the key's length as
// a uvarint, the record's generation (4 bytes, little-endian) when it is
// not 0 (flagGen), the key, then the payload. Keeping the key in the record
// lets the shard's LRU be keyed by a 64-bit hash, which halves its map
// slots. A stored value of another kind keeps its generation in n, which
// only strings use.

// newRecord returns a stored copy of v under key, of generation gen.
func newRecord(key []byte, v Value, gen uint32) Value {
	if v.Kind() != KindString {
		k := ""
		if v.stored() {
			old := (*objectRecord)(v.ptr)
			if old.key == unsafeString(key) {
				k = old.key // an object stored again after a change keeps its key
			}
			v.ptr = old.obj
		}
		if k == "" {
			k = string(key)
		}
		v.ptr = unsafe.Pointer(&objectRecord{key: k, obj: v.ptr})
		v.meta |= uint32(flagStored) << metaFlagShift
		v.n = gen
		(*objectRecord)(v.ptr).size = objectSize(v)
		return v
	}
	payload := v.Bytes()
	v.meta &^= uint32(flagGen) << metaFlagShift
	var hdr [binary.MaxVarintLen64 + 4]byte
	h := binary.PutUvarint(hdr[:], uint64(len(key)))
	if gen != 0 {
		binary.LittleEndian.PutUint32(hdr[h:], gen)
		h += 4
		v.meta |= uint32(flagGen) << metaFlagShift
	}
	rec := make([]byte, h+len(key)+len(payload))
	copy(rec, hdr[:h])
	copy(rec[h:], key)
	copy(rec[h+len(key):], payload)
	v.ptr = unsafe.Pointer(unsafe.SliceData(rec))
	v.meta |= uint32(flagStored) << metaFlagShift
	return v
}

// recordKeyLen decodes a string record's key length and the size of its
// uvarint header.
func recordKeyLen(p unsafe.Pointer) (klen, hdr int) {
	var shift uint
	for {
		b := *(*byte)(unsafe.Add(p, hdr))
		hdr++
		klen |= int(b&0x7f) << shift
		if b < 0x80 {
			return klen, hdr
		}
		shift += 7
	}
}

// recordHeader returns a stored string's key length and the size of its
// record's header, the generation included.
func (v Value) recordHeader() (klen, hdr int) {
	klen, hdr = recordKeyLen(v.ptr)
	if v.meta>>metaFlagShift&uint32(flagGen) != 0 {
		hdr += 4
	}
	return klen, hdr
}

// Gen returns the generation a stored value was written under (see
// Generations); 0 for a value not stored.
func (v Value) Gen() uint32 {
	switch {
	case !v.stored():
		return 0
	case v.Kind() != KindString:
		return v.n
	case v.meta>>metaFlagShift&uint32(flagGen) == 0:
		return 0
	}
	_, hdr := recordKeyLen(v.ptr)
	return binary.LittleEndian.Uint32(unsafe.Slice((*byte)(unsafe.Add(v.ptr, hdr)), 4))
}

// key returns a stored value's key, viewing its record.
func (v Value) key() string {
	if v.Kind() != KindString {
		return (*objectRecord)(v.ptr).key
	}
	klen, hdr := v.recordHeader()
	return unsafe.String((*byte)(unsafe.Add(v.ptr, hdr)), klen)
}

// recordSize is what a stored value's record costs.
func recordSize(v Value) int64 {
	if v.Kind() != KindString {
		return int64(allocSize(int(unsafe.Sizeof(objectRecord{})))+allocSize(len(v.key()))) + (*objectRecord)(v.ptr).size
	}
	klen, hdr := v.recordHeader()
	return int64(allocSize(hdr + klen + int(v.n)))
}
