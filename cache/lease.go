package cache

// Leases: stampede protection for applications that load values
// themselves (CACHE.LEASE), in the spirit of memcached's meta protocol.
// On a miss one caller is given the key's lease, a token, for a bounded
// time, and loads the value; the others are told to wait (or get the
// stale value). Any write of the key releases its lease, so the holder
// releases it by storing the value; a holder that fails releases it with
// its token, and a holder that vanishes loses it when it runs out.

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratakv/strata/storage"
)

// leaseSweepEvery is how many leases are granted between sweeps of the
// ones that ran out without a write.
const leaseSweepEvery = 1024

// lease is a key's lease: its holder's token and when it runs out (unix
// ms).
type lease struct {
	token int64
	until int64
}

// leases holds the leases. It is a storage.Listener (a write of a key
// releases its lease), and safe for concurrent use.
type leases struct {
	n       atomic.Int64 // leases held: writes skip the lock while 0
	mu      sync.Mutex
	held    map[dbKey]lease
	next    int64 // the last token given
	granted int   // leases granted since the last sweep
}

// KeyStored releases key's lease: its value has been written.
func (l *leases) KeyStored(db *storage.DB, key string, _ storage.Value) {
	if l.n.Load() == 0 {
		return
	}
	l.mu.Lock()
	l.drop(dbKey{db.Index(), key})
	l.mu.Unlock()
}

// KeyRemoved does nothing: a lease is on a missing key.
func (l *leases) KeyRemoved(*storage.DB, string, storage.Value, storage.Reason) {}

// drop releases k's lease; the caller holds l.mu.
func (l *leases) drop(k dbKey) bool {
	if _, ok := l.held[k]; !ok {
		return false
	}
	delete(l.held, k)
	l.n.Add(-1)
	return true
}

// Lease gives the caller the lease of key of database db for ttl, unless
// another caller holds it: it returns the new lease's token (positive),
// or 0 and how long the holder's lease has left. Call it holding key's
// lock, after a lookup that missed, so that no write of the key comes
// between the miss and the lease.
func (c *Cache) Lease(db int, key []byte, ttl time.Duration) (token int64, left time.Duration) {
	l, now := &c.leases, c.store.Now()
	k := dbKey{db, string(key)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.held[k]; ok && cur.until >= now {
		return 0, time.Duration(cur.until-now+1) * time.Millisecond
	} else if ok {
		l.drop(k)
	}
	if l.held == nil {
		l.held = map[dbKey]lease{}
	}
	if l.granted++; l.granted >= leaseSweepEvery {
		l.granted = 0
		for hk, hl := range l.held {
			if hl.until < now {
				l.drop(hk)
			}
		}
	}
	l.next++
	l.held[k] = lease{token: l.next, until: now + ttl.Milliseconds()}
	l.n.Add(1)
	return l.next, 0
}

// ReleaseLease releases the lease of key of database db if token holds
// it, and reports whether it did: a holder that could not load the value
// lets the next caller try at once.
func (c *Cache) ReleaseLease(db int, key []byte, token int64) bool {
	l := &c.leases
	k := dbKey{db, string(key)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.held[k]; !ok || cur.token != token {
		return false
	}
	return l.drop(k)
}
