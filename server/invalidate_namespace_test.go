package server

import (
	"testing"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

func TestInvalidateNamespace(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Namespaces: []policy.Namespace{
		{Name: "products", Match: "product:", Strategy: policy.WriteThrough},
		{Name: "sessions", Match: "session:"},
	}}
	s := startServer(t, cfg)
	c := dial(t, s)
	for _, k := range []string{"product:1", "product:2", "product:3", "session:1"} {
		c.expect("+OK\r\n", "SET", k, "old")
	}
	c.expect(":1\r\n", "RPUSH", "product:list", "a")
	sub := dial(t, s)
	sub.expect("*3\r\n$9\r\nsubscribe\r\n$27\r\nstrata:invalidate-namespace\r\n:1\r\n", "SUBSCRIBE", "strata:invalidate-namespace")

	c.expect(":1\r\n", "CACHE.INVALIDATE", "NAMESPACE", "products") // the new generation
	if got := sub.read(); got != "*3\r\n$7\r\nmessage\r\n$27\r\nstrata:invalidate-namespace\r\n$8\r\nproduct:\r\n" {
		t.Errorf("published %q", got)
	}
	c.expect("$-1\r\n", "GET", "product:1")
	c.expect(":0\r\n", "EXISTS", "product:list")
	c.expect("*0\r\n", "KEYS", "product:*")
	c.expect(bulk("old"), "GET", "session:1") // other namespaces keep their keys
	c.expect("+OK\r\n", "SET", "product:1", "new")
	c.expect(bulk("new"), "GET", "product:1")
	c.expect(":0\r\n", "DEL", "product:2") // gone already
	c.expect(":2\r\n", "DBSIZE")           // product:1 and session:1: every old key was met and reclaimed
	if n := s.cache.NamespaceCounters(s.cache.Rules().Spaces()[0]).Invalidations[storage.InvalidateNamespace].Load(); n != 4 {
		t.Errorf("invalidations_namespace = %d, want the 4 keys reclaimed", n)
	}
	c.expect("-"+msgNoNamespace+"\r\n", "CACHE.INVALIDATE", "NAMESPACE", "nope")
	c.expect("-"+msgSyntax+"\r\n", "CACHE.INVALIDATE", "NAMESPACE", "products", "extra")

	// Old entries never come back from the disk tier after a restart; the
	// generation is kept.
	c.expect("+OK\r\n", "SET", "product:4", "before")
	c.expect(":2\r\n", "CACHE.INVALIDATE", "NAMESPACE", "products")
	c.expect("+OK\r\n", "SET", "product:5", "after")
	s.Close()
	s2 := startServer(t, cfg)
	c2 := dial(t, s2)
	c2.expect("$-1\r\n", "GET", "product:4")
	c2.expect("$-1\r\n", "GET", "product:1")
	c2.expect(bulk("after"), "GET", "product:5")
	c2.expect(":3\r\n", "CACHE.INVALIDATE", "NAMESPACE", "products")
	c2.expect("$-1\r\n", "GET", "product:5")
}
