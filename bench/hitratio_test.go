package main

import (
	"strings"
	"testing"
)

// TestZipfSampler: the inverse-CDF sampler draws rank 0 about as often as
// Zipf(0.99) over 1,000 keys says (1/H, H = sum of 1/k^0.99), and never
// leaves the keyspace.
func TestZipfSampler(t *testing.T) {
	z := newZipfSampler(1000, 0.99)
	tr := newHitTrace(z, 1, false)
	zero := 0
	const draws = 200_000
	for i := 0; i < draws; i++ {
		k := z.draw(tr.r)
		if k < 0 || k >= 1000 {
			t.Fatalf("drew rank %d of 1000", k)
		}
		if k == 0 {
			zero++
		}
	}
	want := z.cdf[0] * draws
	if got := float64(zero); got < want*0.95 || got > want*1.05 {
		t.Errorf("rank 0 drawn %d times in %d, want about %.0f", zero, draws, want)
	}
}

// TestHitTraceBursts: the burst trace is the Zipf trace with 1,000 fresh
// cold keys after every 4,000 draws, and the same seed gives the same
// trace.
func TestHitTraceBursts(t *testing.T) {
	z := newZipfSampler(200, 0.99)
	plain, burst, again := newHitTrace(z, 7, false), newHitTrace(z, 7, true), newHitTrace(z, 7, true)
	seen := map[string]bool{}
	for i := 0; i < 3*(burstEvery+burstKeys); i++ {
		k := burst.key()
		if k != again.key() {
			t.Fatalf("request %d differs between two traces of one seed", i)
		}
		inBurst := i%(burstEvery+burstKeys) >= burstEvery
		if cold := strings.HasPrefix(k, "cold:"); cold != inBurst {
			t.Fatalf("request %d is %q; in a burst: %v", i, k, inBurst)
		} else if cold {
			if seen[k] {
				t.Fatalf("cold key %q repeated", k)
			}
			seen[k] = true
		} else if p := plain.key(); p != k {
			t.Fatalf("request %d: %q, the Zipf trace has %q", i, k, p)
		}
	}
}
