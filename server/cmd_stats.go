package server

// Cache statistics: CACHE.STATS [namespace], CACHE.HOTKEYS [COUNT n], and
// INFO's "# Strata" section with the same fields as CACHE.STATS.

import (
	"strconv"

	"github.com/stratakv/strata/storage"
)

func registerStatsCommands(t commandTable) {
	t.add(
		&command{name: "cache.stats", handler: cmdCacheStats, arity: -1, flags: flagNoData},
		// HOTKEYS takes its shard locks one at a time itself, so that a
		// walk over a big keyspace never stalls other clients for long;
		// inside EXEC, which holds the store lock, it could not.
		&command{name: "cache.hotkeys", handler: cmdCacheHotKeys, arity: -1, flags: flagNoData | flagNoMulti},
	)
}

// cacheStat is one CACHE.STATS field: an integer, or a ratio.
type cacheStat struct {
	name    string
	n       int64
	ratio   float64
	isRatio bool
}

// cacheStats returns the CACHE.STATS fields for the whole keyspace, in
// the order they are reported.
func (s *Server) cacheStats() []cacheStat {
	st, ctr := s.store.Stats(), s.store.Counters()
	hits, misses, diskHits := st.Hits.Load(), st.Misses.Load(), ctr.DiskHits.Load()
	hitRate := 0.0
	if hits+misses > 0 {
		hitRate = float64(hits) / float64(hits+misses)
	}
	compression := 1.0
	if stored := ctr.StoredBytes.Load(); stored > 0 {
		compression = float64(ctr.RawBytes.Load()) / float64(stored)
	}
	stats := []cacheStat{
		{name: "memory_hits", n: hits - diskHits},
		{name: "disk_hits", n: diskHits},
		{name: "misses", n: misses},
		{name: "hit_rate", ratio: hitRate, isRatio: true},
		{name: "sets", n: ctr.Sets.Load()},
		{name: "deletes", n: ctr.Deletes.Load()},
		{name: "expirations", n: st.Expired.Load()},
		{name: "evictions", n: st.Evicted.Load()},
	}
	for k := range ctr.Invalidations {
		stats = append(stats, cacheStat{name: "invalidations_" + storage.Invalidation(k).String(), n: ctr.Invalidations[k].Load()})
	}
	return append(stats,
		cacheStat{name: "throttle_allowed", n: ctr.ThrottleAllowed.Load()},
		cacheStat{name: "throttle_suppressed", n: ctr.ThrottleSuppressed.Load()},
		cacheStat{name: "rate_allowed", n: ctr.RateAllowed.Load()},
		cacheStat{name: "rate_denied", n: ctr.RateDenied.Load()},
		cacheStat{name: "bytes", n: s.store.Used()},
		cacheStat{name: "compression_ratio", ratio: compression, isRatio: true},
	)
}

// cmdCacheStats: CACHE.STATS [namespace] -> a map of the statistics (a
// flat array of names and values in RESP2, ratios as doubles).
func cmdCacheStats(c *client, args [][]byte) {
	if len(args) > 2 {
		c.out.Error(wrongArity("cache.stats"))
		return
	}
	if len(args) == 2 {
		// The server serves no namespaces: none can be named.
		c.out.Error(msgNoNamespace)
		return
	}
	stats := c.srv.cacheStats()
	c.out.Map(len(stats))
	for _, st := range stats {
		c.out.BulkString(st.name)
		if st.isRatio {
			c.out.Double(st.ratio)
		} else {
			c.out.Int(st.n)
		}
	}
}

// appendStrataInfo appends INFO's "# Strata" section: the CACHE.STATS
// fields, ratios with four decimals as Redis prints its own ratios.
func (s *Server) appendStrataInfo(b []byte) []byte {
	b = append(b, "# Strata\r\n"...)
	for _, st := range s.cacheStats() {
		b = append(b, st.name...)
		b = append(b, ':')
		if st.isRatio {
			b = strconv.AppendFloat(b, st.ratio, 'f', 4, 64)
		} else {
			b = strconv.AppendInt(b, st.n, 10)
		}
		b = append(b, "\r\n"...)
	}
	return b
}

// hotKeysDefault is how many keys CACHE.HOTKEYS returns without COUNT.
const hotKeysDefault = 10

// cmdCacheHotKeys: CACHE.HOTKEYS [COUNT n] -> [[key, freq], ...], the keys
// of the selected database with the highest access frequency (the decayed
// LFU counter OBJECT FREQ reports), most frequent first. The counters are
// kept under every maxmemory-policy, so it works under all of them. Like
// KEYS, a large COUNT returns as many keys as exist.
func cmdCacheHotKeys(c *client, args [][]byte) {
	n := int64(hotKeysDefault)
	switch {
	case len(args) == 3 && is(args[1], "count"):
		var ok bool
		if n, ok = argInt(args[2]); !ok {
			c.out.Error(msgNotInteger)
			return
		}
		if n <= 0 {
			c.out.Error(msgHotKeysCount)
			return
		}
	case len(args) != 1:
		c.out.Error(msgSyntax)
		return
	}
	hot := c.srv.store.HotKeys(c.dbIndex, int(n))
	c.out.Array(len(hot))
	for _, h := range hot {
		c.out.Array(2)
		c.out.BulkString(h.Key)
		c.out.Int(int64(h.Freq))
	}
}
