package storage

// Reason tells why a key left the memory tier.
type Reason uint8

// Removal reasons.
const (
	// Deleted: DEL, UNLINK, GETDEL, a RENAME's source, an invalidation.
	Deleted Reason = iota
	// Expired: its TTL passed (lazy or active expiry).
	Expired
	// Evicted: removed to respect maxmemory.
	Evicted
	// Flushed: FLUSHDB or FLUSHALL.
	Flushed
	// Invalidated: found of a generation its key no longer has (see
	// Generations), reclaimed; like an expired key, it is gone from the
	// disk tier too.
	Invalidated
)

// Listener follows changes to keys, for the layers that keep something per
// key beside the memory tier (the disk tier, tag indexes, keyspace
// notifications, statistics). Its methods are called with the Store's locks
// held, so they must be quick and must not call back into the Store. key
// is owned by the store: copy it to keep it.
type Listener interface {
	// KeyStored follows every Set: a new key, an overwrite, a TTL change.
	KeyStored(db *DB, key string, v Value)
	// KeyRemoved follows every removal, with its reason.
	KeyRemoved(db *DB, key string, v Value, why Reason)
}

// AddListener registers l. Call it before the Store serves commands.
func (s *Store) AddListener(l Listener) { s.listeners = append(s.listeners, l) }

// ReadListener follows read lookups (those a write makes of its own keys
// excepted), for statistics kept per key such as a namespace's hits and
// misses. It is called with the key's locks held and must be quick.
type ReadListener interface {
	// KeyRead follows a read of key: hit when the key was found, disk
	// when the disk tier supplied it.
	KeyRead(db *DB, key []byte, hit, disk bool)
}

// SetReadListener registers l, the one ReadListener. Call it before the
// Store serves commands; without one a read pays a nil check.
func (s *Store) SetReadListener(l ReadListener) { s.reads = l }

func (db *DB) stored(key string, v Value) {
	for _, l := range db.store.listeners {
		l.KeyStored(db, key, v)
	}
}

func (db *DB) removed(key string, v Value, why Reason) {
	for _, l := range db.store.listeners {
		l.KeyRemoved(db, key, v, why)
	}
}

// SizeListener follows what each key costs in the memory tier, for gauges
// kept per key such as a namespace's keys and bytes. It is called with the
// key's locks held and must be quick.
type SizeListener interface {
	// KeySized follows a change in the memory tier: keys is 1 for a key
	// added (a write or a promotion from disk), -1 for one removed, 0 for
	// an overwrite; bytes is the change in what the key costs (see Used).
	KeySized(key string, keys, bytes int64)
}

// SetSizeListener registers l, the one SizeListener. Call it before the
// Store serves commands.
func (s *Store) SetSizeListener(l SizeListener) { s.sizes = l }

func (db *DB) sized(key string, keys, bytes int64) {
	if l := db.store.sizes; l != nil {
		l.KeySized(key, keys, bytes)
	}
}
