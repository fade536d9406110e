package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Listpacks, as Redis's listpack.c: a 6-byte header (total bytes, element
// count or 65535 when unknown), elements, and an end byte. An element is
// its encoding, its data, and its back length: the size of the two,
// written so that it reads backwards.
const (
	lpHeaderSize    = 6
	lpEnd           = 0xFF
	lpUnknownLength = 65535
)

// listpack builds a listpack.
type listpack struct {
	b []byte // the header (filled in by bytes) and the elements
	n int
}

// size is the listpack's total size so far, the end byte included.
func (lp *listpack) size() int {
	if lp.b == nil {
		return lpHeaderSize + 1
	}
	return len(lp.b) + 1
}

func (lp *listpack) start() {
	if lp.b == nil {
		lp.b = make([]byte, lpHeaderSize, 64)
	}
}

// append adds s as lpAppend does: as an integer when it is one in
// canonical form, else as a string.
func (lp *listpack) append(s []byte) {
	if v, ok := canonicalInt(s); ok {
		lp.appendInt(v)
		return
	}
	lp.start()
	at := len(lp.b)
	switch n := len(s); {
	case n < 64:
		lp.b = append(lp.b, 0x80|byte(n))
	case n < 4096:
		lp.b = append(lp.b, 0xE0|byte(n>>8), byte(n))
	default:
		lp.b = binary.LittleEndian.AppendUint32(append(lp.b, 0xF0), uint32(n))
	}
	lp.b = append(lp.b, s...)
	lp.finishElement(at)
}

// appendInt adds v in the smallest integer encoding.
func (lp *listpack) appendInt(v int64) {
	lp.start()
	at := len(lp.b)
	switch {
	case v >= 0 && v <= 127:
		lp.b = append(lp.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & (1<<13 - 1)
		lp.b = append(lp.b, 0xC0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		lp.b = binary.LittleEndian.AppendUint16(append(lp.b, 0xF1), uint16(v))
	case v >= -1<<23 && v <= 1<<23-1:
		lp.b = append(lp.b, 0xF2, byte(v), byte(v>>8), byte(v>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		lp.b = binary.LittleEndian.AppendUint32(append(lp.b, 0xF3), uint32(v))
	default:
		lp.b = binary.LittleEndian.AppendUint64(append(lp.b, 0xF4), uint64(v))
	}
	lp.finishElement(at)
}

// appendScore adds a sorted set's score as Redis 7.0's zzlInsertAt does:
// an integral score within ±2^62 as an integer (-0 as 0), another as
// "%.17g" text (or "inf", "-inf").
func (lp *listpack) appendScore(f float64) {
	if f >= -(1<<62) && f <= 1<<62 && f == math.Trunc(f) {
		lp.appendInt(int64(f))
		return
	}
	lp.append(formatScore(f))
}

// formatScore writes a score that is not an integer as Redis's d2string.
func formatScore(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	}
	return strconv.AppendFloat(nil, f, 'g', 17, 64)
}

// finishElement appends the back length of the element that starts at.
func (lp *listpack) finishElement(at int) {
	lp.b = appendBacklen(lp.b, len(lp.b)-at)
	lp.n++
}

// appendBacklen appends the back length of an element of l bytes: 7 bits
// a byte, most significant first, every byte but the first flagged.
func appendBacklen(b []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(b, byte(l))
	case l < 16383:
		return append(b, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(b, byte(l>>14), byte(l>>7&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(b, byte(l>>21), byte(l>>14&127)|128, byte(l>>7&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte(l>>21&127)|128, byte(l>>14&127)|128, byte(l>>7&127)|128, byte(l&127)|128)
}

// bytes returns the finished listpack.
func (lp *listpack) bytes() []byte {
	lp.start()
	b := append(lp.b, lpEnd)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint16(b[4:], uint16(min(lp.n, lpUnknownLength)))
	return b
}

// lpEntry is a decoded element: an integer, or a string viewing its
// listpack.
type lpEntry struct {
	s     []byte
	v     int64
	isInt bool
}

// text returns the element as a string (an integer in decimal).
func (e lpEntry) text() []byte {
	if e.isInt {
		return strconv.AppendInt(nil, e.v, 10)
	}
	return e.s
}

// readListpack decodes a listpack whole, checking it as Redis's deep
// lpValidateIntegrity does: header, every element and back length within
// bounds, the count, and the end byte last.
func readListpack(b []byte) ([]lpEntry, error) {
	if len(b) < lpHeaderSize+1 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != lpEnd {
		return nil, ErrFormat
	}
	count := int(binary.LittleEndian.Uint16(b[4:]))
	var out []lpEntry
	pos := lpHeaderSize
	for b[pos] != lpEnd {
		e, size, ok := lpElement(b[pos : len(b)-1])
		if !ok {
			return nil, ErrFormat
		}
		back := appendBacklen(nil, size)
		if pos+size+len(back) > len(b)-1 || string(b[pos+size:pos+size+len(back)]) != string(back) {
			return nil, ErrFormat
		}
		out = append(out, e)
		pos += size + len(back)
	}
	if pos != len(b)-1 || count != lpUnknownLength && count != len(out) {
		return nil, ErrFormat
	}
	return out, nil
}

// lpElement decodes the element at the start of b, returning it and the
// size of its encoding and data.
func lpElement(b []byte) (lpEntry, int, bool) {
	c := b[0]
	str := func(hdr, n int) (lpEntry, int, bool) {
		if n < 0 || hdr+n > len(b) {
			return lpEntry{}, 0, false
		}
		return lpEntry{s: b[hdr : hdr+n]}, hdr + n, true
	}
	num := func(size int, v int64) (lpEntry, int, bool) { return lpEntry{v: v, isInt: true}, size, true }
	need := func(n int) bool { return len(b) >= n }
	switch {
	case c&0x80 == 0:
		return num(1, int64(c))
	case c&0xC0 == 0x80:
		return str(1, int(c&0x3F))
	case c&0xE0 == 0xC0:
		if !need(2) {
			return lpEntry{}, 0, false
		}
		return num(2, signExtend(uint64(c&0x1F)<<8|uint64(b[1]), 13))
	case c&0xF0 == 0xE0:
		if !need(2) {
			return lpEntry{}, 0, false
		}
		return str(2, int(c&0x0F)<<8|int(b[1]))
	case c == 0xF0:
		if !need(5) {
			return lpEntry{}, 0, false
		}
		return str(5, int(binary.LittleEndian.Uint32(b[1:])))
	case c == 0xF1 && need(3):
		return num(3, int64(int16(binary.LittleEndian.Uint16(b[1:]))))
	case c == 0xF2 && need(4):
		return num(4, signExtend(uint64(b[1])|uint64(b[2])<<8|uint64(b[3])<<16, 24))
	case c == 0xF3 && need(5):
		return num(5, int64(int32(binary.LittleEndian.Uint32(b[1:]))))
	case c == 0xF4 && need(9):
		return num(9, int64(binary.LittleEndian.Uint64(b[1:])))
	}
	return lpEntry{}, 0, false
}

// signExtend reads the low bits of u as a two's complement integer.
func signExtend(u uint64, bits uint) int64 {
	return int64(u<<(64-bits)) >> (64 - bits)
}
