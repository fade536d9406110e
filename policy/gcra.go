package policy

import (
	"errors"
	"math"
	"time"
)

// Errors returned by NewGCRA.
var (
	// ErrZeroRate means a GCRA was asked for zero requests per period or a
	// zero period (redis-cell's "Zero rates are not supported").
	ErrZeroRate = errors.New("policy: zero rates are not supported")
	// ErrRateRange means a rate parameter is negative or so large that the
	// limiter's arithmetic in nanoseconds would overflow.
	ErrRateRange = errors.New("policy: rate parameter out of range")
)

// GCRA is the generic cell rate algorithm exactly as redis-cell's
// CL.THROTTLE runs it: a bucket of MaxBurst+1 requests refilled at count
// per period, kept as one number, the theoretical arrival time (TAT) of the
// next request in unix nanoseconds. A GCRA is an immutable value, safe for
// concurrent use.
type GCRA struct {
	// emission is the time between two requests at the nominal rate, and
	// tolerance how far ahead of that schedule a caller may run (the bucket
	// size in time: emission * limit). Both are nanoseconds.
	emission, tolerance int64
	limit               int64
}

// NewGCRA returns the limiter of CL.THROTTLE key maxBurst count period:
// count requests per period seconds with bursts of up to maxBurst+1. As in
// redis-cell, the emission interval is period/count truncated to whole
// nanoseconds. It fails with ErrZeroRate when count or period is zero and
// with ErrRateRange when an argument is negative or overflows.
func NewGCRA(maxBurst, count, period int64) (GCRA, error) {
	if count == 0 || period == 0 {
		return GCRA{}, ErrZeroRate
	}
	if maxBurst < 0 || count < 0 || period < 0 || maxBurst == math.MaxInt64 || period > math.MaxInt64/int64(time.Second) {
		return GCRA{}, ErrRateRange
	}
	emission := int64(float64(period*int64(time.Second)) / float64(count))
	if emission == 0 {
		// Fewer than one nanosecond per request: redis-cell's per_period
		// yields a zero rate here too.
		return GCRA{}, ErrZeroRate
	}
	limit := maxBurst + 1
	if limit > math.MaxInt64/emission {
		return GCRA{}, ErrRateRange
	}
	return GCRA{emission: emission, tolerance: emission * limit, limit: limit}, nil
}

// Throttle is the outcome of one GCRA request, redis-cell's
// RateLimitResult plus its limited flag.
type Throttle struct {
	// Limited reports that the request was refused.
	Limited bool
	// Limit is the bucket size, MaxBurst+1 (X-RateLimit-Limit).
	Limit int64
	// Remaining is how many more requests of one unit would be admitted now
	// (X-RateLimit-Remaining).
	Remaining int64
	// RetryAfter is when a refused request could succeed; -1s when the
	// request was admitted, or when it could never be (its quantity
	// exceeds the bucket).
	RetryAfter time.Duration
	// ResetAfter is when the bucket is full again.
	ResetAfter time.Duration
}

// Reply returns the five integers of CL.THROTTLE's reply: limited (0|1),
// limit, remaining, retry_after and reset_after in seconds. redis-cell
// rounds the two durations up to the next second when they have a
// millisecond part, so that a fast caller does not retry too early; a
// fraction below one millisecond is dropped.
func (t Throttle) Reply() [5]int64 {
	limited := int64(0)
	if t.Limited {
		limited = 1
	}
	return [5]int64{limited, t.Limit, t.Remaining, cellSeconds(t.RetryAfter), cellSeconds(t.ResetAfter)}
}

// cellSeconds is redis-cell's whole_seconds() + 1 when
// subsec_milliseconds() > 0; both truncate toward zero.
func cellSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if (d%time.Second)/time.Millisecond > 0 {
		s++
	}
	return s
}

// Take runs one request of quantity units at now (unix ns) against the
// bucket whose stored TAT is tat (ok false when the key does not exist).
// It returns the outcome and, when the request was admitted, the new TAT to
// store with its time to live; store is false for a refused request, which
// must leave the key as it was. A zero quantity peeks: it is never refused
// for lack of room and changes nothing but the key's TTL.
//
// A TTL of zero or less means the key is already expired: the caller
// deletes it rather than storing it. Take fails with ErrRateRange when the
// quantity is negative or the new TAT would overflow.
func (g GCRA) Take(tat int64, ok bool, now, quantity int64) (t Throttle, newTAT int64, ttl time.Duration, store bool, err error) {
	if quantity < 0 || quantity > math.MaxInt64/g.emission {
		return Throttle{}, 0, 0, false, ErrRateRange
	}
	increment := g.emission * quantity
	if !ok {
		tat = now
	}
	base := max(tat, now)
	if base > math.MaxInt64-increment {
		return Throttle{}, 0, 0, false, ErrRateRange
	}
	newTAT = base + increment
	t = Throttle{Limit: g.limit, RetryAfter: -time.Second, ResetAfter: -time.Second}

	// diff is how far now is past the earliest time the request fits.
	diff := now - (newTAT - g.tolerance)
	var left int64 // ns until the bucket is full again
	if diff < 0 {
		t.Limited = true
		if increment <= g.tolerance {
			t.RetryAfter = time.Duration(-diff)
		}
		left = tat - now
	} else {
		left = newTAT - now
		store = true
	}
	// redis-cell divides whole microseconds as floats and truncates.
	if next := g.tolerance - left; next > -g.emission {
		t.Remaining = saturate(float64(next/1000) / float64(g.emission/1000))
	}
	t.ResetAfter = time.Duration(left)
	return t, newTAT, time.Duration(left), store, nil
}

// saturate converts f to int64 as Rust's `as i64` does: truncating toward
// zero, saturating at the bounds, NaN as 0.
func saturate(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}
