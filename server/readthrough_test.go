package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/policy"
)

// testOrigin is a local HTTP origin that counts its requests and answers
// them with a handler the test swaps.
type testOrigin struct {
	*httptest.Server
	requests atomic.Int64
	handler  atomic.Pointer[http.HandlerFunc]
}

func newTestOrigin(t testing.TB, h http.HandlerFunc) *testOrigin {
	t.Helper()
	o := &testOrigin{}
	o.serve(h)
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		(*o.handler.Load())(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

// serve makes h answer the next requests.
func (o *testOrigin) serve(h http.HandlerFunc) { o.handler.Store(&h) }

// hold makes the next requests wait until release is called (10 seconds
// at most), then h answer them.
func (o *testOrigin) hold(h http.HandlerFunc) (release func()) {
	ch := make(chan struct{})
	o.serve(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
		}
		h(w, r)
	})
	return func() { close(ch) }
}

// echoPath answers 200 with "v:" and the request's path after /cache/,
// as sent (escaped).
func echoPath(w http.ResponseWriter, r *http.Request) {
	fmt.Fprint(w, "v:"+strings.TrimPrefix(r.URL.EscapedPath(), "/cache/"))
}

// originServer starts a server whose "school:" namespace reads through
// origin, with ns's settings over the defaults below.
func originServer(t *testing.T, o *testOrigin, clk *testClock, ns policy.Namespace) *Server {
	t.Helper()
	ns.Name, ns.Match = "schools", "school:"
	ns.Origin = o.URL + "/cache/{suffix}"
	if ns.TTL == 0 {
		ns.TTL = time.Minute
	}
	cfg := Config{Namespaces: []policy.Namespace{ns}}
	if clk != nil {
		cfg.Clock = clk.Now
	}
	return startServer(t, cfg)
}

func TestReadThroughLoadsAMissAndCachesIt(t *testing.T) {
	o := newTestOrigin(t, echoPath)
	s := originServer(t, o, nil, policy.Namespace{})
	c := dial(t, s)
	c.expect(bulk("v:list:central:1"), "GET", "school:list:central:1")
	c.expect(bulk("v:list:central:1"), "GET", "school:list:central:1")
	if n := o.requests.Load(); n != 1 {
		t.Errorf("origin requests = %d, want 1 (the second GET hits)", n)
	}
	if ttl := c.do("TTL", "school:list:central:1"); ttl != ":60\r\n" {
		t.Errorf("TTL = %q, want the namespace's 60s", ttl)
	}
	// MGET loads each missing key; keys of other namespaces are nil.
	c.expect("*3\r\n"+bulk("v:a")+"$-1\r\n"+bulk("v:b%20c"), "MGET", "school:a", "other", "school:b c")
	// Holes are escaped: a key cannot add a path segment.
	c.expect(bulk("v:x%2Fy"), "GET", "school:x/y")
	// From EXEC a miss is nil, as in Redis: loads never run under the
	// store lock.
	c.expect("+OK\r\n", "MULTI")
	c.expect("+QUEUED\r\n", "GET", "school:in-exec")
	c.expect("*1\r\n$-1\r\n", "EXEC")
	// A key of another type is not loaded over.
	c.expect(":1\r\n", "LPUSH", "school:list", "x")
	c.expect("-"+msgWrongType+"\r\n", "GET", "school:list")
	if n := o.requests.Load(); n != 4 {
		t.Errorf("origin requests = %d, want 4", n)
	}
}

func TestReadThroughSingleFlight(t *testing.T) {
	o := newTestOrigin(t, nil)
	release := o.hold(echoPath)
	s := originServer(t, o, nil, policy.Namespace{OriginTimeout: 20 * time.Second})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), PoolSize: 100, DisableIndentity: true})
	defer rdb.Close()
	const readers = 100
	got := make(chan string, readers)
	var wg sync.WaitGroup
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := rdb.Get(context.Background(), "school:hot").Result()
			if err != nil {
				v = err.Error()
			}
			got <- v
		}()
	}
	shared := &s.store.Counters().OriginShared
	waitFor(t, "every reader to join the load", func() bool { return shared.Load() == readers-1 })
	release()
	wg.Wait()
	close(got)
	for v := range got {
		if v != "v:hot" {
			t.Errorf("a reader got %q, want v:hot", v)
		}
	}
	if n := o.requests.Load(); n != 1 {
		t.Errorf("origin requests = %d for %d concurrent misses, want 1", n, readers)
	}
}

