package rdb

import (
	"encoding/binary"
	"strconv"
)

// The encodings older Redis versions wrote and 7.0 still loads:
// ziplists, zipmaps, and intsets (which 7.0 also writes).

// ziplistHeaderSize is a ziplist's header: total bytes, the offset of
// the last entry, and the entry count (65535 when unknown).
const ziplistHeaderSize = 10

// readZiplist decodes a ziplist, checking it as Redis's deep
// ziplistValidateIntegrity does: every entry's previous length, encoding
// and data within bounds, the tail offset, the count, and the end byte.
func readZiplist(b []byte) ([][]byte, error) {
	if len(b) < ziplistHeaderSize+1 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0xFF {
		return nil, ErrFormat
	}
	tail := int(binary.LittleEndian.Uint32(b[4:]))
	count := int(binary.LittleEndian.Uint16(b[8:]))
	var out [][]byte
	pos, prev, last := ziplistHeaderSize, 0, ziplistHeaderSize
	end := len(b) - 1
	for pos < end && b[pos] != 0xFF {
		start := pos
		prevLen := int(b[pos])
		pos++
		if prevLen == 254 {
			if pos+4 > end {
				return nil, ErrFormat
			}
			prevLen = int(binary.LittleEndian.Uint32(b[pos:]))
			pos += 4
		}
		if prevLen != prev || pos >= end {
			return nil, ErrFormat
		}
		v, size, ok := ziplistValue(b[pos:end])
		if !ok {
			return nil, ErrFormat
		}
		out = append(out, v)
		pos += size
		prev, last = pos-start, start
	}
	if pos != end || tail != last || count != 65535 && count != len(out) {
		return nil, ErrFormat
	}
	return out, nil
}

// ziplistValue decodes the encoding and data of the entry at the start of
// b, returning the value (an integer in decimal) and their size.
func ziplistValue(b []byte) ([]byte, int, bool) {
	c := b[0]
	str := func(hdr, n int) ([]byte, int, bool) {
		if n < 0 || hdr+n > len(b) {
			return nil, 0, false
		}
		return b[hdr : hdr+n], hdr + n, true
	}
	num := func(size int, v int64) ([]byte, int, bool) {
		if size > len(b) {
			return nil, 0, false
		}
		return strconv.AppendInt(nil, v, 10), size, true
	}
	switch {
	case c>>6 == 0:
		return str(1, int(c&0x3F))
	case c>>6 == 1:
		if len(b) < 2 {
			return nil, 0, false
		}
		return str(2, int(c&0x3F)<<8|int(b[1]))
	case c == 0x80:
		if len(b) < 5 {
			return nil, 0, false
		}
		return str(5, int(binary.BigEndian.Uint32(b[1:])))
	case c >= 0xF1 && c <= 0xFD:
		return num(1, int64(c&0x0F)-1)
	}
	var size int // the integer encodings': the byte and the data
	switch c {
	case 0xC0:
		size = 3
	case 0xD0:
		size = 5
	case 0xE0:
		size = 9
	case 0xF0:
		size = 4
	case 0xFE:
		size = 2
	}
	if size == 0 || size > len(b) {
		return nil, 0, false
	}
	d := b[1:size]
	switch c {
	case 0xC0:
		return num(size, int64(int16(binary.LittleEndian.Uint16(d))))
	case 0xD0:
		return num(size, int64(int32(binary.LittleEndian.Uint32(d))))
	case 0xE0:
		return num(size, int64(binary.LittleEndian.Uint64(d)))
	case 0xF0:
		return num(size, signExtend(uint64(d[0])|uint64(d[1])<<8|uint64(d[2])<<16, 24))
	}
	return num(size, int64(int8(d[0])))
}

// readZipmap decodes a zipmap (Redis before 2.6 kept small hashes so): a
// count byte, then per pair a length, the field, a length, a free byte,
// the value and that many free bytes; 0xFF ends it. A length is a byte,
// or 254 and four bytes.
func readZipmap(b []byte) ([][]byte, error) {
	if len(b) < 2 || b[len(b)-1] != 0xFF {
		return nil, ErrFormat
	}
	end := len(b) - 1
	pos := 1
	length := func() (int, bool) {
		if pos >= end {
			return 0, false
		}
		if n := b[pos]; n < 254 {
			pos++
			return int(n), true
		}
		if pos+5 > end {
			return 0, false
		}
		n := int(binary.LittleEndian.Uint32(b[pos+1:]))
		pos += 5
		return n, true
	}
	var out [][]byte
	for pos < end && b[pos] != 0xFF {
		fl, ok := length()
		if !ok || fl > end-pos {
			return nil, ErrFormat
		}
		field := b[pos : pos+fl]
		pos += fl
		vl, ok := length()
		if !ok || pos >= end {
			return nil, ErrFormat
		}
		free := int(b[pos])
		pos++
		if vl > end-pos || free > end-pos-vl {
			return nil, ErrFormat
		}
		out = append(out, field, b[pos:pos+vl])
		pos += vl + free
	}
	if pos != end || len(out) == 0 || b[0] != 254 && int(b[0]) != len(out)/2 {
		return nil, ErrFormat
	}
	return out, nil
}

// readIntset decodes an intset: its width (2, 4 or 8 bytes), its count,
// and that many integers, ascending; Redis's deep check refuses one that
// is empty or not strictly ascending.
func readIntset(b []byte) ([][]byte, error) {
	if len(b) < 8 {
		return nil, ErrFormat
	}
	width := int(binary.LittleEndian.Uint32(b))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if width != 2 && width != 4 && width != 8 || n == 0 || (len(b)-8)/width != n || (len(b)-8)%width != 0 {
		return nil, ErrFormat
	}
	out := make([][]byte, n)
	var prev int64
	for i := range out {
		d := b[8+i*width:]
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(d)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(d)))
		default:
			v = int64(binary.LittleEndian.Uint64(d))
		}
		if i > 0 && v <= prev {
			return nil, ErrFormat
		}
		out[i], prev = strconv.AppendInt(nil, v, 10), v
	}
	return out, nil
}
