package storage

// MemoryUsage returns the bytes key costs in the memory tier, as Used
// accounts them (MEMORY USAGE), and false when there is no live key. It
// neither touches the key nor counts a hit or a miss.
func (tx *Tx) MemoryUsage(key []byte) (int64, bool) {
	db := tx.DB
	s := db.find(key)
	if !s.found || expiredAt(s.v.exp, db.store.clock()) || db.superseded(s.v, key) {
		return 0, false
	}
	n := entryOverhead + recordSize(s.v)
	if s.v.exp != 0 && !s.overflow {
		n += volatileOverhead
	}
	return n, true
}
