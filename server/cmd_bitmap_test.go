package server

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// Replies to the bitmap commands are checked against Redis in
// conformance/testdata/bitmap.txt; these tests cover the parsers and the
// overflow rules case by case, and what a conformance script cannot set
// up: namespaces and the disk tier.

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

// TestBitmapsInNamespaces checks that bitmap and HyperLogLog writes get
// their namespace's TTL as Redis's semantics say (SETBIT, BITFIELD and
// PFADD change a value in place; BITOP replaces its destination), and
// that they persist through the disk tier, compressed or not.
func TestBitmapsInNamespaces(t *testing.T) {
	cfg := Config{Dir: t.TempDir(), Namespaces: []policy.Namespace{
		{Match: "wt:*", Strategy: policy.WriteThrough, TTL: time.Hour},
		{Match: "z:*", Strategy: policy.WriteThrough, Compress: &policy.Compress{MinSize: 100}},
	}}
	s := startServer(t, cfg)
	c := dial(t, s)
	ttl := func(key string, want ...string) {
		t.Helper()
		got := c.do("TTL", key)
		for _, w := range want {
			if got == w {
				return
			}
		}
		t.Errorf("TTL %s = %q, want one of %q", key, got, want)
	}
	c.expect(":0\r\n", "SETBIT", "wt:b", "7", "1")
	ttl("wt:b", ":3600\r\n", ":3599\r\n")
	c.expect(":1\r\n", "EXPIRE", "wt:b", "100")
	c.expect(":0\r\n", "SETBIT", "wt:b", "8", "1")
	c.expect("*1\r\n:5\r\n", "BITFIELD", "wt:b", "INCRBY", "u8", "16", "5")
	ttl("wt:b", ":100\r\n", ":99\r\n")
	c.expect("+OK\r\n", "SET", "wt:src", "x")
	c.expect(":1\r\n", "BITOP", "NOT", "wt:d", "wt:src")
	c.expect(":1\r\n", "EXPIRE", "wt:d", "50")
	c.expect(":1\r\n", "BITOP", "NOT", "wt:d", "wt:src")
	ttl("wt:d", ":3600\r\n", ":3599\r\n")
	c.expect(":1\r\n", "PFADD", "wt:h", "a", "b", "c")

	// A long bitmap and a dense HyperLogLog, changed where they are stored
	// (editString, hllWrite.own), persist as any write and keep their TTL.
	c.expect(":0\r\n", "SETBIT", "wt:long", "99999", "1")
	c.expect(":0\r\n", "SETBIT", "wt:long", "3", "1")
	c.expect(":1\r\n", "PFADD", "wt:dense", "a")
	c.expect(":1\r\n", "PFDEBUG", "TODENSE", "wt:dense")
	c.expect(":1\r\n", "PFADD", "wt:dense", "b", "c", "d")
	c.expect(":4\r\n", "PFCOUNT", "wt:dense")
	long, dense := c.do("GET", "wt:long"), c.do("GET", "wt:dense")
	ttl("wt:long", ":3600\r\n", ":3599\r\n")
	ttl("wt:dense", ":3600\r\n", ":3599\r\n")

	// A dense HyperLogLog and a long bitmap, compressed.
	args := []string{"PFADD", "z:h"}
	for i := range 5000 {
		args = append(args, "element:"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune(i)))
	}
	c.expect(":1\r\n", args...)
	c.expect(":0\r\n", "SETBIT", "z:b", "80000", "1")
	c.expect("*2\r\n:0\r\n:1\r\n", "BITFIELD", "z:b", "SET", "u8", "#5", "255", "GET", "u1", "80000")
	bitmap := c.do("GET", "z:b")
	count := c.do("PFCOUNT", "z:h") // a read that stores the count it caches
	hll := c.do("GET", "z:h")
	for _, key := range []string{"z:h", "z:b"} {
		raw, ok := peek(t, s, key, storage.LookupRaw)
		if !ok || raw.Flags()&storage.FlagCompressed == 0 {
			t.Errorf("%s is not stored compressed", key)
		}
	}

	s = restartServer(t, s, cfg)
	c = dial(t, s)
	c.expect("$3\r\n\x01\x80\x05\r\n", "GET", "wt:b")
	c.expect(":3\r\n", "PFCOUNT", "wt:h")
	c.expect(long, "GET", "wt:long")
	c.expect(dense, "GET", "wt:dense")
	c.expect(count, "PFCOUNT", "z:h")
	c.expect(hll, "GET", "z:h")
	c.expect(bitmap, "GET", "z:b")
	c.expect(":9\r\n", "BITCOUNT", "z:b", "0", "-1", "BIT")
}
