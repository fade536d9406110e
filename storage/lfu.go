package storage

import "math/rand/v2"

// The LFU counter follows Redis's: a logarithmic 8-bit counter that starts
// at lfuInitial, grows with probability 1/((c-lfuInitial)*logFactor+1), and
// loses one per decayMinutes without access.
const (
	lfuLogFactor    = 10
	lfuDecayMinutes = 1
)

func lfuIncr(c uint8) uint8 {
	if c == 255 {
		return c
	}
	base := float64(c) - lfuInitial
	if base < 0 {
		base = 0
	}
	if rand.Float64() < 1.0/(base*lfuLogFactor+1) {
		c++
	}
	return c
}

// lfuDecay ages counter c last touched at clock then (seconds, mod 2^16).
func lfuDecay(c uint8, then, now uint16) uint8 {
	periods := int(now-then) / 60 / lfuDecayMinutes
	if periods >= int(c) {
		return 0
	}
	return c - uint8(periods)
}

// IdleSeconds returns the seconds since v was last accessed, modulo the
// 16-bit access clock (about 18 hours).
func (db *DB) IdleSeconds(v Value) int64 {
	return int64(uint16(db.store.clock()/1000) - v.clock())
}

// Frequency returns v's LFU counter decayed to now (OBJECT FREQ).
func (db *DB) Frequency(v Value) int {
	return int(lfuDecay(v.LFU(), v.clock(), uint16(db.store.clock()/1000)))
}

// SetAccess gives key's stored value an access history, as RESTORE's
// IDLETIME and FREQ do: a last access idle seconds ago (on the 16-bit
// clock; idle < 0 leaves it), and an LFU counter of freq (freq < 0 leaves
// it). The key keeps its place in the LRU, where the write that stored it
// put it.
func (tx *Tx) SetAccess(key []byte, idle int64, freq int) {
	if !tx.writing() {
		return
	}
	s := tx.DB.find(key)
	if !s.found {
		return
	}
	v := s.v
	if idle >= 0 {
		v = v.withClock(tx.DB.store.lruClock() - uint16(idle))
	}
	if freq >= 0 {
		v = v.withLFU(uint8(freq))
	}
	s.put(v)
}
