package script

// The cmsgpack library of scripts: pack, unpack, unpack_one and
// unpack_limit, ported from lua-cmsgpack 0.4.0 as Redis bundles it.
// Integral numbers pack as the smallest integer type, others as a float
// when a float holds them exactly and else as a double; strings as fixstr,
// str8, str16 or str32; tables as arrays when their keys are exactly 1..n,
// else as maps; tables nested deeper than 16 levels, functions and
// userdata as nil.

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// msgpackMaxNesting is lua-cmsgpack's LUACMSGPACK_MAX_NESTING.
const msgpackMaxNesting = 16

func newMsgpackLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(msgpackPack))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return msgpackUnpack(L, 0, 0) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		return msgpackUnpack(L, 1, L.OptInt(2, 0))
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		return msgpackUnpack(L, L.OptInt(2, 0), L.OptInt(3, 0))
	}))
	t.RawSetString("_NAME", lua.LString("lua-cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

func msgpackPack(L *lua.LState) int {
	if L.GetTop() == 0 {
		argError(L, 0, "pack", "MessagePack pack needs input.")
	}
	var b []byte
	for i := 1; i <= L.GetTop(); i++ {
		b = msgpackAppend(b, L.Get(i), 0)
	}
	L.Push(lua.LString(b))
	return 1
}

func msgpackAppend(b []byte, v lua.LValue, depth int) []byte {
	switch v := v.(type) {
	case lua.LString:
		return msgpackAppendBytes(b, string(v))
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && f >= math.MinInt64 && f < math.MaxInt64 {
			return msgpackAppendInt(b, int64(f))
		}
		if float64(float32(f)) == f || math.IsNaN(f) {
			b = append(b, 0xca)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(f)))
		}
		b = append(b, 0xcb)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	case *lua.LTable:
		if depth >= msgpackMaxNesting {
			return append(b, 0xc0)
		}
		if n, ok := msgpackArrayLen(v); ok {
			b = msgpackAppendHeader(b, 0x90, 0xdc, n)
			for i := 1; i <= n; i++ {
				b = msgpackAppend(b, v.RawGetInt(i), depth+1)
			}
			return b
		}
		n := 0
		for k, _ := v.Next(lua.LNil); k != lua.LNil; k, _ = v.Next(k) {
			n++
		}
		b = msgpackAppendHeader(b, 0x80, 0xde, n)
		for k, val := v.Next(lua.LNil); k != lua.LNil; k, val = v.Next(k) {
			b = msgpackAppend(b, k, depth+1)
			b = msgpackAppend(b, val, depth+1)
		}
		return b
	}
	return append(b, 0xc0)
}

// msgpackArrayLen reports whether a table's keys are exactly 1..n.
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	count, maxKey := 0, 0.0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok || n <= 0 || float64(n) != math.Trunc(float64(n)) {
			return 0, false
		}
		maxKey = max(maxKey, float64(n))
		count++
	}
	return count, maxKey == float64(count)
}

// msgpackAppendHeader writes an array (fix 0x90) or map (fix 0x80) header:
// the fix form under 16 elements, else 16 or 32 bits.
func msgpackAppendHeader(b []byte, fix, wide byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, wide), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, wide+1), uint32(n))
}

