package server

import (
	"testing"

	"github.com/stratakv/strata/policy"
)

// TestInvalidateReachesDisk: keys of a persisted namespace evicted from
// memory live on on disk with their tags; tag and pattern invalidations
// remove them there, and tags come back with a key read in after a restart.
func TestInvalidateReachesDisk(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, MaxMemoryPolicy: "allkeys-lru",
		Namespaces: []policy.Namespace{{Match: "p:", Strategy: policy.WriteThrough}}}
	s := startServer(t, cfg)
	c := dial(t, s)
	c.do("CACHE.SET", "p:1", "v", "TAGS", "t")
	c.do("SET", "p:2", "v")
	c.do("CACHE.SET", "p:3", "v", "TAGS", "keep")
	c.do("SET", "m:1", "v") // memory only
	s.store.SetMaxMemory(1)
	c.do("SET", "x", "v") // evicts everything it can
	s.store.SetMaxMemory(0)
	if n := s.store.DB(0).Len(); n > 1 {
		t.Fatalf("%d keys still in memory", n)
	}
	c.expect(":1\r\n", "CACHE.INVALIDATE", "TAG", "t")
	c.expect(":1\r\n", "CACHE.INVALIDATE", "PATTERN", "p:2*")
	c.expect(":0\r\n", "EXISTS", "p:1", "p:2")
	c.expect(":0\r\n", "EXISTS", "m:1") // evicted for good: not persisted

	s.Close()
	cfg.Dir = dir
	s = startServer(t, cfg)
	c = dial(t, s)
	c.expect(":0\r\n", "EXISTS", "p:1", "p:2")
	c.expect("*1\r\n$4\r\nkeep\r\n", "CACHE.TAGS", "p:3") // read in with its tags
	c.expect(":1\r\n", "CACHE.INVALIDATE", "TAG", "keep")
	c.expect(":0\r\n", "EXISTS", "p:3")
}

// TestInvalidateTagBeforeWarmUp: after a restart, a tagged key that only
// lives on disk (maxmemory keeps the warm-up from reading it in, so the tag
// index does not know it) is still found by a tag invalidation.
func TestInvalidateTagBeforeWarmUp(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, MaxMemoryPolicy: "allkeys-lru",
		Namespaces: []policy.Namespace{{Match: "p:", Strategy: policy.WriteThrough}}}
	s := startServer(t, cfg)
	c := dial(t, s)
	c.expect("+OK\r\n", "CACHE.SET", "p:1", "v", "TAGS", "t")
	c.expect("+OK\r\n", "CACHE.SET", "p:2", "v", "TAGS", "other")
	s.Close()

	cfg.MaxMemory = 1 // the warm-up stops before its first key
	s = startServer(t, cfg)
	c = dial(t, s)
	if n := s.store.DB(0).Len(); n != 0 {
		t.Fatalf("%d keys in memory after the start, want 0", n)
	}
	c.expect(":1\r\n", "CACHE.INVALIDATE", "TAG", "t")
	c.expect(":0\r\n", "EXISTS", "p:1")
	c.expect(":1\r\n", "EXISTS", "p:2")
}
