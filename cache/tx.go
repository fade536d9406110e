package cache

// The write path. Which TTL a write gets depends on the kind of command
// that writes (its WriteKind, from the command table):
//   - a command that replaces the value (SET, SETEX, MSET, GETSET,
//     CACHE.SET, the *STORE commands, ...) gets the client's TTL jittered
//     and capped, or without one the namespace's default (ttl_by_field,
//     else ttl; max_ttl when only that is set): overwriting a key
//     re-applies ttl_by_field. SET KEEPTTL (SetKeepTTL) keeps the TTL it
//     had, capped by max_ttl.
//   - a command that changes the value in place (INCR, APPEND, SETRANGE,
//     list and hash writes, ...) leaves an existing key's TTL alone (so
//     INCR does not extend a rate window, and a key made persistent stays
//     so); a key it creates gets the namespace's default.
//   - EXPIRE and its family, and GETEX, jitter and cap the TTL they set;
//     PERSIST removes the TTL unless the namespace has max_ttl, which it
//     then gets: max_ttl is a bound no key of the namespace outlives.
//   - RENAME, COPY and MOVE carry the TTL with the value; a key landing in
//     a namespace with a TTL rule without one gets the default, and every
//     carried TTL is capped.
//   - CACHE.RATE, CL.THROTTLE and CACHE.THROTTLE keep the TTLs they set:
//     those are their windows, and a jittered or capped window would admit
//     more than its limit. They are the one exception to max_ttl.
//
// A string value whose namespace compresses it is compressed in the same
// step, so the key is stored once, in its final form.

