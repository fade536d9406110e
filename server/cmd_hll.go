package server

// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
// https://redis.io/commands/?group=hyperloglog
//
// A HyperLogLog is an ordinary string holding Redis 7.0's representation
// (hyperloglog.c) byte for byte, so one copied between Redis and Strata
// with GET and SET counts the same in both:
//
//   - a 16-byte header: "HYLL", the encoding (0 dense, 1 sparse), three
//     zero bytes, and the last cardinality computed, 8 bytes little endian,
//     stale when its top bit is set;
//   - 16384 registers, each the longest run of zero bits (plus one) seen
//     in the hashes (MurmurHash64A, seed 0xadc83b19) of the elements whose
//     low 14 bits name it. Dense, they are 6 bits each, least significant
//     first. Sparse, they are run-length coded: ZERO (00xxxxxx, 1 to 64
//     zero registers), XZERO (01xxxxxx yyyyyyyy, 1 to 16384) and VAL
//     (1vvvvvxx, 1 to 4 registers of value 1 to 32).
//
// A new HyperLogLog is sparse. It turns dense when a register needs more
// than 32, or its string would grow past hll-sparse-max-bytes. The
// estimate is Ertl's ("New cardinality estimation algorithms for
// HyperLogLog sketches", arXiv:1702.01284), as Redis 7's hllCount, in the
// same floating-point operations so that the counts agree to the unit.
// The sparse edits follow hllSparseSet step by step, because the bytes
// they leave depend on the order of the edits.

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/storage"
)

