package server

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// storeCounter counts the stores of each key (a storage Listener).
type storeCounter struct {
	mu     sync.Mutex
	stores map[string]int
}

func (s *storeCounter) KeyStored(_ *storage.DB, key string, _ storage.Value) {
	s.mu.Lock()
	s.stores[key]++
	s.mu.Unlock()
}

func (s *storeCounter) KeyRemoved(*storage.DB, string, storage.Value, storage.Reason) {}

func (s *storeCounter) of(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stores[key]
}

// TestNamespaceWriteStoresOnce: a write into a namespace with a TTL and
// compression stores each key once, already compressed and with its TTL,
// whatever the command (SET, MSET, INCR, a script, EXEC), and the
// namespace's statistics count one set per key.
func TestNamespaceWriteStoresOnce(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now, Namespaces: []policy.Namespace{
		{Name: "p", Match: "p:*", TTL: 5 * time.Minute, Compress: &policy.Compress{MinSize: 16}},
	}})
	counter := &storeCounter{stores: map[string]int{}}
	s.store.AddListener(counter)
	c := dial(t, s)
	val := strings.Repeat("compressible ", 100)
	c.expect("+OK\r\n", "SET", "p:set", val)
	c.expect("+OK\r\n", "MSET", "p:m1", val, "p:m2", val)
	c.expect(":1\r\n", "INCR", "p:n")
	c.expect("+OK\r\n", "EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "p:lua", val)
	c.expect("+OK\r\n", "MULTI")
	c.expect("+QUEUED\r\n", "SET", "p:tx", val)
	c.expect("*1\r\n+OK\r\n", "EXEC")
	for _, k := range []string{"p:set", "p:m1", "p:m2", "p:n", "p:lua", "p:tx"} {
		if n := counter.of(k); n != 1 {
			t.Errorf("%s stored %d times, want once", k, n)
		}
		v, ok := peek(t, s, k, storage.LookupRaw)
		if !ok || v.ExpireAt() != clk.Now()+5*60*1000 {
			t.Errorf("%s: found %v, expires at %d, want the namespace's 5m", k, ok, v.ExpireAt()-clk.Now())
		}
		if k != "p:n" && v.Flags()&storage.FlagCompressed == 0 {
			t.Errorf("%s stored uncompressed", k)
		}
	}
	if got := c.do("CACHE.STATS", "p"); !strings.Contains(got, "$4\r\nsets\r\n:6\r\n") {
		t.Errorf("CACHE.STATS p = %q, want sets 6", got)
	}
}
