package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/policy"
)

// TestListMemoryAccounting: used_memory and MEMORY USAGE follow a list's
// elements as it grows and shrinks in place, and return to where they
// were when it is gone.
func TestListMemoryAccounting(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	before := s.store.Used()
	args := []string{"RPUSH", "l"}
	for i := 0; i < 1000; i++ {
		args = append(args, fmt.Sprintf("%0100d", i))
	}
	c.expect(":1000\r\n", args...)
	grown := s.store.Used() - before
	if grown < 100_000 || grown > 300_000 {
		t.Errorf("1000 elements of 100 bytes cost %d bytes", grown)
	}
	usage := memoryUsage(t, c, "l")
	c.expect("+OK\r\n", "LTRIM", "l", "0", "9")
	if shrunk := s.store.Used() - before; shrunk > grown/10 {
		t.Errorf("after trimming to 10 elements: %d bytes", shrunk)
	}
	if after := memoryUsage(t, c, "l"); after >= usage/10 {
		t.Errorf("MEMORY USAGE %d after trimming to 10 elements, %d with 1000", after, usage)
	}
	c.expect(":1\r\n", "DEL", "l")
	if s.store.Used() != before {
		t.Errorf("used %d after DEL, %d before", s.store.Used(), before)
	}
}

// memoryUsage returns MEMORY USAGE of key.
func memoryUsage(t *testing.T, c *rawConn, key string) int64 {
	t.Helper()
	raw := c.do("MEMORY", "USAGE", key)
	n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(raw, ":"), "\r\n"), 10, 64)
	if err != nil {
		t.Fatalf("MEMORY USAGE %s: %q", key, raw)
	}
	return n
}

// TestListGoRedis uses lists through go-redis's typed API in both
// protocols, BLPOP with a timeout and a producer in another goroutine
// included.
func TestListGoRedis(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto})
			t.Cleanup(func() { rdb.Close() })
			rdb.FlushAll(ctx)
			if n, err := rdb.RPush(ctx, "l", "a", "b", "c").Result(); err != nil || n != 3 {
				t.Fatalf("RPUSH: %d %v", n, err)
			}
			if got := rdb.LRange(ctx, "l", 0, -1).Val(); !slices.Equal(got, []string{"a", "b", "c"}) {
				t.Errorf("LRANGE: %v", got)
			}
			if got := rdb.LPopCount(ctx, "l", 2).Val(); !slices.Equal(got, []string{"a", "b"}) {
				t.Errorf("LPOP 2: %v", got)
			}
			if got := rdb.LPos(ctx, "l", "c", redis.LPosArgs{}).Val(); got != 0 {
				t.Errorf("LPOS: %d", got)
			}
			if key, vals, err := rdb.LMPop(ctx, "right", 5, "nosuch", "l").Result(); err != nil || key != "l" || !slices.Equal(vals, []string{"c"}) {
				t.Errorf("LMPOP: %s %v %v", key, vals, err)
			}

			// The timeout passes on the server's clock, which the test
			// moves, and the cron's check that the test runs.
			timedOut := make(chan error, 1)
			go func() {
				_, err := rdb.BLPop(ctx, time.Second, "q").Result()
				timedOut <- err
			}()
			waitBlocked(t, s, 1)
			clk.Advance(time.Second)
			s.clientsCron()
			if n := s.blocking.blocked(); n != 1 {
				t.Errorf("BLPOP returned at its deadline, not after")
			}
			clk.Advance(time.Millisecond)
			s.clientsCron()
			select {
			case err := <-timedOut:
				if !errors.Is(err, redis.Nil) {
					t.Errorf("BLPOP on nothing: %v, want redis.Nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("BLPOP did not time out")
			}

			go func() {
				waitFor(t, "the consumer blocked", func() bool { return s.blocking.blocked() == 1 })
				rdb.LPush(ctx, "q", "job")
			}()
			got, err := rdb.BLPop(ctx, 5*time.Second, "other", "q").Result()
			if err != nil || !slices.Equal(got, []string{"q", "job"}) {
				t.Errorf("BLPOP woken by a producer: %v %v", got, err)
			}
			go func() {
				waitFor(t, "the mover blocked", func() bool { return s.blocking.blocked() == 1 })
				rdb.RPush(ctx, "src", "x")
			}()
			if v, err := rdb.BLMove(ctx, "src", "dst", "RIGHT", "LEFT", 5*time.Second).Result(); err != nil || v != "x" {
				t.Errorf("BLMOVE: %q %v", v, err)
			}
		})
	}
}

