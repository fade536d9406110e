// Package cache is Strata's write path: the one layer between the RESP
// edge and storage that every writer goes through (command handlers, Lua
// scripts, MULTI, and later warm-ups and origin loads).
//
// # Basics
//
// A Cache wraps a storage.Store with the configured namespaces (package
// policy). A command runs in a Tx (Cache.Begin): a storage.Tx over the keys
// it names, whose writes resolve the namespace of each key, its TTL (the
// client's, the namespace default or by-field TTL, caps and jitter) and its
// compression once, before the value is stored, so every key is written
// exactly once. The Tx also notes what the reply must wait for: the
// write-ahead log for write_through keys, the write-back backlog for
// write_back keys (Tx.End returns it as a Wait; Cache.Await waits).
//
// The Cache also owns the tag and prefix indexes and the configured
// events, and runs tag, pattern, event and namespace invalidation across
// both tiers (invalidate.go), and keeps a storage.Counters per namespace.
// For namespaces that keep them (stale_if_error, lease_stale) it keeps
// the last values of expired keys for a while (stale.go), and it holds
// CACHE.LEASE's leases (lease.go). CACHE.INVALIDATE NAMESPACE bumps a
// namespace's generation (generation.go).
//
// # Caveats
//
// Invalidation locks one shard at a time: it is not atomic, and must not
// run inside a transaction that holds the whole store (EXEC, scripts).
//
// The stale values' and the leases' mutexes are taken under storage locks
// (their listeners run there) and never take one; the generations' mutex
// is taken with no storage lock held.
package cache

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// Config is what a Cache needs beyond its Store.
type Config struct {
	// Namespaces are the cache rules by key pattern (see package policy).
	// Without them every key is cache_aside and writes go straight to the
	// store.
	Namespaces []policy.Namespace
	// Events maps an event name to the key templates EVENT invalidation
	// removes (see policy.ParseEvents).
	Events map[string][]string
	// IndexPrefixes are key prefixes kept in an ordered index for PATTERN
	// invalidation; the events' literal prefixes are indexed too.
	IndexPrefixes []string
	// Dir holds the disk tier's files, opened when a namespace persists.
	Dir string
	// FlushInterval is how often write_back writes reach the disk tier
	// (0: the tier's default).
	FlushInterval time.Duration
	// MaxDiskSize bounds the disk tier's live data (0: none).
	MaxDiskSize int64
	// Logger receives the disk tier's logs.
	Logger *slog.Logger
}

// Cache is the write path over a Store. It is safe for concurrent use.
type Cache struct {
	store *storage.Store
	// rules are the namespaces; spaced reports whether any is configured
	// (without, the rules hold the default namespace alone and writes
	// skip them).
	rules  *policy.Rules
	spaced bool
	tier   *storage.Tier // nil when no namespace persists
	// uniform draws the jitter factor's U in [0, 1); tests replace it.
	uniform func() float64
	// dicts holds, by namespace ID, the dictionary new values of the
	// namespace compress with (0: none).
	dicts []atomic.Uint32
	// counters holds a Counters per namespace ID; nil without namespaces.
	counters []*storage.Counters
	tags     *storage.Tags
	prefixes *storage.PrefixIndex // nil: no prefix is indexed
	events   policy.Events
	stale    *staleValues // nil: no namespace keeps stale values
	leases   leases       // CACHE.LEASE's (lease.go)
	gens     *generations // namespaces' generations (generation.go)
}

// RemovedFunc hears of keys an invalidation removed, batch by batch, after
// their shard's lock is released: the server publishes them.
type RemovedFunc func(keys []string)

