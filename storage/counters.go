package storage

import (
	"sync/atomic"
	"unsafe"
)

// counterStripes is how many cache lines a Counter spreads its adds over; a
// power of two, a little more than the cores that usually add at once.
const counterStripes = 8

// Counter is an int64 counter for hot paths. Adds land on one of several
// stripes, each on its own cache line, so goroutines counting at once on
// different cores do not contend for one line; Load sums the stripes. The
// zero value is ready to use and it is safe for concurrent use.
type Counter struct {
	stripes [counterStripes]struct {
		n atomic.Int64
		_ [56]byte // pad the stripe to a 64-byte cache line
	}
}

// Add adds n on the stripe chosen by hint. Callers pass something that
// differs between goroutines likely to count at the same moment (a client
// id, a shard index); any value is correct, a good one is just faster.
func (c *Counter) Add(hint uint, n int64) { c.stripes[hint%counterStripes].n.Add(n) }

// Load returns the counter's value. Adds that race with it may or may not
// be included.
func (c *Counter) Load() int64 {
	var sum int64
	for i := range c.stripes {
		sum += c.stripes[i].n.Load()
	}
	return sum
}

// Reset zeroes the counter; adds racing with it may survive.
func (c *Counter) Reset() {
	for i := range c.stripes {
		c.stripes[i].n.Store(0)
	}
}

// Invalidation is the kind of a CACHE.INVALIDATE (or of CACHE.WARMUP
// CLEAR), for its counter.
type Invalidation uint8

// The kinds of invalidation.
const (
	InvalidateTag Invalidation = iota
	InvalidatePattern
	InvalidateEvent
	InvalidateNamespace // CACHE.INVALIDATE NAMESPACE
	InvalidateWarmup    // CACHE.WARMUP CLEAR
	numInvalidations
)

// String returns the kind's name as CACHE.STATS and INFO spell it.
func (k Invalidation) String() string {
	return [...]string{"tag", "pattern", "event", "namespace", "warmup"}[k]
}

// Counters are Strata's cache statistics beyond Redis's keyspace counters
// (Stats): what CACHE.STATS and INFO's Strata section report, for the whole
// store or for one namespace. The zero value is ready to use; every field
// is safe to update and read concurrently.
//
// A Counters follows key writes and removals as a Listener (Sets, Deletes,
// and, for a namespace's Counters, Expired and Evicted, which the Store
// counts in Stats as a whole), and a namespace's follows reads as a
// ReadListener; the commands and tiers that own the other events add to
// them directly.
type Counters struct {
	// Hits and Misses count a namespace's read lookups. The Store's own
	// Counters leaves them at zero: Stats has them.
	Hits, Misses Counter
	// Sets counts key writes: every store of a value, an overwrite and a
	// TTL change included (Listener.KeyStored).
	Sets Counter
	// Deletes counts keys removed by DEL, UNLINK, GETDEL, RENAME's source
	// and invalidations.
	Deletes Counter
	// Expired and Evicted count keys removed by expiry and by maxmemory.
	// The Store's own Counters leaves them at zero: Stats has them.
	Expired, Evicted Counter
	// DiskHits counts reads served from the disk tier. A disk hit is also
	// a hit (Stats.Hits, or Hits for a namespace), as Redis counts any key
	// found.
	DiskHits Counter
	// Invalidations counts keys removed by CACHE.INVALIDATE, by kind.
	Invalidations [numInvalidations]Counter
	// RateAllowed and RateDenied count CACHE.RATE and CL.THROTTLE
	// requests admitted and refused.
	RateAllowed, RateDenied Counter
	// ThrottleAllowed and ThrottleSuppressed count CACHE.THROTTLE calls
	// that took the key and calls that found it held.
	ThrottleAllowed, ThrottleSuppressed Counter
	// RawBytes and StoredBytes add up the payload bytes of every value
	// written compressed, before and after compression: their ratio is the
	// compression ratio of the writes so far (reset by CONFIG RESETSTAT),
	// not a gauge of what is stored now.
	RawBytes, StoredBytes Counter
	// The read-through loader's counts: requests made to origins, those
	// that failed (timeouts, errors, bodies too large), 404s, misses
	// answered by a remembered 404, misses that joined a load in flight,
	// stale values served while an origin failed, and refresh-ahead
	// reloads started.
	OriginRequests, OriginFailures, OriginNotFound, OriginNegativeHits Counter
	OriginShared, OriginStale, OriginRefreshes                         Counter
	// Keys and Bytes are gauges, not counters: a namespace's keys in the
	// memory tier and what they cost (a SizeListener keeps them; CONFIG
	// RESETSTAT leaves them). The Store's own Counters leaves them at
	// zero: DB.Len and Store.Used have them.
	Keys, Bytes Counter

	// namespace makes KeyRemoved count expiries and evictions, which the
	// Store's own Counters leave to Stats.
	namespace bool
}

