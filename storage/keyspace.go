package storage

import "bytes"

// Operations that move or copy a key's value between keys or databases
// (RENAME, COPY, MOVE). The transaction holds the locks for both keys,
// which for another database means the whole store. Their lookups touch
// the keys they find, as Redis's lookupKeyWrite does, so an existing
// destination counts as accessed even when it is left alone.
//
// Each takes a Reshape that turns the value moved into the one to store:
// the write path resolves the destination namespace's TTL and compression
// with it, so the key is stored once, in its final form.

// Reshape returns the value to store for a value moved or copied to
// another key; nil stores it as it is.
type Reshape func(v Value) Value

func (f Reshape) apply(v Value) Value {
	if f == nil {
		return v
	}
	return f(v)
}

// Rename gives src's value and TTL (through reshape) to dst, replacing
// whatever dst held, and removes src. With nx it leaves an existing dst
// alone. It reports whether the value moved, and returns ErrNoSuchKey when
// src does not exist. When src and dst are the same key nothing changes
// and it reports !nx, as Redis does (RENAME succeeds, RENAMENX finds dst
// taken).
func (tx *Tx) Rename(src, dst []byte, nx bool, reshape Reshape) (bool, error) {
	v, ok := tx.Lookup(src, LookupWrite)
	if !ok {
		return false, ErrNoSuchKey
	}
	if bytes.Equal(src, dst) {
		return !nx, nil
	}
	if nx {
		if _, taken := tx.Lookup(dst, LookupWrite); taken {
			return false, nil
		}
	}
	if !tx.writing() {
		return false, nil
	}
	// Removing src leaves its record to the garbage collector, so v's
	// payload stays readable for set to copy.
	if !tx.Delete(src) {
		return false, nil
	}
	tx.DB.set(dst, reshape.apply(v))
	return true, nil
}

// Copy stores an independent copy of src's value and TTL (through reshape)
// under dst in database toDB (which may be tx's). Unless replace is set it
// leaves an existing dst alone. It reports whether it copied; a missing
// src copies nothing. The caller rejects copying a key onto itself.
func (tx *Tx) Copy(src []byte, toDB int, dst []byte, replace bool, reshape Reshape) bool {
	v, ok := tx.Lookup(src, LookupWrite)
	if !ok {
		return false
	}
	to := tx.on(toDB)
	if !replace {
		if _, taken := to.Lookup(dst, LookupWrite); taken {
			return false
		}
	}
	if !tx.writing() {
		return false
	}
	to.set(dst, reshape.apply(copyValue(v)))
	return true
}

// Move hands key's value and TTL (through reshape) to database toDB, unless
// it already holds key, and reports whether it moved. toDB must not be
// tx's.
func (tx *Tx) Move(key []byte, toDB int, reshape Reshape) bool {
	v, ok := tx.Lookup(key, LookupWrite)
	if !ok {
		return false
	}
	to := tx.on(toDB)
	if _, taken := to.Lookup(key, LookupWrite); taken || !tx.writing() {
		return false
	}
	to.set(key, reshape.apply(v))
	return tx.Delete(key)
}

// on returns database db as a transaction sharing tx's locks (the whole
// store) whose disk errors poison tx.
func (tx *Tx) on(db int) txView { return txView{tx: tx, db: tx.DB.store.dbs[db].Load()} }

// LookupIn is Lookup in database db, for a transaction that holds the
// whole store (SWAPDB, FLUSHALL and WATCH look across databases).
func (tx *Tx) LookupIn(db int, key []byte, flags LookupFlags) (Value, bool) {
	return tx.on(db).Lookup(key, flags)
}

// txView is another database seen from a transaction that holds it.
type txView struct {
	tx *Tx
	db *DB
}

// Lookup is Tx.Lookup in the view's database.
func (v txView) Lookup(key []byte, flags LookupFlags) (Value, bool) {
	val, ok, err := v.db.lookup(key, flags)
	if err != nil {
		v.tx.Fail(err)
	}
	return val, ok
}

func (v txView) set(key []byte, val Value) { v.db.set(key, val) }

// copyValue returns a value for COPY's destination: v's payload, TTL and
// encoding flags, with the access counter of a new key (Redis's COPY creates
// a new object). Set copies a string's payload into a record of its own, so
// the copy shares nothing with v.
func copyValue(v Value) Value {
	if v.Kind() != KindString {
		// Set keeps an object as it is, so each kind deep-copies its own
		// (object.go).
		ops := objectKinds[v.Kind()]
		if ops == nil {
			panic("storage: no copy for a " + v.Kind().String() + " value")
		}
		return ops.clone(v).WithExpireAt(v.exp)
	}
	return StringValue(v.Bytes()).WithFlags(v.Flags()).WithExpireAt(v.exp)
}