// Open builds the Cache of store: the namespaces and events of cfg, the
// tag and prefix indexes (registered as store listeners), and the disk
// tier when a namespace persists. Its errors name the bad setting.
func Open(store *storage.Store, cfg Config) (*Cache, error) {
	events, err := policy.ParseEvents(cfg.Events)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	rules, err := policy.New(cfg.Namespaces)
	if err != nil {
		return nil, err
	}
	c := &Cache{
		store:   store,
		rules:   rules,
		spaced:  len(cfg.Namespaces) > 0,
		uniform: rand.Float64,
		dicts:   make([]atomic.Uint32, len(rules.Spaces())),
		tags:    storage.NewTags(),
		events:  events,
		gens:    newGenerations(rules),
	}
	store.AddListener(c.tags)
	store.AddListener(&c.leases)
	if prefixes := policy.MinimalPrefixes(append(events.Prefixes(), cfg.IndexPrefixes...)); len(prefixes) > 0 {
		c.prefixes = storage.NewPrefixIndex(prefixes)
		store.AddListener(c.prefixes)
	}
	for _, sp := range rules.Spaces() {
		if sp.KeepsStale() > 0 && c.stale == nil {
			c.stale = newStaleValues(rules)
			store.AddListener(c.stale)
		}
	}
	if c.spaced {
		c.counters = make([]*storage.Counters, len(rules.Spaces()))
		for i := range c.counters {
			c.counters[i] = storage.NewNamespaceCounters()
		}
		store.AddListener(namespaceCounters{c})
		store.SetReadListener(namespaceCounters{c})
		store.SetSizeListener(namespaceCounters{c})
	}
	if err := c.openTier(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// openTier opens the disk tier when a namespace persists, and loads the
// namespaces' trained compression dictionaries from it.
func (c *Cache) openTier(cfg Config) error {
	if !c.rules.Persists() {
		return nil
	}
	writeThrough, writeBack := false, false
	for _, s := range c.rules.Spaces() {
		writeThrough = writeThrough || s.Strategy == policy.WriteThrough
		writeBack = writeBack || s.Strategy == policy.WriteBack
	}
	rules := c.rules
	tier, err := storage.OpenTier(c.store, storage.TierOptions{
		Dir:           cfg.Dir,
		Durability:    func(key []byte) storage.Durability { return durability(rules.Lookup(key).Strategy) },
		WriteThrough:  writeThrough,
		WriteBack:     writeBack,
		FlushInterval: cfg.FlushInterval,
		MaxDiskSize:   cfg.MaxDiskSize,
		Evictable:     func(key []byte) bool { return rules.Lookup(key).DiskEvict },
		Warm:          true,
		Logger:        cfg.Logger,
		RestoreGenerations: func(saved map[string]uint32) {
			if c.gens.restore(saved) {
				c.store.SetGenerations(c.gens)
			}
		},
	})
	if err != nil {
		return err
	}
	c.tier = tier
	tier.SetTagKeeper(c.tags)
	for _, sp := range c.rules.Spaces() {
		if id, ok := tier.Dicts()[sp.Name]; ok && sp.Compress != nil {
			c.dicts[sp.ID].Store(id)
		}
	}
	return nil
}

// durability maps a strategy to how the disk tier keeps its keys.
func durability(s policy.Strategy) storage.Durability {
	switch s {
	case policy.WriteThrough:
		return storage.WriteThrough
	case policy.WriteBack:
		return storage.WriteBack
	}
	return storage.MemoryOnly
}

// Close flushes and closes the disk tier. Call it last, once no command
// runs.
func (c *Cache) Close() error {
	if c.tier == nil {
		return nil
	}
	return c.tier.Close()
}

// Store returns the Store the Cache writes to.
func (c *Cache) Store() *storage.Store { return c.store }

// Rules returns the namespaces (the default one alone when none is
// configured).
func (c *Cache) Rules() *policy.Rules { return c.rules }

// Tier returns the disk tier, nil when no namespace persists.
func (c *Cache) Tier() *storage.Tier { return c.tier }

// Tags returns the tag index.
func (c *Cache) Tags() *storage.Tags { return c.tags }

// Events returns the configured invalidation events.
func (c *Cache) Events() policy.Events { return c.events }

// Counters returns the counters of key's namespace, nil without
// namespaces. Commands that count events of their own (rate decisions)
// add to these as well as to the Store's.
func (c *Cache) Counters(key []byte) *storage.Counters {
	if c.counters == nil {
		return nil
	}
	return c.counters[c.rules.Lookup(key).ID]
}

// NamespaceCounters returns the counters of namespace sp, nil without
// namespaces.
func (c *Cache) NamespaceCounters(sp *policy.Space) *storage.Counters {
	if c.counters == nil {
		return nil
	}
	return c.counters[sp.ID]
}

// SetJitterSource replaces the draw of the jitter factor's U in [0, 1)
// (math/rand by default): tests fix it to check the TTLs given.
func (c *Cache) SetJitterSource(uniform func() float64) { c.uniform = uniform }

// IndexedKeys returns how many keys of database db the prefix index
// holds (0 when no prefix is indexed).
func (c *Cache) IndexedKeys(db int) int {
	if c.prefixes == nil {
		return 0
	}
	return c.prefixes.Len(c.store.DB(db))
}

// HasNamespaces reports whether namespaces are configured.
func (c *Cache) HasNamespaces() bool { return c.spaced }

// DictionaryOf returns the compression dictionary namespace sp's new
// values use (0: none).
func (c *Cache) DictionaryOf(sp *policy.Space) uint32 { return c.dicts[sp.ID].Load() }

// Wait is what a command's reply waits for before it goes out: the
// write-ahead log record of its last write_through write (0: none), and
// whether it wrote write_back keys (the backlog then bounds the writer).
type Wait struct {
	Seq     uint64
	Backlog bool
}

// Pending reports whether there is anything to wait for.
func (w Wait) Pending() bool { return w.Seq != 0 || w.Backlog }

// Merge combines two waits: the later record, either backlog.
func (w Wait) Merge(o Wait) Wait {
	return Wait{Seq: max(w.Seq, o.Seq), Backlog: w.Backlog || o.Backlog}
}

// Await blocks until w is satisfied: the write_through writes durable,
// the write_back backlog under its bound. Call it with no lock held, so
// that writers share one fsync. An error means a write may not be
// durable; the caller must not acknowledge it.
func (c *Cache) Await(w Wait) error {
	if c.tier == nil || !w.Pending() {
		return nil
	}
	return c.tier.Await(w.Seq, w.Backlog)
}

// WaitAll returns the Wait of a write over the whole keyspace (FLUSHALL,
// SWAPDB): every log record appended so far.
func (c *Cache) WaitAll() Wait {
	if c.tier == nil {
		return Wait{}
	}
	return Wait{Seq: c.tier.Appended()}
}

// namespaceCounters counts the keyspace's events in their keys'
// namespaces, as a storage Listener, ReadListener and SizeListener.
type namespaceCounters struct{ c *Cache }

func (n namespaceCounters) of(key string) *storage.Counters {
	return n.c.counters[n.c.rules.Lookup(unsafe.Slice(unsafe.StringData(key), len(key))).ID]
}

// KeyStored counts a write in its key's namespace.
func (n namespaceCounters) KeyStored(db *storage.DB, key string, v storage.Value) {
	n.of(key).KeyStored(db, key, v)
}

// KeyRemoved counts a removal in its key's namespace.
func (n namespaceCounters) KeyRemoved(db *storage.DB, key string, v storage.Value, why storage.Reason) {
	n.of(key).KeyRemoved(db, key, v, why)
}

// KeySized keeps the keys and bytes of its key's namespace.
func (n namespaceCounters) KeySized(key string, keys, bytes int64) {
	n.of(key).KeySized(key, keys, bytes)
}

// KeyRead counts a read in its key's namespace.
func (n namespaceCounters) KeyRead(db *storage.DB, key []byte, hit, disk bool) {
	n.c.counters[n.c.rules.Lookup(key).ID].KeyRead(db, key, hit, disk)
}
