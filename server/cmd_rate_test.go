package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// ints is the raw RESP of an array of integers.
func ints(ns ...int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(ns))
	for _, n := range ns {
		fmt.Fprintf(&b, ":%d\r\n", n)
	}
	return b.String()
}

func bulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

func errReply(msg string) string { return "-" + msg + "\r\n" }

// expectPTTL checks key's remaining TTL in milliseconds by the store's
// clock, straight from the store.
func expectPTTL(t *testing.T, s *Server, key string, want int64) {
	t.Helper()
	v, ok := peek(t, s, key, storage.LookupWrite|storage.LookupNoTouch)
	if !ok || v.ExpireAt() == 0 || v.ExpireAt()-s.store.Now() != want {
		t.Errorf("PTTL %s: found %v, expire at %d, want %d ms from now", key, ok, v.ExpireAt(), want)
	}
}

// TestClThrottleReadme is redis-cell's README example.
func TestClThrottleReadme(t *testing.T) {
	s := startServer(t, Config{Clock: newTestClock().Now})
	c := dial(t, s)
	c.expect(ints(0, 16, 15, -1, 2), "CL.THROTTLE", "user123", "15", "30", "60")
	c.expect(ints(0, 16, 15, -1, 2), "CL.THROTTLE", "user123", "15", "30", "60", "0")
	c.expect(ints(0, 16, 14, -1, 4), "cl.throttle", "user123", "15", "30", "60", "1")
}

// TestClThrottleE2E is redis-cell's end-to-end test (tests/e2e.rs): one
// token every two seconds with no burst.
func TestClThrottleE2E(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	args := []string{"CL.THROTTLE", "user123", "0", "1", "2", "1"}
	c.expect(ints(0, 1, 0, -1, 2), args...)
	c.expect(ints(1, 1, 0, 2, 2), args...)
	clk.Advance(2 * time.Second)
	c.expect(ints(0, 1, 0, -1, 2), args...)
}

