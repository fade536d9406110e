package storage

// Generations: invalidating a group of keys (a namespace of the cache
// layer) at once, whatever its size. Every stored value records the
// generation its key had when it was written (Value.Gen); bumping a
// group's generation makes every value written before it gone. Nothing is
// removed then: a lookup, a scan or the disk tier's sweep that meets a
// value of a superseded generation reclaims it as it would an expired key
// (Reason Invalidated), and never returns it.

// Generations tells each key's current generation. Its method is called
// with the key's locks held, on every write and on every read once set,
// so it must be quick and must not call back into the Store.
type Generations interface {
	Generation(key []byte) uint32
}

// SetGenerations makes g the source of keys' generations. Until it is
// called every key is of generation 0 and writes and reads pay nothing
// for generations: call it when a generation first becomes non-zero. It
// is safe to call while the Store serves commands.
func (s *Store) SetGenerations(g Generations) { s.gens.Store(&g) }

// generation returns key's current generation.
func (s *Store) generation(key []byte) uint32 {
	if g := s.gens.Load(); g != nil {
		return (*g).Generation(key)
	}
	return 0
}

// superseded reports whether v, stored under key, is of a generation its
// key no longer has.
func (db *DB) superseded(v Value, key []byte) bool {
	return db.store.gens.Load() != nil && v.Gen() != db.store.generation(key)
}

// dead reports whether the stored value v is expired at now or
// superseded, and removes it if so (for the walks over a shard, which
// find values without a lookup).
func (db *DB) dead(s *slot, now int64) bool {
	switch {
	case expiredAt(s.v.exp, now):
		db.expire(s)
	case db.superseded(s.v, bytesOf(s.v.key())):
		db.remove(s, Invalidated)
	default:
		return false
	}
	return true
}
