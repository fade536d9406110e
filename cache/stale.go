package cache

// Stale values: the last value of an expired key, kept for a while so
// that it can still be served while its source cannot give a fresh one
// (stale_if_error, while the origin fails; lease_stale, while another
// client reloads it under a CACHE.LEASE).
//
// The keyspace forgets an expired key at once, so the Cache keeps a copy
// beside it: a storage.Listener copies a string key's value when it
// expires, if its namespace keeps stale values (policy.Space.KeepsStale),
// and forgets it when the key is written again, deleted, invalidated or
// flushed, so that a stale value is never served after the key was
// removed on purpose. The copies are bounded in bytes, oldest out first.

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// staleBudget bounds the bytes of stale values kept.
const staleBudget = 64 << 20

// dbKey is a key of a database.
type dbKey struct {
	db  int
	key string
}

// staleValue is an expired key's last value, as stored (compressed when
// flags say so).
type staleValue struct {
	b         []byte
	flags     uint8
	expiredAt int64 // unix ms
}

// staleValues keeps stale values. It is a storage.Listener, and safe for
// concurrent use.
type staleValues struct {
	rules *policy.Rules
	n     atomic.Int64 // values kept: writes skip the lock while 0
	mu    sync.Mutex
	lru   *simplelru.LRU[dbKey, staleValue]
	bytes int64
}

func newStaleValues(rules *policy.Rules) *staleValues {
	s := &staleValues{rules: rules}
	s.lru, _ = simplelru.NewLRU(math.MaxInt, func(k dbKey, v staleValue) {
		s.bytes -= int64(len(k.key) + len(v.b))
		s.n.Add(-1)
	})
	return s
}

// KeyStored forgets key's stale value: it has a fresh one.
func (s *staleValues) KeyStored(db *storage.DB, key string, _ storage.Value) {
	s.forget(db.Index(), key)
}

// KeyRemoved keeps the value of a string key that expired, in a namespace
// that keeps stale values, and forgets the key's stale value otherwise.
func (s *staleValues) KeyRemoved(db *storage.DB, key string, v storage.Value, why storage.Reason) {
	if why != storage.Expired || v.Kind() != storage.KindString || v.Len() > staleBudget/16 ||
		s.rules.Lookup(keyBytes(key)).KeepsStale() == 0 {
		s.forget(db.Index(), key)
		return
	}
	k := dbKey{db.Index(), key}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lru.Remove(k)
	k.key = string([]byte(key)) // the store owns key
	s.lru.Add(k, staleValue{b: append([]byte(nil), v.Bytes()...), flags: v.Flags(), expiredAt: v.ExpireAt()})
	s.n.Add(1)
	s.bytes += int64(len(k.key) + v.Len())
	for s.bytes > staleBudget {
		s.lru.RemoveOldest()
	}
}

func (s *staleValues) forget(db int, key string) {
	if s.n.Load() == 0 {
		return
	}
	s.mu.Lock()
	s.lru.Remove(dbKey{db, key})
	s.mu.Unlock()
}

// forgetNamespace forgets the stale values of namespace sp's keys.
func (s *staleValues) forgetNamespace(sp *policy.Space) {
	if s.n.Load() == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.lru.Keys() {
		if s.rules.Lookup(keyBytes(k.key)) == sp {
			s.lru.Remove(k)
		}
	}
}

// get returns key's stale value if it expired no longer than within
// before now.
func (s *staleValues) get(db int, key string, now int64, within time.Duration) (staleValue, bool) {
	if s.n.Load() == 0 || within <= 0 {
		return staleValue{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.lru.Peek(dbKey{db, key})
	if !ok || now-v.expiredAt > within.Milliseconds() {
		return staleValue{}, false
	}
	return v, true
}

// Stale returns the last value of key of database db, a string that
// expired no longer than within ago and was not written, deleted or
// invalidated since; false when there is none. The caller must not modify
// the bytes.
func (c *Cache) Stale(db int, key string, within time.Duration) ([]byte, bool) {
	if c.stale == nil {
		return nil, false
	}
	v, ok := c.stale.get(db, key, c.store.Now(), within)
	if !ok {
		return nil, false
	}
	if v.flags&storage.FlagCompressed == 0 {
		return v.b, true // never modified once kept
	}
	b, err := c.store.Plain(storage.StringValue(v.b).WithFlags(v.flags))
	return b, err == nil
}
