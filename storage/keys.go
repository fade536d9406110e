package storage

import "math/rand/v2"

// Shards is the number of shards per DB: SCAN's cursor walks them in order,
// so a full iteration returns every key present throughout.
const Shards = shardsPerDB

// ScanShard calls fn with each live key of shard i and its value, in no
// particular order. Expired and superseded keys are reclaimed on the way
// and not reported.
// key views the store's record: copy it to keep it past the lock.
func (tx *Tx) ScanShard(i int, fn func(key string, v Value)) {
	db := tx.DB
	now := db.store.clock()
	db.eachSlot(&db.shards[i], func(s *slot) bool {
		if !db.dead(s, now) {
			fn(s.v.key(), s.v)
		}
		return true
	})
}

// RandomKey returns a random live key, or false when the DB is empty.
func (tx *Tx) RandomKey() (string, bool) {
	db := tx.DB
	// Expired and superseded keys may make a try fail; bound the tries as
	// Redis does.
	for try := 0; try < 100 && db.Len() > 0; try++ {
		start := rand.IntN(shardsPerDB)
		for i := 0; i < shardsPerDB; i++ {
			sh := &db.shards[(start+i)%shardsPerDB]
			if sh.lru.Len()+len(sh.overflow) == 0 {
				continue
			}
			var pick slot
			if n := sh.lru.Len(); n > 0 {
				h, v := sh.lru.random()
				pick = slot{sh: sh, h: h, found: true, v: v}
			} else {
				for _, v := range sh.overflow {
					pick = slot{sh: sh, found: true, overflow: true, v: v}
					break
				}
			}
			if db.dead(&pick, db.store.clock()) {
				break
			}
			return pick.v.key(), true
		}
	}
	return "", false
}
