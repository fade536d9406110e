package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/scheduler"
)

// statsOf runs CACHE.STATS [namespace] through go-redis and returns its
// fields, whatever the protocol's shape for them (a map in RESP3, a flat
// array in RESP2).
func statsOf(t *testing.T, rdb *redis.Client, namespace ...string) map[string]any {
	t.Helper()
	args := []any{"CACHE.STATS"}
	for _, ns := range namespace {
		args = append(args, ns)
	}
	v, err := rdb.Do(context.Background(), args...).Result()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	out := toMap(v)
	if out == nil {
		t.Fatalf("%v replied %T", args, v)
	}
	return out
}

func TestCacheStats(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "a", "1")
	c.expect("+OK\r\n", "SET", "short", "1", "PX", "10")
	c.expect(bulk("1"), "GET", "a")
	c.expect(bulk("1"), "GET", "a")
	c.expect("$-1\r\n", "GET", "missing")
	c.expect(":1\r\n", "DEL", "a")
	clk.Advance(time.Second)
	c.expect("$-1\r\n", "GET", "short") // lazily expired: a miss and an expiry
	c.do("CACHE.RATE", "r", "1", "60")
	c.do("CACHE.RATE", "r", "1", "60")
	c.do("CL.THROTTLE", "g", "0", "1", "60")
	c.do("CACHE.THROTTLE", "t", "60")
	c.do("CACHE.THROTTLE", "t", "60")
	c.do("CACHE.THROTTLE", "t", "60")

	want := map[string]any{
		"memory_hits": int64(2), "disk_hits": int64(0), "misses": int64(2), "hit_rate": 0.5,
		"sets": int64(5), "deletes": int64(1), "expirations": int64(1), "evictions": int64(0),
		"invalidations_tag": int64(0), "invalidations_pattern": int64(0), "invalidations_event": int64(0),
		"invalidations_namespace": int64(0), "invalidations_warmup": int64(0),
		"throttle_allowed": int64(1), "throttle_suppressed": int64(2),
		"rate_allowed": int64(2), "rate_denied": int64(1), "compression_ratio": 1.0,
		"origin_requests": int64(0), "origin_failures": int64(0), "origin_not_found": int64(0),
		"origin_negative_hits": int64(0), "origin_shared": int64(0), "origin_stale": int64(0), "origin_refreshes": int64(0),
		"warmup_runs": int64(0), "warmup_failed_runs": int64(0), "warmup_skipped_runs": int64(0),
		"warmup_loaded": int64(0), "warmup_failed": int64(0), "warmup_skipped": int64(0),
		"keys": int64(3), // r, g and t: a and short are gone
	}
	for _, proto := range []int{2, 3} {
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto, DisableIndentity: true})
		got := statsOf(t, rdb)
		rdb.Close()
		for k, w := range want {
			g := got[k]
			if f, ok := w.(float64); ok && proto == 2 {
				w = formatRatio(f) // RESP2 carries doubles as bulk strings
			}
			if g != w {
				t.Errorf("RESP%d %s = %v (%T), want %v", proto, k, g, g, w)
			}
		}
		if b, ok := got["bytes"].(int64); !ok || b <= 0 || b != s.store.Used() {
			t.Errorf("RESP%d bytes = %v, want %d", proto, got["bytes"], s.store.Used())
		}
		if len(got) != len(want)+1 {
			t.Errorf("RESP%d: %d fields, want %d", proto, len(got), len(want)+1)
		}
	}
	// The raw RESP3 shape: a map, ratios as doubles with four decimals.
	c.do("HELLO", "3")
	got := c.do("CACHE.STATS")
	if !strings.HasPrefix(got, fmt.Sprintf("%%%d\r\n$11\r\nmemory_hits\r\n:2\r\n", len(want)+1)) ||
		!strings.Contains(got, "$8\r\nhit_rate\r\n,0.5000\r\n") {
		t.Errorf("RESP3 CACHE.STATS = %q", got)
	}
}

