package storage

import "math/rand/v2"

// evictSample is how many candidates the sampled policies compare, as
// Redis's maxmemory-samples.
const evictSample = 5

// MakeRoom frees memory before a write that may grow the dataset, as Redis
// does before running a command flagged denyoom. Over maxmemory it evicts by
// the policy, first from key's shard (held by the caller), then from other
// shards it can lock without waiting. It returns ErrOutOfMemory when the
// policy is noeviction or nothing more can be evicted.
func (tx *Tx) MakeRoom(key []byte) error {
	db := tx.DB
	s := db.store
	max := s.maxMemory.Load()
	if max == 0 || s.used.Load() <= max {
		return nil
	}
	if s.Policy() == NoEviction || !db.evictFor(&db.shards[s.ShardOf(key)], 0) {
		return ErrOutOfMemory
	}
	return nil
}

// evictFor evicts by the policy until need more bytes fit under maxmemory
// (which must be set), first from own (held by the caller), then from
// other shards it can lock without waiting, and reports whether they fit.
func (db *DB) evictFor(own *shard, need int64) bool {
	s := db.store
	max := s.maxMemory.Load()
	for s.used.Load()+need > max && db.evictOne(own) {
	}
	if s.used.Load()+need <= max {
		return true
	}
	// Spread the rest over the other shards, starting at a random one and
	// taking one key per shard per round: draining shard after shard would
	// evict the hot keys of the first ones while colder keys stay elsewhere.
	start := rand.IntN(shardsPerDB)
	for progress := true; progress && s.used.Load()+need > max; {
		progress = false
		for n := range s.dbs {
			d := s.dbs[n].Load()
			for i := 0; i < shardsPerDB && s.used.Load()+need > max; i++ {
				sh := &d.shards[(start+i)%shardsPerDB]
				if sh == own || !sh.mu.TryLock() {
					continue
				}
				if d.evictOne(sh) {
					progress = true
				}
				sh.mu.Unlock()
			}
		}
	}
	return s.used.Load()+need <= max
}

// roomFor reports whether key's value v of generation gen, just read from
// the disk tier, may be kept in memory: always without maxmemory; else when it fits, after
// evicting by the policy (never under noeviction). A read must not take
// memory past maxmemory, which writes alone may pass (by the one write
// that runs after MakeRoom). own is key's shard, held by the caller.
func (db *DB) roomFor(own *shard, key []byte, v Value, gen uint32) bool {
	s := db.store
	max := s.maxMemory.Load()
	if max == 0 {
		return true
	}
	need := storedSize(key, v, gen)
	if s.used.Load()+need <= max {
		return true
	}
	return s.Policy() != NoEviction && db.evictFor(own, need)
}

// evictOne removes one key of sh chosen by the policy and reports whether
// there was one to remove. Keys in overflow (hash collisions, vanishingly
// rare) go first, whatever the policy.
func (db *DB) evictOne(sh *shard) bool {
	var victim slot
	if sh.q2 != nil && db.store.Policy() != AllKeys2Q {
		db.drop2Q(sh) // the policy changed: its queues are of no more use
	}
	if sh.tlfu != nil && db.store.Policy() != AllKeysTinyLFU {
		db.dropTinyLFU(sh)
	}
	switch policy := db.store.Policy(); {
	case len(sh.overflow) > 0:
		for _, v := range sh.overflow {
			victim = slot{sh: sh, found: true, overflow: true, v: v}
			break
		}
	case policy == AllKeysLRU:
		h, v, ok := sh.lru.GetOldest()
		victim = slot{sh: sh, h: h, found: ok, v: v}
	case policy == AllKeysRandom:
		if sh.lru.Len() > 0 {
			h, v := sh.lru.random()
			victim = slot{sh: sh, h: h, found: true, v: v}
		}
	case policy == AllKeysLFU:
		victim = db.lfuVictim(sh)
	case policy == AllKeys2Q:
		victim = db.victim2Q(sh) // evict_2q.go
	case policy == AllKeysTinyLFU:
		victim = db.victimTinyLFU(sh) // evict_tinylfu.go
	default:
		victim = db.volatileVictim(sh, policy)
	}
	if !victim.found {
		return false
	}
	db.remove(&victim, Evicted)
	db.store.stats.Evicted.Add(uint(victim.h), 1)
	return true
}

// lfuVictim looks at the keys at the LRU tail and returns the first whose
// counter is at most the initial one (a key nobody read since it was
// written, or one whose counter has decayed), or else the least used of
// those it looked at. The more used keys it passes move to the front, so
// the next call looks at others; their counters only decay with idle time,
// as Redis's do, so a frequently read key survives scans of cold data.
func (db *DB) lfuVictim(sh *shard) slot {
	var best slot
	bestFreq := 256
	for i := 0; i < evictSample; i++ {
		h, v, ok := sh.lru.GetOldest()
		if !ok {
			break
		}
		f := db.Frequency(v)
		if f <= lfuInitial {
			return slot{sh: sh, h: h, found: true, v: v}
		}
		if f < bestFreq {
			best, bestFreq = slot{sh: sh, h: h, found: true, v: v}, f
		}
		sh.lru.Get(h) // move to front: the next sample sees other keys
	}
	return best
}

// volatileVictim samples keys with a TTL and returns the best by the
// policy: least recently used, nearest expiry, least frequently used, or
// simply the first (random).
func (db *DB) volatileVictim(sh *shard, policy EvictionPolicy) slot {
	var best slot
	var bestScore int64
	seen := 0
	for h := range sh.volatile {
		if seen++; seen > evictSample {
			break
		}
		v, _ := sh.lru.Peek(h)
		var score int64 // higher evicts first
		switch policy {
		case VolatileRandom:
			return slot{sh: sh, h: h, found: true, v: v}
		case VolatileLRU:
			score = db.IdleSeconds(v)
		case VolatileTTL:
			score = -v.exp
		case VolatileLFU:
			score = 255 - int64(db.Frequency(v))
		}
		if !best.found || score > bestScore {
			best, bestScore = slot{sh: sh, h: h, found: true, v: v}, score
		}
	}
	return best
}
