package storage

import "math/rand/v2"

// Shards is the number of shards per DB: SCAN's cursor walks them in order,
// so a full iteration returns every key present throughout.
const Shards = shardsPerDB

// ScanShard calls fn with each live key of shard i and its value, in no
// particular order. Expired keys are reclaimed on the way and not reported.
// key is owned by the store: copy it to keep it past the lock.
func (db *DB) ScanShard(i int, fn func(key string, v Value)) {
	sh := &db.shards[i]
	now := db.store.clock()
	for _, k := range sh.lru.Keys() {
		v, _ := sh.lru.Peek(k)
		if v.exp != 0 && v.exp <= now {
			db.expire(sh, k, v)
			continue
		}
		fn(k, v)
	}
}

// RandomKey returns a random live key, or false when the DB is empty.
func (db *DB) RandomKey() (string, bool) {
	// Expired keys may make a try fail; bound the tries as Redis does.
	for try := 0; try < 100 && db.Len() > 0; try++ {
		start := rand.IntN(shardsPerDB)
		for i := 0; i < shardsPerDB; i++ {
			sh := &db.shards[(start+i)%shardsPerDB]
			if sh.lru.Len() == 0 {
				continue
			}
			keys := sh.lru.Keys()
			k := keys[rand.IntN(len(keys))]
			v, _ := sh.lru.Peek(k)
			if v.exp != 0 && v.exp <= db.store.clock() {
				db.expire(sh, k, v)
				break
			}
			return k, true
		}
	}
	return "", false
}
