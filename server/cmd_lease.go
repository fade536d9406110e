package server

// Leases: CACHE.LEASE key [PX ms] and CACHE.LEASE.RELEASE key token,
// stampede protection for applications that load values themselves (the
// cache layer holds the leases: cache/lease.go). CACHE.LEASE replies
// with a pair, [state, value]:
//
//   - ["hit", value]: the key holds value;
//   - ["load", token]: the key is missing and the caller holds its lease
//     for PX ms (default 5000): it loads the value and stores it with any
//     write (SET key value EX ...), which releases the lease, or calls
//     CACHE.LEASE.RELEASE key token if it cannot;
//   - ["stale", value]: another caller holds the lease, and value is the
//     key's last value, expired less than its namespace's lease_stale ago;
//   - ["wait", ms]: another caller holds the lease: ask again after ms.
//
// So a client wrapper is a loop of five lines (README, "Leases").

import (
	"time"

	"github.com/stratakv/strata/storage"
)

// Lease bounds and the longest a waiting caller is told to wait before
// asking again.
const (
	defaultLeaseTTL = 5 * time.Second
	maxLeaseTTL     = time.Hour
	maxLeaseRetry   = 100 * time.Millisecond
)

func registerLeaseCommands(t commandTable) {
	t.add(
		&command{name: "cache.lease", handler: cmdCacheLease, arity: -2, firstKey: 1, lastKey: 1, keyStep: 1,
			categories: "@read @fast @cache"},
		&command{name: "cache.lease.release", handler: cmdCacheLeaseRelease, arity: 3, firstKey: 1, lastKey: 1, keyStep: 1,
			categories: "@read @fast @cache"},
	)
}

// cmdCacheLease: CACHE.LEASE key [PX ms] (see the file comment).
func cmdCacheLease(c *client, args [][]byte) {
	ttl := defaultLeaseTTL
	switch {
	case len(args) == 4 && is(args[2], "px"):
		ms, ok := argInt(args[3])
		if !ok {
			c.out.Error(msgNotInteger)
			return
		}
		if ms <= 0 || ms > maxLeaseTTL.Milliseconds() {
			c.out.Error(msgLeaseTTL)
			return
		}
		ttl = time.Duration(ms) * time.Millisecond
	case len(args) != 2:
		c.out.Error(msgSyntax)
		return
	}
	key := args[1]
	v, found := c.tx.Get(key)
	switch {
	case found && v.Kind() != storage.KindString:
		c.out.Error(msgWrongType)
		return
	case found:
		leaseReply(c, "hit")
		c.out.Bulk(v.Bytes())
		return
	}
	token, left := c.srv.cache.Lease(c.dbIndex, key, ttl)
	if token > 0 {
		leaseReply(c, "load")
		c.out.Int(token)
		return
	}
	if stale, ok := c.srv.cache.Stale(c.dbIndex, string(key), c.srv.cache.Rules().Lookup(key).LeaseStale); ok {
		leaseReply(c, "stale")
		c.out.Bulk(stale)
		return
	}
	leaseReply(c, "wait")
	c.out.Int(min(left, maxLeaseRetry).Milliseconds())
}

// leaseReply starts CACHE.LEASE's pair with its state.
func leaseReply(c *client, state string) {
	c.out.Array(2)
	c.out.BulkString(state)
}

// cmdCacheLeaseRelease: CACHE.LEASE.RELEASE key token -> 1 when token
// held the key's lease and released it, else 0.
func cmdCacheLeaseRelease(c *client, args [][]byte) {
	token, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if c.srv.cache.ReleaseLease(c.dbIndex, args[1], token) {
		c.out.Int(1)
	} else {
		c.out.Int(0)
	}
}