import (
	"sync"
	"unsafe"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// WriteKind is how a command's writes treat a key's TTL (see above).
type WriteKind uint8

// Write kinds.
const (
	WriteInPlace WriteKind = iota // the default: INCR, APPEND, list and hash writes
	WriteReplace                  // SET and its family
	WriteExpire                   // EXPIRE and its family, GETEX, PERSIST
	WriteMove                     // RENAME, COPY, MOVE: the TTL travels with the value
	WriteOwnTTL                   // rate limits and throttles: their TTLs are their windows
)

// Tx is one command's transaction through the write path: a storage.Tx
// (reads, and everything that does not write, are its methods) whose
// writes apply the namespace rules. Begin fills a Tx the caller owns; a
// Tx is not safe for concurrent use.
type Tx struct {
	storage.Tx
	c       *Cache
	kind    WriteKind
	keepTTL bool
	wait    Wait
	// edit is the first byte Edit handed out, admitted already: the Set
	// that stores it must not be refused after the bytes changed.
	edit *byte
}

// Begin starts tx over the keys of database db a command of kind names
// (nil: the whole store), as storage.Store.Begin does. A write naming a
// key of a persisted namespace the disk tier has no room for fails at
// once (Err), before anything changes.
func (c *Cache) Begin(tx *Tx, db int, keys [][]byte, kind WriteKind, mode storage.TxMode) {
	tx.c, tx.kind, tx.keepTTL, tx.wait, tx.edit = c, kind, false, Wait{}, nil
	c.store.Begin(&tx.Tx, db, keys, mode)
	if c.tier != nil && mode&storage.TxWrite != 0 {
		for _, k := range keys {
			if !tx.admit(c.rules.Lookup(k)) {
				return
			}
		}
	}
}

// End releases tx's locks. It returns what the reply must wait for, and
// the first error that poisoned the transaction (a disk read that failed,
// a write the disk tier refused): the command's reply must then be that
// error instead.
func (tx *Tx) End() (Wait, error) {
	err := tx.Tx.End()
	return tx.wait, err
}

// Cache returns the Cache tx writes through.
func (tx *Tx) Cache() *Cache { return tx.c }

// Set stores v under key as the command's kind of write, through key's
// namespace rules: its TTL and compression are resolved first, and the
// key is stored once.
func (tx *Tx) Set(key []byte, v storage.Value) {
	if !tx.c.spaced {
		tx.Tx.Set(key, v)
		return
	}
	sp := tx.c.rules.Lookup(key)
	if edited := tx.edit != nil && v.Len() > 0 && unsafe.SliceData(v.Bytes()) == tx.edit; edited {
		tx.edit = nil
	} else if !tx.admitGrowth(sp) {
		return
	}
	if sp.Compress == nil {
		tx.Tx.Set(key, tx.shape(sp, key, v, nil))
	} else {
		buf := compressBuffers.Get().(*[]byte)
		tx.Tx.Set(key, tx.shape(sp, key, v, buf))
		compressBuffers.Put(buf)
	}
	tx.note(sp)
}

// Edit is storage.Tx.Edit through the namespace rules: it returns key's
// stored string bytes for the caller to change in place and then Set (see
// storage.Tx.Edit for the contract), once the write is admitted, so that
// the Set cannot be refused after the bytes changed. It returns false,
// and the caller builds the new value in a buffer of its own, where
// storage.Tx.Edit does, when the namespace compresses a string of that
// length (Set compresses a copy), and when the write is refused (the
// transaction then failed, and the caller's Set is refused as well).
func (tx *Tx) Edit(key []byte) ([]byte, bool) {
	if !tx.c.spaced {
		return tx.Tx.Edit(key)
	}
	sp := tx.c.rules.Lookup(key)
	if !tx.admitGrowth(sp) {
		return nil, false
	}
	b, ok := tx.Tx.Edit(key)
	if !ok || sp.Compresses(len(b)) {
		return nil, false
	}
	tx.edit = unsafe.SliceData(b)
	return b, true
}

// SetKeepTTL is Set for SET KEEPTTL: v carries the key's current TTL,
// which the namespace only caps.
func (tx *Tx) SetKeepTTL(key []byte, v storage.Value) {
	tx.keepTTL = true
	tx.Set(key, v)
	tx.keepTTL = false
}

// StoreObject is storage.Tx.StoreObject through the namespace rules: a
// changed object is stored again (Set), an emptied one deleted.
func (tx *Tx) StoreObject(key []byte, v storage.Value, empty bool) bool {
	if empty {
		tx.Delete(key)
		return true
	}
	tx.Set(key, v)
	return false
}

// SetExpireAt changes the expiry of an existing key, as the namespace
// rules make of it, and reports whether the key existed.
func (tx *Tx) SetExpireAt(key []byte, ms int64) bool {
	if !tx.c.spaced {
		return tx.Tx.SetExpireAt(key, ms)
	}
	sp := tx.c.rules.Lookup(key)
	if sp.ShapesTTL() && tx.kind != WriteOwnTTL {
		v, ok := tx.Tx.Lookup(key, storage.LookupWrite|storage.LookupNoTouch|storage.LookupRaw)
		if !ok {
			return false
		}
		ms = tx.expiry(sp, key, v.WithExpireAt(ms))
	}
	if !tx.admit(sp) {
		return false
	}
	ok := tx.Tx.SetExpireAt(key, ms)
	tx.note(sp)
	return ok
}

// Delete removes key from both tiers and reports whether it existed.
func (tx *Tx) Delete(key []byte) bool {
	if !tx.c.spaced {
		return tx.Tx.Delete(key)
	}
	sp := tx.c.rules.Lookup(key)
	if !tx.admit(sp) {
		return false
	}
	ok := tx.Tx.Delete(key)
	tx.note(sp)
	return ok
}

// Rename is storage.Tx.Rename through dst's namespace rules.
func (tx *Tx) Rename(src, dst []byte, nx bool) (bool, error) {
	if !tx.c.spaced {
		return tx.Tx.Rename(src, dst, nx, nil)
	}
	from, to := tx.c.rules.Lookup(src), tx.c.rules.Lookup(dst)
	if !tx.admit(from) || !tx.admit(to) {
		return false, nil
	}
	ok, err := tx.Tx.Rename(src, dst, nx, tx.reshape(to, dst))
	tx.note(from)
	tx.note(to)
	return ok, err
}

// Copy is storage.Tx.Copy through dst's namespace rules.
func (tx *Tx) Copy(src []byte, toDB int, dst []byte, replace bool) bool {
	if !tx.c.spaced {
		return tx.Tx.Copy(src, toDB, dst, replace, nil)
	}
	to := tx.c.rules.Lookup(dst)
	if !tx.admitGrowth(to) {
		return false
	}
	ok := tx.Tx.Copy(src, toDB, dst, replace, tx.reshape(to, dst))
	tx.note(to)
	return ok
}

// Move is storage.Tx.Move through the namespace rules.
func (tx *Tx) Move(key []byte, toDB int) bool {
	if !tx.c.spaced {
		return tx.Tx.Move(key, toDB, nil)
	}
	sp := tx.c.rules.Lookup(key)
	if !tx.admit(sp) {
		return false
	}
	ok := tx.Tx.Move(key, toDB, tx.reshape(sp, key))
	tx.note(sp)
	return ok
}

// Flush empties the database; the reply waits for every log record.
func (tx *Tx) Flush() int {
	if !tx.admitKeyspace() {
		return 0
	}
	n := tx.Tx.Flush()
	tx.wait = tx.wait.Merge(tx.c.WaitAll())
	return n
}

// FlushAll empties every database; the reply waits for every log record.
func (tx *Tx) FlushAll() int {
	if !tx.admitKeyspace() {
		return 0
	}
	n := tx.Tx.FlushAll()
	tx.wait = tx.wait.Merge(tx.c.WaitAll())
	return n
}

// SwapDB swaps two databases; the reply waits for every log record.
func (tx *Tx) SwapDB(a, b int) {
	if !tx.admitKeyspace() {
		return
	}
	tx.Tx.SwapDB(a, b)
	tx.wait = tx.wait.Merge(tx.c.WaitAll())
}

// admit reports whether a write of a key of namespace sp may go ahead: not
// after an error, nor while the disk tier has no room for a namespace it
// keeps (the transaction then fails with the tier's error).
func (tx *Tx) admit(sp *policy.Space) bool {
	if tx.Err() != nil {
		return false
	}
	if tx.c.tier != nil && sp.Strategy.Persists() {
		if err := tx.c.tier.Writable(durability(sp.Strategy)); err != nil {
			tx.Fail(err)
			return false
		}
	}
	return true
}

// admitKeyspace is admit for a write over every key (FLUSHDB, FLUSHALL,
// SWAPDB): refused while the disk tier refuses write_back writes (its
// directory read-only, or flushes failing with the backlog full), since it
// changes the persisted namespaces too.
func (tx *Tx) admitKeyspace() bool {
	if tx.Err() != nil {
		return false
	}
	if tx.c.tier != nil {
		if err := tx.c.tier.Writable(storage.WriteBack); err != nil {
			tx.Fail(err)
			return false
		}
	}
	return true
}

// admitGrowth is admit for a write that may grow the disk tier (a value
// stored, a key copied): while the tier is over max-disk-size, a namespace
// whose keys may not be evicted refuses it (ErrDiskLimit), as Redis
// refuses writes over maxmemory under noeviction. Deletions, expiries and
// renames, which do not grow it, go through admit alone.
func (tx *Tx) admitGrowth(sp *policy.Space) bool {
	if !tx.admit(sp) {
		return false
	}
	if tx.c.tier != nil && sp.Strategy.Persists() && !sp.DiskEvict {
		if err := tx.c.tier.Room(); err != nil {
			tx.Fail(err)
			return false
		}
	}
	return true
}

// note records what the reply waits for after a write of a key of
// namespace sp.
func (tx *Tx) note(sp *policy.Space) {
	switch sp.Strategy {
	case policy.WriteThrough:
		tx.wait.Seq = tx.c.tier.Appended()
	case policy.WriteBack:
		tx.wait.Backlog = true
	}
}

// reshape returns the Reshape giving a value moved to key of namespace sp
// its TTL and compression.
func (tx *Tx) reshape(sp *policy.Space, key []byte) storage.Reshape {
	return func(v storage.Value) storage.Value { return tx.shape(sp, key, v, nil) }
}

// shape returns v as key of namespace sp stores it: its TTL resolved by
// the write's kind, a string compressed when the namespace compresses it
// (into *buf when given, which the caller keeps until the store copied
// it).
func (tx *Tx) shape(sp *policy.Space, key []byte, v storage.Value, buf *[]byte) storage.Value {
	exp := v.ExpireAt()
	if sp.ShapesTTL() && tx.kind != WriteOwnTTL {
		exp = tx.expiry(sp, key, v)
	}
	if v.Kind() == storage.KindString && v.Flags()&storage.FlagCompressed == 0 && sp.Compresses(v.Len()) {
		v = tx.compress(sp, key, v, buf)
	}
	return v.WithExpireAt(exp)
}

// compress returns string value v compressed as namespace sp says, and
// counts the bytes saved; v itself when the codec fails.
func (tx *Tx) compress(sp *policy.Space, key []byte, v storage.Value, buf *[]byte) storage.Value {
	var dst []byte
	if buf != nil {
		dst = (*buf)[:0]
	}
	packed := tx.c.store.Compress(dst, v.Bytes(), storageLevel(sp.Compress.Level), tx.c.dicts[sp.ID].Load())
	if packed == nil {
		return v
	}
	if buf != nil && cap(packed) <= maxPooledBuffer {
		*buf = packed
	}
	id := uint(len(key))
	for _, ctr := range [...]*storage.Counters{tx.c.store.Counters(), tx.c.counters[sp.ID]} {
		ctr.RawBytes.Add(id, int64(v.Len()))
		ctr.StoredBytes.Add(id, int64(len(packed)))
	}
	return storage.StringValue(packed).WithFlags(v.Flags() | storage.FlagCompressed).WithExpireAt(v.ExpireAt())
}

// expiry returns the expiry namespace sp gives v, about to be stored
// under key by a write of tx's kind (see the file comment).
func (tx *Tx) expiry(sp *policy.Space, key []byte, v storage.Value) int64 {
	now, exp := tx.c.store.Now(), v.ExpireAt()
	switch tx.kind {
	case WriteReplace:
		if tx.keepTTL {
			return sp.Cap(now, exp)
		}
		return sp.ExpireAt(now, exp, tx.plainBytes(v), tx.c.uniform())
	case WriteMove:
		if exp == 0 {
			return sp.ExpireAt(now, 0, tx.plainBytes(v), tx.c.uniform())
		}
		return sp.Cap(now, exp)
	}
	prior, found := tx.Tx.Lookup(key, storage.LookupWrite|storage.LookupNoTouch|storage.LookupRaw)
	switch {
	case tx.kind == WriteInPlace && !found:
		return sp.ExpireAt(now, exp, tx.plainBytes(v), tx.c.uniform())
	case tx.kind == WriteExpire && exp != 0 && exp != prior.ExpireAt():
		return sp.ExpireAt(now, exp, nil, tx.c.uniform())
	}
	return sp.Cap(now, exp)
}

// plainBytes returns a string value's bytes decompressed, for
// ttl_by_field to read; nil when there are none to read.
func (tx *Tx) plainBytes(v storage.Value) []byte {
	if v.Kind() != storage.KindString {
		return nil
	}
	if v.Flags()&storage.FlagCompressed == 0 {
		return v.Bytes()
	}
	b, _ := tx.c.store.Plain(v)
	return b
}

// compressBuffers holds buffers to compress into: Set copies the result,
// so a buffer serves write after write without becoming garbage.
var compressBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBuffer is the largest compression buffer kept for reuse.
const maxPooledBuffer = 64 << 10

// storageLevel maps a namespace's compression level to zstd's.
func storageLevel(l policy.Level) storage.Level {
	switch l {
	case policy.LevelFastest:
		return storage.LevelFastest
	case policy.LevelBetter:
		return storage.LevelBetter
	case policy.LevelBest:
		return storage.LevelBest
	}
	return storage.LevelDefault
}