// TestClThrottleRedisCellTable replays redis-cell's it_rate_limits cases
// through the command, where durations come back in seconds rounded up.
func TestClThrottleRedisCellTable(t *testing.T) {
	clk := newTestClock()
	clk.ms.Store(1_700_000_000_000)
	start := clk.Now()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	cases := []struct {
		name string
		at   int64 // ms after start
		qty  string
		want string
	}{
		{"0 larger than the bucket", 0, "6", ints(1, 5, 5, -1, 0)},
		{"1", 0, "1", ints(0, 5, 4, -1, 1)},
		{"2", 0, "1", ints(0, 5, 3, -1, 2)},
		{"3", 0, "1", ints(0, 5, 2, -1, 3)},
		{"4", 0, "1", ints(0, 5, 1, -1, 4)},
		{"5", 0, "1", ints(0, 5, 0, -1, 5)},
		{"6 limited", 0, "1", ints(1, 5, 0, 1, 5)},
		{"7", 3000, "1", ints(0, 5, 2, -1, 3)},
		{"8 3.9s rounds up", 3100, "1", ints(0, 5, 1, -1, 4)},
		{"9", 4000, "1", ints(0, 5, 1, -1, 4)},
		{"10", 8000, "1", ints(0, 5, 4, -1, 1)},
		{"11", 9500, "1", ints(0, 5, 4, -1, 1)},
		{"12 peek", 9500, "0", ints(0, 5, 4, -1, 1)},
		{"13 quantity 2", 9500, "2", ints(0, 5, 2, -1, 3)},
		{"14 large request limited", 9500, "5", ints(1, 5, 2, 3, 3)},
	}
	for _, tc := range cases {
		clk.ms.Store(start + tc.at)
		if got := c.do("CL.THROTTLE", "foo", "4", "1", "1", tc.qty); got != tc.want {
			t.Errorf("case %s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	// The key holds the TAT in unix nanoseconds, as redis-cell's does, and
	// expires when the bucket is full again.
	tat := (start + 9500 + 3000) * int64(time.Millisecond)
	c.expect(bulk(strconv.FormatInt(tat, 10)), "GET", "foo")
	clk.ms.Store(start + 9500 + 3000 + 1) // a key lives through its expiry millisecond
	c.expect("$-1\r\n", "GET", "foo")
}

// TestClThrottleReadsRedisCellKey: a TAT written by redis-cell (or SET by
// hand) is honoured.
func TestClThrottleReadsRedisCellKey(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	tat := (clk.Now() + 10_000) * int64(time.Millisecond)
	c.expect("+OK\r\n", "SET", "k", strconv.FormatInt(tat, 10), "PX", "10000")
	c.expect(ints(1, 5, 0, 2, 10), "CL.THROTTLE", "k", "4", "1", "2")
}

func TestCacheRateFixed(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.expect(ints(1, 1, 2, 10000), "CACHE.RATE", "rl", "3", "10")
	c.expect(bulk("1"), "GET", "rl")
	expectPTTL(t, s, "rl", 10000)
	clk.Advance(time.Second)
	c.expect(ints(1, 2, 1, 9000), "CACHE.RATE", "rl", "3", "10")
	c.expect(ints(0, 2, 1, 9000), "CACHE.RATE", "rl", "3", "10", "COST", "2")
	c.expect(ints(1, 3, 0, 9000), "cache.rate", "rl", "3", "10", "cost", "1")
	c.expect(ints(0, 3, 0, 9000), "CACHE.RATE", "rl", "3", "10")
	c.expect(ints(1, 3, 0, 9000), "CACHE.RATE", "rl", "3", "10", "COST", "0")
	c.expect(bulk("3"), "GET", "rl")
	clk.Advance(9 * time.Second) // the window's last millisecond still counts, as its key lives
	c.expect(ints(0, 3, 0, 0), "CACHE.RATE", "rl", "3", "10")
	clk.Advance(time.Millisecond)
	c.expect(ints(1, 1, 2, 10000), "CACHE.RATE", "rl", "3", "10")

	// A peek on a missing key creates nothing.
	c.expect(ints(1, 0, 3, 10000), "CACHE.RATE", "none", "3", "10", "COST", "0")
	c.expect("$-1\r\n", "GET", "none")

	// A counter left without a TTL (INCR without its EXPIRE) starts over
	// instead of locking its caller out for ever.
	c.expect("+OK\r\n", "SET", "stuck", "100")
	c.expect(ints(1, 1, 2, 10000), "CACHE.RATE", "stuck", "3", "10")
	expectPTTL(t, s, "stuck", 10000)
}

func TestCacheRateSliding(t *testing.T) {
	clk := newTestClock()
	clk.ms.Store(1_700_000_000_000)
	t0 := clk.Now()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	for i := 1; i <= 4; i++ {
		c.expect(ints(1, int64(i), int64(4-i), 60_000), "CACHE.RATE", "sw", "4", "60", "SLIDING")
	}
	c.expect(ints(0, 4, 0, 60_000), "CACHE.RATE", "sw", "4", "60", "SLIDING")
	c.expect(bulk(fmt.Sprintf("4 0 %d", t0)), "GET", "sw")
	expectPTTL(t, s, "sw", 120000)
	// Halfway through the next window the previous one still weighs half.
	clk.Advance(90 * time.Second)
	c.expect(ints(1, 3, 1, 30_000), "CACHE.RATE", "sw", "4", "60", "SLIDING")
	c.expect(ints(1, 4, 0, 30_000), "CACHE.RATE", "sw", "4", "60", "SLIDING", "COST", "1")
	c.expect(ints(0, 4, 0, 30_000), "CACHE.RATE", "sw", "4", "60", "SLIDING")
	c.expect(bulk(fmt.Sprintf("2 4 %d", t0+60_000)), "GET", "sw")
	// Two idle windows forget everything; the key is gone by then.
	clk.Advance(90*time.Second + time.Millisecond)
	c.expect("$-1\r\n", "GET", "sw")
	c.expect(ints(1, 1, 3, 60_000), "CACHE.RATE", "sw", "4", "60", "SLIDING")
}

func TestCacheRateReset(t *testing.T) {
	s := startServer(t, Config{Clock: newTestClock().Now})
	c := dial(t, s)
	c.expect(ints(1, 2, 0, 60_000), "CACHE.RATE", "rl", "2", "60", "COST", "2")
	c.expect(ints(0, 2, 0, 60_000), "CACHE.RATE", "rl", "2", "60")
	c.expect(":1\r\n", "CACHE.RATE.RESET", "rl")
	c.expect("$-1\r\n", "GET", "rl")
	c.expect(ints(1, 1, 1, 60_000), "CACHE.RATE", "rl", "2", "60")
	c.expect(ints(1, 1, 1, 60_000), "CACHE.RATE", "sw", "2", "60", "SLIDING")
	c.expect(":1\r\n", "CACHE.RATE.RESET", "sw")
	c.expect(ints(1, 1, 1, 60_000), "CACHE.RATE", "sw", "2", "60", "SLIDING")
	c.expect(":0\r\n", "CACHE.RATE.RESET", "missing")
	c.do("CL.THROTTLE", "gcra", "0", "1", "60")
	c.expect(":1\r\n", "CACHE.RATE.RESET", "gcra")
	c.expect(ints(0, 1, 0, -1, 60), "CL.THROTTLE", "gcra", "0", "1", "60")
}

func TestCacheThrottle(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.expect(ints(1, 0), "CACHE.THROTTLE", "refresh", "300")
	c.expect(bulk("1"), "GET", "refresh")
	expectPTTL(t, s, "refresh", 300*1000)
	clk.Advance(1500 * time.Millisecond)
	c.expect(ints(0, 298_500), "CACHE.THROTTLE", "refresh", "300")
	c.expect(ints(0, 298_500), "cache.throttle", "refresh", "5")
	clk.Advance(298_500 * time.Millisecond) // held through its last millisecond, as SET NX EX
	c.expect(ints(0, 0), "CACHE.THROTTLE", "refresh", "5")
	clk.Advance(time.Millisecond)
	c.expect(ints(1, 0), "CACHE.THROTTLE", "refresh", "5")
	expectPTTL(t, s, "refresh", 5*1000)
	// A key stored without a TTL holds the throttle with no end.
	c.expect("+OK\r\n", "SET", "forever", "x")
	c.expect(ints(0, -1), "CACHE.THROTTLE", "forever", "5")
}

func TestRateCommandErrors(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "text", "abc")
	c.expect("+OK\r\n", "SET", "num", "12")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"rate arity", []string{"CACHE.RATE", "k", "1"}, wrongArity("cache.rate")},
		{"rate limit not integer", []string{"CACHE.RATE", "k", "x", "1"}, msgNotInteger},
		{"rate window not integer", []string{"CACHE.RATE", "k", "1", "1.5"}, msgNotInteger},
		{"rate zero limit", []string{"CACHE.RATE", "k", "0", "1"}, msgRateLimit},
		{"rate negative limit", []string{"CACHE.RATE", "k", "-3", "1"}, msgRateLimit},
		{"rate zero window", []string{"CACHE.RATE", "k", "1", "0"}, "ERR invalid expire time in 'cache.rate' command"},
		{"rate negative window", []string{"CACHE.RATE", "k", "1", "-1"}, "ERR invalid expire time in 'cache.rate' command"},
		{"rate huge window", []string{"CACHE.RATE", "k", "1", "9223372036854775807"}, "ERR invalid expire time in 'cache.rate' command"},
		{"rate cost not integer", []string{"CACHE.RATE", "k", "5", "1", "COST", "a"}, msgNotInteger},
		{"rate cost over limit", []string{"CACHE.RATE", "k", "5", "1", "COST", "6"}, msgRateCost},
		{"rate negative cost", []string{"CACHE.RATE", "k", "5", "1", "COST", "-1"}, msgRateCost},
		{"rate cost without value", []string{"CACHE.RATE", "k", "5", "1", "COST"}, msgSyntax},
		{"rate unknown option", []string{"CACHE.RATE", "k", "5", "1", "FAST"}, msgSyntax},
		{"rate on text", []string{"CACHE.RATE", "text", "5", "1"}, msgNotInteger},
		{"rate sliding on counter", []string{"CACHE.RATE", "num", "5", "1", "SLIDING"}, msgRateNotSliding},
		{"reset arity", []string{"CACHE.RATE.RESET"}, wrongArity("cache.rate.reset")},
		{"reset two keys", []string{"CACHE.RATE.RESET", "a", "b"}, wrongArity("cache.rate.reset")},
		{"throttle arity", []string{"CL.THROTTLE", "k", "1", "2"}, wrongArity("cl.throttle")},
		{"throttle too many", []string{"CL.THROTTLE", "k", "1", "2", "3", "4", "5"}, wrongArity("cl.throttle")},
		{"throttle not integer", []string{"CL.THROTTLE", "k", "1", "x", "3"}, msgNotInteger},
		{"throttle quantity not integer", []string{"CL.THROTTLE", "k", "1", "2", "3", "1.0"}, msgNotInteger},
		{"throttle zero count", []string{"CL.THROTTLE", "k", "1", "0", "3"}, msgZeroRate},
		{"throttle zero period", []string{"CL.THROTTLE", "k", "1", "2", "0"}, msgZeroRate},
		{"throttle negative burst", []string{"CL.THROTTLE", "k", "-1", "2", "3"}, msgThrottleRange},
		{"throttle negative quantity", []string{"CL.THROTTLE", "k", "1", "2", "3", "-1"}, msgThrottleRange},
		{"throttle on text", []string{"CL.THROTTLE", "text", "1", "2", "3"}, msgNotInteger},
		{"cache.throttle arity", []string{"CACHE.THROTTLE", "k"}, wrongArity("cache.throttle")},
		{"cache.throttle not integer", []string{"CACHE.THROTTLE", "k", "1s"}, msgNotInteger},
		{"cache.throttle zero", []string{"CACHE.THROTTLE", "k", "0"}, "ERR invalid expire time in 'cache.throttle' command"},
	}
	for _, tc := range cases {
		if got := c.do(tc.args...); got != errReply(tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, errReply(tc.want))
		}
	}
	// Failed commands left the keys as they were.
	c.expect(bulk("abc"), "GET", "text")
	c.expect(bulk("12"), "GET", "num")
	c.expect("$-1\r\n", "GET", "k")
}

