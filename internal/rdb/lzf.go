package rdb

import "sync"

// LZF as Redis's lzf_c.c and lzf_d.c (liblzf 3.6, HLOG 16, VERY_FAST),
// so that what Dump compresses is what Redis would write. Compressed data
// is a sequence of
//
//	000LLLLL <L+1 literal bytes>
//	LLLooooo oooooooo             a back reference of L+2 bytes, o+1 back
//	111ooooo LLLLLLLL oooooooo    a back reference of L+9 bytes
const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = (1 << 8) + (1 << 3)
)

// lzfTable is the compressor's hash table: the last input offset seen for
// each hash of three bytes. Redis leaves its table uninitialized; an
// offset of 0 is never a usable reference, so an empty slot reads 0. A
// slot is valid only under the table's current generation, which spares
// clearing 64K slots for every small string.
type lzfTable struct {
	gen   uint32
	slots [lzfHSize]uint64 // generation << 32 | offset
}

var lzfTables = sync.Pool{New: func() any { return new(lzfTable) }}

func (t *lzfTable) get(h uint32) int {
	if s := t.slots[h]; uint32(s>>32) == t.gen {
		return int(uint32(s))
	}
	return 0
}

func (t *lzfTable) set(h uint32, off int) { t.slots[h] = uint64(t.gen)<<32 | uint64(uint32(off)) }

func lzfIndex(h uint32) uint32 { return ((h >> (3*8 - lzfHLog)) - h*5) & (lzfHSize - 1) }

// lzfCompress appends in, compressed, to dst when that takes at most
// limit bytes; otherwise it returns nil, as lzf_compress returns 0.
func lzfCompress(dst, in []byte, limit int) []byte {
	if len(in) < 3 || limit <= 0 {
		return nil // Redis compresses only strings of more than 20 bytes
	}
	t := lzfTables.Get().(*lzfTable)
	defer lzfTables.Put(t)
	if t.gen++; t.gen == 0 { // wrapped: stale slots could look current
		t.slots = [lzfHSize]uint64{}
		t.gen = 1
	}
	base := len(dst)
	dst = append(dst, make([]byte, limit)...)
	out := dst[base:]
	ip, op, lit := 0, 1, 0 // op starts past the first run's length byte
	end := len(in)
	hval := uint32(in[0])<<8 | uint32(in[1])
	for ip < end-2 {
		hval = hval<<8 | uint32(in[ip+2])
		h := lzfIndex(hval)
		ref := t.get(h)
		t.set(h, ip)
		off := ip - ref - 1
		if ref < ip && off < lzfMaxOff && ref > 0 &&
			in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			n := 2
			maxlen := min(end-ip-n, lzfMaxRef)
			if op+3+1 >= limit {
				if op-b2i(lit == 0)+3+1 >= limit {
					return nil
				}
			}
			out[op-lit-1] = byte(lit - 1)            // stop the run
			op -= b2i(lit == 0)                      // drop it when empty
			n = matchLen(in, ref, ip, n, maxlen) - 2 // a reference copies n+2 bytes
			ip++
			if n < 7 {
				out[op] = byte(off>>8 + n<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(n - 7)
				op += 2
			}
			out[op] = byte(off)
			op += 2 // and start a run
			lit = 0
			ip += n + 1
			if ip >= end-2 {
				break
			}
			// Hash the last two positions of the match, as VERY_FAST does.
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = hval<<8 | uint32(in[ip+2])
			t.set(lzfIndex(hval), ip)
			ip++
			hval = hval<<8 | uint32(in[ip+2])
			t.set(lzfIndex(hval), ip)
			ip++
			continue
		}
		if op >= limit {
			return nil
		}
		out[op] = in[ip]
		op++
		ip++
		if lit++; lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	if op+3 > limit {
		return nil
	}
	for ip < end {
		out[op] = in[ip]
		op++
		ip++
		if lit++; lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1)
	op -= b2i(lit == 0)
	return dst[:base+op]
}

// matchLen extends a match of n bytes at ref and ip as lzf_compress does,
// up to maxlen (its unrolled first sixteen steps may pass maxlen by two,
// within the input, and so may the result).
func matchLen(in []byte, ref, ip, n, maxlen int) int {
	if maxlen > 16 {
		for k := 0; k < 16; k++ {
			if n++; in[ref+n] != in[ip+n] {
				return n
			}
		}
	}
	for {
		if n++; n >= maxlen || in[ref+n] != in[ip+n] {
			return n
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lzfDecompress appends the n bytes in decompresses to to dst; it fails
// when in does not decompress to exactly n bytes.
func lzfDecompress(dst, in []byte, n int) ([]byte, error) {
	base := len(dst)
	dst = append(dst, make([]byte, n)...)
	out := dst[base:]
	ip, op := 0, 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 { // a literal run
			ctrl++
			if op+ctrl > n || ip+ctrl > len(in) {
				return nil, ErrFormat
			}
			copy(out[op:], in[ip:ip+ctrl])
			op += ctrl
			ip += ctrl
			continue
		}
		length := ctrl >> 5
		ref := op - (ctrl&0x1f)<<8 - 1
		if ip >= len(in) {
			return nil, ErrFormat
		}
		if length == 7 {
			length += int(in[ip])
			ip++
			if ip >= len(in) {
				return nil, ErrFormat
			}
		}
		ref -= int(in[ip])
		ip++
		if op+length+2 > n || ref < 0 {
			return nil, ErrFormat
		}
		// Byte by byte: a reference may overlap what it produces.
		for k := 0; k < length+2; k++ {
			out[op] = out[ref]
			op++
			ref++
		}
	}
	if op != n {
		return nil, ErrFormat
	}
	return dst[:base+n], nil
}
