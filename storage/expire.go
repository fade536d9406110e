package storage

import (
	"sync"
	"time"
)

// expiryCycle remembers where active expiry stopped, so successive cycles
// walk every shard of every database in turn.
type expiryCycle struct {
	mu    sync.Mutex
	db    int
	shard int
}

// expireSample is how many keys with a TTL one round looks at per shard, and
// expireRepeat the share of expired keys in a sample above which the shard is
// sampled again: Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP and its 25%.
const (
	expireSample = 20
	expireRepeat = expireSample / 4
)

// ExpireCycle reclaims expired keys nobody reads (active expiry) until it has
// visited every shard once or the budget is spent, and returns how many keys
// it removed; with no budget it only advances the clocks. It takes the locks
// it needs; call it from one goroutine.
func (s *Store) ExpireCycle(budget time.Duration) int {
	s.expiry.mu.Lock()
	defer s.expiry.mu.Unlock()
	if s.mono != nil {
		s.mono.Sync()
		s.tickLRUClock()
	}
	deadline := time.Now().Add(budget)
	removed := 0
	for visited := 0; visited < len(s.dbs)*shardsPerDB; visited++ {
		if !time.Now().Before(deadline) {
			break
		}
		c := &s.expiry
		s.mu.rlock(c.shard)
		db := s.dbs[c.db].Load()
		if db.expires.Load() > 0 {
			sh := &db.shards[c.shard]
			sh.mu.Lock()
			for {
				n := db.expireSample(sh)
				removed += n
				if n <= expireRepeat || time.Now().After(deadline) {
					break
				}
			}
			sh.mu.Unlock()
		}
		s.mu.runlock(c.shard)
		if c.shard++; c.shard == shardsPerDB {
			c.shard = 0
			c.db = (c.db + 1) % len(s.dbs)
		}
	}
	return removed
}

// expireSample removes the expired keys among up to expireSample keys with a
// TTL in sh (Go's map iteration starts at a random place, which makes the
// sample random) and returns how many it removed. Overflow keys, rare and
// few, are all checked.
func (db *DB) expireSample(sh *shard) int {
	now := db.store.clock()
	var expired [expireSample]slot
	n, seen := 0, 0
	for h := range sh.volatile {
		if seen++; seen > expireSample {
			break
		}
		if v, ok := sh.lru.Peek(h); ok && expiredAt(v.exp, now) {
			expired[n] = slot{sh: sh, h: h, found: true, v: v}
			n++
		}
	}
	for i := range expired[:n] {
		db.expire(&expired[i])
	}
	for _, v := range sh.overflow {
		if expiredAt(v.exp, now) {
			db.expire(&slot{sh: sh, found: true, overflow: true, v: v})
			n++
		}
	}
	return n
}
