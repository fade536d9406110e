package storage

import (
	"unsafe"
)

// DB is one numbered database. Its exported methods read counters that
// need no lock; its keys are reached through a Tx.
type DB struct {
	store   *Store
	index   int
	keys    Counter
	expires Counter
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
	// LookupRaw returns a compressed string as stored (FlagCompressed set)
	// instead of decompressed: for MEMORY USAGE, OBJECT ENCODING, and the
	// namespace rules comparing records.
	LookupRaw
)

// unsafeString views b as a string for map lookups; the string must not be
// retained.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// slot locates a key inside its shard.
type slot struct {
	sh       *shard
	h        uint64
	found    bool
	overflow bool // the key lives in sh.overflow, not the LRU
	// transient: v was read from the disk tier and not kept in memory
	// (maxmemory had no room for it), so there is nothing to touch.
	transient bool
	v         Value
}

// find locates key without touching it.
func (db *DB) find(key []byte) slot {
	h := db.store.hash(key)
	s := slot{sh: &db.shards[h&(shardsPerDB-1)], h: h}
	if v, ok := s.sh.lru.Peek(h); ok && v.key() == unsafeString(key) {
		s.v, s.found = v, true
		return s
	}
	if len(s.sh.overflow) > 0 {
		if v, ok := s.sh.overflow[unsafeString(key)]; ok {
			s.v, s.found, s.overflow = v, true, true
		}
	}
	return s
}

// put stores v (a record) at s.
func (s *slot) put(v Value) {
	if s.overflow {
		s.sh.overflow[v.key()] = v
		return
	}
	s.sh.lru.Add(s.h, v)
}

// rewrite copies v's payload over the string record found at s when that
// is all a write changes: same length, kind, flags, LFU counter, access
// clock, expiry and generation. The record and the LRU entry then stay as they are,
// which spares an allocation and the LRU list's move (cache misses on the
// entry's neighbours) on the commonest overwrites: a SET of a same-sized
// value, an INCR. It is safe because a looked-up value's bytes may not be
// kept past the lock they were read under (see Value).
func (s *slot) rewrite(v Value, gen uint32) (Value, bool) {
	old := s.v
	if !s.found || s.overflow || old.Kind() != KindString || old.n != v.n || old.exp != v.exp ||
		old.meta&^(uint32(flagGen)<<metaFlagShift) != v.meta|uint32(flagStored)<<metaFlagShift || old.Gen() != gen {
		return Value{}, false
	}
	copy(old.Bytes(), v.Bytes())
	return old, true
}

// edited returns the string record found at s as v, when v views that
// record's own payload, changed in place (see Tx.Edit): the record then
// takes v's flags, expiry, LFU counter and access clock, as a new record
// would, without copying the payload over itself (which rewrite would
// do, its other fields alike). A record of another generation than gen
// is not reused (its header holds its generation); v is then copied into
// a new one as any value is.
func (s *slot) edited(v Value, gen uint32) (Value, bool) {
	old := s.v
	if !s.found || old.Kind() != KindString || old.Flags()&FlagCompressed != 0 || v.Kind() != KindString ||
		v.n != old.n || v.n == 0 || v.ptr != unsafe.Pointer(unsafe.SliceData(old.Bytes())) || old.Gen() != gen {
		return Value{}, false
	}
	v.ptr = old.ptr
	v.meta = v.meta&^(uint32(flagGen)<<metaFlagShift) | old.meta&(uint32(flagGen)<<metaFlagShift) | uint32(flagStored)<<metaFlagShift
	return v, true
}

// lookup is Tx.Lookup: it returns the live value of key, and the error
// of a disk tier read that failed.
func (db *DB) lookup(key []byte, flags LookupFlags) (Value, bool, error) {
	s := db.find(key)
	// Only a key with a TTL needs the time: most lookups read no clock.
	if s.found && s.v.exp != 0 && expiredAt(s.v.exp, db.store.clock()) {
		db.expire(&s)
		s.found = false
	} else if s.found && db.superseded(s.v, key) { // generation.go
		db.remove(&s, Invalidated)
		s.found = false
	}
	disk := false
	if !s.found && db.store.tier != nil {
		var err error
		if s, err = db.promote(key, s, flags); err != nil { // tier.go
			return Value{}, false, err
		}
		disk = s.found
	}
	if flags&LookupWrite == 0 {
		if s.found {
			db.store.stats.Hits.Add(uint(s.h), 1)
		} else {
			db.store.stats.Misses.Add(uint(s.h), 1)
		}
		if r := db.store.reads; r != nil {
			r.KeyRead(db, key, s.found, disk)
		}
		if db.store.Policy() == AllKeysTinyLFU && db.store.maxMemory.Load() != 0 {
			db.readTinyLFU(s.sh, s.h) // evict_tinylfu.go
		}
	}
	if !s.found {
		return Value{}, false, nil
	}
	if flags&LookupNoTouch == 0 && !s.transient {
		// A key read again within the second of its last access keeps its
		// place in the LRU: moving it costs cache misses on its neighbours
		// on every hit, and Redis's LRU clock has a one-second resolution
		// too. Otherwise put stores the new access clock and moves it to
		// the front.
		if t, changed := touched(s.v, db.store.lruClock()); changed {
			s.put(t)
			s.v = t
		}
		db.touchHot(s.sh, s.h, key, s.v) // hotkeys.go
	}
	if s.v.Flags()&FlagCompressed != 0 && flags&LookupRaw == 0 {
		v, err := db.plain(s.v) // codec_zstd.go
		return v, err == nil, err
	}
	return s.v, true, nil
}

// touched returns v with its access clock and LFU counter brought up to
// clock (see Store.lruClock), and whether anything changed (so a read
// writes back only then).
func touched(v Value, clock uint16) (Value, bool) {
	counter := lfuIncr(lfuDecay(v.LFU(), v.clock(), clock))
	if clock == v.clock() && counter == v.LFU() {
		return v, false
	}
	return v.withClock(clock).withLFU(counter), true
}

// set is Tx.Set: it stores a copy of v under key, of the key's current
// generation, and tells the listeners.
func (db *DB) set(key []byte, v Value) {
	rec := db.write(key, v, db.store.generation(key))
	db.stored(rec.key(), rec)
}

// write is Set of generation gen without telling the listeners (the disk
// tier's promotions: the key moves between tiers, it does not change). It
// returns the record.
func (db *DB) write(key []byte, v Value, gen uint32) Value {
	v = v.withClock(db.store.lruClock())
	s := db.find(key)
	rec, edited := s.edited(v, gen)
	if !edited {
		if rec, ok := s.rewrite(v, gen); ok {
			return rec
		}
		rec = newRecord(key, v, gen)
	}
	if s.found {
		db.store.used.Add(uint(s.h), recordSize(rec)-recordSize(s.v))
		db.sized(rec.key(), 0, recordSize(rec)-recordSize(s.v))
		if !s.overflow {
			if s.v.exp != 0 && rec.exp == 0 {
				db.unindexVolatile(s.sh, s.h)
			} else if rec.exp != 0 && s.v.exp == 0 {
				db.indexVolatile(s.sh, s.h)
			}
		} else if s.v.exp == 0 && rec.exp != 0 {
			db.expires.Add(uint(s.h), 1)
		} else if s.v.exp != 0 && rec.exp == 0 {
			db.expires.Add(uint(s.h), -1)
		}
		s.put(rec)
		return rec
	}
	if _, taken := s.sh.lru.Peek(s.h); taken {
		// Another key has this hash: keep this one aside.
		if s.sh.overflow == nil {
			s.sh.overflow = map[string]Value{}
		}
		s.overflow = true
		if rec.exp != 0 {
			db.expires.Add(uint(s.h), 1)
		}
	} else if rec.exp != 0 {
		db.indexVolatile(s.sh, s.h)
	}
	s.put(rec)
	if !s.overflow && db.store.maxMemory.Load() != 0 {
		switch db.store.Policy() {
		case AllKeys2Q:
			db.admit2Q(s.sh, s.h) // evict_2q.go
		case AllKeysTinyLFU:
			db.admitTinyLFU(s.sh, s.h) // evict_tinylfu.go
		}
	}
	db.keys.Add(uint(s.h), 1)
	db.store.used.Add(uint(s.h), entryOverhead+recordSize(rec))
	db.sized(rec.key(), 1, entryOverhead+recordSize(rec))
	return rec
}

// delete is Tx.Delete: it removes key and reports whether it existed, or
// the error of a disk tier read that failed (and then removes nothing).
func (db *DB) delete(key []byte) (bool, error) {
	s := db.find(key)
	if !s.found && db.store.tier != nil {
		var err error
		if s, err = db.promote(key, s, LookupWrite); err != nil { // tier.go
			return false, err
		}
	}
	if !s.found {
		return false, nil
	}
	if expiredAt(s.v.exp, db.store.clock()) {
		db.expire(&s)
		return false, nil
	}
	if db.superseded(s.v, key) {
		db.remove(&s, Invalidated)
		return false, nil
	}
	db.remove(&s, Deleted)
	return true, nil
}

// remove deletes the key found at s and tells the listeners why.
func (db *DB) remove(s *slot, why Reason) {
	v := s.v
	if s.overflow {
		delete(s.sh.overflow, v.key())
		if v.exp != 0 {
			db.expires.Add(uint(s.h), -1)
		}
	} else {
		if v.exp != 0 {
			db.unindexVolatile(s.sh, s.h)
		}
		s.sh.lru.Remove(s.h)
	}
	s.sh.dropHot(v.key())
	db.keys.Add(uint(s.h), -1)
	db.store.used.Add(uint(s.h), -entryOverhead-recordSize(v))
	db.sized(v.key(), -1, -entryOverhead-recordSize(v))
	db.removed(v.key(), v, why)
}

// expire removes an expired key and counts it.
func (db *DB) expire(s *slot) {
	db.remove(s, Expired)
	db.store.stats.Expired.Add(uint(s.h), 1)
}

func (db *DB) indexVolatile(sh *shard, h uint64) {
	sh.volatile[h] = struct{}{}
	db.expires.Add(uint(h), 1)
	db.store.used.Add(uint(h), volatileOverhead)
}

func (db *DB) unindexVolatile(sh *shard, h uint64) {
	delete(sh.volatile, h)
	db.expires.Add(uint(h), -1)
	db.store.used.Add(uint(h), -volatileOverhead)
}

// flush removes every key and returns how many there were.
func (db *DB) flush() int {
	if db.store.tier != nil {
		db.store.tier.flushDB(db) // tier.go
	}
	n := db.Len()
	for i := range db.shards {
		db.eachSlot(&db.shards[i], func(s *slot) bool {
			db.remove(s, Flushed)
			return true
		})
		db.drop2Q(&db.shards[i])
		db.dropTinyLFU(&db.shards[i])
	}
	return n
}

// eachSlot calls fn for every key of sh, expired or not, until fn returns
// false. fn may remove the key it is given.
func (db *DB) eachSlot(sh *shard, fn func(s *slot) bool) {
	if !sh.lru.each(func(h uint64, v Value) bool { return fn(&slot{sh: sh, h: h, found: true, v: v}) }) {
		return
	}
	for _, v := range sh.overflow {
		if !fn(&slot{sh: sh, found: true, overflow: true, v: v}) {
			return
		}
	}
}