// NewNamespaceCounters returns Counters for one namespace: as a Listener
// they also count the namespace's expired and evicted keys.
func NewNamespaceCounters() *Counters { return &Counters{namespace: true} }

// Counters returns the Store's counters for the whole keyspace.
func (s *Store) Counters() *Counters { return &s.counters }

// Reset zeroes every counter (CONFIG RESETSTAT).
func (c *Counters) Reset() {
	for _, ctr := range []*Counter{&c.Hits, &c.Misses, &c.Sets, &c.Deletes, &c.Expired, &c.Evicted, &c.DiskHits,
		&c.RateAllowed, &c.RateDenied, &c.ThrottleAllowed, &c.ThrottleSuppressed, &c.RawBytes, &c.StoredBytes,
		&c.OriginRequests, &c.OriginFailures, &c.OriginNotFound, &c.OriginNegativeHits, &c.OriginShared, &c.OriginStale, &c.OriginRefreshes} {
		ctr.Reset()
	}
	for i := range c.Invalidations {
		c.Invalidations[i].Reset()
	}
}

// keyHint spreads the adds of different keys over the stripes by the
// address of the key's bytes: free to compute, and distinct for the keys
// that different cores are working on.
func keyHint(key string) uint { return uint(uintptr(unsafe.Pointer(unsafe.StringData(key))) >> 6) }

// KeyStored counts a write (Listener).
func (c *Counters) KeyStored(_ *DB, key string, _ Value) { c.Sets.Add(keyHint(key), 1) }

// KeyRemoved counts a delete, a key of an invalidated namespace
// reclaimed, and for a namespace an expiry or eviction (Listener).
func (c *Counters) KeyRemoved(_ *DB, key string, _ Value, why Reason) {
	switch {
	case why == Deleted:
		c.Deletes.Add(keyHint(key), 1)
	case why == Expired && c.namespace:
		c.Expired.Add(keyHint(key), 1)
	case why == Evicted && c.namespace:
		c.Evicted.Add(keyHint(key), 1)
	case why == Invalidated: // reclaimed after CACHE.INVALIDATE NAMESPACE
		c.Invalidations[InvalidateNamespace].Add(keyHint(key), 1)
	}
}

// KeyRead counts a namespace's read: a hit, from the disk tier or not, or
// a miss (ReadListener).
func (c *Counters) KeyRead(_ *DB, key []byte, hit, disk bool) {
	h := uint(uintptr(unsafe.Pointer(unsafe.SliceData(key))) >> 6)
	switch {
	case !hit:
		c.Misses.Add(h, 1)
	case disk:
		c.DiskHits.Add(h, 1)
		fallthrough
	default:
		c.Hits.Add(h, 1)
	}
}

// KeySized follows a namespace's keys and bytes in the memory tier
// (SizeListener).
func (c *Counters) KeySized(key string, keys, bytes int64) {
	h := keyHint(key)
	c.Keys.Add(h, keys)
	c.Bytes.Add(h, bytes)
}