// TestRateWrongType: the rate commands refuse keys of other kinds. No
// other kind exists until the collection commands land, so this drives the
// store directly.
func TestRateWrongType(t *testing.T) {
	s := startServer(t, Config{})
	type list struct{}
	put(t, s, "l", storage.ObjectValue(storage.KindList, &list{}))
	c := dial(t, s)
	for _, args := range [][]string{
		{"CACHE.RATE", "l", "1", "1"},
		{"CACHE.RATE", "l", "1", "1", "SLIDING"},
		{"CACHE.RATE.RESET", "l"},
		{"CL.THROTTLE", "l", "1", "1", "1"},
	} {
		c.expect(errReply(msgWrongType), args...)
	}
	c.expect(ints(0, -1), "CACHE.THROTTLE", "l", "1")
}

// TestThrottleOneWinner: many clients racing for one CACHE.THROTTLE key
// get exactly one winner per window.
func TestThrottleOneWinner(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	const workers, rounds = 8, 3
	conns := make([]*rawConn, workers)
	for i := range conns {
		conns[i] = dial(t, s)
	}
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		wins := make([]int, workers)
		for i, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 25; j++ {
					c.send("CACHE.THROTTLE", "job", "60")
				}
				for j := 0; j < 25; j++ {
					if c.read() == ints(1, 0) {
						wins[i]++
					}
				}
			}()
		}
		wg.Wait()
		total := 0
		for _, w := range wins {
			total += w
		}
		if total != 1 {
			t.Fatalf("round %d: %d winners, want 1", round, total)
		}
		clk.Advance(60*time.Second + time.Millisecond)
	}
}

