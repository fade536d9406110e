package geohash

// Correctly rounded sin, cos and asin for the distance formula.
//
// Redis computes distances with glibc's libm, whose sin, cos and asin
// return the double nearest the exact value in all but about one case in
// a thousand; Go's math package is off by an ulp or more in a quarter of
// cases, which shows in the last digits of a STOREDIST score. These
// functions compute in double-double arithmetic (about 100 bits) and
// round once, so they agree with glibc wherever glibc is correctly
// rounded.
//
// sin and cos reduce their argument by multiples of pi/2 (pi/2 held in
// three doubles), then by the nearest multiple of 1/128, whose sine and
// cosine come from a table computed once in math/big; the remainder's
// sine and cosine are short Taylor series. asin refines math.Asin's
// estimate by one Newton step on sin(y) = x.

import (
	"math"
	"math/big"
	"sync"
)

// dd is a double-double: the unevaluated sum hi + lo, |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

// twoSum returns a+b and its rounding error.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return s, e
}

// fastTwoSum is twoSum for |a| >= |b|.
func fastTwoSum(a, b float64) (s, e float64) {
	s = a + b
	e = b - (s - a)
	return s, e
}

// twoProd returns a*b and its rounding error.
func twoProd(a, b float64) (p, e float64) {
	p = a * b
	return p, math.FMA(a, b, -p)
}

func ddAdd(a, b dd) dd {
	s, e := twoSum(a.hi, b.hi)
	e += a.lo + b.lo
	s, e = fastTwoSum(s, e)
	return dd{s, e}
}

// ddAddFloat returns a + b for a double b.
func ddAddFloat(a dd, b float64) dd {
	s, e := twoSum(a.hi, b)
	e += a.lo
	s, e = fastTwoSum(s, e)
	return dd{s, e}
}

func ddMul(a, b dd) dd {
	p, e := twoProd(a.hi, b.hi)
	e += a.hi*b.lo + a.lo*b.hi
	p, e = fastTwoSum(p, e)
	return dd{p, e}
}

func (a dd) neg() dd { return dd{-a.hi, -a.lo} }

// round returns the double nearest a.
func (a dd) round() float64 { return a.hi + a.lo }

// Constants for the reduction, computed in math/big when first needed.
type libmTables struct {
	// pio2 is pi/2 in three parts, the first two of 33 bits: k*pio2[0]
	// and k*pio2[1] are exact for |k| < 2^20.
	pio2     [3]float64
	sin, cos [tableSize]dd
}

const (
	tableStep = 128 // the table's spacing is 1/tableStep
	// tableSize covers |r| <= pi/4 plus the slack of a quadrant picked
	// from a rounded product.
	tableSize = 102
	// reduceMax bounds the arguments reduced here (|k| < 2^20); beyond it
	// (a search whose radius is many times the earth's) math.Sin and
	// math.Cos serve.
	reduceMax = 1 << 19
)

// halfPi is pi/2 to 60 digits.
const halfPi = "1.57079632679489661923132169163975144209858469968755291048747"

var tables = sync.OnceValue(func() *libmTables {
	const prec = 256
	t := new(libmTables)
	rest, _, _ := big.ParseFloat(halfPi, 10, prec, big.ToNearestEven)
	for i := range t.pio2 {
		part := new(big.Float).Copy(rest)
		if i < 2 {
			part.SetPrec(33).SetMode(big.ToZero).Set(rest)
		}
		t.pio2[i], _ = part.Float64()
		rest.Sub(rest, new(big.Float).SetPrec(prec).SetFloat64(t.pio2[i]))
	}
	for j := range tableSize {
		x := new(big.Float).SetPrec(prec).SetFloat64(float64(j) / tableStep)
		s, c := bigSinCos(x, prec)
		t.sin[j], t.cos[j] = bigToDD(s), bigToDD(c)
	}
	return t
})

