package server

// Cache statistics: CACHE.STATS [namespace], CACHE.HOTKEYS [COUNT n], and
// INFO's "# Strata" section (infoStrata) with the same fields as
// CACHE.STATS.

import (
	"strconv"
	"unsafe"

	"github.com/stratakv/strata/policy"
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
		space, ok := c.srv.rules().ByName(string(args[1]))
		if !ok {
			c.out.Error(msgNoNamespace)
			return
		}
		// Without configured namespaces the default one holds every
		// key: its statistics are the keyspace's.
		if c.srv.nsStats != nil {
			ns = c.srv.nsStats.counters[space.ID]
		}
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

// namespaceStats keeps a Counters per namespace. As a Listener and a
// ReadListener it hands each key's writes, removals and reads to its
// namespace's Counters; the rate commands and invalidations count there
// too (namespaceCounters).
type namespaceStats struct {
	rules    *policy.Rules
	counters []*storage.Counters // by policy.Space.ID
}

// newNamespaceStats returns the per-namespace counters of a server with
// namespaces, registered with store; nil for a server without, which then
// pays nothing per write.
func newNamespaceStats(p *cachePolicy, store *storage.Store) *namespaceStats {
	if p == nil {
		return nil
	}
	n := &namespaceStats{rules: p.rules, counters: make([]*storage.Counters, len(p.rules.Spaces()))}
	for i := range n.counters {
		n.counters[i] = storage.NewNamespaceCounters()
	}
	store.AddListener(n)
	store.SetReadListener(n)
	return n
}

// of returns the counters of key's namespace.
func (n *namespaceStats) of(key string) *storage.Counters {
	return n.counters[n.rules.Lookup(unsafe.Slice(unsafe.StringData(key), len(key))).ID]
}

// KeyStored counts a write in its key's namespace (storage.Listener).
func (n *namespaceStats) KeyStored(db *storage.DB, key string, v storage.Value) {
	n.of(key).KeyStored(db, key, v)
}

// KeyRemoved counts a removal in its key's namespace (storage.Listener).
func (n *namespaceStats) KeyRemoved(db *storage.DB, key string, v storage.Value, why storage.Reason) {
	n.of(key).KeyRemoved(db, key, v, why)
}

// KeyRead counts a read in its key's namespace (storage.ReadListener).
func (n *namespaceStats) KeyRead(db *storage.DB, key []byte, hit, disk bool) {
	n.counters[n.rules.Lookup(key).ID].KeyRead(db, key, hit, disk)
}

// namespaceCounters returns the counters of key's namespace, nil when the
// server has no namespaces. Commands that count events of their own (rate
// decisions, invalidations) add to these as well as to the Store's.
func (s *Server) namespaceCounters(key []byte) *storage.Counters {
	if s.nsStats == nil {
		return nil
	}
	return s.nsStats.counters[s.nsStats.rules.Lookup(key).ID]
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
