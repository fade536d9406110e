package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Load checks payload's footer as Redis's RESTORE does (ErrChecksum) and
// decodes its value (ErrFormat when it does not decode, or is empty: Redis
// refuses empty collections too). The Object's slices may view payload.
func Load(payload []byte) (*Object, error) {
	if _, err := body(payload); err != nil {
		return nil, err
	}
	// Redis reads the value from its buffer of the whole payload, footer
	// included: a value cut short reads on into the footer.
	r := &reader{b: payload}
	o := &Object{Type: Type(r.byte())}
	switch o.Type.Kind() {
	case KindString:
		o.String = r.string()
	case KindList:
		o.List = r.list(o.Type)
	case KindSet:
		o.Set = r.set(o.Type)
	case KindZSet:
		o.ZSet = r.zset(o.Type)
	case KindHash:
		o.Hash = r.hash(o.Type)
	case KindStream:
		o.Stream = r.stream(o.Type)
	default:
		r.fail()
	}
	if r.bad {
		return nil, ErrFormat
	}
	return o, nil
}

// reader reads a payload's body. The first failure sticks: later reads
// return zero values, and Load reports ErrFormat.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) fail() { r.bad, r.b = true, nil }

// check fails the reader unless ok, and reports ok.
func (r *reader) check(ok bool) bool {
	if !ok {
		r.fail()
	}
	return ok
}

func (r *reader) next(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.fail()
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) byte() byte {
	if p := r.next(1); p != nil {
		return p[0]
	}
	return 0
}

// lengthOrEnc reads a length, or the number of a special string encoding
// (enc true) when its first two bits are 11.
func (r *reader) lengthOrEnc() (n uint64, enc bool) {
	c := r.byte()
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3F), false
	case 1:
		return uint64(c&0x3F)<<8 | uint64(r.byte()), false
	case 3:
		return uint64(c & 0x3F), true
	}
	switch c {
	case 0x80:
		if p := r.next(4); p != nil {
			return uint64(binary.BigEndian.Uint32(p)), false
		}
	case 0x81:
		if p := r.next(8); p != nil {
			return binary.BigEndian.Uint64(p), false
		}
	default:
		r.fail()
	}
	return 0, false
}

// length reads a length. As Redis's rdbLoadLen, it reads the byte of a
// special string encoding as a length of its low six bits.
func (r *reader) length() uint64 {
	n, _ := r.lengthOrEnc()
	return n
}

// count reads the number of items that follow, each taking at least
// minBytes: a count the rest cannot hold fails at once, so a corrupt
// count allocates nothing.
func (r *reader) count(minBytes int) int {
	n := r.length()
	if n > uint64(len(r.b)/minBytes) {
		r.fail()
		return 0
	}
	return int(n)
}

// lzfMaxRatio bounds how much LZF expands: a 3-byte reference yields at
// most 264 bytes.
const lzfMaxRatio = 88

// string reads a string in any of its encodings.
func (r *reader) string() []byte {
	n, enc := r.lengthOrEnc()
	if !enc {
		if n > uint64(len(r.b)) {
			r.fail()
			return nil
		}
		return r.next(int(n))
	}
	switch n {
	case encInt8:
		return strconv.AppendInt(nil, int64(int8(r.byte())), 10)
	case encInt16:
		if p := r.next(2); p != nil {
			return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(p))), 10)
		}
	case encInt32:
		if p := r.next(4); p != nil {
			return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(p))), 10)
		}
	case encLZF:
		clen, ulen := r.length(), r.length()
		if r.bad || clen > uint64(len(r.b)) || ulen > clen*lzfMaxRatio {
			r.fail()
			return nil
		}
		out, err := lzfDecompress(nil, r.next(int(clen)), int(ulen))
		if r.check(err == nil) {
			return out
		}
	default:
		r.fail()
	}
	return nil
}

// list reads a list of any of its encodings.
func (r *reader) list(t Type) [][]byte {
	var out [][]byte
	switch t {
	case TypeList:
		n := r.count(1)
		for i := 0; i < n && !r.bad; i++ {
			out = append(out, r.string())
		}
	case TypeListZiplist:
		out = r.ziplist()
	case TypeListQuicklist, TypeListQuicklist2:
		nodes := r.count(2)
		for i := 0; i < nodes && !r.bad; i++ {
			container := uint64(quicklistPacked)
			if t == TypeListQuicklist2 {
				container = r.length()
			}
			blob := r.string()
			switch {
			case r.bad || len(blob) == 0:
				r.fail()
			case container == quicklistPlain:
				out = append(out, blob)
			case container != quicklistPacked:
				r.fail()
			case t == TypeListQuicklist:
				zl, err := readZiplist(blob)
				r.check(err == nil)
				out = append(out, zl...)
			default:
				lp, err := readListpack(blob)
				r.check(err == nil)
				for _, e := range lp {
					out = append(out, e.text())
				}
			}
		}
	}
	r.check(len(out) > 0)
	return out
}