// TestRateAdmitsExactlyLimit: concurrent clients against one CACHE.RATE
// key (and one CL.THROTTLE key) are admitted exactly limit times.
func TestRateAdmitsExactlyLimit(t *testing.T) {
	s := startServer(t, Config{})
	const workers, perWorker, limit = 8, 40, 100
	cases := []struct {
		name    string
		args    []string
		allowed func(reply string) bool
	}{
		{"fixed", []string{"CACHE.RATE", "f", strconv.Itoa(limit), "3600"},
			func(r string) bool { return strings.HasPrefix(r, "*4\r\n:1\r\n") }},
		{"sliding", []string{"CACHE.RATE", "s", strconv.Itoa(limit), "3600", "SLIDING"},
			func(r string) bool { return strings.HasPrefix(r, "*4\r\n:1\r\n") }},
		{"gcra", []string{"CL.THROTTLE", "g", strconv.Itoa(limit - 1), "1", "3600"},
			func(r string) bool { return strings.HasPrefix(r, "*5\r\n:0\r\n") }},
	}
	for _, tc := range cases {
		var mu sync.Mutex
		admitted := 0
		var wg sync.WaitGroup
		for i := 0; i < workers; i++ {
			c := dial(t, s)
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := 0
				for j := 0; j < perWorker; j++ {
					c.send(tc.args...)
				}
				for j := 0; j < perWorker; j++ {
					if tc.allowed(c.read()) {
						n++
					}
				}
				mu.Lock()
				admitted += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if admitted != limit {
			t.Errorf("%s: admitted %d, want %d", tc.name, admitted, limit)
		}
	}
}

// TestRateGoRedis drives the commands through go-redis's Do, in RESP3 as
// go-redis speaks by default and in RESP2.
func TestRateGoRedis(t *testing.T) {
	s := startServer(t, Config{Clock: newTestClock().Now})
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto, DisableIndentity: true})
			defer rdb.Close()
			ctx := context.Background()
			key := fmt.Sprintf("user:%d", proto)
			got, err := rdb.Do(ctx, "CL.THROTTLE", key, 15, 30, 60).Int64Slice()
			if err != nil || fmt.Sprint(got) != "[0 16 15 -1 2]" {
				t.Errorf("CL.THROTTLE: %v %v", got, err)
			}
			got, err = rdb.Do(ctx, "CACHE.RATE", key+":rl", 10, 60, "COST", 3).Int64Slice()
			if err != nil || fmt.Sprint(got) != "[1 3 7 60000]" {
				t.Errorf("CACHE.RATE: %v %v", got, err)
			}
			got, err = rdb.Do(ctx, "CACHE.THROTTLE", key+":t", 60).Int64Slice()
			if err != nil || fmt.Sprint(got) != "[1 0]" {
				t.Errorf("CACHE.THROTTLE: %v %v", got, err)
			}
			n, err := rdb.Do(ctx, "CACHE.RATE.RESET", key+":rl").Int64()
			if err != nil || n != 1 {
				t.Errorf("CACHE.RATE.RESET: %v %v", n, err)
			}
			if err := rdb.Do(ctx, "CACHE.RATE", key, 0, 60).Err(); err == nil || err.Error() != msgRateLimit {
				t.Errorf("bad limit: %v", err)
			}
		})
	}
}