func TestReadThroughStaleIfError(t *testing.T) {
	clk := newTestClock()
	o := newTestOrigin(t, echoPath)
	s := originServer(t, o, clk, policy.Namespace{TTL: time.Second, StaleIfError: time.Minute})
	c := dial(t, s)
	c.expect(bulk("v:k"), "GET", "school:k")
	o.serve(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusInternalServerError) })
	clk.Advance(2 * time.Second)
	c.expect(bulk("v:k"), "GET", "school:k") // expired, the origin fails: the last value
	c.expect(":0\r\n", "EXISTS", "school:k") // served, not stored again
	ctr := s.store.Counters()
	if f, st := ctr.OriginFailures.Load(), ctr.OriginStale.Load(); f != 1 || st != 1 {
		t.Errorf("origin_failures %d origin_stale %d, want 1 and 1", f, st)
	}
	clk.Advance(2 * time.Minute)
	c.expect("$-1\r\n", "GET", "school:k") // past stale_if_error: nil
	// A value deleted on purpose is never served stale.
	o.serve(echoPath)
	c.expect(bulk("v:d"), "GET", "school:d")
	c.expect(":1\r\n", "DEL", "school:d")
	o.serve(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) })
	c.expect("$-1\r\n", "GET", "school:d")
}

func TestReadThroughNegativeTTL(t *testing.T) {
	clk := newTestClock()
	o := newTestOrigin(t, http.NotFound)
	s := originServer(t, o, clk, policy.Namespace{NegativeTTL: 30 * time.Second})
	c := dial(t, s)
	c.expect("$-1\r\n", "GET", "school:gone")
	c.expect("$-1\r\n", "GET", "school:gone")
	if n := o.requests.Load(); n != 1 {
		t.Errorf("origin requests = %d, want 1: the 404 is kept", n)
	}
	clk.Advance(31 * time.Second)
	c.expect("$-1\r\n", "GET", "school:gone")
	if n := o.requests.Load(); n != 2 {
		t.Errorf("origin requests = %d, want 2 once negative_ttl passed", n)
	}
	if n := s.store.Counters().OriginNegativeHits.Load(); n != 1 {
		t.Errorf("origin_negative_hits = %d, want 1", n)
	}
}

// TestReadThroughBadOrigins checks that an origin that hangs, fails,
// sends a huge body or closes mid-body costs a reader at most
// origin_timeout, is counted, and is never cached.
func TestReadThroughBadOrigins(t *testing.T) {
	o := newTestOrigin(t, nil)
	s := originServer(t, o, nil, policy.Namespace{OriginTimeout: 300 * time.Millisecond, MaxValueSize: 1024})
	c := dial(t, s)
	chunk := make([]byte, 64<<10)
	cases := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"hangs", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}},
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }},
		{"1GB body", func(w http.ResponseWriter, r *http.Request) {
			for range (1 << 30) / len(chunk) { // stops at the first write the reader refuses
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}},
		{"1GB declared", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(1<<30))
			w.Write(chunk)
		}},
		{"closes mid-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
	}
	for i, tc := range cases {
		o.serve(tc.handler)
		key := fmt.Sprintf("school:%d", i)
		c.expect("$-1\r\n", "GET", key)
		c.expect(":0\r\n", "EXISTS", key)
		// A reader that gave up may reply before the load counts its
		// failure.
		waitFor(t, tc.name+" counted", func() bool { return s.store.Counters().OriginFailures.Load() == int64(i+1) })
	}
	c.expect(":0\r\n", "DBSIZE")
}

func TestRefreshAheadReloadsAHotKeyBeforeItExpires(t *testing.T) {
	clk := newTestClock()
	var version atomic.Int64
	version.Store(1)
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v%d", version.Load()) })
	s := originServer(t, o, clk, policy.Namespace{TTL: 10 * time.Second})
	// u near 0 makes XFetch's draw refresh any read within ~20 load
	// times of the expiry; the default draw would only make it likely.
	s.loader.SetUniformSource(func() float64 { return 1e-9 })
	c := dial(t, s)
	c.expect(bulk("v1"), "GET", "school:hot")
	clk.Advance(5 * time.Second)
	c.expect(bulk("v1"), "GET", "school:hot") // far from the expiry: no refresh
	if n := o.requests.Load(); n != 1 {
		t.Fatalf("origin requests = %d, want 1", n)
	}
	version.Store(2)
	clk.Advance(4900 * time.Millisecond) // 100ms before the expiry
	c.expect(bulk("v1"), "GET", "school:hot")
	waitFor(t, "the background refresh", func() bool { return c.do("GET", "school:hot") == bulk("v2") })
	clk.Advance(time.Second) // past the first value's expiry
	c.expect(bulk("v2"), "GET", "school:hot")
	if n := o.requests.Load(); n != 2 {
		t.Errorf("origin requests = %d, want 2 (one load, one refresh)", n)
	}
	if n := s.store.Counters().OriginRefreshes.Load(); n != 1 {
		t.Errorf("origin_refreshes = %d, want 1", n)
	}
}
