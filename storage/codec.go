package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// An entry is a key's value as the disk tier keeps it, in the bbolt file
// and in log records:
//
//	version u8 | kind u8 | flags u8 | expiry i64 (unix ms, 0: none)
//	| atime u32 (unix s) [| generation u32, version 2] | tag count uvarint
//	| tags (uvarint length, bytes) | payload
//
// A string's payload is its bytes as stored in memory (compressed when
// FlagCompressed is set); other kinds encode theirs with their KindCodec.
// The expiry is absolute, so a key read back after a restart has the TTL
// it had left; atime is when the disk tier last saw the key used, for
// max-disk-size eviction. A value of generation 0 is written as version
// 1, without the generation (see Generations), so files stay as they were
// for namespaces never invalidated.
const (
	entryVersion    = 1
	entryVersionGen = 2
	entryFixed      = 3 + 8 + 4
)

// errBadEntry means an entry read from the disk tier does not decode.
var errBadEntry = errors.New("storage: corrupt disk tier entry")

// KindCodec persists values of one kind other than strings through the
// disk tier. Register one with RegisterKindCodec from the kind's init; a
// value of a kind without one is kept in memory only, and logged.
type KindCodec struct {
	// Append appends v's encoding to dst. It is called with v's key locked.
	Append func(dst []byte, v Value) []byte
	// Decode returns the value b encodes (b is not retained) or an error.
	Decode func(b []byte) (Value, error)
}

var kindCodecs [16]*KindCodec

// RegisterKindCodec makes values of kind k persist through c. Call it from
// an init function; registering a kind twice is a programming error.
func RegisterKindCodec(k Kind, c KindCodec) {
	if k == KindString || kindCodecs[k] != nil {
		panic(fmt.Sprintf("storage: codec for %v registered twice", k))
	}
	kindCodecs[k] = &c
}

// entry is a decoded disk entry; payload and tags view the bytes decoded.
type entry struct {
	kind    Kind
	flags   uint8
	exp     int64
	atime   uint32
	gen     uint32
	tags    []string
	payload []byte
}

// appendEntry appends the entry of v with tags to dst. It fails for a kind
// without a codec.
func appendEntry(dst []byte, v Value, tags []string, atime uint32) ([]byte, error) {
	k := v.Kind()
	if k != KindString && kindCodecs[k] == nil {
		return dst, fmt.Errorf("storage: no disk codec for %v values", k)
	}
	version := byte(entryVersion)
	if v.Gen() != 0 {
		version = entryVersionGen
	}
	dst = append(dst, version, byte(k), v.Flags())
	dst = binary.LittleEndian.AppendUint64(dst, uint64(v.exp))
	dst = binary.LittleEndian.AppendUint32(dst, atime)
	if version == entryVersionGen {
		dst = binary.LittleEndian.AppendUint32(dst, v.Gen())
	}
	dst = binary.AppendUvarint(dst, uint64(len(tags)))
	for _, t := range tags {
		dst = binary.AppendUvarint(dst, uint64(len(t)))
		dst = append(dst, t...)
	}
	if k == KindString {
		return append(dst, v.Bytes()...), nil
	}
	return kindCodecs[k].Append(dst, v), nil
}

// parseEntry decodes b, which it views.
func parseEntry(b []byte) (entry, error) {
	if len(b) < entryFixed || b[0] != entryVersion && b[0] != entryVersionGen || Kind(b[1]) > 15 {
		return entry{}, errBadEntry
	}
	e := entry{
		kind:  Kind(b[1]),
		flags: b[2],
		exp:   int64(binary.LittleEndian.Uint64(b[3:])),
		atime: binary.LittleEndian.Uint32(b[11:]),
	}
	if b[0] == entryVersionGen {
		if len(b) < entryFixed+4 {
			return entry{}, errBadEntry
		}
		e.gen = binary.LittleEndian.Uint32(b[entryFixed:])
		b = b[4:]
	}
	b = b[entryFixed:]
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return entry{}, errBadEntry
	}
	b = b[w:]
	if n > 0 {
		e.tags = make([]string, n)
	}
	for i := range e.tags {
		l, w := binary.Uvarint(b)
		if w <= 0 || l > uint64(len(b)-w) {
			return entry{}, errBadEntry
		}
		e.tags[i] = string(b[w : w+int(l)])
		b = b[w+int(l):]
	}
	e.payload = b
	return e, nil
}

// value returns the entry's value; a string views the payload (DB.Set
// copies it).
func (e entry) value() (Value, error) {
	var v Value
	if e.kind == KindString {
		v = StringValue(e.payload)
	} else {
		c := kindCodecs[e.kind]
		if c == nil {
			return Value{}, fmt.Errorf("%w: no codec for %v", errBadEntry, e.kind)
		}
		var err error
		if v, err = c.Decode(e.payload); err != nil {
			return Value{}, fmt.Errorf("%w: %w", errBadEntry, err)
		}
	}
	return v.WithFlags(e.flags).WithExpireAt(e.exp), nil
}

// entryExpired reports whether the entry b has expired at now (unix ms)
// without decoding it all.
func entryExpired(b []byte, now int64) bool {
	if len(b) < entryFixed {
		return false
	}
	exp := int64(binary.LittleEndian.Uint64(b[3:]))
	return expiredAt(exp, now)
}

// entryGen returns the entry b's generation without decoding it all.
func entryGen(b []byte) uint32 {
	if len(b) < entryFixed+4 || b[0] != entryVersionGen {
		return 0
	}
	return binary.LittleEndian.Uint32(b[entryFixed:])
}

// entryAtime returns the entry b's access time (unix s).
func entryAtime(b []byte) uint32 {
	if len(b) < entryFixed {
		return 0
	}
	return binary.LittleEndian.Uint32(b[11:])
}

// withAtime returns a copy of entry b with its access time set.
func withAtime(b []byte, atime uint32) []byte {
	c := append([]byte(nil), b...)
	if len(c) >= entryFixed {
		binary.LittleEndian.PutUint32(c[11:], atime)
	}
	return c
}
