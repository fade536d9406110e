package storage

import "sync/atomic"

// Stats are the keyspace counters INFO reports, with Redis's meanings.
// All fields are updated atomically and may be read at any time.
type Stats struct {
	// Hits and Misses count read lookups (keyspace_hits, keyspace_misses).
	Hits, Misses atomic.Int64
	// Expired counts keys removed because their TTL passed (expired_keys).
	Expired atomic.Int64
	// Evicted counts keys removed to respect maxmemory (evicted_keys).
	Evicted atomic.Int64
}

// Reset zeroes the counters (CONFIG RESETSTAT).
func (s *Stats) Reset() {
	s.Hits.Store(0)
	s.Misses.Store(0)
	s.Expired.Store(0)
	s.Evicted.Store(0)
}
