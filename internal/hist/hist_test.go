package hist

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	prevHi := uint64(0)
	for i := 0; i < buckets; i++ {
		lo, hi := bounds(i)
		if lo != prevHi || hi <= lo {
			t.Fatalf("bucket %d is [%d, %d), after one ending at %d", i, lo, hi, prevHi)
		}
		if i >= sub && (hi-lo)*sub > lo {
			t.Fatalf("bucket %d [%d, %d) is wider than 1/%d of its bound", i, lo, hi, sub)
		}
		for _, ns := range []uint64{lo, hi - 1} {
			if got := index(ns); got != i {
				t.Fatalf("index(%d) = %d, want %d", ns, got, i)
			}
		}
		prevHi = hi
	}
	if got := index(1 << 62); got != buckets-1 {
		t.Errorf("index(2^62) = %d, want the last bucket", got)
	}
}

func TestPercentile(t *testing.T) {
	var h Histogram
	if got := h.Snapshot().Percentile(50); got != 0 {
		t.Errorf("empty p50 = %v", got)
	}
	for i := 1; i <= 1000; i++ {
		h.Observe(time.Duration(i) * time.Microsecond)
	}
	s := h.Snapshot()
	if s.Count() != 1000 || h.Count() != 1000 || s.Sum() != 500500*time.Microsecond {
		t.Fatalf("count %d, sum %v", s.Count(), s.Sum())
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 500 * time.Microsecond}, {99, 990 * time.Microsecond}, {99.9, 999 * time.Microsecond}, {100, 1000 * time.Microsecond}} {
		got := s.Percentile(tc.p)
		if d := float64(got-tc.want) / float64(tc.want); d < -0.07 || d > 0.07 {
			t.Errorf("p%v = %v, want %v within 7%%", tc.p, got, tc.want)
		}
	}
	h.Reset()
	if h.Count() != 0 || h.Snapshot().Count() != 0 || h.Sum() != 0 {
		t.Errorf("after Reset: %d observations", h.Count())
	}
}

// TestCumulative checks the Prometheus buckets against a direct count:
// equal where no bucket straddles a bound, and never above it.
func TestCumulative(t *testing.T) {
	var h Histogram
	var obs []time.Duration
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		d := time.Duration(r.ExpFloat64() * float64(200*time.Microsecond))
		obs = append(obs, d)
		h.Observe(d)
	}
	upper := []time.Duration{16, 1024, 65536, 100 * time.Microsecond, time.Millisecond, time.Hour}
	got := h.Snapshot().Cumulative(upper)
	for j, u := range upper {
		exact := uint64(0)
		for _, d := range obs {
			if d <= u {
				exact++
			}
		}
		aligned := u == 16 || u == 1024 || u == 65536 || u == time.Hour
		if got[j] > exact || aligned && got[j] != exact || float64(got[j]) < 0.9*float64(exact) {
			t.Errorf("le %v: %d, exact %d", u, got[j], exact)
		}
	}
	if !slices.IsSorted(got) || got[len(got)-1] != 5000 {
		t.Errorf("cumulative counts %v", got)
	}
}
