package server

// Cache statistics: CACHE.STATS [namespace], CACHE.HOTKEYS [COUNT n]
// [NAMESPACE ns], and INFO's "# Strata" section (infoStrata) with the same
// fields as CACHE.STATS.

import (
	"math"
	"strconv"

	"github.com/stratakv/strata/storage"
)

func registerStatsCommands(t commandTable) {
	t.add(
		// STATS is INFO for namespaces, and @dangerous as INFO is.
		&command{name: "cache.stats", handler: cmdCacheStats, arity: -1, flags: flagNoData, categories: "@slow @dangerous @cache"},
		// HOTKEYS takes its shard locks one at a time itself, so that it
		// never stalls other clients for long; inside EXEC, which holds
		// the store lock, it could not. It names keys whatever the
		// caller's key patterns, as KEYS does.
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

// nsStats are the statistics of one namespace, or of the whole keyspace:
// its counters, and the numbers the keyspace keeps elsewhere (Stats, DB
// lengths, Used) for itself.
type nsStats struct {
	name                                        string
	ctr                                         *storage.Counters
	hits, misses, expired, evicted, keys, bytes int64
}

// statsOf returns the statistics of a namespace's counters, or of the
// whole keyspace for ns nil.
func (s *Server) statsOf(ns *storage.Counters) nsStats {
	if ns != nil {
		return nsStats{ctr: ns, hits: ns.Hits.Load(), misses: ns.Misses.Load(), expired: ns.Expired.Load(),
			evicted: ns.Evicted.Load(), keys: ns.Keys.Load(), bytes: ns.Bytes.Load()}
	}
	st := s.store.Stats()
	out := nsStats{ctr: s.store.Counters(), hits: st.Hits.Load(), misses: st.Misses.Load(),
		expired: st.Expired.Load(), evicted: st.Evicted.Load(), bytes: s.store.Used()}
	for i := 0; i < s.store.Databases(); i++ {
		out.keys += int64(s.store.DB(i).Len())
	}
	return out
}

// namespaceStats returns the statistics of every namespace in config
// order, the default one last; without configured namespaces, the whole
// keyspace's as the default namespace's.
func (s *Server) namespaceStats() []nsStats {
	var out []nsStats
	for _, sp := range s.cache.Rules().Spaces() {
		st := s.statsOf(s.cache.NamespaceCounters(sp))
		st.name = sp.Name
		out = append(out, st)
	}
	return out
}

// hitRate is hits over reads, 0 before any read.
func (st nsStats) hitRate() float64 {
	if st.hits+st.misses == 0 {
		return 0
	}
	return float64(st.hits) / float64(st.hits+st.misses)
}

// compression is the bytes written compressed before compression over
// after, 1 before any.
func (st nsStats) compression() float64 {
	if stored := st.ctr.StoredBytes.Load(); stored > 0 {
		return float64(st.ctr.RawBytes.Load()) / float64(stored)
	}
	return 1
}

// cacheStats returns the CACHE.STATS fields, in the order they are
// reported, of the whole keyspace (ns nil) or of one namespace's counters.
func (s *Server) cacheStats(ns *storage.Counters) []cacheStat {
	st := s.statsOf(ns)
	ctr, hits, misses := st.ctr, st.hits, st.misses
	diskHits := ctr.DiskHits.Load()
	stats := []cacheStat{
		{name: "memory_hits", n: hits - diskHits},
		{name: "disk_hits", n: diskHits},
		{name: "misses", n: misses},
		{name: "hit_rate", ratio: st.hitRate(), isRatio: true},
		{name: "sets", n: ctr.Sets.Load()},
		{name: "deletes", n: ctr.Deletes.Load()},
		{name: "expirations", n: st.expired},
		{name: "evictions", n: st.evicted},
	}
	for k := range ctr.Invalidations {
		stats = append(stats, cacheStat{name: "invalidations_" + storage.Invalidation(k).String(), n: ctr.Invalidations[k].Load()})
	}
	stats = append(stats,
		cacheStat{name: "throttle_allowed", n: ctr.ThrottleAllowed.Load()},
		cacheStat{name: "throttle_suppressed", n: ctr.ThrottleSuppressed.Load()},
		cacheStat{name: "rate_allowed", n: ctr.RateAllowed.Load()},
		cacheStat{name: "rate_denied", n: ctr.RateDenied.Load()},
		cacheStat{name: "origin_requests", n: ctr.OriginRequests.Load()},
		cacheStat{name: "origin_failures", n: ctr.OriginFailures.Load()},
		cacheStat{name: "origin_not_found", n: ctr.OriginNotFound.Load()},
		cacheStat{name: "origin_negative_hits", n: ctr.OriginNegativeHits.Load()},
		cacheStat{name: "origin_shared", n: ctr.OriginShared.Load()},
		cacheStat{name: "origin_stale", n: ctr.OriginStale.Load()},
		cacheStat{name: "origin_refreshes", n: ctr.OriginRefreshes.Load()},
	)
	if ns == nil {
		// A warm-up run is a job's, not a namespace's: the keyspace's
		// statistics alone count runs (their keys are in sets).
		w := s.scheduler.Totals()
		stats = append(stats,
			cacheStat{name: "warmup_runs", n: w.Runs},
			cacheStat{name: "warmup_failed_runs", n: w.FailedRuns},
			cacheStat{name: "warmup_skipped_runs", n: w.SkippedRuns},
			cacheStat{name: "warmup_loaded", n: w.Loaded},
			cacheStat{name: "warmup_failed", n: w.Failed},
			cacheStat{name: "warmup_skipped", n: w.Skipped},
		)
	}
	stats = append(stats, cacheStat{name: "keys", n: st.keys}, cacheStat{name: "bytes", n: st.bytes})
	return append(stats, cacheStat{name: "compression_ratio", ratio: st.compression(), isRatio: true})
}

// cmdCacheStats: CACHE.STATS [CLUSTER] [namespace] -> a map of the
// statistics (a flat array of names and values in RESP2, ratios as
// doubles); with CLUSTER, of every node of the cluster together
// (cluster_fanout.go).
func cmdCacheStats(c *client, args [][]byte) {
	wide := len(args) > 1 && is(args[1], "cluster")
	if wide {
		args = args[1:]
	}
	if len(args) > 2 {
		c.out.Error(wrongArity("cache.stats"))
		return
	}
	var ns *storage.Counters
	var name []byte
	if len(args) == 2 {
		name = args[1]
		space, ok := c.srv.cache.Rules().ByName(string(name))
		if !ok {
			c.out.Error(msgNoNamespace)
			return
		}
		// Without configured namespaces the default one holds every
		// key: its statistics are the keyspace's.
		ns = c.srv.cache.NamespaceCounters(space)
	}
	stats := c.srv.cacheStats(ns)
	if wide && c.srv.cluster != nil {
		var msg string
		if stats, msg = c.srv.clusterStats(stats, name); msg != "" {
			c.out.Error(msg)
			return
		}
	}
	c.out.Map(len(stats))
	for _, st := range stats {
		c.out.BulkString(st.name)
		if st.isRatio {
			c.writeRatio(st.ratio)
		} else {
			c.out.Int(st.n)
		}
	}
}

// formatRatio writes a ratio with four fixed decimals (0.8333, 1.0000), as
// Redis's INFO writes its ratios with fixed decimals: the shortest text of
// a double, or Redis 7.0's %.17g (0.83333333333333337), shows digits that
// mean nothing for a hit rate.
func formatRatio(r float64) string { return strconv.FormatFloat(r, 'f', 4, 64) }

// writeRatio replies a ratio in formatRatio's text: a double in RESP3, a
// bulk string in RESP2.
func (c *client) writeRatio(r float64) {
	if !c.out.RESP3() {
		c.out.BulkString(formatRatio(r))
		return
	}
	c.out.Raw([]byte("," + formatRatio(r) + "\r\n"))
}

// infoStrata writes the fields of INFO's "# Strata" section: those of
// CACHE.STATS.
func (s *Server) infoStrata(w *infoWriter) {
	for _, st := range s.cacheStats(nil) {
		if st.isRatio {
			w.field(st.name, formatRatio(st.ratio))
		} else {
			w.field(st.name, st.n)
		}
	}
}

// hotKeysDefault is how many keys CACHE.HOTKEYS returns without COUNT.
const hotKeysDefault = 10

// cmdCacheHotKeys: CACHE.HOTKEYS [COUNT n] [NAMESPACE ns] -> [[key,
// count], ...], the keys of the selected database with the highest
// decayed access counts (storage/hotkeys.go: reads and read-modify-writes,
// halved every minute), hottest first, counts rounded to integers. With
// NAMESPACE, only that namespace's keys. OBJECT FREQ keeps Redis's
// meaning, the logarithmic LFU counter.
func cmdCacheHotKeys(c *client, args [][]byte) {
	n := int64(hotKeysDefault)
	var keep func(string) bool
	for i := 1; i < len(args); i += 2 {
		if i+1 == len(args) {
			c.out.Error(msgSyntax)
			return
		}
		switch {
		case is(args[i], "count"):
			var ok bool
			if n, ok = argInt(args[i+1]); !ok {
				c.out.Error(msgNotInteger)
				return
			}
			if n <= 0 {
				c.out.Error(msgHotKeysCount)
				return
			}
		case is(args[i], "namespace"):
			rules := c.srv.cache.Rules()
			space, ok := rules.ByName(string(args[i+1]))
			if !ok {
				c.out.Error(msgNoNamespace)
				return
			}
			keep = func(key string) bool { return rules.Lookup([]byte(key)) == space }
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	hot := c.srv.store.HotKeys(c.dbIndex, int(min(n, math.MaxInt32)), keep)
	c.out.Array(len(hot))
	for _, h := range hot {
		c.out.Array(2)
		c.out.BulkString(h.Key)
		c.out.Int(int64(math.Round(h.Count)))
	}
}
