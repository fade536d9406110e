package storage

// Stats are the keyspace counters INFO reports, with Redis's meanings.
// They are striped Counters (every read lookup counts, on every core) and
// may be read at any time.
type Stats struct {
	// Hits and Misses count read lookups (keyspace_hits, keyspace_misses).
	Hits, Misses Counter
	// Expired counts keys removed because their TTL passed (expired_keys).
	Expired Counter
	// Evicted counts keys removed to respect maxmemory (evicted_keys).
	Evicted Counter
}

// Reset zeroes the counters (CONFIG RESETSTAT).
func (s *Stats) Reset() {
	s.Hits.Reset()
	s.Misses.Reset()
	s.Expired.Reset()
	s.Evicted.Reset()
}