func msgpackAppendBytes(b []byte, s string) []byte {
	switch n := len(s); {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

func msgpackAppendInt(b []byte, n int64) []byte {
	switch {
	case n >= 0 && n < 128:
		return append(b, byte(n))
	case n >= 0 && n <= 0xff:
		return append(b, 0xcc, byte(n))
	case n >= 0 && n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n >= 0 && n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	case n >= 0:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	case n >= -32:
		return append(b, byte(n))
	case n >= -128:
		return append(b, 0xd0, byte(n))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

// msgpackDecoder reads values from a string; eof is set when the input
// is cut short, bad when it is malformed.
type msgpackDecoder struct {
	L   *lua.LState
	s   string
	eof bool
	bad bool
}

func (d *msgpackDecoder) take(n int) string {
	if d.eof || d.bad {
		return ""
	}
	if n > len(d.s) {
		d.eof = true
		return ""
	}
	out := d.s[:n]
	d.s = d.s[n:]
	return out
}

func (d *msgpackDecoder) uint(n int) uint64 {
	b := d.take(n)
	var v uint64
	for i := 0; i < len(b); i++ {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func (d *msgpackDecoder) value() lua.LValue {
	t := d.take(1)
	if t == "" {
		return lua.LNil
	}
	c := t[0]
	switch {
	case c < 0x80:
		return lua.LNumber(c)
	case c >= 0xe0:
		return lua.LNumber(int8(c))
	case c&0xf0 == 0x80:
		return d.table(int(c&0x0f), true)
	case c&0xf0 == 0x90:
		return d.table(int(c&0x0f), false)
	case c&0xe0 == 0xa0:
		return lua.LString(d.take(int(c & 0x1f)))
	}
	switch c {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xca:
		return lua.LNumber(math.Float32frombits(uint32(d.uint(4))))
	case 0xcb:
		return lua.LNumber(math.Float64frombits(d.uint(8)))
	case 0xcc, 0xcd, 0xce, 0xcf:
		return lua.LNumber(float64(d.uint(1 << (c - 0xcc))))
	case 0xd0:
		return lua.LNumber(int8(d.uint(1)))
	case 0xd1:
		return lua.LNumber(int16(d.uint(2)))
	case 0xd2:
		return lua.LNumber(int32(d.uint(4)))
	case 0xd3:
		return lua.LNumber(float64(int64(d.uint(8))))
	case 0xc4, 0xd9: // bin8, str8
		return lua.LString(d.take(int(d.uint(1))))
	case 0xc5, 0xda:
		return lua.LString(d.take(int(d.uint(2))))
	case 0xc6, 0xdb:
		return lua.LString(d.take(int(d.uint(4))))
	case 0xdc:
		return d.table(int(d.uint(2)), false)
	case 0xdd:
		return d.table(int(d.uint(4)), false)
	case 0xde:
		return d.table(int(d.uint(2)), true)
	case 0xdf:
		return d.table(int(d.uint(4)), true)
	}
	d.bad = true
	return lua.LNil
}

// table reads n array elements or map pairs. The count comes from the
// input, so the table grows as elements arrive rather than up front.
func (d *msgpackDecoder) table(n int, isMap bool) lua.LValue {
	t := d.L.NewTable()
	for i := 1; i <= n && !d.eof && !d.bad; i++ {
		if !isMap {
			t.RawSetInt(i, d.value())
			continue
		}
		k := d.value()
		v := d.value()
		if k != lua.LNil {
			t.RawSet(k, v)
		}
	}
	return t
}

// msgpackUnpack decodes up to limit values (all when limit and offset are
// 0) from the string argument, starting at offset. With a limit or
// offset, the offset after the last value (-1 at the end) comes first.
func msgpackUnpack(L *lua.LState, limit, offset int) int {
	s := L.CheckString(1)
	all := limit == 0 && offset == 0
	switch {
	case offset < 0 || limit < 0:
		L.RaiseError("Invalid request to unpack with offset of %d and limit of %d.", offset, len(s))
	case offset > len(s):
		L.RaiseError("Start offset %d greater than input length %d.", offset, len(s))
	}
	if all {
		limit = math.MaxInt
	}
	d := &msgpackDecoder{L: L, s: s[offset:]}
	var out []lua.LValue
	for len(d.s) > 0 && len(out) < limit {
		out = append(out, d.value())
		switch {
		case d.eof:
			L.RaiseError("Missing bytes in input.")
		case d.bad:
			L.RaiseError("Bad data format in input.")
		}
	}
	if !all {
		next := len(s) - len(d.s)
		if len(d.s) == 0 {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range out {
		L.Push(v)
	}
	if all {
		return len(out)
	}
	return len(out) + 1
}
