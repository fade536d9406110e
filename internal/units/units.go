// Package units parses the sizes and durations of Strata's configuration,
// written as Redis writes them: sizes like "512kb", "256mb", "1gb" or plain
// bytes, and durations like "300ms", "5m", "1h" or plain seconds.
//
// Size and Duration implement encoding.TextUnmarshaler, so they can be
// fields of a YAML-decoded struct (YAML libraries hand scalars to
// UnmarshalText) and values of flag.TextVar.
//
// Caveats: a size follows Redis's memtoull (k is 1000, kb is 1024, and so
// on) but is stricter where Redis is silent: an empty number ("" or "kb")
// and a size past 2^63-1 bytes are errors here, where Redis reads 0 or
// wraps around.
package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors; every parse error wraps one of them, so callers can map
// them with errors.Is (CONFIG SET answers "argument must be a memory value").
var (
	// ErrInvalidSize means a size is malformed or out of range.
	ErrInvalidSize = errors.New("units: invalid size")
	// ErrInvalidDuration means a duration is malformed or negative.
	ErrInvalidDuration = errors.New("units: invalid duration")
)

// sizeUnits are Redis's memtoull multipliers: a bare letter is a power of
// 1000, the letter with b a power of 1024; a lone b is bytes.
var sizeUnits = map[string]int64{
	"":   1,
	"b":  1,
	"k":  1000,
	"kb": 1024,
	"m":  1000 * 1000,
	"mb": 1024 * 1024,
	"g":  1000 * 1000 * 1000,
	"gb": 1024 * 1024 * 1024,
}

// ParseSize parses a byte count: digits, then optionally one of the units
// b, k, kb, m, mb, g, gb in any case ("100", "512kb", "1GB"). No sign, no
// spaces and no fraction are allowed, as in Redis.
func ParseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	digits, unit := s[:i], strings.ToLower(s[i:])
	mul, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%w %q: want a number of bytes, or a number with k, kb, m, mb, g or gb", ErrInvalidSize, s)
	}
	if digits == "" {
		return 0, fmt.Errorf("%w %q: no number", ErrInvalidSize, s)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/mul {
		return 0, fmt.Errorf("%w %q: more than %d bytes", ErrInvalidSize, s, int64(math.MaxInt64))
	}
	return n * mul, nil
}

// ParseDuration parses a non-negative duration: Go's syntax ("300ms",
// "5m", "1h30m"), or a plain whole number of seconds as Redis's timeout
// setting takes it ("300").
func ParseDuration(s string) (time.Duration, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > int64(math.MaxInt64/time.Second) {
			return 0, fmt.Errorf("%w %q: too long", ErrInvalidDuration, s)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w %q: want whole seconds or a number with a unit (300ms, 5m, 1h)", ErrInvalidDuration, s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%w %q: negative", ErrInvalidDuration, s)
	}
	return d, nil
}

// Size is a byte count that reads the forms ParseSize takes. Its text form
// is the plain number of bytes, as CONFIG GET reports sizes.
type Size int64

// UnmarshalText implements encoding.TextUnmarshaler with ParseSize.
func (s *Size) UnmarshalText(text []byte) error {
	n, err := ParseSize(string(text))
	if err != nil {
		return err
	}
	*s = Size(n)
	return nil
}

// MarshalText implements encoding.TextMarshaler: the plain byte count.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// String returns the plain byte count.
func (s Size) String() string { return strconv.FormatInt(int64(s), 10) }

// Human returns s in the largest of the units gb, mb and kb that holds it
// whole ("512mb"), else in bytes: how --help shows a default, in a form
// ParseSize reads back.
func (s Size) Human() string {
	for _, u := range []string{"gb", "mb", "kb"} {
		if m := sizeUnits[u]; s != 0 && s%Size(m) == 0 {
			return strconv.FormatInt(int64(s)/m, 10) + u
		}
	}
	return s.String()
}

// Duration is a time.Duration that reads the forms ParseDuration takes.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler with ParseDuration.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler in Go's syntax ("5m0s"),
// which ParseDuration reads back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// String returns the duration in Go's syntax.
func (d Duration) String() string { return time.Duration(d).String() }

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }
