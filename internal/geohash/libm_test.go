package geohash

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

const refPrec = 256

func bigOf(x float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(x) }

// refSinCos returns sin(x) and cos(x) to refPrec bits, reducing x by pi/2
// in math/big.
func refSinCos(x float64) (s, c *big.Float) {
	hp, _, _ := big.ParseFloat(halfPi, 10, refPrec, big.ToNearestEven)
	k := math.RoundToEven(x / (math.Pi / 2))
	r := bigOf(x)
	r.Sub(r, new(big.Float).SetPrec(refPrec).Mul(hp, bigOf(k)))
	neg := r.Sign() < 0
	if neg {
		r.Neg(r)
	}
	s, c = bigSinCos(r, refPrec)
	if neg {
		s.Neg(s)
	}
	switch int64(k) & 3 {
	case 1:
		s, c = c, s.Neg(s)
	case 2:
		s, c = s.Neg(s), c.Neg(c)
	case 3:
		s, c = c.Neg(c), s
	}
	return s, c
}

// nearest reports whether f is the double nearest ref.
func nearest(f float64, ref *big.Float) bool {
	err := new(big.Float).SetPrec(refPrec).Sub(bigOf(f), ref)
	err.Abs(err)
	for _, n := range []float64{math.Nextafter(f, math.Inf(1)), math.Nextafter(f, math.Inf(-1))} {
		other := new(big.Float).SetPrec(refPrec).Sub(bigOf(n), ref)
		if other.Abs(other).Cmp(err) < 0 {
			return false
		}
	}
	return true
}

// TestSinCosCorrectlyRounded checks sin and cos against math/big over the
// arguments the distance formula and the bounding box pass them.
func TestSinCosCorrectlyRounded(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 17))
	xs := []float64{0, 1e-300, 0x1p-30, 1.0 / 128, 0.5 / 128, math.Pi / 4, math.Pi / 2, 1.4844222297453324, 3.14159, -2.5, 1000.25}
	for range 3000 {
		xs = append(xs, (r.Float64()*2-1)*3.2*math.Pow(r.Float64(), 3))
	}
	for _, x := range xs {
		s, c := refSinCos(x)
		if got := sin(x); !nearest(got, s) {
			t.Errorf("sin(%v) = %v, not the nearest double to %s", x, got, s.Text('g', 25))
		}
		if got := cos(x); !nearest(got, c) {
			t.Errorf("cos(%v) = %v, not the nearest double to %s", x, got, c.Text('g', 25))
		}
	}
}

// TestAsinCorrectlyRounded checks that sin maps the half-ulp neighbours
// of asin(x) on either side of x.
func TestAsinCorrectlyRounded(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	xs := []float64{0x1p-27, 0x1p-26, 0.5, 0.70710678118654752, 1 - 0x1p-53, math.Nextafter(1, 0) - 0x1p-50}
	for range 2000 {
		xs = append(xs, math.Pow(r.Float64(), float64(1+r.IntN(6))))
	}
	for _, x := range xs {
		y := asin(x)
		// sin is increasing: x must lie between the sines of the
		// midpoints between y and its neighbours.
		mid := func(n float64) *big.Float {
			m := new(big.Float).SetPrec(refPrec).Add(bigOf(y), bigOf(n))
			return m.Quo(m, bigOf(2))
		}
		lo, _ := bigSinCos(mid(math.Nextafter(y, 0)), refPrec)
		hi, _ := bigSinCos(mid(math.Nextafter(y, 2)), refPrec)
		if bx := bigOf(x); bx.Cmp(lo) < 0 || bx.Cmp(hi) > 0 {
			t.Errorf("asin(%v) = %v is not the nearest double", x, y)
		}
	}
	for _, tc := range []struct{ x, want float64 }{{0, 0}, {1, math.Pi / 2}, {-1, -math.Pi / 2}, {-0.5, -asin(0.5)}} {
		if got := asin(tc.x); got != tc.want {
			t.Errorf("asin(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if !math.IsNaN(asin(1.0000000000000002)) {
		t.Error("asin beyond 1 is not NaN")
	}
}

func BenchmarkDistance(b *testing.B) {
	x := 0.0
	for i := 0; i < b.N; i++ {
		x += Distance(13.3, 38.1, 13.3+float64(i%100)*1e-3, 38.2)
	}
	_ = x
}
