package server

// Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
// BITFIELD_RO.
// https://redis.io/commands/?group=bitmap
//
// A bitmap is an ordinary string: bit 0 is the most significant bit of the
// first byte, and GET returns the bytes. Each handler follows its
// counterpart in Redis 7.0's bitops.c: the same order of checks, the same
// lookups (a missing key answers BITCOUNT and BITPOS before their range is
// read), and the same rule for when a write counts as one: a key is stored
// and its event published when it is created, grows, or a bit changes. A
// write changes the stored string in place when it can (editString), else
// builds the new one in a scratch buffer (Set copies it), and keeps the
// key's TTL, except BITOP, which replaces its destination as SET does.

import (
	"bytes"
	"crypto/subtle"
	"encoding/binary"
	"math"
	"math/bits"
	"sync"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/storage"
)

func registerBitmapCommands(t commandTable) {
	const grow = flagWrite | flagDenyOOM
	t.add(
		&command{name: "setbit", handler: cmdSetbit, arity: 4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "getbit", handler: cmdGetbit, arity: 3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "bitcount", handler: cmdBitcount, arity: -2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "bitpos", handler: cmdBitpos, arity: -3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "bitop", handler: cmdBitop, arity: -4, flags: grow, firstKey: 2, lastKey: -1, keyStep: 1, write: cache.WriteReplace},
		&command{name: "bitfield", handler: cmdBitfield, arity: -2, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "bitfield_ro", handler: cmdBitfieldRO, arity: -2, firstKey: 1, lastKey: 1, keyStep: 1},
	)
}

// scratchBuffers hold the new strings bitmap and HyperLogLog writes build
// when they cannot change the stored one in place (editString):
// Set copies what it is given, so one buffer serves write after write
// instead of each write leaving its copy of the string to the collector.
var scratchBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxScratch is the largest buffer kept for reuse: a dense HyperLogLog
// (12 KiB) or a bitmap of half a million bits; longer strings are rare
// enough to allocate.
const maxScratch = 64 << 10

// getScratch returns a buffer of n bytes of undefined content; give it
// back with putScratch once its bytes are stored.
func getScratch(n int) *[]byte {
	p := scratchBuffers.Get().(*[]byte)
	if cap(*p) < n {
		*p = make([]byte, n)
	}
	*p = (*p)[:n]
	return p
}

// putScratch gives back a buffer from getScratch; nil is ignored.
func putScratch(p *[]byte) {
	if p != nil && cap(*p) <= maxScratch {
		scratchBuffers.Put(p)
	}
}

// grownCopy returns a scratch buffer holding s followed by zero bytes up
// to n bytes in all (s alone when it is as long), as Redis's
// lookupStringForBitCommand grows a string to hold the highest bit a
// command writes.
func grownCopy(s []byte, n int) *[]byte {
	p := getScratch(max(n, len(s)))
	clear((*p)[copy(*p, s):])
	return p
}

// editString returns n bytes to build key's new string in, key holding
// old, a string of up to n bytes (a missing key: none): the stored bytes
// themselves when they can be changed in place (cache.Tx.Edit) and are as
// long, so that a change of a few bits copies none of them; otherwise old's
// bytes and zeros after them in a scratch buffer (grownCopy), buf, which
// the caller gives back with putScratch once the string is stored. Either
// way the caller stores the string with storeInPlace, at once.
func editString(c *client, key []byte, old storage.Value, n int) (b []byte, buf *[]byte) {
	if n == old.Len() {
		if b, ok := c.tx.Edit(key); ok {
			return b, nil
		}
	}
	buf = grownCopy(old.Bytes(), n)
	return *buf, buf
}

// storeInPlace stores b at key as the new value of old, a string a command
// changed in place: raw (Redis unshares it), with old's TTL. b may be the
// stored bytes (editString), which are then not copied.
func storeInPlace(c *client, key, b []byte, old storage.Value) {
	c.tx.Set(key, storage.StringValue(b).WithFlags(storage.FlagRaw).WithExpireAt(old.ExpireAt()))
}