// TestCacheStatsNamespace: a namespace's statistics count its own keys'
// reads, writes, removals, invalidations and rate decisions.
func TestCacheStatsNamespace(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now, Namespaces: []policy.Namespace{
		{Name: "products", Match: "product:*"},
		{Name: "users", Match: "user:"},
	}})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "product:1", "x")
	c.expect("+OK\r\n", "SET", "product:2", "x", "PX", "10")
	c.expect("+OK\r\n", "SET", "other", "x")
	c.expect(bulk("x"), "GET", "product:1")
	c.expect(bulk("x"), "GET", "product:1")
	c.expect(bulk("x"), "GET", "other")
	c.expect("$-1\r\n", "GET", "user:none")
	c.expect(":1\r\n", "DEL", "product:1")
	c.do("CACHE.RATE", "product:rl", "1", "60")
	c.do("CACHE.RATE", "product:rl", "1", "60")
	c.do("CACHE.THROTTLE", "user:t", "60")
	c.do("CACHE.THROTTLE", "user:t", "60")
	c.expect("+OK\r\n", "CACHE.SET", "product:3", "x", "TAGS", "sale")
	c.expect(":1\r\n", "CACHE.INVALIDATE", "TAG", "sale")
	clk.Advance(time.Second)
	c.expect("$-1\r\n", "GET", "product:2")

	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2, DisableIndentity: true})
	defer rdb.Close()
	cases := []struct {
		ns   string
		want map[string]int64
	}{
		{"products", map[string]int64{"memory_hits": 2, "disk_hits": 0, "misses": 1,
			"sets": 4, "deletes": 2, "expirations": 1, "evictions": 0,
			"invalidations_tag": 1, "invalidations_pattern": 0,
			"rate_allowed": 1, "rate_denied": 1, "throttle_allowed": 0, "throttle_suppressed": 0, "keys": 1}},
		{"users", map[string]int64{"memory_hits": 0, "misses": 1, "sets": 1, "deletes": 0, "expirations": 0, "invalidations_tag": 0,
			"rate_allowed": 0, "throttle_allowed": 1, "throttle_suppressed": 1, "keys": 1}},
		{"default", map[string]int64{"memory_hits": 1, "misses": 0, "sets": 1, "deletes": 0, "rate_allowed": 0, "throttle_allowed": 0, "keys": 1}},
	}
	for _, tc := range cases {
		got := statsOf(t, rdb, tc.ns)
		for k, w := range tc.want {
			if got[k] != w {
				t.Errorf("%s: %s = %v, want %d", tc.ns, k, got[k], w)
			}
		}
		if b, ok := got["bytes"].(int64); !ok || (b > 0) != (got["keys"].(int64) > 0) {
			t.Errorf("%s: %v bytes for %v keys", tc.ns, got["bytes"], got["keys"])
		}
	}
	c.expect(errReply(msgNoNamespace), "CACHE.STATS", "orders")
	if g := statsOf(t, rdb); g["sets"] != int64(6) || g["memory_hits"] != int64(3) || g["misses"] != int64(2) ||
		g["rate_allowed"] != int64(1) || g["invalidations_tag"] != int64(1) {
		t.Errorf("keyspace stats: %v", g)
	}
}

func TestCacheStatsErrors(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect(errReply(wrongArity("cache.stats")), "CACHE.STATS", "a", "b")
	c.expect(errReply(msgNoNamespace), "CACHE.STATS", "products")
	// Without namespaces every key is in the default one.
	if got := c.do("CACHE.STATS", "default"); !strings.Contains(got, "memory_hits") {
		t.Errorf("CACHE.STATS default without namespaces = %q, want the keyspace's", got)
	}
	c.expect(errReply(msgSyntax), "CACHE.HOTKEYS", "TOP")
	c.expect(errReply(msgSyntax), "CACHE.HOTKEYS", "COUNT")
	c.expect(errReply(msgSyntax), "CACHE.HOTKEYS", "COUNT", "1", "2")
	c.expect(errReply(msgSyntax), "CACHE.HOTKEYS", "NAMESPACE")
	c.expect(errReply(msgNoNamespace), "CACHE.HOTKEYS", "NAMESPACE", "orders")
	c.expect(errReply(msgNotInteger), "CACHE.HOTKEYS", "COUNT", "x")
	c.expect(errReply(msgHotKeysCount), "CACHE.HOTKEYS", "COUNT", "0")
	c.expect(errReply(msgHotKeysCount), "CACHE.HOTKEYS", "COUNT", "-2")
}

