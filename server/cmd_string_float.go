package server

// INCRBYFLOAT's arithmetic. Redis computes it in C's long double, which on
// x86-64 (where Redis is built and measured) is the x87 80-bit format: a
// 64-bit mantissa and a 15-bit exponent. Its replies show that precision
// ("0.1" + "0.2" is "0.3", not float64's 0.30000000000000004) and its range
// (1e400 is a valid increment), so Strata emulates the format with
// math/big.Float at 64 bits of precision, rounding to nearest even as the
// x87 unit does.

import (
	"math/big"

	"github.com/stratakv/strata/internal/resp"
)

const (
	// ldPrec is the long double mantissa width in bits.
	ldPrec = 64
	// ldMaxExp is the big.Float exponent (x = m × 2^exp, 0.5 <= m < 1) of
	// the largest finite long double; a larger exponent is an overflow.
	ldMaxExp = 16384
	// ldHalfMinExp is the exponent of half the smallest denormal long
	// double (2^-16446 = 0.5 × 2^-16445): a non-zero value at or below it
	// rounds to zero.
	ldHalfMinExp = -16445
	// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS: string2ld
	// refuses strings of this length or longer.
	maxLongDoubleChars = 5 * 1024
	// ldMaxDecimalExp and ldMinDecimalExp bound the decimal magnitude of a
	// parsed number before it is computed exactly: beyond them the value
	// certainly overflows (LDBL_MAX ~ 1.19e4932) or underflows (the
	// smallest denormal ~ 3.65e-4951), and computing 10^n would be waste.
	ldMaxDecimalExp = 4934
	ldMinDecimalExp = -4952
	// ldMaxBinaryExp and ldMinBinaryExp are the same bounds in bits, for
	// hexadecimal input.
	ldMaxBinaryExp = ldMaxExp + 1
	ldMinBinaryExp = ldHalfMinExp - 1
)

// newLongDouble returns a zero with long double precision.
func newLongDouble() *big.Float { return new(big.Float).SetPrec(ldPrec) }

// parseLongDouble parses b as Redis's string2ld does: C strtold's syntax
// (decimal or hexadecimal, inf and infinity in any case), the whole string,
// no leading space, no NaN, and neither an overflow nor an underflow to
// zero. The result may be an infinity; it is rounded to long double
// precision.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleChars {
		return nil, false
	}
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	var f *big.Float
	switch {
	case is(b, "inf") || is(b, "infinity"):
		return newLongDouble().SetInf(neg), true
	case len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X'):
		m, exp, ok := scanNumber(b[2:], 16, 'p')
		if !ok {
			return nil, false
		}
		f = scaleBinary(m, exp)
	default:
		m, exp, ok := scanNumber(b, 10, 'e')
		if !ok {
			return nil, false
		}
		f = scaleDecimal(m, exp)
	}
	if f == nil {
		return nil, false
	}
	if neg {
		f.Neg(f)
	}
	return f, true
}

// scanNumber reads digits in base 10 or 16 with an optional fraction and an
// optional exponent introduced by expChar (its digits are decimal). It
// returns the digits as an integer m and the exponent to apply to it, in
// the unit of the base (decimal) or in bits (hexadecimal), saturated far
// beyond any representable value. The whole of b must be consumed.
func scanNumber(b []byte, base int, expChar byte) (m *big.Int, exp int64, ok bool) {
	digitsPerUnit := int64(1) // fraction digits shift the exponent by this
	if base == 16 {
		digitsPerUnit = 4
	}
	i, digits, frac := 0, 0, int64(0)
	for ; i < len(b) && isDigit(b[i], base); i++ {
		digits++
	}
	intPart := b[:i]
	var fracPart []byte
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for ; i < len(b) && isDigit(b[i], base); i++ {
			digits++
		}
		fracPart = b[fs:i]
		frac = int64(len(fracPart))
	}
	if digits == 0 {
		return nil, 0, false
	}
	if i < len(b) && (b[i]|0x20) == expChar {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		es := i
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if exp < 1<<40 { // saturate: the value is out of range anyway
				exp = exp*10 + int64(b[i]-'0')
			}
		}
		if i == es {
			return nil, 0, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(b) {
		return nil, 0, false
	}
	m, _ = new(big.Int).SetString(string(intPart)+string(fracPart), base)
	return m, exp - frac*digitsPerUnit, true
}

func isDigit(c byte, base int) bool {
	if c >= '0' && c <= '9' {
		return true
	}
	c |= 0x20
	return base == 16 && c >= 'a' && c <= 'f'
}

// scaleDecimal returns m × 10^exp rounded to long double, or nil when it
// overflows or underflows to zero.
func scaleDecimal(m *big.Int, exp int64) *big.Float {
	if m.Sign() == 0 {
		return newLongDouble()
	}
	// m has len(m) digits, so m × 10^exp lies in [10^(mag-1), 10^mag).
	mag := int64(len(m.String())) + exp
	if mag > ldMaxDecimalExp || mag < ldMinDecimalExp {
		return nil
	}
	f := newLongDouble()
	if exp >= 0 {
		f.SetInt(m.Mul(m, pow10(exp)))
	} else {
		// SetRat divides exactly then rounds once: correctly rounded, as
		// glibc's strtold is.
		f.SetRat(new(big.Rat).SetFrac(m, pow10(-exp)))
	}
	return checkLongDouble(f)
}

// scaleBinary returns m × 2^exp rounded to long double, or nil when it
// overflows or underflows to zero.
func scaleBinary(m *big.Int, exp int64) *big.Float {
	if m.Sign() == 0 {
		return newLongDouble()
	}
	mag := int64(m.BitLen()) + exp
	if mag > ldMaxBinaryExp || mag < ldMinBinaryExp {
		return nil
	}
	f := newLongDouble().SetInt(m)
	return checkLongDouble(f.SetMantExp(f, int(exp)))
}

func pow10(n int64) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil) }

// checkLongDouble returns f, or nil when f is beyond the long double range:
// above LDBL_MAX, or so small that it rounds to zero.
func checkLongDouble(f *big.Float) *big.Float {
	if f.Sign() == 0 {
		return f
	}
	var mant big.Float
	exp := f.MantExp(&mant)
	switch {
	case exp > ldMaxExp:
		return nil
	case exp < ldHalfMinExp, exp == ldHalfMinExp && mant.Abs(&mant).Cmp(big.NewFloat(0.5)) == 0:
		return nil
	}
	return f
}

// addLongDouble returns x + y in long double, or false when the sum is an
// infinity or NaN (an infinite operand makes it one or the other).
func addLongDouble(x, y *big.Float) (*big.Float, bool) {
	if x.IsInf() || y.IsInf() {
		return nil, false
	}
	z := newLongDouble().Add(x, y)
	if z.Sign() != 0 && z.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return z, true
}

// formatLongDouble formats f as Redis's ld2string in LD_STR_HUMAN mode:
// printf's %.17Lf with the trailing zeros (and a bare point) removed, and
// "-0" written "0".
func formatLongDouble(f *big.Float) []byte {
	return resp.TrimHuman(f.Append(nil, 'f', 17), 0)
}