// stringForWrite is the write lookup of a string key. When the key holds
// another kind it replies WRONGTYPE and returns ok false.
func stringForWrite(c *client, key []byte) (v storage.Value, exists, ok bool) {
	v, exists = c.tx.Lookup(key, storage.LookupWrite)
	if exists && v.Kind() != storage.KindString {
		c.out.Error(msgWrongType)
		return v, exists, false
	}
	return v, exists, true
}

// bitOffset parses a bit offset as Redis's getBitOffsetFromArgument: a
// non-negative integer whose byte lies within proto-max-bulk-len. For
// BITFIELD (bits > 0) "#n" stands for n*bits, the product wrapping on
// overflow as Redis's C multiplication does. On error it replies and
// returns false.
func bitOffset(c *client, arg []byte, bits int) (int64, bool) {
	hash := bits > 0 && len(arg) > 0 && arg[0] == '#'
	if hash {
		arg = arg[1:]
	}
	n, ok := argInt(arg)
	if hash {
		n *= int64(bits)
	}
	if !ok || n < 0 || n>>3 >= c.srv.stringLimit() {
		c.out.Error(msgBitOffset)
		return 0, false
	}
	return n, true
}

// bitMask returns the byte of bit offset off and the mask of the bit in it.
func bitMask(off int64) (int64, byte) { return off >> 3, 0x80 >> (off & 7) }

func cmdSetbit(c *client, args [][]byte) {
	key := args[1]
	offset, ok := bitOffset(c, args[2], 0)
	if !ok {
		return
	}
	on, ok := argInt(args[3])
	if !ok || on&^1 != 0 {
		c.out.Error(msgBitValue)
		return
	}
	old, _, ok := stringForWrite(c, key)
	if !ok {
		return
	}
	s := old.Bytes()
	i, mask := bitMask(offset)
	was := i < int64(len(s)) && s[i]&mask != 0
	// A new key or a longer string is a write even when the bit was
	// already as asked, as in Redis.
	if i >= int64(len(s)) || was != (on == 1) {
		b, buf := editString(c, key, old, max(int(i)+1, len(s)))
		if on == 1 {
			b[i] |= mask
		} else {
			b[i] &^= mask
		}
		storeInPlace(c, key, b, old)
		putScratch(buf)
		c.notify(notifyString, "setbit", key)
	}
	if was {
		c.out.Int(1)
	} else {
		c.out.Int(0)
	}
}

func cmdGetbit(c *client, args [][]byte) {
	offset, ok := bitOffset(c, args[2], 0)
	if !ok {
		return
	}
	v, _, ok := getString(c, args[1])
	if !ok {
		return
	}
	c.out.Int(int64(getBits(v.Bytes(), offset, 1)))
}

// bitRange is a BITCOUNT or BITPOS range resolved to bytes start..end of
// the string (empty when start > end), with the bits of the first and
// last byte that a BIT range leaves out.
type bitRange struct {
	start, end          int64
	firstMask, lastMask byte
}

// resolveBitRange clamps start..end, in bytes or with isBit in bits, to a
// string of n bytes, negative indexes counting from the end, as Redis's
// bitcountCommand and bitposCommand do.
func resolveBitRange(n, start, end int64, isBit bool) bitRange {
	total := n
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	end = min(end, total-1)
	r := bitRange{start: start, end: end}
	if isBit && start <= end {
		r.firstMask = ^byte(0xff >> (start & 7))
		r.lastMask = byte(1)<<(7-end&7) - 1
		r.start, r.end = start>>3, end>>3
	}
	return r
}

// bitUnit parses BITCOUNT's and BITPOS's BIT|BYTE; on error it replies and
// returns ok false.
func bitUnit(c *client, arg []byte) (isBit, ok bool) {
	switch {
	case is(arg, "bit"):
		return true, true
	case is(arg, "byte"):
		return false, true
	}
	c.out.Error(msgSyntax)
	return false, false
}