// bigSinCos sums the Taylor series of sin and cos at x (0 <= x < 2).
func bigSinCos(x *big.Float, prec uint) (s, c *big.Float) {
	s = new(big.Float).SetPrec(prec)
	c = new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec).SetFloat64(1) // x^n / n!
	// Until a term is below 2^-prec of the smaller result: sin x ~ x for
	// a small x, else 1.
	limit := new(big.Float).SetPrec(prec).SetMantExp(big.NewFloat(1), -int(prec))
	if x.Cmp(big.NewFloat(1)) < 0 {
		limit.Mul(limit, x)
	}
	for n := 0; term.Cmp(limit) > 0; n++ {
		sum := c
		if n%2 == 1 {
			sum = s
		}
		if n%4 >= 2 {
			sum.Sub(sum, term)
		} else {
			sum.Add(sum, term)
		}
		term.Mul(term, x)
		term.Quo(term, new(big.Float).SetInt64(int64(n+1)))
	}
	return s, c
}

func bigToDD(f *big.Float) dd {
	hi, _ := f.Float64()
	lo, _ := new(big.Float).SetPrec(f.Prec()).Sub(f, big.NewFloat(hi)).Float64()
	return dd{hi, lo}
}

// sinCosDD returns sin(x) and cos(x) in double-double, for |x| <=
// reduceMax.
func sinCosDD(x float64) (sin, cos dd) {
	// r = x - k*pi/2: x - k*pio2[0] and k*pio2[1] are exact, the rest is
	// below 2^-70 of r.
	r, k := dd{x, 0}, 0.0
	if math.Abs(x) > math.Pi/4 {
		t := tables()
		k = math.RoundToEven(x * (2 / math.Pi))
		hi, lo := twoSum(x-k*t.pio2[0], -k*t.pio2[1])
		r = dd{hi, lo - k*t.pio2[2]}
	}
	// r = a + h, a = j/128 from the table (a - h is exact: Sterbenz).
	j := math.RoundToEven(r.hi * tableStep)
	h := dd{r.hi - j/tableStep, r.lo}
	// |h| <= 1/256: sin h = h + h^3 P(h^2), cos h = 1 - h^2/2 + h^4 Q(h^2),
	// the tails in double (each below 1e-7 of the result).
	h2 := h.hi * h.hi
	sh := dd{h.hi, h.lo + h.hi*h2*(-1.0/6+h2*(1.0/120+h2*(-1.0/5040+h2*(1.0/362880))))}
	sh.hi, sh.lo = twoSum(sh.hi, sh.lo)
	sq, sqe := twoProd(h.hi, h.hi)
	chHi, chLo := fastTwoSum(1, -sq/2)
	chLo += -sqe/2 - h.hi*h.lo + h2*h2*(1.0/24+h2*(-1.0/720+h2*(1.0/40320)))
	ch := dd{chHi, chLo}
	s, c := sh, ch
	if j != 0 { // sin(a+h) and cos(a+h)
		t := tables()
		i := int(math.Abs(j))
		sa, ca := t.sin[i], t.cos[i]
		if j < 0 {
			sa = sa.neg()
		}
		s = ddAdd(ddMul(sa, ch), ddMul(ca, sh))
		c = ddAdd(ddMul(ca, ch), ddMul(sa, sh).neg())
	}
	switch int64(k) & 3 { // the quadrant
	case 1:
		s, c = c, s.neg()
	case 2:
		s, c = s.neg(), c.neg()
	case 3:
		s, c = c.neg(), s
	}
	return s, c
}

// sin returns the double nearest the sine of x.
func sin(x float64) float64 {
	if !(math.Abs(x) <= reduceMax) { // NaN and infinities included
		return math.Sin(x)
	}
	s, _ := sinCosDD(x)
	return s.round()
}

// cos returns the double nearest the cosine of x.
func cos(x float64) float64 {
	if !(math.Abs(x) <= reduceMax) {
		return math.Cos(x)
	}
	_, c := sinCosDD(x)
	return c.round()
}

// asin returns the double nearest the arcsine of x.
func asin(x float64) float64 {
	switch ax := math.Abs(x); {
	case !(ax < 1): // 1, beyond, NaN
		return math.Asin(x)
	case ax < 0x1p-26: // asin x = x + x^3/6 + ...: rounds to x
		return x
	}
	y := math.Asin(x)
	s, c := sinCosDD(y)
	// One Newton step on sin(y) = x: y - (sin y - x) / cos y.
	d := ddAddFloat(s, -x)
	return y - d.round()/c.round()
}