func TestStrataInfoSection(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.do("CACHE.THROTTLE", "t", "60")
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), DisableIndentity: true})
	defer rdb.Close()
	info, err := rdb.Info(context.Background(), "strata").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"# Strata\r\n", "\r\nthrottle_allowed:1\r\n", "\r\nhit_rate:0.0000\r\n", "\r\ncompression_ratio:1.0000\r\n", "\r\nsets:1\r\n"} {
		if !strings.Contains(info, line) {
			t.Errorf("INFO strata lacks %q:\n%s", line, info)
		}
	}
	if n := strings.Count(strings.TrimSpace(info), "\r\n"); n != len(s.cacheStats(nil)) {
		t.Errorf("INFO strata has %d lines, want a header and %d fields:\n%s", n+1, len(s.cacheStats(nil)), info)
	}
	if all, _ := rdb.Info(context.Background()).Result(); !strings.Contains(all, "# Strata\r\n") {
		t.Errorf("plain INFO lacks the Strata section")
	}
}

// TestCacheHotKeys: keys read 30, 20 and 10 times come back in that order
// with their counts; NAMESPACE keeps one namespace's keys; OBJECT FREQ
// stays Redis's logarithmic counter.
func TestCacheHotKeys(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now, MaxMemoryPolicy: "allkeys-lfu", Namespaces: []policy.Namespace{
		{Name: "users", Match: "user:*"},
	}})
	c := dial(t, s)
	reads := map[string]int{"k30": 30, "k20": 20, "k10": 10, "user:7": 25, "user:8": 5, "cold": 1}
	for k, n := range reads {
		c.expect("+OK\r\n", "SET", k, "v")
		for i := 0; i < n; i++ {
			c.send("GET", k)
		}
		for i := 0; i < n; i++ {
			c.read()
		}
	}
	c.expect("*3\r\n*2\r\n$3\r\nk30\r\n:30\r\n*2\r\n$6\r\nuser:7\r\n:25\r\n*2\r\n$3\r\nk20\r\n:20\r\n",
		"CACHE.HOTKEYS", "COUNT", "3")
	c.expect("*2\r\n*2\r\n$6\r\nuser:7\r\n:25\r\n*2\r\n$6\r\nuser:8\r\n:5\r\n", "CACHE.HOTKEYS", "NAMESPACE", "users")
	c.expect("*3\r\n*2\r\n$3\r\nk30\r\n:30\r\n*2\r\n$3\r\nk20\r\n:20\r\n*2\r\n$3\r\nk10\r\n:10\r\n",
		"cache.hotkeys", "namespace", "default", "count", "3")
	if got := c.do("CACHE.HOTKEYS"); !strings.HasPrefix(got, "*6\r\n") {
		t.Errorf("CACHE.HOTKEYS = %q, want the 6 keys read", got)
	}
	// A minute halves every count.
	clk.Advance(time.Minute)
	c.expect("*2\r\n*2\r\n$3\r\nk30\r\n:15\r\n*2\r\n$6\r\nuser:7\r\n:13\r\n", "CACHE.HOTKEYS", "COUNT", "2")
	// OBJECT FREQ is the LFU counter, which grows with the logarithm of
	// the reads: k30's is far below 30.
	got := c.do("OBJECT", "FREQ", "k30")
	if n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(got, ":"))); err != nil || n < 5 || n >= 20 {
		t.Errorf("OBJECT FREQ k30 = %q, want Redis's logarithmic counter", got)
	}
	c.expect("+OK\r\n", "SELECT", "1")
	c.expect("*0\r\n", "CACHE.HOTKEYS", "COUNT", "5")
}

// TestCacheHotKeysRefusedInMulti: HOTKEYS locks shard by shard, which EXEC's
// store lock would block, so a transaction cannot queue it.
func TestCacheHotKeysRefusedInMulti(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "MULTI")
	c.expect(errReply(msgNoMulti), "CACHE.HOTKEYS")
	c.expect(errReply(msgExecAbort), "EXEC")
}

