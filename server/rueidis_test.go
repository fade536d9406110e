package server

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/stratakv/strata/policy"
)

// TestRueidisClientSideCache runs rueidis's client-side cache (RESP3,
// CLIENT TRACKING ON OPTIN, CLIENT CACHING YES in a transaction with PTTL)
// against Strata: a cached GET is served locally until another client
// changes the key, and the invalidation makes the next one read the new
// value; a key of a local_cache: false namespace is never served from the
// local cache.
func TestRueidisClientSideCache(t *testing.T) {
	s := startServer(t, Config{Namespaces: []policy.Namespace{{Match: "inventory:*", NoLocalCache: true}}})
	client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{s.Addr()}, DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	other := dial(t, s)

	cachedGet := func(key string) (string, bool) {
		t.Helper()
		r := client.DoCache(ctx, client.B().Get().Key(key).Cache(), time.Minute)
		v, err := r.ToString()
		if err != nil {
			t.Fatalf("GET %s: %v", key, err)
		}
		return v, r.IsCacheHit()
	}
	other.expect("+OK\r\n", "set", "k", "one")
	if v, hit := cachedGet("k"); v != "one" || hit {
		t.Fatalf("first GET: %q, hit %v", v, hit)
	}
	if v, hit := cachedGet("k"); v != "one" || !hit {
		t.Fatalf("second GET: %q, hit %v", v, hit)
	}
	other.expect("+OK\r\n", "set", "k", "two")
	// The invalidation travels on rueidis's connection; wait for it, at
	// most five seconds.
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, hit := cachedGet("k")
		if v == "two" && !hit {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after SET: %q, hit %v", v, hit)
		}
		time.Sleep(time.Millisecond)
	}

	// A local_cache: false key is invalidated right after each reply that
	// carries it: the next GET goes to the server again, though nobody
	// changed the key.
	other.expect("+OK\r\n", "set", "inventory:1", "5")
	cachedGet("inventory:1")
	deadline = time.Now().Add(5 * time.Second)
	for {
		v, hit := cachedGet("inventory:1")
		if v != "5" {
			t.Fatalf("GET inventory:1: %q", v)
		}
		if !hit {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a local_cache: false key stayed in the client's cache")
		}
		time.Sleep(time.Millisecond)
	}
}