func cmdBitcount(c *client, args [][]byte) {
	v, exists, ok := getString(c, args[1])
	if !ok {
		return
	}
	if !exists {
		c.out.Int(0)
		return
	}
	s := v.Bytes()
	r := bitRange{end: int64(len(s)) - 1}
	switch len(args) {
	case 2:
	case 4, 5:
		start, ok := argInt(args[2])
		end, ok2 := argInt(args[3])
		if !ok || !ok2 {
			c.out.Error(msgNotInteger)
			return
		}
		if start < 0 && end < 0 && start > end {
			c.out.Int(0) // before BIT|BYTE is read, as in Redis
			return
		}
		isBit := false
		if len(args) == 5 {
			if isBit, ok = bitUnit(c, args[4]); !ok {
				return
			}
		}
		r = resolveBitRange(int64(len(s)), start, end, isBit)
	default:
		c.out.Error(msgSyntax)
		return
	}
	if r.start > r.end {
		c.out.Int(0)
		return
	}
	n := popcount(s[r.start : r.end+1])
	// A BIT range counts only part of its first and last bytes.
	n -= int64(bits.OnesCount8(s[r.start]&r.firstMask) + bits.OnesCount8(s[r.end]&r.lastMask))
	c.out.Int(n)
}

// popcount returns the number of bits set in b.
func popcount(b []byte) int64 {
	n := 0
	for ; len(b) >= 8; b = b[8:] {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b))
	}
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return int64(n)
}

func cmdBitpos(c *client, args [][]byte) {
	bit, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if bit != 0 && bit != 1 {
		c.out.Error(msgBitposBit)
		return
	}
	v, exists, ok := getString(c, args[1])
	if !ok {
		return
	}
	if !exists {
		// A missing key is an endless run of zero bits.
		c.out.Int(-bit)
		return
	}
	s := v.Bytes()
	n := int64(len(s))
	r := bitRange{end: n - 1}
	endGiven := false
	switch len(args) {
	case 3:
	case 4, 5, 6:
		start, ok := argInt(args[3])
		if !ok {
			c.out.Error(msgNotInteger)
			return
		}
		isBit := false
		if len(args) == 6 {
			if isBit, ok = bitUnit(c, args[5]); !ok {
				return
			}
		}
		end := n - 1
		if isBit {
			end = n<<3 + 7
		}
		if len(args) >= 5 {
			if end, ok = argInt(args[4]); !ok {
				c.out.Error(msgNotInteger)
				return
			}
			endGiven = true
		}
		r = resolveBitRange(n, start, end, isBit)
	default:
		c.out.Error(msgSyntax)
		return
	}
	if r.start > r.end {
		// An empty range holds neither a 0 nor a 1.
		c.out.Int(-1)
		return
	}
	pos, from, span := bitposIn(s, r, byte(bit))
	if endGiven && bit == 0 && pos == span<<3 {
		// Past an explicit end the string is not taken as zero-padded.
		c.out.Int(-1)
		return
	}
	if pos != -1 {
		pos += from << 3
	}
	c.out.Int(pos)
}

// bitposIn searches s's bytes r.start..r.end for bit as Redis's
// bitposCommand does: the partial first and last bytes of a BIT range on
// their own, the whole bytes between in one pass. It returns bitpos's
// answer for the last part searched, the byte that part began at, and the
// bytes the search still spanned from there.
func bitposIn(s []byte, r bitRange, bit byte) (pos, from, span int64) {
	from, span = r.start, r.end-r.start+1
	if r.firstMask != 0 {
		x := maskOut(s[from], r.firstMask, bit)
		if r.lastMask != 0 && span == 1 {
			x = maskOut(x, r.lastMask, bit)
		}
		pos = bitpos([]byte{x}, bit)
		if span == 1 || pos != -1 && pos != 8 {
			return pos, from, span
		}
		from, span = from+1, span-1
	}
	whole := span
	if r.lastMask != 0 {
		whole--
	}
	if whole > 0 {
		pos = bitpos(s[from:from+whole], bit)
		if span == whole || pos != -1 && pos != whole<<3 {
			return pos, from, span
		}
		from, span = from+whole, span-whole
	}
	return bitpos([]byte{maskOut(s[r.end], r.lastMask, bit)}, bit), from, span
}