// TestCacheStatsResetStat: CONFIG RESETSTAT zeroes the counters, not the
// bytes stored.
func TestCacheStatsResetStat(t *testing.T) {
	o := newTestOrigin(t, schoolOrigin)
	s := startServer(t, Config{Warmup: []scheduler.Job{schoolJob(o, "")}})
	c := dial(t, s)
	c.do("CACHE.THROTTLE", "t", "60")
	c.do("CACHE.RATE", "r", "5", "60")
	c.do("CACHE.WARMUP", "RUN", "primary-schools")
	c.expect("+OK\r\n", "CONFIG", "RESETSTAT")
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), DisableIndentity: true})
	defer rdb.Close()
	got := statsOf(t, rdb)
	for _, k := range []string{"sets", "throttle_allowed", "rate_allowed", "warmup_runs", "warmup_loaded"} {
		if got[k] != int64(0) {
			t.Errorf("%s = %v after CONFIG RESETSTAT", k, got[k])
		}
	}
	if got["bytes"] == int64(0) {
		t.Errorf("bytes = 0 after CONFIG RESETSTAT with keys stored")
	}
}

// TestCacheStatsCountOnce: a namespace counts each write and read once,
// whichever way it comes: a plain command, MSET, CACHE.MSET, MULTI/EXEC
// or a script.
func TestCacheStatsCountOnce(t *testing.T) {
	s := startServer(t, Config{Namespaces: []policy.Namespace{
		{Name: "products", Match: "product:*", TTL: time.Hour, Jitter: 0.2, MaxTTL: 2 * time.Hour},
	}})
	c := dial(t, s)
	c.expect("+OK\r\n", "MSET", "product:1", "a", "product:2", "b")
	c.expect("+OK\r\n", "CACHE.MSET", "EX", "60", "product:3", "c", "product:4", "d")
	c.expect("+OK\r\n", "MULTI")
	c.expect("+QUEUED\r\n", "SET", "product:5", "e")
	c.expect("+QUEUED\r\n", "GET", "product:1")
	c.expect("*2\r\n+OK\r\n$1\r\na\r\n", "EXEC")
	c.expect("$1\r\nb\r\n", "EVAL", "redis.call('SET', KEYS[1], 'f'); redis.call('GET', 'product:none'); return redis.call('GET', KEYS[2])", "2", "product:6", "product:2")
	c.expect("+OK\r\n", "SET", "other", "x")
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2, DisableIndentity: true})
	defer rdb.Close()
	got := statsOf(t, rdb, "products")
	for k, want := range map[string]any{"sets": int64(6), "memory_hits": int64(2), "misses": int64(1), "hit_rate": "0.6667"} {
		if got[k] != want {
			t.Errorf("products %s = %v, want %v", k, got[k], want)
		}
	}
	if all := statsOf(t, rdb); all["sets"] != int64(7) {
		t.Errorf("keyspace sets = %v, want 7", all["sets"])
	}
}

