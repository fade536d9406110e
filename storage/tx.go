package storage

import (
	"errors"
	"slices"
)

// TxMode says what a transaction may do and which locks it takes.
type TxMode uint8

// Transaction modes.
const (
	// TxRead is a transaction that only reads (lazy expiry and the access
	// clock still change the keyspace, as they do in Redis).
	TxRead TxMode = 0
	// TxWrite is a transaction that may write.
	TxWrite TxMode = 1 << iota
	// TxHeld is a transaction inside an enclosing exclusive one (EXEC, a
	// script) whose locks it shares: it takes and releases none.
	TxHeld
)

// ErrReadOnlyTx is what a write in a TxRead transaction panics with: a
// command flagged as a read wrote, which is a programming error.
var ErrReadOnlyTx = errors.New("storage: write in a read-only transaction")

// maxTxShards is the most distinct shards a transaction locks one by one;
// a command naming keys in more shards locks the whole store.
const maxTxShards = 32

// Tx is one command's access to a database: the locks it holds over the
// keys it names, and the first disk error it met.
//
// A disk error poisons the transaction: the lookup that met it reports the
// key absent, and every later write of the transaction is refused, so a
// command never acts on a value it could not read (an INCR of a key it
// could not read would otherwise start it from 0). End returns the error;
// the caller then answers with it instead of the command's reply.
//
// Begin fills a Tx the caller owns (a connection keeps one, so a command
// allocates none); Update and View wrap Begin and End around a function.
// A Tx is not safe for concurrent use, and must not be used after End.
type Tx struct {
	*DB
	lock     locks
	mode     TxMode
	err      error
	shardBuf [maxTxShards]int
}

// Begin starts tx over database db, holding what a command naming keys
// needs (see the package documentation): one shard when all keys share
// one, the shards they fall in when there are a few, the whole store when
// keys is nil or they span many. A write naming several keys reads those
// that live only on disk back into memory first, so that a disk error
// stops it before it changes anything.
func (s *Store) Begin(tx *Tx, db int, keys [][]byte, mode TxMode) {
	tx.mode, tx.err = mode, nil
	switch {
	case mode&TxHeld != 0:
		tx.lock = locks{held: true}
	case keys == nil:
		tx.lock = s.lockAll()
	case len(keys) == 1:
		tx.lock = s.lockShard(db, s.ShardOf(keys[0]))
	default:
		tx.lock = s.lockKeys(db, keys, tx.shardBuf[:0])
	}
	tx.DB = s.dbs[db].Load()
	if mode&TxWrite != 0 && len(keys) > 1 && s.tier != nil {
		for _, k := range keys {
			if sl := tx.DB.find(k); !sl.found {
				if _, tx.err = tx.DB.promote(k, sl, LookupWrite); tx.err != nil {
					return
				}
			}
		}
	}
}

// BeginShard starts tx over shard i of database db (see Shards): for
// work that walks the keyspace a shard at a time.
func (s *Store) BeginShard(tx *Tx, db, i int, mode TxMode) {
	tx.mode, tx.err = mode, nil
	tx.lock = s.lockShard(db, i)
	tx.DB = s.dbs[db].Load()
}

// UpdateShard runs fn in a write transaction over shard i of database db
// and returns fn's error, else the transaction's.
func (s *Store) UpdateShard(db, i int, fn func(tx *Tx) error) error {
	var tx Tx
	s.BeginShard(&tx, db, i, TxWrite)
	return tx.run(fn)
}

// lockKeys locks the shards of keys, sorted into buf, or the whole store
// when they are more than buf holds.
func (s *Store) lockKeys(db int, keys [][]byte, buf []int) locks {
	for _, k := range keys {
		if len(buf) == cap(buf) {
			return s.lockAll()
		}
		buf = append(buf, s.ShardOf(k))
	}
	slices.Sort(buf)
	buf = slices.Compact(buf)
	if len(buf) == 1 {
		return s.lockShard(db, buf[0])
	}
	return s.lockShards(db, buf)
}

// End releases tx's locks and returns the first disk error it met.
func (tx *Tx) End() error {
	tx.DB.store.unlock(tx.lock)
	tx.lock = locks{}
	return tx.err
}

// Err returns the first disk error tx met, nil when none.
func (tx *Tx) Err() error { return tx.err }

// Fail poisons tx with err (see Tx), unless it already failed: the write
// path refuses a write this way, e.g. one the disk tier has no room for.
func (tx *Tx) Fail(err error) {
	if tx.err == nil {
		tx.err = err
	}
}

// writing reports whether a write may go ahead: not after a disk error.
// A write in a read transaction panics with ErrReadOnlyTx.
func (tx *Tx) writing() bool {
	if tx.mode&TxWrite == 0 {
		panic(ErrReadOnlyTx)
	}
	return tx.err == nil
}