// TestIncrExpirePattern: the hand-written limiter, INCR rate:{user}:{second}
// then EXPIRE on the first hit, works as on Redis, and its counters are the
// fixed windows CACHE.RATE keeps, so both can count the same key.
func TestIncrExpirePattern(t *testing.T) {
	clk := newTestClock()
	clk.ms.Store(1_700_000_000_000)
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	key := func() string { return fmt.Sprintf("rate:alice:%d", clk.Now()/1000) }
	k := key()
	c.expect(":1\r\n", "INCR", k)
	c.expect(":1\r\n", "EXPIRE", k, "1")
	c.expect(":2\r\n", "INCR", k)
	c.expect(":3\r\n", "INCR", k)
	expectPTTL(t, s, k, 1000)
	clk.Advance(time.Second + time.Millisecond)
	c.expect("$-1\r\n", "GET", k)
	c.expect(":1\r\n", "INCR", key())

	// CACHE.RATE reads a counter INCR built, and INCR one CACHE.RATE built.
	c.expect(":1\r\n", "INCR", "both")
	c.expect(":1\r\n", "EXPIRE", "both", "60")
	c.expect(ints(1, 2, 1, 60_000), "CACHE.RATE", "both", "3", "60")
	c.expect(":3\r\n", "INCR", "both")
	c.expect(ints(0, 3, 0, 60_000), "CACHE.RATE", "both", "3", "60")

	// The same from go-redis, in a MULTI as careful code writes it.
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), DisableIndentity: true})
	defer rdb.Close()
	ctx := context.Background()
	var incr *redis.IntCmd
	if _, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, "rate:bob")
		p.ExpireNX(ctx, "rate:bob", time.Minute)
		return nil
	}); err != nil || incr.Val() != 1 {
		t.Fatalf("MULTI INCR EXPIRE NX: %v, %v", incr.Val(), err)
	}
	expectPTTL(t, s, "rate:bob", 60_000)
}

