package server

// Read-through: GET and MGET (flagReadThrough) of keys whose namespace
// has an origin.
//
// Handlers run under the storage locks, so they must never wait, and an
// origin may take seconds. So a read-through command's lookups go through
// c.get, which notes each miss of a key whose namespace has an origin and
// reads it as absent. Once the command's transaction has ended, call sees
// the misses: it drops the reply, loads the keys through the loader
// (package scheduler: single-flight, stale-if-error, negative caching,
// bounded by origin_timeout) with no lock held, and runs the command
// again in a new transaction. There c.get reads each loaded key from the
// store, where the load stored it (or a client wrote it meanwhile), else
// from the load's outcome (a stale value, or absent). A command thus runs
// at most twice, as a blocking command waits outside the locks and runs
// again (blocking.go).
//
// A hit of such a key may start a background reload, before the key
// expires (refresh-ahead; scheduler.Loader.Hit).
//
// Only a command execute calls reads through: from EXEC or a script, which
// hold the whole store, a miss is nil as in Redis.

import (
	"slices"
	"sync"

	"github.com/stratakv/strata/scheduler"
	"github.com/stratakv/strata/storage"
)

// loadState is a read-through command's loads, from its first run to its
// reply.
type loadState struct {
	pending []string                     // misses of the first run with an origin
	loaded  map[string]scheduler.Outcome // their outcomes, for the second run
}

// readThrough returns the load state of a run of cmd, nil when its misses
// are not loaded.
func (c *client) readThrough(cmd *command, lock bool) *loadState {
	if !lock || cmd.flags&flagReadThrough == 0 || !c.srv.loader.HasOrigins() {
		return nil
	}
	c.loads.pending, c.loads.loaded = c.loads.pending[:0], nil
	return &c.loads
}

// missed reports whether the run missed keys to load.
func (ls *loadState) missed() bool { return ls != nil && ls.loaded == nil && len(ls.pending) > 0 }

// get is the read lookup of a read-through command: c.tx.Get, but a miss
// of a key with an origin is noted for loading, a loaded key is read from
// its load, and a hit may refresh the key ahead of its expiry.
//
// The second run counts no read: the first counted each of them once, a
// hit, or a miss that the load then served. So CACHE.STATS, INFO and
// /metrics see an MGET of four keys as four reads however many it loaded.
func (c *client) get(key []byte) (storage.Value, bool) {
	ls := c.load
	if ls != nil && ls.loaded != nil {
		out, loaded := ls.loaded[string(key)]
		flags := storage.LookupWrite
		if !loaded {
			flags |= storage.LookupNoTouch // the first run touched it
		}
		v, found := c.tx.Lookup(key, flags)
		if !loaded || found || c.tx.Err() != nil {
			return v, found // a loaded key stored by its load, or by a client meanwhile
		}
		return storage.StringValue(out.Value), out.Found
	}
	v, found := c.tx.Get(key)
	switch {
	case ls == nil || c.tx.Err() != nil:
	case found:
		c.srv.loader.Hit(c.dbIndex, key, v.ExpireAt())
	case ls.loaded == nil && c.srv.cache.Rules().Lookup(key).HasOrigin():
		ls.pending = append(ls.pending, string(key))
	}
	return v, found
}

// fetch loads the pending keys, at the same time, with no lock held.
func (ls *loadState) fetch(c *client) {
	ls.loaded = make(map[string]scheduler.Outcome, len(ls.pending))
	if len(ls.pending) == 1 {
		ls.loaded[ls.pending[0]] = c.srv.loader.Load(c.dbIndex, ls.pending[0])
		return
	}
	slices.Sort(ls.pending)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, k := range slices.Compact(ls.pending) { // MGET may name a key twice
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := c.srv.loader.Load(c.dbIndex, k)
			mu.Lock()
			ls.loaded[k] = out
			mu.Unlock()
		}()
	}
	wg.Wait()
}