// TestCacheStatsCountLoadsOnce: a read-through command runs twice when it
// loads (readthrough.go), yet counts each of its reads once, and each
// load once: an origin request and a write.
func TestCacheStatsCountLoadsOnce(t *testing.T) {
	clk := newTestClock() // stopped: hot key counts do not decay
	o := newTestOrigin(t, echoPath)
	s := originServer(t, o, clk, policy.Namespace{})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "school:have", "x")
	c.expect("+OK\r\n", "SET", "other", "y")
	c.expect("*4\r\n"+bulk("x")+bulk("v:new")+bulk("y")+"$-1\r\n", "MGET", "school:have", "school:new", "other", "nope")
	c.expect(bulk("v:new"), "GET", "school:new")

	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), DisableIndentity: true})
	defer rdb.Close()
	for _, tc := range []struct {
		ns   []string
		want map[string]int64
	}{
		{nil, map[string]int64{"memory_hits": 3, "misses": 2, "sets": 3, "origin_requests": 1, "origin_failures": 0}},
		{[]string{"schools"}, map[string]int64{"memory_hits": 2, "misses": 1, "sets": 2, "origin_requests": 1}},
		{[]string{"default"}, map[string]int64{"memory_hits": 1, "misses": 1, "sets": 1, "origin_requests": 0}},
	} {
		got := statsOf(t, rdb, tc.ns...)
		for k, w := range tc.want {
			if got[k] != w {
				t.Errorf("CACHE.STATS %v: %s = %v, want %d", tc.ns, k, got[k], w)
			}
		}
	}
	// Each key was read once by the MGET, and school:new once more by GET
	// (ties come in key order).
	c.expect("*3\r\n*2\r\n$10\r\nschool:new\r\n:2\r\n*2\r\n$5\r\nother\r\n:1\r\n*2\r\n$11\r\nschool:have\r\n:1\r\n",
		"CACHE.HOTKEYS")
	if n := o.requests.Load(); n != 1 {
		t.Errorf("origin requests = %d, want 1", n)
	}
}

// TestCacheStatsCountWarmupsOnce: a warm-up run counts once as a run, and
// each key it loads once as a write; a refresh run's reloads count once
// as origin requests too; none of them counts as a read.
func TestCacheStatsCountWarmupsOnce(t *testing.T) {
	clk := newTestClock()
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/cache/") {
			echoPath(w, r)
			return
		}
		schoolOrigin(w, r)
	})
	s := startServer(t, Config{Clock: clk.Now,
		Namespaces: []policy.Namespace{{Name: "schools", Match: "school:", TTL: time.Minute, Origin: o.URL + "/cache/{suffix}"}},
		Warmup: []scheduler.Job{schoolJob(o, ""),
			{Name: "refresh", Source: scheduler.Source{Refresh: &scheduler.Refresh{Within: time.Hour}}}},
	})
	c := dial(t, s)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), DisableIndentity: true})
	defer rdb.Close()
	check := func(step string, want map[string]int64, namespace ...string) {
		t.Helper()
		got := statsOf(t, rdb, namespace...)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("after %s, CACHE.STATS %v: %s = %v, want %d", step, namespace, k, got[k], w)
			}
		}
	}

	c.do("CACHE.WARMUP", "RUN", "primary-schools")
	check("a run", map[string]int64{"sets": 2, "memory_hits": 0, "misses": 0, "origin_requests": 0,
		"warmup_runs": 1, "warmup_failed_runs": 0, "warmup_loaded": 2, "warmup_failed": 0})
	check("a run", map[string]int64{"sets": 2, "memory_hits": 0, "misses": 0}, "schools")

	c.expect(bulk(`["central school 1"]`), "GET", "school:list:central:1") // now hot
	c.do("CACHE.WARMUP", "RUN", "refresh")
	check("a refresh", map[string]int64{"sets": 3, "memory_hits": 1, "misses": 0, "origin_requests": 1,
		"warmup_runs": 2, "warmup_loaded": 3})
	check("a refresh", map[string]int64{"sets": 3, "origin_requests": 1}, "schools")
	c.expect(bulk("v:list:central:1"), "GET", "school:list:central:1")

	c.do("CACHE.WARMUP", "CLEAR", "primary-schools")
	check("a clear", map[string]int64{"sets": 5, "deletes": 2, "invalidations_warmup": 2, "warmup_runs": 3, "warmup_loaded": 5})

	o.serve(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	c.do("CACHE.WARMUP", "RUN", "primary-schools")
	check("a failed run", map[string]int64{"sets": 5, "warmup_runs": 4, "warmup_failed_runs": 1, "warmup_loaded": 5, "warmup_failed": 2,
		"origin_requests": 1, "origin_failures": 0})

	info, err := rdb.Info(context.Background(), "strata").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"\r\nwarmup_runs:4\r\n", "\r\nwarmup_failed_runs:1\r\n", "\r\nwarmup_loaded:5\r\n", "\r\norigin_requests:1\r\n"} {
		if !strings.Contains(info, line) {
			t.Errorf("INFO strata lacks %q:\n%s", line, info)
		}
	}
}
