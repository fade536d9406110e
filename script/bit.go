package script

// The bit library of scripts: LuaBitOp 1.0's functions, as Redis bundles
// them. Every operation works on 32-bit integers and returns a signed one.
// https://bitop.luajit.org/api.html

import (
	"math"
	"math/bits"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

func newBitLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"tobit":   func(L *lua.LState) int { return bitResult(L, bitArg(L, 1, "tobit")) },
		"bnot":    func(L *lua.LState) int { return bitResult(L, ^bitArg(L, 1, "bnot")) },
		"band":    bitFold("band", func(a, b uint32) uint32 { return a & b }),
		"bor":     bitFold("bor", func(a, b uint32) uint32 { return a | b }),
		"bxor":    bitFold("bxor", func(a, b uint32) uint32 { return a ^ b }),
		"lshift":  bitShift("lshift", func(x uint32, n uint) uint32 { return x << n }),
		"rshift":  bitShift("rshift", func(x uint32, n uint) uint32 { return x >> n }),
		"arshift": bitShift("arshift", func(x uint32, n uint) uint32 { return uint32(int32(x) >> n) }),
		"rol":     bitShift("rol", func(x uint32, n uint) uint32 { return bits.RotateLeft32(x, int(n)) }),
		"ror":     bitShift("ror", func(x uint32, n uint) uint32 { return bits.RotateLeft32(x, -int(n)) }),
		"bswap":   func(L *lua.LState) int { return bitResult(L, bits.ReverseBytes32(bitArg(L, 1, "bswap"))) },
		"tohex":   bitToHex,
	} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

// bitArg reads argument n of function fname as LuaBitOp normalizes
// numbers: rounded to an integer and taken modulo 2^32.
func bitArg(L *lua.LState, n int, fname string) uint32 {
	f := math.RoundToEven(float64(checkNumber(L, n, fname)))
	return uint32(int64(math.Mod(f, 1<<32)))
}

func bitResult(L *lua.LState, v uint32) int {
	L.Push(lua.LNumber(int32(v)))
	return 1
}

func bitFold(name string, op func(a, b uint32) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		v := bitArg(L, 1, name)
		for i := 2; i <= L.GetTop(); i++ {
			v = op(v, bitArg(L, i, name))
		}
		return bitResult(L, v)
	}
}

func bitShift(name string, op func(x uint32, n uint) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		return bitResult(L, op(bitArg(L, 1, name), uint(bitArg(L, 2, name)&31)))
	}
}

// bitToHex is bit.tohex(x [, n]): the low n hex digits of x (8 by
// default), upper case when n is negative.
func bitToHex(L *lua.LState) int {
	x := bitArg(L, 1, "tohex")
	n := int32(8)
	if L.GetTop() >= 2 {
		n = int32(bitArg(L, 2, "tohex"))
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

// argError raises Lua 5.1's "bad argument" error (gopher-lua's own leaves
// the function name unquoted).
func argError(L *lua.LState, n int, fname, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fname, msg)
}

// checkNumber returns argument n of function fname as a number, as Lua
// 5.1's luaL_checknumber: numeric strings convert.
func checkNumber(L *lua.LState, n int, fname string) lua.LNumber {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return v
	case lua.LString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			return lua.LNumber(f)
		}
	}
	got := "no value"
	if n <= L.GetTop() {
		got = L.Get(n).Type().String()
	}
	argError(L, n, fname, "number expected, got "+got)
	return 0
}
