package server

import (
	"strconv"
	"testing"
)

// Replies and representations are checked against Redis in
// conformance/testdata/hll.txt and by conformance's TestHLLInterop; these
// tests cover the sparse and dense code paths against each other, corrupt
// input, and PFSELFTEST, too slow for the conformance suite's time limit.

// registersOf returns the registers of a valid HyperLogLog b.
func registersOf(t *testing.T, b []byte) *hllRegs {
	t.Helper()
	var r hllRegs
	if !r.merge(b) {
		t.Fatalf("invalid HyperLogLog %q", b[:min(len(b), 40)])
	}
	return &r
}

// TestHLLSparseMatchesDense adds the same elements to a sparse and a dense
// HyperLogLog and checks that they report the same changes and hold the
// same registers and count, for sparse limits that promote at once, soon,
// as Redis's default does, and never.
func TestHLLSparseMatchesDense(t *testing.T) {
	for _, maxSparse := range []int64{0, 40, 3000, 1 << 20} {
		t.Run(strconv.FormatInt(maxSparse, 10), func(t *testing.T) {
			sparse := newHLL(maxSparse)
			defer sparse.release()
			dense := newHLL(maxSparse)
			defer dense.release()
			if !dense.toDense() {
				t.Fatal("an empty HyperLogLog does not convert")
			}
			for i := range 4000 {
				ele := []byte("ele:" + strconv.Itoa(i))
				up1, ok1 := sparse.add(ele)
				up2, ok2 := dense.add(ele)
				if up1 != up2 || !ok1 || !ok2 {
					t.Fatalf("element %d: sparse added %v (ok %v), dense %v (ok %v)", i, up1, ok1, up2, ok2)
				}
				if i%97 != 0 && i != 3999 {
					continue
				}
				if *registersOf(t, sparse.b) != *registersOf(t, dense.b) {
					t.Fatalf("after %d elements the registers differ", i+1)
				}
				c1, ok1 := hllCardinality(sparse.b)
				c2, ok2 := hllCardinality(dense.b)
				if c1 != c2 || !ok1 || !ok2 {
					t.Fatalf("after %d elements sparse counts %d (ok %v), dense %d (ok %v)", i+1, c1, ok1, c2, ok2)
				}
				if sparse.b[4] == hllSparse && int64(len(sparse.b)) > maxSparse {
					t.Fatalf("after %d elements a sparse HyperLogLog of %d bytes outgrew %d", i+1, len(sparse.b), maxSparse)
				}
			}
			if maxSparse == 1<<20 && sparse.b[4] != hllSparse {
				t.Error("turned dense without a register over 32 or the size limit")
			}
			if maxSparse == 0 && sparse.b[4] != hllDense {
				t.Error("stayed sparse past hll-sparse-max-bytes 0")
			}
		})
	}
}

func TestPfselftest(t *testing.T) {
	c := dial(t, startServer(t, Config{}))
	c.expect("+OK\r\n", "PFSELFTEST")
	c.expect("-ERR wrong number of arguments for 'pfselftest' command\r\n", "PFSELFTEST", "x")
}

// FuzzHLLCorrupt runs the sparse code paths on arbitrary opcodes: they
// must not panic, and opcodes that count as valid must convert to a dense
// HyperLogLog with the same registers and count.
func FuzzHLLCorrupt(f *testing.F) {
	for _, seed := range []string{
		"", "\x7f\xff", "\x7f\xfe", "\x7f\xfe\x80", "\x7f\xff\x80", "\x7f", "\x80\x7f\xff",
		"\x80\x7f\xfe", "\x7f\xff\x7f\xff", "\x00\x7f\xfe", "\x4f\xff\xfc\x70\xff", "\xff\xff\xff\xff",
	} {
		f.Add([]byte(seed), []byte("a"), uint16(3000))
	}
	f.Fuzz(func(t *testing.T, regs, ele []byte, maxSparse uint16) {
		b := append([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"), regs...)
		card, valid := hllCardinality(b)
		var r hllRegs
		if merged := r.merge(b); merged != valid {
			t.Fatalf("merge says valid %v, the count %v", merged, valid)
		}
		h := &hllWrite{b: b, maxSparse: int64(maxSparse)}
		defer h.release()
		if valid {
			if !h.toDense() {
				t.Fatal("a valid sparse HyperLogLog does not convert")
			}
			if dense, _ := hllCardinality(h.b); dense != card {
				t.Fatalf("sparse counts %d, dense %d", card, dense)
			}
			if *registersOf(t, h.b) != r {
				t.Fatal("dense registers differ from the sparse ones")
			}
			return
		}
		h.add(ele)
		hllCardinality(h.b)
	})
}