// TestRateKeysKeepExactTTLs: namespace TTL rules (jitter, a default TTL)
// shape ordinary writes but leave the windows of the rate commands exact.
func TestRateKeysKeepExactTTLs(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now, Namespaces: []policy.Namespace{
		{Name: "limits", Match: "rl:", TTL: time.Hour, Jitter: 0.5},
	}})
	c := dial(t, s)
	c.expect(ints(1, 1, 4, 10_000), "CACHE.RATE", "rl:fixed", "5", "10")
	expectPTTL(t, s, "rl:fixed", 10_000)
	c.expect(ints(1, 1, 4, 10_000), "CACHE.RATE", "rl:sliding", "5", "10", "SLIDING")
	expectPTTL(t, s, "rl:sliding", 20_000)
	c.expect(ints(0, 1, 0, -1, 2), "CL.THROTTLE", "rl:gcra", "0", "1", "2")
	expectPTTL(t, s, "rl:gcra", 2_000)
	c.expect(ints(1, 0), "CACHE.THROTTLE", "rl:hold", "60")
	expectPTTL(t, s, "rl:hold", 60_000)
	// The same namespace does shape a plain SET.
	c.expect("+OK\r\n", "SET", "rl:plain", "x", "EX", "60")
	v, _ := peek(t, s, "rl:plain", storage.LookupWrite|storage.LookupNoTouch)
	if left := v.ExpireAt() - clk.Now(); left < 30_000 || left > 90_000 || left == 60_000 {
		t.Errorf("SET EX 60 in a jittered namespace left %d ms", left)
	}
}

// TestRateStateSurvivesRestart: in a write_through namespace the limiters'
// keys are persisted like any other, so a restart forgets no window.
func TestRateStateSurvivesRestart(t *testing.T) {
	clk := newTestClock()
	cfg := Config{Clock: clk.Now, Dir: t.TempDir(), Namespaces: []policy.Namespace{
		{Name: "limits", Match: "rl:", Strategy: policy.WriteThrough},
	}}
	s := startServer(t, cfg)
	c := dial(t, s)
	c.expect(ints(1, 2, 1, 60_000), "CACHE.RATE", "rl:fixed", "3", "60", "COST", "2")
	c.expect(ints(1, 1, 2, 60_000), "CACHE.RATE", "rl:sliding", "3", "60", "SLIDING")
	c.expect(ints(0, 1, 0, -1, 60), "CL.THROTTLE", "rl:gcra", "0", "1", "60")
	c.expect(ints(1, 0), "CACHE.THROTTLE", "rl:hold", "60")
	s.Close()

	clk.Advance(time.Second)
	c = dial(t, startServer(t, cfg))
	c.expect(ints(1, 3, 0, 59_000), "CACHE.RATE", "rl:fixed", "3", "60")
	c.expect(ints(1, 2, 1, 59_000), "CACHE.RATE", "rl:sliding", "3", "60", "SLIDING")
	c.expect(ints(1, 1, 0, 59, 59), "CL.THROTTLE", "rl:gcra", "0", "1", "60")
	c.expect(ints(0, 59_000), "CACHE.THROTTLE", "rl:hold", "60")
}