// ziplist reads a string holding a ziplist and returns its entries.
func (r *reader) ziplist() [][]byte {
	blob := r.string()
	if r.bad {
		return nil
	}
	out, err := readZiplist(blob)
	r.check(err == nil)
	return out
}

// pairs reads a string holding a ziplist, zipmap or listpack of pairs.
func (r *reader) pairs(t Type) [][]byte {
	blob := r.string()
	if r.bad {
		return nil
	}
	var out [][]byte
	var err error
	switch t {
	case TypeHashZipmap:
		out, err = readZipmap(blob)
	case TypeZSetZiplist, TypeHashZiplist:
		out, err = readZiplist(blob)
	default:
		var lp []lpEntry
		lp, err = readListpack(blob)
		for _, e := range lp {
			out = append(out, e.text())
		}
	}
	r.check(err == nil && len(out) > 0 && len(out)%2 == 0)
	return out
}

// set reads a set of either encoding; a member twice fails.
func (r *reader) set(t Type) [][]byte {
	var out [][]byte
	if t == TypeSetIntset {
		blob := r.string()
		if r.bad {
			return nil
		}
		var err error
		out, err = readIntset(blob)
		r.check(err == nil)
		return out
	}
	n := r.count(1)
	seen := make(map[string]struct{}, n)
	for i := 0; i < n && !r.bad; i++ {
		m := r.string()
		if _, dup := seen[string(m)]; !r.check(!dup) {
			break
		}
		seen[string(m)] = struct{}{}
		out = append(out, m)
	}
	r.check(len(out) > 0)
	return out
}

// zset reads a sorted set of any encoding; a member twice or a score that
// is not a number fails.
func (r *reader) zset(t Type) []ZMember {
	var out []ZMember
	switch t {
	case TypeZSet, TypeZSet2:
		n := r.count(2)
		for i := 0; i < n && !r.bad; i++ {
			m := ZMember{Member: r.string()}
			if t == TypeZSet2 {
				if p := r.next(8); p != nil {
					m.Score = math.Float64frombits(binary.LittleEndian.Uint64(p))
				}
			} else {
				m.Score = r.textScore()
			}
			out = append(out, m)
		}
	default:
		p := r.pairs(t)
		for i := 0; i+1 < len(p) && !r.bad; i += 2 {
			f, err := strconv.ParseFloat(string(p[i+1]), 64)
			r.check(err == nil || isRangeErr(err))
			out = append(out, ZMember{Member: p[i], Score: f})
		}
	}
	seen := make(map[string]struct{}, len(out))
	for _, m := range out {
		if _, dup := seen[string(m.Member)]; !r.check(!dup && !math.IsNaN(m.Score)) {
			break
		}
		seen[string(m.Member)] = struct{}{}
	}
	r.check(len(out) > 0)
	return out
}

// isRangeErr reports whether a ParseFloat error is only that the number
// is out of range (it then returns ±Inf or 0, as strtod does).
func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// textScore reads a score of the RDB 7 sorted sets, written as text
// behind a length byte (253 NaN, 254 +Inf, 255 -Inf).
func (r *reader) textScore() float64 {
	switch n := r.byte(); n {
	case 253:
		return math.NaN()
	case 254:
		return math.Inf(1)
	case 255:
		return math.Inf(-1)
	default:
		f, err := strconv.ParseFloat(string(r.next(int(n))), 64)
		r.check(err == nil || isRangeErr(err))
		return f
	}
}

// hash reads a hash of any encoding; a field twice fails.
func (r *reader) hash(t Type) []HashField {
	var out []HashField
	if t == TypeHash {
		n := r.count(2)
		for i := 0; i < n && !r.bad; i++ {
			out = append(out, HashField{Field: r.string(), Value: r.string()})
		}
	} else {
		p := r.pairs(t)
		for i := 0; i+1 < len(p); i += 2 {
			out = append(out, HashField{Field: p[i], Value: p[i+1]})
		}
	}
	seen := make(map[string]struct{}, len(out))
	for _, f := range out {
		if _, dup := seen[string(f.Field)]; !r.check(!dup) {
			break
		}
		seen[string(f.Field)] = struct{}{}
	}
	r.check(len(out) > 0)
	return out
}
