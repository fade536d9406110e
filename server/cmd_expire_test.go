package server

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestTTLCountdown moves the clock through a key's life: TTL rounds to the
// nearest second, and the key disappears once its expiry millisecond has
// passed (Redis's keyIsExpired: now > when).
func TestTTLCountdown(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "k", "v")
	c.expect("+OK\r\n", "SET", "plain", "v")
	c.expect(":1\r\n", "PEXPIRE", "k", "1500")
	c.expect(":2\r\n", "TTL", "k")
	c.expect(":-1\r\n", "PTTL", "plain")
	at := strconv.FormatInt(clk.Now()+1500, 10)
	c.expect(":"+at+"\r\n", "PEXPIRETIME", "k")
	clk.Advance(1000 * time.Millisecond)
	c.expect(":500\r\n", "PTTL", "k")
	c.expect(":1\r\n", "TTL", "k")
	clk.Advance(1 * time.Millisecond)
	c.expect(":499\r\n", "PTTL", "k")
	c.expect(":0\r\n", "TTL", "k")
	c.expect(":"+at+"\r\n", "PEXPIRETIME", "k") // absolute: unchanged by time
	clk.Advance(498 * time.Millisecond)
	c.expect(":1\r\n", "PTTL", "k")
	c.expect("$1\r\nv\r\n", "GET", "k")
	clk.Advance(1 * time.Millisecond) // the key lives through its last millisecond
	c.expect(":0\r\n", "PTTL", "k")
	c.expect("$1\r\nv\r\n", "GET", "k")
	clk.Advance(1 * time.Millisecond)
	c.expect(":-2\r\n", "PTTL", "k")
	c.expect("$-1\r\n", "GET", "k")
	c.expect(":0\r\n", "PERSIST", "k")
	c.expect(":0\r\n", "EXPIRE", "k", "10")

	// A TTL set with EXPIREAT counts down the same way, and PERSIST stops it.
	c.expect("+OK\r\n", "SET", "k", "v")
	c.expect(":1\r\n", "EXPIREAT", "k", strconv.FormatInt(clk.Now()/1000+100, 10))
	c.expect(":1\r\n", "PERSIST", "k")
	clk.Advance(time.Hour)
	c.expect("$1\r\nv\r\n", "GET", "k")

	// PTTL is exact at the far end of the clock.
	c.expect(":1\r\n", "PEXPIREAT", "k", strconv.FormatInt(math.MaxInt64, 10))
	c.expect(":"+strconv.FormatInt(math.MaxInt64-clk.Now(), 10)+"\r\n", "PTTL", "k")
}

// TestActiveExpiry checks that keys nobody reads again are reclaimed by
// the expiry cycle the server's cron runs, counted as expired_keys, and
// that keys without a TTL are left alone.
func TestActiveExpiry(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	const volatile, persistent = 1000, 50
	for i := 0; i < volatile; i++ {
		c.send("SET", "v:"+strconv.Itoa(i), "x", "PX", strconv.Itoa(100+i))
	}
	for i := 0; i < persistent; i++ {
		c.send("SET", "p:"+strconv.Itoa(i), "x")
	}
	for i := 0; i < volatile+persistent; i++ {
		if got := c.read(); got != "+OK\r\n" {
			t.Fatalf("SET: %q", got)
		}
	}
	used := s.store.Used()
	c.expect(":"+strconv.Itoa(volatile+persistent)+"\r\n", "DBSIZE")
	clk.Advance(time.Hour)
	// The cron runs the same cycle concurrently; whichever runs, the keys
	// go. Each cycle visits every shard, and shards hold a few keys each,
	// so a handful of cycles is plenty.
	for i := 0; i < 100 && s.store.DB(0).Len() > persistent; i++ {
		s.store.ExpireCycle(time.Second)
	}
	c.expect(":"+strconv.Itoa(persistent)+"\r\n", "DBSIZE")
	if got := s.store.Stats().Expired.Load(); got != volatile {
		t.Errorf("expired keys %d, want %d", got, volatile)
	}
	if after := s.store.Used(); after >= used {
		t.Errorf("used memory %d after expiry, was %d", after, used)
	}
	if n := s.store.DB(0).Expires(); n != 0 {
		t.Errorf("%d keys with a TTL remain", n)
	}
}

