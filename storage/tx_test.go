package storage

// heldTx returns a write transaction over database db that takes no lock:
// for single-goroutine tests that reach the keyspace directly.
func heldTx(s *Store, db int) *Tx {
	tx := new(Tx)
	s.Begin(tx, db, nil, TxWrite|TxHeld)
	return tx
}

// lockedTx returns a write transaction holding the whole store, on
// database db; the caller ends it.
func lockedTx(s *Store, db int) *Tx {
	tx := new(Tx)
	s.Begin(tx, db, nil, TxWrite)
	return tx
}
