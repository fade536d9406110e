package storage

import (
	"sync/atomic"
	"time"
)

// monoClock reads unix milliseconds with one monotonic clock read (about
// 20ns here) instead of time.Now's two (about 50ns): every command reads
// the clock at least once. Sync re-anchors it on the wall clock, so it
// follows clock steps within one sync interval.
type monoClock struct {
	base atomic.Pointer[clockBase]
}

type clockBase struct {
	wall int64     // unix ms at mono
	mono time.Time // carries the monotonic reading
}

func newMonoClock() *monoClock {
	c := &monoClock{}
	c.Sync()
	return c
}

// Now returns the current time in unix milliseconds.
func (c *monoClock) Now() int64 {
	b := c.base.Load()
	return b.wall + int64(time.Since(b.mono)/time.Millisecond)
}

// Sync re-anchors the clock on the wall clock.
func (c *monoClock) Sync() {
	now := time.Now()
	c.base.Store(&clockBase{wall: now.UnixMilli(), mono: now})
}

// lruClock returns the access clock values are stamped with: unix seconds,
// kept to 16 bits. As Redis's LRU clock it is a cached value that the
// expiry cycle advances (ten times a second under the server), so reads
// and writes of keys without a TTL read no clock at all: the clock reads
// were 6% of a pipelined INCR profile. A Store with Options.Clock (tests)
// reads that clock every time instead.
func (s *Store) lruClock() uint16 {
	if s.mono == nil {
		return uint16(s.clock() / 1000)
	}
	return uint16(s.lruSecs.Load())
}

// tickLRUClock advances the cached access clock to now.
func (s *Store) tickLRUClock() { s.lruSecs.Store(uint32(s.clock() / 1000)) }
