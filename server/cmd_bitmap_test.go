package server

import (
	"math"
	"testing"
)

// Replies to the bitmap commands are checked against Redis in
// conformance/testdata/bitmap.txt; these tests cover the parsers and the
// overflow rules case by case.

func TestBitfieldType(t *testing.T) {
	for _, tc := range []struct {
		name   string
		arg    string
		signed bool
		bits   int
		ok     bool
	}{
		{"signed", "i8", true, 8, true},
		{"unsigned", "u16", false, 16, true},
		{"narrowest", "i1", true, 1, true},
		{"widest signed", "i64", true, 64, true},
		{"widest unsigned", "u63", false, 63, true},
		{"u64 cannot be replied", "u64", false, 0, false},
		{"too wide", "i65", false, 0, false},
		{"zero width", "i0", false, 0, false},
		{"negative width", "u-1", false, 0, false},
		{"leading zero", "u08", false, 0, false},
		{"upper case", "I8", false, 0, false},
		{"no width", "u", false, 0, false},
		{"empty", "", false, 0, false},
		{"other letter", "x8", false, 0, false},
		{"width read up to a NUL", "i8\x00junk", true, 8, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signed, bits, ok := bitfieldType([]byte(tc.arg))
			if signed != tc.signed || bits != tc.bits || ok != tc.ok {
				t.Errorf("bitfieldType(%q) = %v, %d, %v; want %v, %d, %v", tc.arg, signed, bits, ok, tc.signed, tc.bits, tc.ok)
			}
		})
	}
}

func TestBitfieldOverflow(t *testing.T) {
	for _, tc := range []struct {
		name        string
		value, incr int64
		bits        int
		signed      bool
		mode        overflowMode
		over        bool
		limit       int64
	}{
		{"u8 in range", 200, 55, 8, false, overflowWrap, false, 0},
		{"u8 wraps up", 200, 56, 8, false, overflowWrap, true, 0},
		{"u8 saturates up", 200, 56, 8, false, overflowSat, true, 255},
		{"u8 wraps down", 3, -4, 8, false, overflowWrap, true, 255},
		{"u8 saturates down", 3, -4, 8, false, overflowSat, true, 0},
		{"u8 set out of range wraps", 300, 0, 8, false, overflowWrap, true, 44},
		{"u8 set negative saturates to the top", -1, 0, 8, false, overflowSat, true, 255},
		{"u63 top", math.MaxInt64, 0, 63, false, overflowWrap, false, 0},
		{"i8 in range", -100, -28, 8, true, overflowWrap, false, 0},
		{"i8 wraps down", -100, -29, 8, true, overflowWrap, true, 127},
		{"i8 saturates up", 100, 28, 8, true, overflowSat, true, 127},
		{"i8 saturates down", -100, -29, 8, true, overflowSat, true, -128},
		{"i8 set wraps to negative", 200, 0, 8, true, overflowWrap, true, -56},
		{"i1 holds -1 and 0", 0, -1, 1, true, overflowFail, false, 0},
		{"i1 has no 1", 0, 1, 1, true, overflowWrap, true, -1},
		{"i64 wraps up", math.MaxInt64, 1, 64, true, overflowWrap, true, math.MinInt64},
		{"i64 saturates down", math.MinInt64, -1, 64, true, overflowSat, true, math.MinInt64},
		{"i64 extremes add up", math.MinInt64, math.MaxInt64, 64, true, overflowFail, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var over bool
			var limit int64
			if tc.signed {
				over, limit = signedOverflow(tc.value, tc.incr, tc.bits, tc.mode)
			} else {
				var u uint64
				over, u = unsignedOverflow(uint64(tc.value), tc.incr, tc.bits, tc.mode)
				limit = int64(u)
			}
			if over != tc.over || over && tc.mode != overflowFail && limit != tc.limit {
				t.Errorf("got %v, %d; want %v, %d", over, limit, tc.over, tc.limit)
			}
		})
	}
}