// maskOut makes the bits of x under mask differ from bit, so that a search
// for bit skips them.
func maskOut(x, mask, bit byte) byte {
	if bit == 1 {
		return x &^ mask
	}
	return x | mask
}

// bitpos is Redis's redisBitpos: the position of the first bit of b equal
// to bit; when there is none, -1 for a 1, and len(b)*8 for a 0 (the bits
// past the end read as zeros).
func bitpos(b []byte, bit byte) int64 {
	skip := byte(0)
	if bit == 0 {
		skip = 0xff
	}
	for i, x := range b {
		if x != skip {
			if bit == 0 {
				x = ^x
			}
			return int64(i)<<3 + int64(bits.LeadingZeros8(x))
		}
	}
	if bit == 1 {
		return -1
	}
	return int64(len(b)) << 3
}

// bitopKind is a BITOP operation.
type bitopKind uint8

const (
	bitopAnd bitopKind = iota
	bitopOr
	bitopXor
	bitopNot
)

func cmdBitop(c *client, args [][]byte) {
	var op bitopKind
	switch a := args[1]; {
	case is(a, "and"):
		op = bitopAnd
	case is(a, "or"):
		op = bitopOr
	case is(a, "xor"):
		op = bitopXor
	case is(a, "not"):
		op = bitopNot
	default:
		c.out.Error(msgSyntax)
		return
	}
	if op == bitopNot && len(args) != 4 {
		c.out.Error(msgBitopNot)
		return
	}
	srcs := make([][]byte, 0, len(args)-3)
	n := 0
	for _, key := range args[3:] {
		v, exists := c.tx.Get(key)
		if exists && v.Kind() != storage.KindString {
			c.out.Error(msgWrongType)
			return
		}
		srcs = append(srcs, v.Bytes())
		n = max(n, v.Len())
	}
	dest := args[2]
	if n == 0 {
		// An empty result is no string at all.
		if c.tx.Delete(dest) {
			c.notify(notifyGeneric, "del", dest)
		}
		c.out.Int(0)
		return
	}
	// A missing source, and the end of a shorter one, read as zero bytes.
	res := make([]byte, n)
	copy(res, srcs[0])
	for _, s := range srcs[1:] {
		switch op {
		case bitopAnd:
			r := res[:len(s)]
			for i := range r {
				r[i] &= s[i]
			}
			clear(res[len(s):])
		case bitopOr:
			r := res[:len(s)]
			for i := range r {
				r[i] |= s[i]
			}
		case bitopXor:
			subtle.XORBytes(res, res, s)
		}
	}
	if op == bitopNot {
		for i := range res {
			res[i] = ^res[i]
		}
	}
	c.tx.Lookup(dest, lookupOverwrite) // reclaim an expired value first, as Redis's setKey
	c.tx.Set(dest, storage.StringValue(res).WithFlags(storage.FlagRaw))
	c.notify(notifyString, "set", dest)
	c.out.Int(int64(n))
}

// bitfieldKind is a BITFIELD subcommand that reads or writes a field.
type bitfieldKind uint8

const (
	bitfieldGet bitfieldKind = iota
	bitfieldSet
	bitfieldIncrby
)

// overflowMode is BITFIELD's OVERFLOW setting.
type overflowMode uint8

const (
	overflowWrap overflowMode = iota
	overflowSat
	overflowFail
)

// bitfieldOp is one parsed BITFIELD field operation.
type bitfieldOp struct {
	kind     bitfieldKind
	overflow overflowMode
	signed   bool
	bits     int
	offset   int64
	value    int64 // SET's value, INCRBY's increment
}

func cmdBitfield(c *client, args [][]byte)   { bitfield(c, args, false) }
func cmdBitfieldRO(c *client, args [][]byte) { bitfield(c, args, true) }