// TestKeysGoRedis drives the keyspace and expiry commands through go-redis,
// in RESP2 and in RESP3 as it speaks by default.
func TestKeysGoRedis(t *testing.T) {
	s := startServer(t, Config{})
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto, DisableIndentity: true})
			defer rdb.Close()
			ctx := context.Background()
			if err := rdb.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("FLUSHDB: %v", err)
			}
			var want []string
			for i := 0; i < 50; i++ {
				k := "user:" + strconv.Itoa(i)
				want = append(want, k)
				if err := rdb.Set(ctx, k, i, 0).Err(); err != nil {
					t.Fatalf("SET: %v", err)
				}
			}
			var got []string
			iter := rdb.Scan(ctx, 0, "user:*", 7).Iterator()
			for iter.Next(ctx) {
				got = append(got, iter.Val())
			}
			if err := iter.Err(); err != nil {
				t.Fatalf("SCAN: %v", err)
			}
			slices.Sort(got)
			if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
				t.Fatalf("SCAN returned %d keys, want %d", len(got), len(want))
			}
			if ok, err := rdb.Expire(ctx, "user:1", time.Minute).Result(); !ok || err != nil {
				t.Fatalf("EXPIRE: %v %v", ok, err)
			}
			if d, err := rdb.TTL(ctx, "user:1").Result(); d != time.Minute || err != nil {
				t.Fatalf("TTL: %v %v", d, err)
			}
			if ok, err := rdb.ExpireGT(ctx, "user:1", time.Second).Result(); ok || err != nil {
				t.Fatalf("EXPIRE GT: %v %v", ok, err)
			}
			if d, err := rdb.TTL(ctx, "user:2").Result(); d != -1 || err != nil {
				t.Fatalf("TTL without expiry: %v %v", d, err)
			}
			if typ, err := rdb.Type(ctx, "user:1").Result(); typ != "string" || err != nil {
				t.Fatalf("TYPE: %q %v", typ, err)
			}
			if err := rdb.Rename(ctx, "user:1", "renamed").Err(); err != nil {
				t.Fatalf("RENAME: %v", err)
			}
			if err := rdb.Rename(ctx, "user:1", "x").Err(); err == nil || err.Error() != msgNoSuchKey {
				t.Fatalf("RENAME of a missing key: %v", err)
			}
			if n, err := rdb.Copy(ctx, "renamed", "copied", 1, false).Result(); n != 1 || err != nil {
				t.Fatalf("COPY: %v %v", n, err)
			}
			if ok, err := rdb.Move(ctx, "renamed", 2).Result(); !ok || err != nil {
				t.Fatalf("MOVE: %v %v", ok, err)
			}
			if n, err := rdb.Exists(ctx, "renamed", "user:2", "user:2").Result(); n != 2 || err != nil {
				t.Fatalf("EXISTS: %v %v", n, err)
			}
			if enc, err := rdb.ObjectEncoding(ctx, "user:2").Result(); enc != "int" || err != nil {
				t.Fatalf("OBJECT ENCODING: %q %v", enc, err)
			}
			if n, err := rdb.DBSize(ctx).Result(); n != 49 || err != nil {
				t.Fatalf("DBSIZE: %v %v", n, err)
			}
			if err := rdb.FlushAll(ctx).Err(); err != nil {
				t.Fatalf("FLUSHALL: %v", err)
			}
			if _, err := rdb.RandomKey(ctx).Result(); err != redis.Nil {
				t.Fatalf("RANDOMKEY on an empty db: %v", err)
			}
		})
	}
}
