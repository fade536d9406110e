package storage

import (
	"strconv"
	"unsafe"
)

// Kind is the type of value a key holds.
type Kind uint8

// The kinds of value. Only strings exist today; the other kinds reserve their
// numbers so that the disk codec stays stable when they land.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
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
	}
	return "none"
}

// Value flags.
const (
	// FlagRaw marks a string modified in place (APPEND, SETRANGE); OBJECT
	// ENCODING then reports "raw" as Redis does.
	FlagRaw uint8 = 1 << iota
	// FlagCompressed marks a string payload stored compressed.
	FlagCompressed
)

// Value is what a key holds. It is stored inline in the LRU entry, so it is
// kept to 24 bytes: with the entry's own fields that fills one 96-byte
// allocation size class, the smallest an entry can take.
//
// A Value is immutable once stored except through DB methods; a string's
// bytes returned by Bytes must not be modified or retained past the lock
// under which they were read.
type Value struct {
	ptr  unsafe.Pointer // string: first payload byte; other kinds: the object
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

// StringValue returns a string value holding b. The Value takes ownership of
// b: the caller must not modify it afterwards.
func StringValue(b []byte) Value {
	v := Value{n: uint32(len(b)), meta: uint32(KindString)<<metaKindShift | lfuInitial<<metaLFUShift}
	if len(b) > 0 {
		v.ptr = unsafe.Pointer(unsafe.SliceData(b))
	}
	return v
}

// ObjectValue returns a value of kind k holding obj.
func ObjectValue[T any](k Kind, obj *T) Value {
	return Value{ptr: unsafe.Pointer(obj), meta: uint32(k)<<metaKindShift | lfuInitial<<metaLFUShift}
}

// Object returns the object of a non-string value. T must be the type the
// value was made with.
func Object[T any](v Value) *T { return (*T)(v.ptr) }

// Kind returns the kind of value.
func (v Value) Kind() Kind { return Kind(v.meta >> metaKindShift) }

// Flags returns the value's flags.
func (v Value) Flags() uint8 { return uint8(v.meta >> metaFlagShift & 0xf) }

// WithFlags returns v with flags f set.
func (v Value) WithFlags(f uint8) Value {
	v.meta |= uint32(f&0xf) << metaFlagShift
	return v
}

// Bytes returns a string value's payload. It is only valid while the lock it
// was read under is held, and must not be modified.
func (v Value) Bytes() []byte {
	if v.ptr == nil || v.Kind() != KindString {
		return nil
	}
	return unsafe.Slice((*byte)(v.ptr), v.n)
}

// Len returns a string value's payload length.
func (v Value) Len() int { return int(v.n) }

// ExpireAt returns the absolute expiry in unix milliseconds, 0 when none.
func (v Value) ExpireAt() int64 { return v.exp }

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

// MaxStringBytes is the largest string a value may hold (Redis's
// proto-max-bulk-len default).
const MaxStringBytes = maxStringBytes