func registerHLLCommands(t commandTable) {
	const grow = flagWrite | flagDenyOOM
	t.add(
		&command{name: "pfadd", handler: cmdPfadd, arity: -2, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		// PFCOUNT stores the count it caches: a read that writes (Redis's
		// may_replicate), which read-only scripts refuse.
		&command{name: "pfcount", handler: cmdPfcount, arity: -2, flags: flagScriptWrite, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "pfmerge", handler: cmdPfmerge, arity: -2, flags: grow, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "pfdebug", handler: cmdPfdebug, arity: 3, flags: grow, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "pfselftest", handler: cmdPfselftest, arity: 1, flags: flagNoData},
	)
}

const (
	hllP         = 14                 // register index bits
	hllQ         = 64 - hllP          // hash bits whose zero runs are counted
	hllRegisters = 1 << hllP          // 16384
	hllHdrSize   = 16                 // "HYLL", encoding, 3 unused, cached cardinality
	hllDenseSize = hllHdrSize + 12288 // 16384 6-bit registers
	hllDense     = 0
	hllSparse    = 1
	hllSeed      = 0xadc83b19
	hllAlphaInf  = 0.721347520444481703680 // 0.5/ln(2)

	sparseValMax     = 32 // the largest register value a VAL opcode holds
	sparseValMaxLen  = 4  // the longest run of one VAL opcode
	sparseZeroMaxLen = 64 // the longest run of a ZERO opcode
)

// Sparse opcodes.
func isZeroOp(op byte) bool  { return op&0xc0 == 0 }
func isXZeroOp(op byte) bool { return op&0xc0 == 0x40 }
func isValOp(op byte) bool   { return op&0x80 != 0 }
func zeroLen(op byte) int    { return int(op&0x3f) + 1 }
func valValue(op byte) int   { return int(op>>2&0x1f) + 1 }
func valLen(op byte) int     { return int(op&3) + 1 }
func valOp(v, n int) byte    { return 0x80 | byte((v-1)<<2|(n-1)) }

// xzeroLen reads the XZERO opcode at b[p]. A second byte past the end
// reads as 0, the NUL that ends Redis's string.
func xzeroLen(b []byte, p int) int {
	lo := 0
	if p+1 < len(b) {
		lo = int(b[p+1])
	}
	return (int(b[p]&0x3f)<<8 | lo) + 1
}

// appendZeros appends the opcode for a run of n zero registers.
func appendZeros(seq []byte, n int) []byte {
	if n > sparseZeroMaxLen {
		return append(seq, 0x40|byte((n-1)>>8), byte(n-1))
	}
	return append(seq, byte(n-1))
}

// sparseRuns walks sparse registers regs, calling fn with each run of n
// registers of value v (0 for the zero opcodes) from register idx, and
// returns how many registers the opcodes covered: 16384 when they are
// valid. A VAL run past the last register ends the walk, reported as
// more than 16384, so fn never sees one.
func sparseRuns(regs []byte, fn func(idx, n, v int)) int {
	idx := 0
	for p := 0; p < len(regs); {
		op := regs[p]
		switch {
		case isZeroOp(op):
			n := zeroLen(op)
			fn(idx, n, 0)
			idx += n
			p++
		case isXZeroOp(op):
			n := xzeroLen(regs, p)
			fn(idx, n, 0)
			idx += n
			p += 2
		default:
			n := valLen(op)
			if idx+n > hllRegisters {
				return idx + n
			}
			fn(idx, n, valValue(op))
			idx += n
			p++
		}
	}
	return idx
}

// denseRegister returns register i of dense registers regs.
func denseRegister(regs []byte, i int) uint8 {
	pos := i * 6
	b, shift := pos>>3, pos&7
	v := uint(regs[b]) >> shift
	if shift > 2 { // the register spills into the next byte
		v |= uint(regs[b+1]) << (8 - shift)
	}
	return uint8(v & 63)
}

// setDenseRegister sets register i of dense registers regs to v (< 64).
func setDenseRegister(regs []byte, i int, v uint8) {
	pos := i * 6
	b, shift := pos>>3, uint(pos&7)
	regs[b] = regs[b]&^byte(63<<shift) | v<<shift
	if shift > 2 {
		regs[b+1] = regs[b+1]&^byte(63>>(8-shift)) | v>>(8-shift)
	}
}

// hllRegs holds every register in a byte: what PFCOUNT and PFMERGE merge
// HyperLogLogs into (Redis's HLL_RAW).
type hllRegs [hllRegisters]uint8

// decodeDense unpacks dense registers regs, four registers in three
// bytes.
func (r *hllRegs) decodeDense(regs []byte) {
	for i, j := 0, 0; i < hllRegisters; i, j = i+4, j+3 {
		b0, b1, b2 := regs[j], regs[j+1], regs[j+2]
		r[i] = b0 & 63
		r[i+1] = (b0>>6 | b1<<2) & 63
		r[i+2] = (b1>>4 | b2<<4) & 63
		r[i+3] = b2 >> 2
	}
}

// merge raises r's registers to those of HyperLogLog b where they are
// greater, as Redis's hllMerge; it reports false for a sparse b whose
// opcodes do not cover the registers exactly.
func (r *hllRegs) merge(b []byte) bool {
	if b[4] == hllDense {
		var d hllRegs
		d.decodeDense(b[hllHdrSize:])
		for i, v := range d {
			r[i] = max(r[i], v)
		}
		return true
	}
	return sparseRuns(b[hllHdrSize:], func(idx, n, v int) {
		for i := idx; v > 0 && i < idx+n; i++ {
			r[i] = max(r[i], uint8(v))
		}
	}) == hllRegisters
}

// histogram counts r's registers by value.
func (r *hllRegs) histogram() [64]int {
	var h [64]int
	for _, v := range r {
		h[v]++
	}
	return h
}

// murmurHash64A is MurmurHash2's 64-bit variant as Redis has it: the same
// hash on either byte order.
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m, r = 0xc6a4a7935bd1e995, 47
	h := seed ^ uint64(len(key))*m
	for ; len(key) >= 8; key = key[8:] {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	if len(key) > 0 {
		for i := len(key) - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPattern returns the register ele falls in and the length of the run
// of zeros, plus one, in the rest of its hash (Redis's hllPatLen).
func hllPattern(ele []byte) (index int, count uint8) {
	h := murmurHash64A(ele, hllSeed)
	index = int(h & (hllRegisters - 1))
	h = h>>hllP | 1<<hllQ // the run stops at Q+1
	return index, uint8(bits.TrailingZeros64(h) + 1)
}

// hllEstimate is Redis 7's cardinality estimate from a register histogram.
// Each product is rounded before it is added (float64 conversions), so
// that no platform fuses them into multiply-adds: Redis's x86-64 build does
// not.
func hllEstimate(hist *[64]int) uint64 {
	const m = float64(hllRegisters)
	z := m * hllTau((m-float64(hist[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(hist[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(hist[0])/m))
	return uint64(math.Round(hllAlphaInf * m * m / z))
}

// hllSigma is Ertl's sigma function.
func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += float64(x * y)
		y += y
		if z == prev {
			return z
		}
	}
}

// hllTau is Ertl's tau function.
func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(d * d * y)
		if z == prev {
			return z / 3
		}
	}
}

// hllCardinality is Redis's hllCount of a dense or sparse HyperLogLog b;
// ok is false when b is sparse and its opcodes do not cover the registers
// exactly.
func hllCardinality(b []byte) (card uint64, ok bool) {
	var r hllRegs
	if b[4] == hllDense {
		r.decodeDense(b[hllHdrSize:])
		hist := r.histogram()
		return hllEstimate(&hist), true
	}
	var hist [64]int
	covered := sparseRuns(b[hllHdrSize:], func(_, n, v int) { hist[v] += n })
	return hllEstimate(&hist), covered == hllRegisters
}

// validHLL is Redis's isHLLObjectOrReply: it reports whether v is a
// HyperLogLog string, replying with Redis's error when not.
func validHLL(c *client, v storage.Value) bool {
	if v.Kind() != storage.KindString {
		c.out.Error(msgWrongType)
		return false
	}
	b := v.Bytes()
	if len(b) < hllHdrSize || string(b[:4]) != "HYLL" || b[4] > hllSparse ||
		b[4] == hllDense && len(b) != hllDenseSize {
		c.out.Error(msgNotHLL)
		return false
	}
	return true
}

// hllWrite is a HyperLogLog a command changes. It views the stored string
// until the first change, so that a PFADD of elements already counted
// copies nothing. A dense one, whose changes keep its length, is then
// changed where it is stored when it can be (cache.Tx.Edit), else copied
// into a scratch buffer, as a sparse one always is.
type hllWrite struct {
	b   []byte
	buf *[]byte // the scratch buffer b lives in once copied; nil before
	// tx and key, when set, are where b is stored, for own to change it
	// there; edited says it did.
	tx     *cache.Tx
	key    []byte
	edited bool
	// maxSparse is hll-sparse-max-bytes: the longest string a sparse
	// HyperLogLog grows to before it turns dense.
	maxSparse int64
}

// newHLL returns an empty HyperLogLog: sparse, its registers one XZERO.
func newHLL(maxSparse int64) hllWrite {
	h := hllWrite{buf: getScratch(0), maxSparse: maxSparse}
	h.b = append((*h.buf)[:0], "HYLL"...)
	h.b = append(h.b, hllSparse, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	h.b = appendZeros(h.b, hllRegisters)
	return h
}

// own makes b changeable before its first change: the stored bytes
// themselves for a dense HyperLogLog that can be changed in place, a
// scratch copy otherwise.
func (h *hllWrite) own() {
	if h.buf != nil || h.edited {
		return
	}
	if h.tx != nil && h.b[4] == hllDense {
		if b, ok := h.tx.Edit(h.key); ok {
			h.b, h.edited = b, true
			return
		}
	}
	h.buf = getScratch(len(h.b))
	copy(*h.buf, h.b)
	h.b = *h.buf
}

// changed reports whether b changed since it was looked up.
func (h *hllWrite) changed() bool { return h.buf != nil || h.edited }

// release gives back the scratch buffer once b is stored.
func (h *hllWrite) release() {
	if h.buf != nil {
		*h.buf = h.b
		putScratch(h.buf)
		h.buf = nil
	}
}

// invalidate marks the cached cardinality stale.
func (h *hllWrite) invalidate() {
	h.own()
	h.b[15] |= 0x80
}

// add counts ele, as Redis's hllAdd: it reports whether a register rose;
// ok is false for a corrupt sparse HyperLogLog.
func (h *hllWrite) add(ele []byte) (updated, ok bool) {
	index, count := hllPattern(ele)
	return h.set(index, count)
}

// set raises register index to count if it is lower and reports whether
// it did; ok is false for a corrupt sparse HyperLogLog.
func (h *hllWrite) set(index int, count uint8) (updated, ok bool) {
	if h.b[4] == hllDense {
		regs := h.b[hllHdrSize:]
		if count <= denseRegister(regs, index) {
			return false, true
		}
		h.own()
		setDenseRegister(h.b[hllHdrSize:], index, count)
		return true, true
	}
	return h.sparseSet(index, count)
}

// toDense converts a sparse HyperLogLog to dense, keeping its header
// (cached cardinality included), as Redis's hllSparseToDense. It reports
// false, changing nothing, when the opcodes do not cover the registers.
func (h *hllWrite) toDense() bool {
	if h.b[4] == hllDense {
		return true
	}
	buf := getScratch(hllDenseSize)
	d := *buf
	clear(d)
	copy(d, h.b[:hllHdrSize])
	d[4] = hllDense
	regs := d[hllHdrSize:]
	covered := sparseRuns(h.b[hllHdrSize:], func(idx, n, v int) {
		for i := idx; v > 0 && i < idx+n; i++ {
			setDenseRegister(regs, i, uint8(v))
		}
	})
	if covered != hllRegisters {
		putScratch(buf)
		return false
	}
	h.release()
	h.buf, h.b = buf, d
	return true
}

// promote turns h dense and sets the register there (Redis's promote:
// label in hllSparseSet).
func (h *hllWrite) promote(index int, count uint8) (updated, ok bool) {
	if !h.toDense() {
		return false, false
	}
	return h.set(index, count)
}

// sparseSet is Redis's hllSparseSet: it finds the opcode covering register
// index and, when the register is lower than count, splits that opcode
// around it, merges equal VAL opcodes nearby and marks the cached
// cardinality stale. It turns h dense when count does not fit a VAL
// opcode or the string would outgrow maxSparse.
func (h *hllWrite) sparseSet(index int, count uint8) (updated, ok bool) {
	if count > sparseValMax {
		return h.promote(index, count)
	}
	// Step 1: find the opcode at p covering index, the first register it
	// covers, and the opcode before it.
	end := len(h.b)
	p, first, prev, span := hllHdrSize, 0, -1, 0
	for p < end {
		oplen := 1
		switch op := h.b[p]; {
		case isZeroOp(op):
			span = zeroLen(op)
		case isValOp(op):
			span = valLen(op)
		default:
			span, oplen = xzeroLen(h.b, p), 2
		}
		if index <= first+span-1 {
			break
		}
		prev, p, first = p, p+oplen, first+span
	}
	if span == 0 || p >= end {
		return false, false
	}
	op := h.b[p]
	oldLen := 1
	if isXZeroOp(op) {
		oldLen = 2
	}
	next := p + oldLen
	if next >= end {
		next = -1
	}
	// Step 2: a VAL as high already changes nothing; a single register
	// is rewritten in place; else the opcode becomes up to three.
	var seq []byte
	switch {
	case isValOp(op) && valValue(op) >= int(count):
		return false, true
	case isValOp(op) && valLen(op) == 1, isZeroOp(op) && zeroLen(op) == 1:
		h.own()
		h.b[p] = valOp(int(count), 1)
	default:
		var room [5]byte
		seq = room[:0]
		last := first + span - 1
		if isValOp(op) {
			cur := valValue(op)
			if index != first {
				seq = append(seq, valOp(cur, index-first))
			}
			seq = append(seq, valOp(int(count), 1))
			if index != last {
				seq = append(seq, valOp(cur, last-index))
			}
		} else {
			if index != first {
				seq = appendZeros(seq, index-first)
			}
			seq = append(seq, valOp(int(count), 1))
			if index != last {
				seq = appendZeros(seq, last-index)
			}
		}
		// Step 3: put the new opcodes in place of the old one.
		delta := len(seq) - oldLen
		if delta > 0 && int64(end+delta) > h.maxSparse {
			return h.promote(index, count)
		}
		h.own()
		if delta > 0 {
			h.b = append(h.b, make([]byte, delta)...)
		}
		if next >= 0 && delta != 0 {
			copy(h.b[next+delta:], h.b[next:end])
		}
		end += delta
		h.b = h.b[:end]
		copy(h.b[p:], seq)
	}
	// Step 4: merge adjacent VAL opcodes of one value, looking at up to
	// five opcodes from the one before the change.
	p = max(prev, hllHdrSize)
	for scan := 5; p < end && scan > 0; scan-- {
		op := h.b[p]
		switch {
		case isXZeroOp(op):
			p += 2
			continue
		case isZeroOp(op):
			p++
			continue
		}
		if p+1 < end && isValOp(h.b[p+1]) && valValue(op) == valValue(h.b[p+1]) {
			if n := valLen(op) + valLen(h.b[p+1]); n <= sparseValMaxLen {
				h.b[p+1] = valOp(valValue(op), n)
				copy(h.b[p:], h.b[p+1:end])
				end--
				h.b = h.b[:end]
				continue // the merged opcode may merge with the next
			}
		}
		p++
	}
	h.invalidate()
	return true, true
}

// hllSparseMaxBytes is hll-sparse-max-bytes.
func (s *Server) hllSparseMaxBytes() int64 {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	n, _ := strconv.ParseInt(s.configValue(configParams["hll-sparse-max-bytes"]), 10, 64)
	return n
}

// hllForWrite looks key up for a write and returns its HyperLogLog, a new
// one (created true) when the key is missing. ok is false when the key
// holds something else, and the error is replied.
func hllForWrite(c *client, key []byte) (h hllWrite, old storage.Value, created, ok bool) {
	old, exists := c.tx.Lookup(key, storage.LookupWrite)
	if !exists {
		return newHLL(c.srv.hllSparseMaxBytes()), old, true, true
	}
	if !validHLL(c, old) {
		return h, old, false, false
	}
	h = hllWrite{b: old.Bytes(), tx: c.tx, key: key}
	if h.b[4] == hllSparse {
		h.maxSparse = c.srv.hllSparseMaxBytes()
	}
	return h, old, false, true
}

func cmdPfadd(c *client, args [][]byte) {
	key := args[1]
	h, old, created, ok := hllForWrite(c, key)
	if !ok {
		return
	}
	defer h.release()
	updated := created
	for _, ele := range args[2:] {
		up, ok := h.add(ele)
		if !ok {
			if h.changed() {
				storeInPlace(c, key, h.b, old) // Redis changes the string in place as it goes
			}
			c.out.Error(msgCorruptHLL)
			return
		}
		updated = updated || up
	}
	if !updated {
		c.out.Int(0)
		return
	}
	h.invalidate()
	storeInPlace(c, key, h.b, old)
	c.notify(notifyString, "pfadd", key)
	c.out.Int(1)
}

func cmdPfcount(c *client, args [][]byte) {
	if len(args) > 2 {
		// Several keys: the count of their union, computed afresh.
		var r hllRegs
		for _, key := range args[1:] {
			v, exists := c.tx.Get(key)
			if !exists {
				continue
			}
			if !validHLL(c, v) {
				return
			}
			if !r.merge(v.Bytes()) {
				c.out.Error(msgCorruptHLL)
				return
			}
		}
		hist := r.histogram()
		c.out.Int(int64(hllEstimate(&hist)))
		return
	}
	key := args[1]
	v, exists := c.tx.Get(key)
	if !exists {
		c.out.Int(0)
		return
	}
	if !validHLL(c, v) {
		return
	}
	b := v.Bytes()
	if b[15]&0x80 == 0 {
		c.out.Int(int64(binary.LittleEndian.Uint64(b[8:hllHdrSize])))
		return
	}
	card, ok := hllCardinality(b)
	if !ok {
		c.out.Error(msgCorruptHLL)
		return
	}
	// Redis caches the count in the string even though PFCOUNT reads.
	h := hllWrite{b: b, tx: c.tx, key: key}
	h.own()
	binary.LittleEndian.PutUint64(h.b[8:hllHdrSize], card)
	storeInPlace(c, key, h.b, v)
	h.release()
	c.out.Int(int64(card))
}

func cmdPfmerge(c *client, args [][]byte) {
	var r hllRegs
	dense := false
	for _, key := range args[1:] { // the destination counts too
		v, exists := c.tx.Get(key)
		if !exists {
			continue
		}
		if !validHLL(c, v) {
			return
		}
		dense = dense || v.Bytes()[4] == hllDense
		if !r.merge(v.Bytes()) {
			c.out.Error(msgCorruptHLL)
			return
		}
	}
	key := args[1]
	h, old, _, ok := hllForWrite(c, key)
	if !ok {
		return
	}
	defer h.release()
	if dense && !h.toDense() {
		c.out.Error(msgCorruptHLL)
		return
	}
	for i, v := range r {
		if v > 0 {
			h.set(i, v) // a corrupt destination was refused above
		}
	}
	h.invalidate()
	storeInPlace(c, key, h.b, old)
	// A merge adds elements, so Redis reports it as pfadd.
	c.notify(notifyString, "pfadd", key)
	c.out.OK()
}

// cmdPfdebug serves PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
func cmdPfdebug(c *client, args [][]byte) {
	sub, key := args[1], args[2]
	v, exists := c.tx.Lookup(key, storage.LookupWrite)
	if !exists {
		c.out.Error(msgPfdebugNoKey)
		return
	}
	if !validHLL(c, v) {
		return
	}
	h := &hllWrite{b: v.Bytes()}
	defer h.release()
	sparse := h.b[4] == hllSparse
	switch {
	case is(sub, "getreg"):
		if !h.toDense() {
			c.out.Error(msgCorruptHLL)
			return
		}
		if sparse {
			storeInPlace(c, key, h.b, v)
		}
		var r hllRegs
		r.decodeDense(h.b[hllHdrSize:])
		c.out.Array(hllRegisters)
		for _, reg := range r {
			c.out.Int(int64(reg))
		}
	case is(sub, "decode"):
		if !sparse {
			c.out.Error(msgPfdebugNotSparse)
			return
		}
		var sb strings.Builder
		for p, regs := 0, h.b[hllHdrSize:]; p < len(regs); p++ {
			switch op := regs[p]; {
			case isZeroOp(op):
				fmt.Fprintf(&sb, "z:%d ", zeroLen(op))
			case isXZeroOp(op):
				fmt.Fprintf(&sb, "Z:%d ", xzeroLen(regs, p))
				p++
			default:
				fmt.Fprintf(&sb, "v:%d,%d ", valValue(op), valLen(op))
			}
		}
		c.out.BulkString(strings.TrimSuffix(sb.String(), " "))
	case is(sub, "encoding"):
		if sparse {
			c.out.Simple("sparse")
		} else {
			c.out.Simple("dense")
		}
	case is(sub, "todense"):
		if !h.toDense() {
			c.out.Error(msgCorruptHLL)
			return
		}
		if !sparse {
			c.out.Int(0)
			return
		}
		storeInPlace(c, key, h.b, v)
		c.out.Int(1)
	default:
		c.out.Error(fmt.Sprintf(msgPfdebugUnknown, sub)) // the writer turns CR and LF into spaces, as Redis does
	}
}

// cmdPfselftest is Redis's PFSELFTEST: it checks that dense registers keep
// what is written to them, and that dense and sparse HyperLogLogs of up to
// ten million elements agree and stay within six standard errors of the
// truth.
func cmdPfselftest(c *client, args [][]byte) {
	regs := make([]byte, hllDenseSize-hllHdrSize)
	var want hllRegs
	for range 1000 {
		for i := range want {
			want[i] = uint8(rand.Uint32() & 63)
			setDenseRegister(regs, i, want[i])
		}
		for i, w := range want {
			if got := denseRegister(regs, i); got != w {
				c.out.Error(fmt.Sprintf(msgSelftestRegister, i, w, got))
				return
			}
		}
	}
	dense := &hllWrite{buf: getScratch(hllDenseSize)}
	dense.b = *dense.buf
	clear(dense.b) // an all-zero header reads as dense
	defer dense.release()
	maxSparse := c.srv.hllSparseMaxBytes()
	sparse := newHLL(maxSparse)
	defer sparse.release()
	relErr := 1.04 / math.Sqrt(hllRegisters)
	seed := rand.Uint64()
	var ele [8]byte
	for j, checkpoint := int64(1), int64(1); j <= 10_000_000; j++ {
		binary.LittleEndian.PutUint64(ele[:], uint64(j)^seed)
		dense.add(ele[:])
		sparse.add(ele[:])
		if j != checkpoint {
			continue
		}
		if j < maxSparse/2 && sparse.b[4] != hllSparse {
			c.out.Error(msgSelftestNotSparse)
			return
		}
		card, _ := hllCardinality(dense.b)
		if other, _ := hllCardinality(sparse.b); other != card {
			c.out.Error(msgSelftestDisagree)
			return
		}
		maxErr := int64(math.Ceil(relErr * 6 * float64(checkpoint)))
		if j == 10 {
			maxErr = 1 // collisions make larger errors likely this small
		}
		if absErr := checkpoint - int64(card); max(absErr, -absErr) > maxErr {
			c.out.Error(fmt.Sprintf(msgSelftestError, checkpoint, max(absErr, -absErr)))
			return
		}
		checkpoint *= 10
	}
	c.out.OK()
}
