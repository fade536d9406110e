package cache

// Tag, pattern and event invalidation across both tiers.
//
// Tags live in storage.Tags, which follows the keyspace: a key's tags go
// when the key goes. TAG reaches evicted persisted keys too, since they
// keep their tags; a persisted key not read back since a restart is found
// in the disk tier's entries until the warm-up has indexed it.
//
// PATTERN reads the memory tier's keys from the ordered prefix index when
// the pattern's literal prefix falls under an indexed prefix (those of the
// configured events' templates, and Config.IndexPrefixes), otherwise by
// scanning the database shard by shard; then the disk tier's keys, a range
// of its ordered data file. Keys that live only on disk are read in by
// their deletion.
//
// An invalidation may touch any number of keys, so it locks one shard at a
// time, at most invalidateBatch keys per hold: a large invalidation never
// stops other clients for longer than one batch. It is therefore not
// atomic: a key written while it runs may or may not be removed. A disk
// error stops it and is returned: the keys removed before it stay removed,
// but the caller answers with the error, never with a partial count.

import (
	"runtime"
	"strings"
	"unsafe"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// invalidateBatch is the most keys removed or checked under one shard
// lock: about a tenth of a millisecond of work.
const invalidateBatch = 512

// InvalidateTags removes the keys of database db carrying any of tags
// from both tiers, tells removed of them, and returns how many it
// removed.
func (c *Cache) InvalidateTags(db int, tags []string, removed RemovedFunc) (int64, error) {
	d := c.store.DB(db)
	var keys []string
	for _, tag := range tags {
		keys = append(keys, c.tags.Keys(d, tag)...)
	}
	if c.tier != nil {
		// Keys only on disk since a start are not in the index yet.
		onDisk, err := c.tier.UnindexedTaggedKeys(db, tags)
		if err != nil {
			return 0, err
		}
		keys = append(keys, onDisk...)
	}
	return c.removeKeys(db, keys, storage.InvalidateTag, removed)
}

// InvalidatePattern removes the keys of database db matching the glob
// pattern from both tiers, tells removed of them, and returns how many it
// removed; kind says which invalidation asked, for the counters.
func (c *Cache) InvalidatePattern(db int, pattern string, kind storage.Invalidation, removed RemovedFunc) (int64, error) {
	n, err := c.invalidateMemoryPattern(db, pattern, kind, removed)
	if err != nil || c.tier == nil {
		return n, err
	}
	lit, _ := policy.Literal(pattern)
	keys, err := c.tier.PersistedKeys(db, lit)
	if err != nil {
		return n, err
	}
	matched := keys[:0]
	for _, k := range keys {
		if policy.Match(pattern, k) {
			matched = append(matched, k)
		}
	}
	m, err := c.removeKeys(db, matched, kind, removed)
	return n + m, err
}

// InvalidateEvent removes the keys of database db the templates of event
// name expand to with fields, tells removed of them, and returns how many
// it removed. An unknown event or a missing field is a policy error (see
// policy.Events.Expand).
func (c *Cache) InvalidateEvent(db int, name string, fields map[string]string, removed RemovedFunc) (int64, error) {
	patterns, err := c.events.Expand(name, fields)
	if err != nil {
		return 0, err
	}
	n := int64(0)
	for _, p := range patterns {
		m, err := c.InvalidatePattern(db, p, storage.InvalidateEvent, removed)
		if n += m; err != nil {
			return n, err
		}
	}
	return n, nil
}

// InvalidateKeys removes keys of database db from both tiers (CACHE.WARMUP
// CLEAR), tells removed of them, and returns how many existed.
func (c *Cache) InvalidateKeys(db int, keys []string, removed RemovedFunc) (int64, error) {
	return c.removeKeys(db, keys, storage.InvalidateWarmup, removed)
}

// TaggedKeys returns up to limit (negative: all) live keys of database db
// carrying tag, in no order, and forgets the index entries of keys gone
// unseen.
func (c *Cache) TaggedKeys(db int, tag string, limit int) ([]string, error) {
	var live []string
	err := c.inShardBatches(db, c.tags.Keys(c.store.DB(db), tag), storage.TxRead, func(tx *storage.Tx, batch []string) bool {
		for _, k := range batch {
			if len(live) == limit {
				return false
			}
			if _, ok := tx.Lookup(keyBytes(k), storage.LookupWrite|storage.LookupNoTouch); ok {
				live = append(live, k)
			} else if tx.Err() == nil {
				c.tags.Forget(tx.DB, k)
			}
		}
		return true
	}, nil)
	return live, err
}

// invalidateMemoryPattern removes the keys of the memory tier matching
// pattern, from the prefix index when it covers the pattern's literal
// prefix, else by scanning the database one shard at a time.
func (c *Cache) invalidateMemoryPattern(db int, pattern string, kind storage.Invalidation, removedFn RemovedFunc) (int64, error) {
	lit, _ := policy.Literal(pattern)
	if lit != "" && c.prefixes != nil && c.prefixes.Covers(lit) {
		n := int64(0)
		for after := ""; ; {
			batch := c.prefixes.Range(c.store.DB(db), lit, after, invalidateBatch)
			if len(batch) == 0 {
				return n, nil
			}
			after = batch[len(batch)-1]
			matched := batch[:0]
			for _, k := range batch {
				if policy.Match(pattern, k) {
					matched = append(matched, k)
				}
			}
			m, err := c.removeKeys(db, matched, kind, removedFn)
			if n += m; err != nil {
				return n, err
			}
		}
	}
	n := int64(0)
	for i := 0; i < storage.Shards; i++ {
		var removed []string
		err := c.store.UpdateShard(db, i, func(tx *storage.Tx) error {
			var matched []string
			tx.ScanShard(i, func(k string, _ storage.Value) {
				if strings.HasPrefix(k, lit) && policy.Match(pattern, k) {
					matched = append(matched, strings.Clone(k))
				}
			})
			for _, k := range matched {
				if tx.Delete(keyBytes(k)) {
					removed = append(removed, k)
				}
			}
			return nil
		})
		n += c.invalidated(db, removed, kind, removedFn)
		if err != nil {
			return n, err
		}
		runtime.Gosched()
	}
	return n, nil
}

// removeKeys deletes keys from database db in per-shard batches and
// returns how many existed.
func (c *Cache) removeKeys(db int, keys []string, kind storage.Invalidation, removedFn RemovedFunc) (int64, error) {
	n := int64(0)
	var removed []string
	err := c.inShardBatches(db, keys, storage.TxWrite, func(tx *storage.Tx, batch []string) bool {
		removed = removed[:0]
		for _, k := range batch {
			if tx.Delete(keyBytes(k)) {
				removed = append(removed, k)
			} else if tx.Err() == nil {
				c.tags.Forget(tx.DB, k) // gone from every tier unseen, if it was tagged
			}
		}
		return tx.Err() == nil
	}, func() { n += c.invalidated(db, removed, kind, removedFn) })
	return n, err
}

// invalidated reports removed keys, after their shard's lock is released:
// it counts them and tells fn.
func (c *Cache) invalidated(db int, removed []string, kind storage.Invalidation, fn RemovedFunc) int64 {
	if len(removed) == 0 {
		return 0
	}
	if c.counters != nil {
		for _, k := range removed {
			c.Counters(keyBytes(k)).Invalidations[kind].Add(uint(len(k)), 1)
		}
	}
	c.store.Counters().Invalidations[kind].Add(uint(db), int64(len(removed)))
	if fn != nil {
		fn(removed)
	}
	return int64(len(removed))
}

// inShardBatches groups keys of database db by shard and calls fn with at
// most invalidateBatch of them at a time, in a transaction of mode over
// their shard, until fn returns false or the transaction fails. unlocked,
// when not nil, runs after each batch once the lock is released. It
// returns the first transaction error.
func (c *Cache) inShardBatches(db int, keys []string, mode storage.TxMode, fn func(tx *storage.Tx, batch []string) bool, unlocked func()) error {
	var byShard [storage.Shards][]string
	for _, k := range keys {
		i := c.store.ShardOf(keyBytes(k))
		byShard[i] = append(byShard[i], k)
	}
	for i, ks := range byShard {
		for len(ks) > 0 {
			batch := ks[:min(len(ks), invalidateBatch)]
			ks = ks[len(batch):]
			more := true
			var tx storage.Tx
			c.store.BeginShard(&tx, db, i, mode)
			if tx.Err() == nil {
				more = fn(&tx, batch)
			}
			err := tx.End()
			if unlocked != nil {
				unlocked()
			}
			if err != nil {
				return err
			}
			// Let other clients' goroutines run between batches too: with
			// few Ps a long loop would otherwise hold one until preempted.
			runtime.Gosched()
			if !more {
				return nil
			}
		}
	}
	return nil
}

// keyBytes views a key string as bytes for a storage call that only reads
// it.
func keyBytes(k string) []byte { return unsafe.Slice(unsafe.StringData(k), len(k)) }