// bitfield serves BITFIELD and, with readOnly, BITFIELD_RO, as Redis's
// bitfieldGeneric: every operation is parsed before any runs, and a
// command of GETs only reads the key without creating it.
func bitfield(c *client, args [][]byte, readOnly bool) {
	ops := make([]bitfieldOp, 0, (len(args)-2)/3)
	overflow := overflowWrap
	writes := false
	var highest int64 // the last bit a SET or INCRBY reaches
	for j := 2; j < len(args); j++ {
		rest := len(args) - j - 1
		op := bitfieldOp{overflow: overflow}
		switch a := args[j]; {
		case is(a, "get") && rest >= 2:
			op.kind = bitfieldGet
		case is(a, "set") && rest >= 3:
			op.kind = bitfieldSet
		case is(a, "incrby") && rest >= 3:
			op.kind = bitfieldIncrby
		case is(a, "overflow") && rest >= 1:
			j++
			switch m := args[j]; {
			case is(m, "wrap"):
				overflow = overflowWrap
			case is(m, "sat"):
				overflow = overflowSat
			case is(m, "fail"):
				overflow = overflowFail
			default:
				c.out.Error(msgBitfieldOverflow)
				return
			}
			continue
		default:
			c.out.Error(msgSyntax)
			return
		}
		var ok bool
		if op.signed, op.bits, ok = bitfieldType(args[j+1]); !ok {
			c.out.Error(msgBitfieldType)
			return
		}
		if op.offset, ok = bitOffset(c, args[j+2], op.bits); !ok {
			return
		}
		if op.kind == bitfieldGet {
			j += 2
		} else {
			writes = true
			highest = max(highest, op.offset+int64(op.bits)-1)
			if op.value, ok = argInt(args[j+3]); !ok {
				c.out.Error(msgNotInteger)
				return
			}
			j += 3
		}
		ops = append(ops, op)
	}
	key := args[1]
	var old storage.Value
	var ok bool
	if !writes {
		if old, _, ok = getString(c, key); !ok {
			return
		}
		c.out.Array(len(ops))
		for _, op := range ops {
			c.out.Int(op.get(old.Bytes()))
		}
		return
	}
	if readOnly {
		c.out.Error(msgBitfieldRO)
		return
	}
	if old, _, ok = stringForWrite(c, key); !ok {
		return
	}
	size := int(highest>>3) + 1
	grown := size > old.Len() // a new key too
	buf := grownCopy(old.Bytes(), size)
	defer putScratch(buf)
	s := *buf
	changes := 0
	c.out.Array(len(ops))
	for _, op := range ops {
		if op.kind == bitfieldGet {
			c.out.Int(op.get(s))
			continue
		}
		reply, changed, ok := op.apply(s)
		if !ok {
			c.out.Null() // OVERFLOW FAIL: nothing written
			continue
		}
		c.out.Int(reply)
		if grown || changed {
			changes++
		}
	}
	if grown || changes > 0 {
		storeInPlace(c, key, s, old)
	}
	if changes > 0 {
		c.notify(notifyString, "setbit", key)
	}
}

// bitfieldType parses a BITFIELD type: i1 to i64, or u1 to u63 (a u64 could
// not be replied as a signed integer).
func bitfieldType(arg []byte) (signed bool, bits int, ok bool) {
	if len(arg) == 0 || arg[0] != 'i' && arg[0] != 'u' {
		return false, 0, false
	}
	signed = arg[0] == 'i'
	width := arg[1:]
	if i := bytes.IndexByte(width, 0); i >= 0 {
		width = width[:i] // Redis reads the width as a C string
	}
	n, ok := argInt(width)
	if !ok || n < 1 || signed && n > 64 || !signed && n > 63 {
		return false, 0, false
	}
	return signed, int(n), true
}

// get returns the field op names in s, zero past its end.
func (op bitfieldOp) get(s []byte) int64 {
	u := getBits(s, op.offset, op.bits)
	if op.signed {
		return signExtend(u, op.bits)
	}
	return int64(u)
}

