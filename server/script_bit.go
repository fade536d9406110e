package server

// The bit library of scripts: LuaBitOp 1.0's functions, as Redis bundles
// them. Every operation works on 32-bit integers and returns a signed one.
// https://bitop.luajit.org/api.html

import (
	"math"
	"math/bits"

	lua "github.com/yuin/gopher-lua"
)

func newBitLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"tobit":   func(L *lua.LState) int { return bitResult(L, bitArg(L, 1)) },
		"bnot":    func(L *lua.LState) int { return bitResult(L, ^bitArg(L, 1)) },
		"band":    bitFold(func(a, b uint32) uint32 { return a & b }),
		"bor":     bitFold(func(a, b uint32) uint32 { return a | b }),
		"bxor":    bitFold(func(a, b uint32) uint32 { return a ^ b }),
		"lshift":  bitShift(func(x uint32, n uint) uint32 { return x << n }),
		"rshift":  bitShift(func(x uint32, n uint) uint32 { return x >> n }),
		"arshift": bitShift(func(x uint32, n uint) uint32 { return uint32(int32(x) >> n) }),
		"rol":     bitShift(func(x uint32, n uint) uint32 { return bits.RotateLeft32(x, int(n)) }),
		"ror":     bitShift(func(x uint32, n uint) uint32 { return bits.RotateLeft32(x, -int(n)) }),
		"bswap":   func(L *lua.LState) int { return bitResult(L, bits.ReverseBytes32(bitArg(L, 1))) },
		"tohex":   bitToHex,
	} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

// bitArg reads argument n as LuaBitOp normalizes numbers: rounded to an
// integer and taken modulo 2^32.
func bitArg(L *lua.LState, n int) uint32 {
	f := math.RoundToEven(float64(L.CheckNumber(n)))
	return uint32(int64(math.Mod(f, 1<<32)))
}

func bitResult(L *lua.LState, v uint32) int {
	L.Push(lua.LNumber(int32(v)))
	return 1
}

func bitFold(op func(a, b uint32) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		v := bitArg(L, 1)
		for i := 2; i <= L.GetTop(); i++ {
			v = op(v, bitArg(L, i))
		}
		return bitResult(L, v)
	}
}

func bitShift(op func(x uint32, n uint) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		return bitResult(L, op(bitArg(L, 1), uint(bitArg(L, 2)&31)))
	}
}

// bitToHex is bit.tohex(x [, n]): the low n hex digits of x (8 by
// default), upper case when n is negative.
func bitToHex(L *lua.LState) int {
	x := bitArg(L, 1)
	n := int32(8)
	if L.GetTop() >= 2 {
		n = int32(bitArg(L, 2))
	}
	digits := "0123456789abcdef"
	if n < 0 {
		n, digits = -n, "0123456789ABCDEF"
	}
	n = min(n, 8)
	buf := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		buf[i] = digits[x&15]
		x >>= 4
	}
	L.Push(lua.LString(buf))
	return 1
}
