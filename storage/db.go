package storage

import (
	"strings"
	"sync/atomic"
	"unsafe"
)

// DB is one numbered database. Its methods assume the caller holds the
// locks described in the package documentation; none of them lock.
type DB struct {
	store   *Store
	index   int
	keys    atomic.Int64
	expires atomic.Int64
	shards  [shardsPerDB]shard
}

func newDB(s *Store, index int) *DB {
	db := &DB{store: s, index: index}
	for i := range db.shards {
		db.shards[i] = newShard()
	}
	return db
}

// Index returns the database number.
func (db *DB) Index() int { return db.index }

// Len returns the number of keys, including expired keys not yet reclaimed
// (as DBSIZE does in Redis).
func (db *DB) Len() int { return int(db.keys.Load()) }

// Expires returns the number of keys with a TTL.
func (db *DB) Expires() int { return int(db.expires.Load()) }

// LookupFlags change what a lookup counts and touches.
type LookupFlags uint8

// Lookup flags.
const (
	// LookupWrite is a lookup on behalf of a write: not counted as a hit or
	// a miss.
	LookupWrite LookupFlags = 1 << iota
	// LookupNoTouch leaves the key's LRU position and access time alone.
	LookupNoTouch
)

func (db *DB) shardFor(key []byte) *shard {
	return &db.shards[db.store.ShardOf(key)]
}

// unsafeString views b as a string for map lookups; the string must not be
// retained.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Get is Lookup for a read.
func (db *DB) Get(key []byte) (Value, bool) { return db.Lookup(key, 0) }

// Lookup returns the live value of key. An expired key is deleted on the way
// (lazy expiry) and reported absent.
func (db *DB) Lookup(key []byte, flags LookupFlags) (Value, bool) {
	sh := db.shardFor(key)
	k := unsafeString(key)
	var v Value
	var ok bool
	if flags&LookupNoTouch != 0 {
		v, ok = sh.lru.Peek(k)
	} else {
		v, ok = sh.lru.Get(k)
	}
	now := db.store.clock()
	if ok && v.exp != 0 && v.exp <= now {
		db.expire(sh, k, v)
		ok = false
	}
	if flags&LookupWrite == 0 {
		if ok {
			db.store.stats.Hits.Add(1)
		} else {
			db.store.stats.Misses.Add(1)
		}
	}
	if !ok {
		return Value{}, false
	}
	if flags&LookupNoTouch == 0 {
		if t, changed := touched(v, now); changed {
			sh.lru.Add(k, t) // key exists: Add keeps the stored key string
			v = t
		}
	}
	return v, true
}

// touched returns v with its access clock and LFU counter brought up to
// now, and whether anything changed (so a read writes back only then).
func touched(v Value, now int64) (Value, bool) {
	clock := uint16(now / 1000)
	counter := lfuIncr(lfuDecay(v.LFU(), v.clock(), clock))
	if clock == v.clock() && counter == v.LFU() {
		return v, false
	}
	return v.withClock(clock).withLFU(counter), true
}

// Set stores v under key, replacing any value and its TTL with v's. The key
// bytes are copied when the key is new; v's payload is owned by the store.
func (db *DB) Set(key []byte, v Value) {
	sh := db.shardFor(key)
	k := unsafeString(key)
	v = v.withClock(uint16(db.store.clock() / 1000))
	old, existed := sh.lru.Peek(k)
	if existed {
		db.store.used.Add(payloadCost(v) - payloadCost(old))
		if old.exp != 0 && v.exp == 0 {
			db.unindexVolatile(sh, k)
		}
		if v.exp != 0 && old.exp == 0 {
			db.indexVolatile(sh, strings.Clone(k))
		}
		sh.lru.Add(k, v)
		db.stored(k, v)
		return
	}
	k = string(key)
	sh.lru.Add(k, v)
	db.keys.Add(1)
	db.store.used.Add(int64(entryOverhead+allocSize(len(k))) + payloadCost(v))
	if v.exp != 0 {
		db.indexVolatile(sh, k)
	}
	db.stored(k, v)
}

// SetExpireAt changes the expiry of an existing key (0 removes it) and
// reports whether the key existed.
func (db *DB) SetExpireAt(key []byte, ms int64) bool {
	v, ok := db.Lookup(key, LookupWrite|LookupNoTouch)
	if !ok {
		return false
	}
	db.Set(key, v.WithExpireAt(ms))
	return true
}

// Delete removes key and reports whether it existed (an expired key did not).
func (db *DB) Delete(key []byte) bool {
	if _, ok := db.Lookup(key, LookupWrite|LookupNoTouch); !ok {
		return false
	}
	sh := db.shardFor(key)
	db.remove(sh, unsafeString(key), Deleted)
	return true
}

// remove deletes key from sh, which holds it, and tells the listeners why.
func (db *DB) remove(sh *shard, k string, why Reason) {
	v, _ := sh.lru.Peek(k)
	db.removed(k, v, why)
	if v.exp != 0 {
		db.unindexVolatile(sh, k)
	}
	sh.lru.Remove(k)
	db.keys.Add(-1)
	db.store.used.Add(-int64(entryOverhead+allocSize(len(k))) - payloadCost(v))
}

// expire removes an expired key and counts it.
func (db *DB) expire(sh *shard, k string, v Value) {
	db.remove(sh, k, Expired)
	db.store.stats.Expired.Add(1)
}

// indexVolatile adds k, which must be an owned string (never a view of a
// caller's buffer), to the volatile index.
func (db *DB) indexVolatile(sh *shard, k string) {
	if _, ok := sh.volatile[k]; !ok {
		sh.volatile[k] = struct{}{}
		db.expires.Add(1)
		db.store.used.Add(volatileOverhead)
	}
}

func (db *DB) unindexVolatile(sh *shard, k string) {
	if _, ok := sh.volatile[k]; ok {
		delete(sh.volatile, k)
		db.expires.Add(-1)
		db.store.used.Add(-volatileOverhead)
	}
}

// Flush removes every key and returns how many there were.
func (db *DB) Flush() int {
	n := db.Len()
	for i := range db.shards {
		sh := &db.shards[i]
		for _, k := range sh.lru.Keys() {
			db.remove(sh, k, Flushed)
		}
	}
	return n
}

// payloadCost is what a value's payload costs beyond its entry.
func payloadCost(v Value) int64 {
	if v.Kind() == KindString {
		return int64(allocSize(int(v.n)))
	}
	return 0
}