// Update runs fn in a write transaction over keys of database db (nil:
// the whole store) and returns fn's error, else the transaction's.
func (s *Store) Update(db int, keys [][]byte, fn func(tx *Tx) error) error {
	return s.run(db, keys, TxWrite, fn)
}

// View runs fn in a read transaction over keys of database db (nil: the
// whole store) and returns fn's error, else the transaction's.
func (s *Store) View(db int, keys [][]byte, fn func(tx *Tx) error) error {
	return s.run(db, keys, TxRead, fn)
}

func (s *Store) run(db int, keys [][]byte, mode TxMode, fn func(tx *Tx) error) error {
	var tx Tx
	s.Begin(&tx, db, keys, mode)
	return tx.run(fn)
}

// run runs fn in tx unless tx already failed, ends tx, and returns fn's
// error, else tx's.
func (tx *Tx) run(fn func(tx *Tx) error) error {
	if tx.err != nil {
		return tx.End()
	}
	err := fn(tx)
	if endErr := tx.End(); err == nil {
		err = endErr
	}
	return err
}

// Get is Lookup for a read.
func (tx *Tx) Get(key []byte) (Value, bool) { return tx.Lookup(key, 0) }

// Lookup returns the live value of key. An expired key is deleted on the
// way (lazy expiry) and reported absent; a key of a persisted namespace
// missing from memory is read back from the disk tier. A disk error
// poisons tx and reports the key absent.
func (tx *Tx) Lookup(key []byte, flags LookupFlags) (Value, bool) {
	v, ok, err := tx.DB.lookup(key, flags)
	if err != nil {
		tx.Fail(err)
	}
	return v, ok
}

// Set stores a copy of v under key, replacing any value and its TTL with
// v's. A v viewing the bytes Edit returned for key is stored without a
// copy, in the record that holds them.
func (tx *Tx) Set(key []byte, v Value) {
	if tx.writing() {
		tx.DB.set(key, v)
	}
}

// Edit returns the payload of key's string for the caller to change in
// place, and true, when the key holds one in memory, uncompressed and not
// empty: a command that changes a few bytes of a long string (SETBIT,
// PFADD) then copies none. The bytes are the store's own: every reader
// of them holds key's locks (a looked-up value's bytes may not be kept
// past them, see Value), which tx holds, so none sees them change. The
// caller must then, before anything else of tx, store them with Set, as
// a value viewing all of them (StringValue(b)); Set then stores the
// record as it is, told to the listeners (the disk tier stages it, WATCH
// and tracking see a write) as any write, and an Edit without that Set
// is a change no listener hears of. The bytes must not be kept past the
// Set. With false (a key missing, of another kind, compressed, read from
// disk and not kept), the caller builds the new value in a buffer of its
// own and Sets that.
func (tx *Tx) Edit(key []byte) ([]byte, bool) {
	if !tx.writing() {
		return nil, false
	}
	s := tx.DB.find(key)
	if !s.found || s.v.Kind() != KindString || s.v.Flags()&FlagCompressed != 0 || s.v.n == 0 ||
		s.v.exp != 0 && expiredAt(s.v.exp, tx.DB.store.clock()) || tx.DB.superseded(s.v, key) {
		return nil, false // a dead key is the lookup's to reclaim
	}
	return s.v.Bytes(), true
}

// SetExpireAt changes the expiry of an existing key (0 removes it) and
// reports whether the key existed.
func (tx *Tx) SetExpireAt(key []byte, ms int64) bool {
	v, ok := tx.Lookup(key, LookupWrite|LookupNoTouch)
	if !ok || !tx.writing() {
		return false
	}
	tx.DB.set(key, v.WithExpireAt(ms))
	return true
}

// Delete removes key from both tiers and reports whether it existed (an
// expired key did not).
func (tx *Tx) Delete(key []byte) bool {
	if !tx.writing() {
		return false
	}
	ok, err := tx.DB.delete(key)
	if err != nil {
		tx.Fail(err)
	}
	return ok
}

// Flush removes every key of the database and returns how many there
// were. tx holds the whole store.
func (tx *Tx) Flush() int {
	if !tx.writing() {
		return 0
	}
	return tx.DB.flush()
}

// FlushAll empties every database and returns how many keys there were.
// tx holds the whole store.
func (tx *Tx) FlushAll() int {
	if !tx.writing() {
		return 0
	}
	s, n := tx.DB.store, 0
	for i := range s.dbs {
		n += s.dbs[i].Load().flush()
	}
	return n
}

// SwapDB swaps databases a and b. tx holds the whole store.
func (tx *Tx) SwapDB(a, b int) {
	if !tx.writing() {
		return
	}
	s, own := tx.DB.store, tx.DB.index
	if s.tier != nil {
		s.tier.swapDB(a, b) // tier.go
	}
	da, db := s.dbs[a].Load(), s.dbs[b].Load()
	da.index, db.index = b, a
	s.dbs[a].Store(db)
	s.dbs[b].Store(da)
	tx.DB = s.dbs[own].Load()
}