// apply runs a SET or INCRBY on s, which holds the field. It returns the
// reply (SET's old value, INCRBY's new one) and whether the field changed;
// ok is false when the result overflows under OVERFLOW FAIL, and nothing
// is written. Unsigned fields are at most 63 bits, so their values fit an
// int64 too.
func (op bitfieldOp) apply(s []byte) (reply int64, changed, ok bool) {
	raw := getBits(s, op.offset, op.bits)
	old := int64(raw)
	if op.signed {
		old = signExtend(raw, op.bits)
	}
	val, incr := op.value, int64(0)
	if op.kind == bitfieldIncrby {
		val, incr = old, op.value
	}
	var over bool
	var res int64
	if op.signed {
		over, res = signedOverflow(val, incr, op.bits, op.overflow)
	} else {
		var u uint64
		over, u = unsignedOverflow(uint64(val), incr, op.bits, op.overflow)
		res = int64(u)
	}
	switch {
	case over && op.overflow == overflowFail:
		return 0, false, false
	case !over:
		res = val + incr
	}
	setBits(s, op.offset, op.bits, uint64(res))
	reply = old
	if op.kind == bitfieldIncrby {
		reply = res
	}
	return reply, getBits(s, op.offset, op.bits) != raw, true
}

// getBits reads the n-bit unsigned integer at bit offset off of s, most
// significant bit first; bits past the end of s read as 0.
func getBits(s []byte, off int64, n int) uint64 {
	var v uint64
	for ; n > 0; n, off = n-1, off+1 {
		bit := uint64(0)
		if i, mask := bitMask(off); i < int64(len(s)) && s[i]&mask != 0 {
			bit = 1
		}
		v = v<<1 | bit
	}
	return v
}

// setBits writes the low n bits of v at bit offset off of s, which must
// hold them, most significant bit first.
func setBits(s []byte, off int64, n int, v uint64) {
	for j := n - 1; j >= 0; j, off = j-1, off+1 {
		i, mask := bitMask(off)
		if v>>j&1 != 0 {
			s[i] |= mask
		} else {
			s[i] &^= mask
		}
	}
}

// signExtend reads the low n bits of u as a two's complement integer.
func signExtend(u uint64, n int) int64 {
	shift := 64 - n
	return int64(u<<shift) >> shift
}

// unsignedOverflow is Redis's checkUnsignedBitfieldOverflow: whether
// value+incr leaves the range of a u<bits> field, and if so what is stored
// instead, saturated or wrapped as mode says.
func unsignedOverflow(value uint64, incr int64, bits int, mode overflowMode) (bool, uint64) {
	top := uint64(1)<<bits - 1
	switch {
	case value > top || incr > 0 && incr > int64(top-value):
		if mode == overflowSat {
			return true, top
		}
	case incr < 0 && incr < -int64(value):
		if mode == overflowSat {
			return true, 0
		}
	default:
		return false, 0
	}
	return true, (value + uint64(incr)) & top
}

// signedOverflow is Redis's checkSignedBitfieldOverflow: whether
// value+incr leaves the range of an i<bits> field, and if so what is
// stored instead, saturated or wrapped as mode says. The differences are
// computed wrapping, as Redis's are: they are only used when value is in
// range, where they cannot overflow.
func signedOverflow(value, incr int64, bits int, mode overflowMode) (bool, int64) {
	top := int64(math.MaxInt64)
	if bits < 64 {
		top = 1<<(bits-1) - 1
	}
	bottom := -top - 1
	maxIncr := int64(uint64(top) - uint64(value))
	minIncr := bottom - value
	switch {
	case value > top || bits != 64 && incr > maxIncr || value >= 0 && incr > 0 && incr > maxIncr:
		if mode == overflowSat {
			return true, top
		}
	case value < bottom || bits != 64 && incr < minIncr || value < 0 && incr < 0 && incr < minIncr:
		if mode == overflowSat {
			return true, bottom
		}
	default:
		return false, 0
	}
	return true, signExtend(uint64(value)+uint64(incr), bits)
}
