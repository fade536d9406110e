// Package hist is a lock-free histogram of durations, for the latencies
// Strata reports: per-command latency (INFO latencystats and the admin
// endpoint's /metrics), the write-ahead log's fsyncs and warm-up runs.
//
// A Histogram counts observations in log-linear buckets, 16 per power of
// two nanoseconds, so a bucket is at most 1/16 (6.25%) wider than its lower
// bound, from 1ns to about 18 minutes (longer observations land in the last
// bucket). Percentiles are read at a bucket's midpoint; counts and the sum
// are exact. Observe is two atomic adds and may run on any goroutine while
// others read.
//
// The zero Histogram is ready to use. It is 4.7 KB: callers that keep one
// per command allocate it on first use.
package hist

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// subBits is log2 of the buckets per power of two.
const subBits = 4

const (
	sub      = 1 << subBits
	maxShift = 35 // the last octave starts at 2^(maxShift+subBits) ns, 9.2 minutes
	buckets  = (maxShift + 2) * sub
)

// Histogram counts durations. It is safe for concurrent use.
type Histogram struct {
	counts [buckets]atomic.Uint64
	count  atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

// index returns the bucket of ns nanoseconds.
func index(ns uint64) int {
	if ns < sub {
		return int(ns)
	}
	shift := bits.Len64(ns) - subBits - 1
	if shift > maxShift {
		return buckets - 1
	}
	return (shift+1)*sub + int(ns>>shift) - sub
}

// bounds returns bucket i's lowest value and the lowest value of the next
// bucket, in nanoseconds.
func bounds(i int) (lo, hi uint64) {
	if i < sub {
		return uint64(i), uint64(i) + 1
	}
	shift := i/sub - 1
	m := uint64(i%sub + sub)
	return m << shift, (m + 1) << shift
}

// Observe counts one duration; a negative one counts as 0.
func (h *Histogram) Observe(d time.Duration) {
	ns := uint64(max(d, 0))
	h.counts[index(ns)].Add(1)
	h.count.Add(1)
	h.sum.Add(int64(ns))
}

// Count returns the number of observations.
func (h *Histogram) Count() uint64 { return h.count.Load() }

// Sum returns the total of the observations.
func (h *Histogram) Sum() time.Duration { return time.Duration(h.sum.Load()) }

// Reset forgets every observation; observations racing with it may
// survive in part.
func (h *Histogram) Reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
	h.count.Store(0)
	h.sum.Store(0)
}

// Snapshot is a copy of a Histogram's buckets, read at once.
type Snapshot struct {
	counts [buckets]uint64
	total  uint64
	sum    time.Duration
}

// Snapshot copies h's buckets. Observations racing with it may be missed;
// the copy's total is the sum of its buckets, so it is consistent.
func (h *Histogram) Snapshot() *Snapshot {
	s := &Snapshot{sum: h.Sum()}
	for i := range h.counts {
		s.counts[i] = h.counts[i].Load()
		s.total += s.counts[i]
	}
	return s
}

// Count returns the number of observations in s.
func (s *Snapshot) Count() uint64 { return s.total }

// Sum returns the total of the observations in s.
func (s *Snapshot) Sum() time.Duration { return s.sum }

// Percentile returns the duration below which p percent of the
// observations fall (0 <= p <= 100), read at its bucket's midpoint; 0
// without observations.
func (s *Snapshot) Percentile(p float64) time.Duration {
	if s.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(s.total)))
	rank = min(max(rank, 1), s.total)
	var seen uint64
	for i, n := range s.counts {
		if seen += n; seen >= rank {
			lo, hi := bounds(i)
			return time.Duration((lo + hi - 1) / 2)
		}
	}
	return 0 // not reached
}

// Cumulative returns, for each upper bound, how many observations were at
// most that long, as a Prometheus histogram's buckets count them. An
// observation counts toward the first bound its whole bucket is below, so
// a bucket that straddles a bound (at most 6.25% wide) counts toward the
// next one.
func (s *Snapshot) Cumulative(upper []time.Duration) []uint64 {
	out := make([]uint64, len(upper))
	var seen uint64
	j := 0
	for i, n := range s.counts {
		_, hi := bounds(i)
		for j < len(upper) && uint64(max(upper[j], 0)) < hi-1 {
			out[j] = seen
			j++
		}
		seen += n
	}
	for ; j < len(upper); j++ {
		out[j] = seen
	}
	return out
}