// TestKombuStyleQueues uses lists as Celery's broker (kombu) does: workers
// loop on BRPOP over several queue keys with a timeout of 1 second while a
// producer LPUSHes messages; every message reaches exactly one worker.
func TestKombuStyleQueues(t *testing.T) {
	s := startServer(t, Config{})
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), PoolSize: 8})
	t.Cleanup(func() { rdb.Close() })
	queues := []string{"celery", "celery\x06\x169", "default"}
	const workers, messages = 4, 300

	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				res, err := rdb.BRPop(ctx, time.Second, queues...).Result()
				if errors.Is(err, redis.Nil) {
					continue // a timeout: poll again, as kombu does
				}
				if err != nil {
					t.Errorf("BRPOP: %v", err)
					return
				}
				mu.Lock()
				got[res[0]+"/"+res[1]]++
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < messages; i++ {
		q := queues[i%len(queues)]
		if err := rdb.LPush(ctx, q, fmt.Sprintf("msg-%d", i)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every message delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == messages
	})
	close(done)
	wg.Wait()
	for k, n := range got {
		if n != 1 {
			t.Errorf("%s delivered %d times", k, n)
		}
	}
	for _, q := range queues {
		if n := rdb.LLen(ctx, q).Val(); n != 0 {
			t.Errorf("%s left with %d messages", q, n)
		}
	}
}

// TestListAndZSetSurviveRestart: a list and a sorted set in a write_through
// namespace, changed in place after they were created, come back after a
// restart with their TTLs; a blocked client's move into the namespace is
// durable too.
func TestListAndZSetSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Namespaces: []policy.Namespace{{Match: "p:", Strategy: policy.WriteThrough}}}
	s := startServer(t, cfg)
	c, b := dial(t, s), dial(t, s)
	c.expect(":3\r\n", "RPUSH", "p:l", "a", "b", "c")
	c.expect("$1\r\na\r\n", "LPOP", "p:l")
	c.expect(":1\r\n", "EXPIRE", "p:l", "1000")
	c.expect(":3\r\n", "ZADD", "p:z", "1", "a", "2.5", "b", "-1", "c")
	c.expect(":1\r\n", "ZREM", "p:z", "c")
	c.expect("$1\r\n4\r\n", "ZINCRBY", "p:z", "3", "a")
	c.expect(":1\r\n", "RPUSH", "m:l", "gone") // memory only
	b.send("BLMOVE", "m:src", "p:moved", "LEFT", "LEFT", "0")
	waitBlocked(t, s, 1)
	c.expect(":1\r\n", "RPUSH", "m:src", "x")
	b.expectRead("$1\r\nx\r\n")
	s.Close()

	cfg.Dir = dir
	s = startServer(t, cfg)
	c = dial(t, s)
	c.expect(bulks("b", "c"), "LRANGE", "p:l", "0", "-1")
	c.expect("*4\r\n$1\r\nb\r\n$3\r\n2.5\r\n$1\r\na\r\n$1\r\n4\r\n", "ZRANGE", "p:z", "0", "-1", "WITHSCORES")
	c.expect("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "p:z")
	c.expect(bulks("x"), "LRANGE", "p:moved", "0", "-1")
	c.expect(":0\r\n", "EXISTS", "m:l")
	if ttl := c.do("TTL", "p:l"); ttl == ":-1\r\n" || ttl == ":-2\r\n" {
		t.Errorf("TTL after restart: %q", ttl)
	}
}
