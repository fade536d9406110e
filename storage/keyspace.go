package storage

import "bytes"

// Operations that move or copy a key's value between keys or databases
// (RENAME, COPY, MOVE). Like every DB method they assume the caller holds
// the locks for both keys, which for another database means LockAll. Their
// lookups touch the keys they find, as Redis's lookupKeyWrite does, so an
// existing destination counts as accessed even when it is left alone.

// Rename gives src's value and TTL to dst, replacing whatever dst held, and
// removes src. With nx it leaves an existing dst alone. It reports whether
// the value moved, and returns ErrNoSuchKey when src does not exist. When
// src and dst are the same key nothing changes and it reports !nx, as Redis
// does (RENAME succeeds, RENAMENX finds dst taken).
func (db *DB) Rename(src, dst []byte, nx bool) (bool, error) {
	v, ok := db.Lookup(src, LookupWrite)
	if !ok {
		return false, ErrNoSuchKey
	}
	if bytes.Equal(src, dst) {
		return !nx, nil
	}
	if nx {
		if _, taken := db.Lookup(dst, LookupWrite); taken {
			return false, nil
		}
	}
	// Removing src leaves its record to the garbage collector, so v's
	// payload stays readable for Set to copy.
	db.Delete(src)
	db.Set(dst, v)
	return true, nil
}

// Copy stores an independent copy of src's value and TTL under dst in
// database to (which may be db). Unless replace is set it leaves an
// existing dst alone. It reports whether it copied; a missing src copies
// nothing. The caller rejects copying a key onto itself.
func (db *DB) Copy(src []byte, to *DB, dst []byte, replace bool) bool {
	v, ok := db.Lookup(src, LookupWrite)
	if !ok {
		return false
	}
	if !replace {
		if _, taken := to.Lookup(dst, LookupWrite); taken {
			return false
		}
	}
	to.Set(dst, copyValue(v))
	return true
}

// Move hands key's value and TTL to database to, unless to already holds
// key, and reports whether it moved. to must not be db.
func (db *DB) Move(key []byte, to *DB) bool {
	v, ok := db.Lookup(key, LookupWrite)
	if !ok {
		return false
	}
	if _, taken := to.Lookup(key, LookupWrite); taken {
		return false
	}
	to.Set(key, v)
	db.Delete(key)
	return true
}

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
