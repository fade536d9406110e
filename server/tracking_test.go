package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
)

// invalidation is the RESP3 push frame of one key's invalidation.
func invalidation(key string) string {
	return ">2\r\n$10\r\ninvalidate\r\n*1\r\n$" + strconv.Itoa(len(key)) + "\r\n" + key + "\r\n"
}

// trackingClient dials s in RESP3 with tracking on.
func trackingClient(t *testing.T, s *Server) *rawConn {
	t.Helper()
	c := dial(t, s)
	c.do("hello", "3")
	c.expect("+OK\r\n", "client", "tracking", "on")
	return c
}

// TestTrackingStrataChanges checks the invalidations of the ways Strata
// itself changes keys, which Redis's recorded cases cannot show: expiry by
// the server's clock, CACHE.INVALIDATE, and a local_cache: false
// namespace, whose keys are invalidated right after the reply that
// carried them.
func TestTrackingStrataChanges(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now, Namespaces: []policy.Namespace{
		{Match: "inventory:*", NoLocalCache: true},
	}})
	c, other := trackingClient(t, s), dial(t, s)

	other.expect("+OK\r\n", "set", "soon", "v", "px", "1000")
	c.expect("$1\r\nv\r\n", "get", "soon")
	clk.Advance(2 * time.Second) // the cron's active expiry removes it
	c.expectRead(invalidation("soon"))

	other.expect("+OK\r\n", "cache.set", "tagged", "v", "tags", "t1")
	c.expect("$1\r\nv\r\n", "get", "tagged")
	other.expect(":1\r\n", "cache.invalidate", "tag", "t1")
	c.expectRead(invalidation("tagged"))

	other.expect("+OK\r\n", "set", "inventory:1", "5")
	c.expect("$1\r\n5\r\n", "get", "inventory:1")
	c.expectRead(invalidation("inventory:1"))
	other.expect("+OK\r\n", "set", "inventory:1", "6") // nothing left to invalidate
	c.expect("+PONG\r\n", "ping")

	// BCAST clients are told too: they cache what they read under their
	// prefixes.
	b := dial(t, s)
	b.do("hello", "3")
	b.expect("+OK\r\n", "client", "tracking", "on", "bcast", "prefix", "inventory:")
	b.expect("$1\r\n6\r\n", "get", "inventory:1")
	b.expectRead(invalidation("inventory:1"))
}

// TestTrackingNamespaceInvalidation checks that CACHE.INVALIDATE
// NAMESPACE, which removes no key one by one, still invalidates the keys
// tracking clients read, and drops the whole cache of a BCAST client whose
// prefix meets the namespace.
func TestTrackingNamespaceInvalidation(t *testing.T) {
	s := startServer(t, Config{Namespaces: []policy.Namespace{{Name: "products", Match: "product:*"}}})
	c, other := trackingClient(t, s), dial(t, s)
	b := dial(t, s)
	b.do("hello", "3")
	b.expect("+OK\r\n", "client", "tracking", "on", "bcast", "prefix", "product:1")
	other.expect("+OK\r\n", "set", "product:1", "v")
	b.expectRead(invalidation("product:1"))
	c.expect("$1\r\nv\r\n", "get", "product:1")
	other.expect(":1\r\n", "cache.invalidate", "namespace", "products")
	c.expectRead(invalidation("product:1"))
	b.expectRead(">2\r\n$10\r\ninvalidate\r\n_\r\n")
}

// TestTrackingEviction checks that a key evicted for maxmemory is
// invalidated, as Redis's eviction signals it.
func TestTrackingEviction(t *testing.T) {
	s := startServer(t, Config{MaxMemory: 256 << 10, MaxMemoryPolicy: "allkeys-lru"})
	c, other := trackingClient(t, s), dial(t, s)
	other.expect("+OK\r\n", "set", "tracked", "v")
	c.expect("$1\r\nv\r\n", "get", "tracked")
	value := strings.Repeat("x", 4096)
	for i := 0; i < 1000; i++ { // far past maxmemory: the oldest keys go
		other.do("set", "filler:"+strconv.Itoa(i), value)
	}
	other.expect(":0\r\n", "exists", "tracked")
	c.expectRead(invalidation("tracked"))
}
