package server

// Cache statistics: CACHE.STATS [namespace], CACHE.HOTKEYS [COUNT n], and
// INFO's "# Strata" section (infoStrata) with the same fields as
// CACHE.STATS.

import (
	"strconv"

	"github.com/stratakv/strata/storage"
)

func registerStatsCommands(t commandTable) {
	t.add(
		// STATS is INFO for namespaces, and @dangerous as INFO is.
		&command{name: "cache.stats", handler: cmdCacheStats, arity: -1, flags: flagNoData, categories: "@slow @dangerous @cache"},
		// HOTKEYS takes its shard locks one at a time itself, so that a
		// walk over a big keyspace never stalls other clients for long;
		// inside EXEC, which holds the store lock, it could not.
		// It names keys whatever the caller's key patterns, as KEYS does.
		&command{name: "cache.hotkeys", handler: cmdCacheHotKeys, arity: -1, flags: flagNoData | flagNoMulti,
			categories: "@read @keyspace @slow @dangerous @cache"},
	)
}

// cacheStat is one CACHE.STATS field: an integer, or a ratio.
type cacheStat struct {
	name    string
	n       int64
	ratio   float64
	isRatio bool
}

// cacheStats returns the CACHE.STATS fields, in the order they are
// reported, of the whole keyspace (ns nil) or of one namespace's counters;
// memory is accounted for the keyspace as a whole, so only it has bytes.
func (s *Server) cacheStats(ns *storage.Counters) []cacheStat {
	ctr := ns
	var hits, misses, expired, evicted int64
	if ns == nil {
		ctr = s.store.Counters()
		st := s.store.Stats()
		hits, misses, expired, evicted = st.Hits.Load(), st.Misses.Load(), st.Expired.Load(), st.Evicted.Load()
	} else {
		hits, misses, expired, evicted = ns.Hits.Load(), ns.Misses.Load(), ns.Expired.Load(), ns.Evicted.Load()
	}
	diskHits := ctr.DiskHits.Load()
	hitRate := 0.0
	if hits+misses > 0 {
		hitRate = float64(hits) / float64(hits+misses)
	}
	stats := []cacheStat{
		{name: "memory_hits", n: hits - diskHits},
		{name: "disk_hits", n: diskHits},
		{name: "misses", n: misses},
		{name: "hit_rate", ratio: hitRate, isRatio: true},
		{name: "sets", n: ctr.Sets.Load()},
		{name: "deletes", n: ctr.Deletes.Load()},
		{name: "expirations", n: expired},
		{name: "evictions", n: evicted},
	}
	for k := range ctr.Invalidations {
		stats = append(stats, cacheStat{name: "invalidations_" + storage.Invalidation(k).String(), n: ctr.Invalidations[k].Load()})
	}
	stats = append(stats,
		cacheStat{name: "throttle_allowed", n: ctr.ThrottleAllowed.Load()},
		cacheStat{name: "throttle_suppressed", n: ctr.ThrottleSuppressed.Load()},
		cacheStat{name: "rate_allowed", n: ctr.RateAllowed.Load()},
		cacheStat{name: "rate_denied", n: ctr.RateDenied.Load()},
	)
	if ns == nil {
		stats = append(stats, cacheStat{name: "bytes", n: s.store.Used()})
	}
	compression := 1.0
	if stored := ctr.StoredBytes.Load(); stored > 0 {
		compression = float64(ctr.RawBytes.Load()) / float64(stored)
	}
	return append(stats, cacheStat{name: "compression_ratio", ratio: compression, isRatio: true})
}

// cmdCacheStats: CACHE.STATS [namespace] -> a map of the statistics (a
// flat array of names and values in RESP2, ratios as doubles).
func cmdCacheStats(c *client, args [][]byte) {
	if len(args) > 2 {
		c.out.Error(wrongArity("cache.stats"))
		return
	}
	var ns *storage.Counters
	if len(args) == 2 {
		space, ok := c.srv.cache.Rules().ByName(string(args[1]))
		if !ok {
			c.out.Error(msgNoNamespace)
			return
		}
		// Without configured namespaces the default one holds every
		// key: its statistics are the keyspace's.
		ns = c.srv.cache.NamespaceCounters(space)
	}
	stats := c.srv.cacheStats(ns)
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

// infoStrata writes the fields of INFO's "# Strata" section: those of
// CACHE.STATS, ratios with four decimals as Redis prints its own ratios.
func (s *Server) infoStrata(w *infoWriter) {
	for _, st := range s.cacheStats(nil) {
		if st.isRatio {
			w.field(st.name, strconv.FormatFloat(st.ratio, 'f', 4, 64))
		} else {
			w.field(st.name, st.n)
		}
	}
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
