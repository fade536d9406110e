package policy

import (
	"math"
	"math/bits"
	"strconv"
)

// Window is a CACHE.RATE limit: at most Limit units of cost per Length
// milliseconds. Windows open at the first request after the previous one
// closed, as the INCR-then-EXPIRE pattern opens them, not on a clock grid.
// Callers validate Limit and Length (both positive) and every cost (between
// 0 and Limit) before calling its methods.
type Window struct {
	Limit  int64
	Length int64
}

// Decision is the outcome of one CACHE.RATE request.
type Decision struct {
	// Allowed reports that the request was admitted (and counted).
	Allowed bool
	// Count is what the window holds after the request: the count of a
	// fixed window, the weighted estimate of a sliding one.
	Count int64
	// Remaining is how much more cost the window admits now.
	Remaining int64
	// Reset is the milliseconds until the current window's last
	// millisecond: 0 in that millisecond, when the window still counts.
	Reset int64
}

// FixedState is a fixed window as stored: the cost counted so far and the
// unix milliseconds of the window's last millisecond, its key's expiry (0:
// no window open, which is also how a counter left without a TTL is read,
// so that it cannot lock its caller out for ever). As Redis keeps a key
// through its expiry millisecond, the window includes End.
type FixedState struct {
	Count, End int64
}

// Fixed runs a request of cost at now (unix ms) against a fixed window in
// state s. It returns the decision and the state to store, which a denied
// request leaves as it found it apart from opening a window. The state
// expires at its End.
func (w Window) Fixed(s FixedState, now, cost int64) (Decision, FixedState) {
	if s.End < now {
		s = FixedState{End: now + w.Length}
	}
	s.Count = max(s.Count, 0)
	allowed := s.Count <= w.Limit-cost
	if allowed {
		s.Count += cost
	}
	return Decision{Allowed: allowed, Count: s.Count, Remaining: max(w.Limit-s.Count, 0), Reset: s.End - now}, s
}

// SlidingState is a sliding-window counter as stored: the cost counted in
// the current window, the cost of the window before it, and the unix
// milliseconds at which the current window opened (0: none open).
type SlidingState struct {
	Current, Previous, Start int64
}

// Sliding runs a request of cost at now (unix ms) against a sliding-window
// counter in state s. The window's count is the current window's plus the
// previous window's weighted by how much of it still overlaps the last
// Length milliseconds, rounded up, so that a request is admitted exactly
// when that estimate (in exact arithmetic) plus cost stays within Limit, as
// Cloudflare describes the algorithm. A denied request counts nothing.
func (w Window) Sliding(s SlidingState, now, cost int64) (Decision, SlidingState) {
	switch {
	case s.Start == 0:
		s = SlidingState{Start: now}
	case now-s.Start >= w.Length:
		k := (now - s.Start) / w.Length
		prev := int64(0)
		if k == 1 {
			prev = s.Current
		}
		s = SlidingState{Previous: prev, Start: s.Start + k*w.Length}
	}
	s.Current, s.Previous = max(s.Current, 0), max(s.Previous, 0)
	elapsed := min(max(now-s.Start, 0), w.Length) // a clock that stepped back counts as the window's start
	count := satAdd(s.Current, mulDivCeil(s.Previous, w.Length-elapsed, w.Length))
	allowed := count <= w.Limit-cost
	if allowed {
		s.Current += cost
		count += cost
	}
	return Decision{Allowed: allowed, Count: count, Remaining: max(w.Limit-count, 0), Reset: s.Start + w.Length - now}, s
}

// SlidingExpireAt returns when a sliding state may be forgotten: once the
// window after the current one has closed, neither counts any more.
func (w Window) SlidingExpireAt(s SlidingState) int64 { return s.Start + 2*w.Length }

// AppendSliding appends the text form of s that CACHE.RATE ... SLIDING
// stores, "current previous start" as decimal integers, so that GET shows
// the counts first.
func AppendSliding(b []byte, s SlidingState) []byte {
	b = strconv.AppendInt(b, s.Current, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, s.Previous, 10)
	b = append(b, ' ')
	return strconv.AppendInt(b, s.Start, 10)
}

// ParseSliding parses the text form written by AppendSliding. It reports
// false for anything else.
func ParseSliding(b []byte) (SlidingState, bool) {
	var f [3]int64
	for i := range f {
		end := 0
		for end < len(b) && b[end] != ' ' {
			end++
		}
		if (i < 2) != (end < len(b)) {
			return SlidingState{}, false
		}
		n, err := strconv.ParseInt(string(b[:end]), 10, 64)
		if err != nil {
			return SlidingState{}, false
		}
		f[i] = n
		if end < len(b) {
			b = b[end+1:]
		}
	}
	return SlidingState{Current: f[0], Previous: f[1], Start: f[2]}, true
}

// mulDivCeil returns ceil(a*b/c) for non-negative a, b and positive c with
// b <= c, without overflowing in the product.
func mulDivCeil(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, r := bits.Div64(hi, lo, uint64(c)) // hi < c since b <= c: no panic
	if r != 0 {
		q++
	}
	return int64(q)
}

// satAdd adds non-negative a and b, saturating at math.MaxInt64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
