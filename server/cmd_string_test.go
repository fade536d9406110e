package server

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestStringExpiry moves a test clock to check that the TTLs string
// commands set, keep or drop behave as in Redis.
func TestStringExpiry(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "px", "v", "PX", "100")
	c.expect("+OK\r\n", "SETEX", "ex", "1", "v")
	c.expect("+OK\r\n", "PSETEX", "psetex", "100", "v")
	c.expect("+OK\r\n", "SET", "keep", "v", "PX", "100")
	c.expect("+OK\r\n", "SET", "keep", "v2", "KEEPTTL")
	c.expect("+OK\r\n", "SET", "drop", "v", "PX", "100")
	c.expect("+OK\r\n", "SET", "drop", "v2")
	c.expect("+OK\r\n", "SET", "getset", "v", "PX", "100")
	c.expect("$1\r\nv\r\n", "GETSET", "getset", "v2")
	c.expect("+OK\r\n", "SET", "incr", "1", "PX", "100")
	c.expect(":2\r\n", "INCR", "incr")
	c.expect("+OK\r\n", "SET", "float", "1", "PX", "100")
	c.expect("$3\r\n1.5\r\n", "INCRBYFLOAT", "float", "0.5")
	c.expect("+OK\r\n", "SET", "append", "a", "PX", "100")
	c.expect(":2\r\n", "APPEND", "append", "b")
	c.expect("+OK\r\n", "SET", "setrange", "a", "PX", "100")
	c.expect(":2\r\n", "SETRANGE", "setrange", "1", "b")
	c.expect("+OK\r\n", "SET", "getex", "v")
	c.expect("$1\r\nv\r\n", "GETEX", "getex", "PX", "100")
	c.expect("+OK\r\n", "SET", "persist", "v", "PX", "100")
	c.expect("$1\r\nv\r\n", "GETEX", "persist", "PERSIST")
	c.expect("+OK\r\n", "SET", "pxat", "v", "PXAT", strconv.FormatInt(clk.Now()+100, 10))

	clk.Advance(99 * time.Millisecond)
	c.expect("*4\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n", "MGET", "px", "ex", "psetex", "pxat")
	c.expect(":1\r\n", "PTTL", "keep")

	clk.Advance(2 * time.Millisecond)
	for _, key := range []string{"px", "psetex", "keep", "incr", "float", "append", "setrange", "getex", "pxat"} {
		c.expect("$-1\r\n", "GET", key)
	}
	c.expect("$2\r\nv2\r\n", "GET", "drop")
	c.expect("$2\r\nv2\r\n", "GET", "getset")
	c.expect("$1\r\nv\r\n", "GET", "persist")
	c.expect("$1\r\nv\r\n", "GET", "ex")

	clk.Advance(time.Second)
	c.expect("$-1\r\n", "GET", "ex")
	// SETNX and MSETNX see an expired key as absent.
	c.expect(":1\r\n", "SETNX", "px", "new")
	c.expect(":1\r\n", "MSETNX", "psetex", "1", "keep", "2")
}

// TestStringConcurrent runs writers on several connections at once: INCR
// must lose no update, and MGET must never see half of an MSET whose keys
// fall in different shards.
func TestStringConcurrent(t *testing.T) {
	s := startServer(t, Config{})
	const clients, rounds = 4, 200
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		c := dial(t, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := strconv.Itoa(i)
			for j := 0; j < rounds; j++ {
				if got := c.do("INCR", "counter"); !strings.HasPrefix(got, ":") {
					t.Errorf("INCR: %q", got)
					return
				}
				if got := c.do("MSET", "pair:a", v, "pair:b", v, "pair:c", v); got != "+OK\r\n" {
					t.Errorf("MSET: %q", got)
					return
				}
				got := c.do("MGET", "pair:a", "pair:b", "pair:c")
				if parts := strings.Split(got, "\r\n"); len(parts) < 7 || parts[2] != parts[4] || parts[4] != parts[6] {
					t.Errorf("MGET saw a torn MSET: %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
	dial(t, s).expect(":"+strconv.Itoa(clients*rounds)+"\r\n", "INCRBY", "counter", "0")
}

// TestStringGoRedis uses the string commands through go-redis v9, as an
// application would.
func TestStringGoRedis(t *testing.T) {
	s := startServer(t, Config{})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()

	if err := rdb.Set(ctx, "greeting", "hello", time.Minute).Err(); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if v, err := rdb.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if _, err := rdb.Get(ctx, "missing").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("Get(missing) error = %v, want redis.Nil", err)
	}
	if ok, err := rdb.SetNX(ctx, "greeting", "other", 0).Result(); err != nil || ok {
		t.Fatalf("SetNX = %v, %v", ok, err)
	}
	if old, err := rdb.SetArgs(ctx, "greeting", "hi", redis.SetArgs{KeepTTL: true, Get: true}).Result(); err != nil || old != "hello" {
		t.Fatalf("SetArgs = %q, %v", old, err)
	}
	if ttl, err := rdb.TTL(ctx, "greeting").Result(); err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL after KEEPTTL = %v, %v", ttl, err)
	}
	if n, err := rdb.IncrBy(ctx, "hits", 41).Result(); err != nil || n != 41 {
		t.Fatalf("IncrBy = %d, %v", n, err)
	}
	if n, err := rdb.Incr(ctx, "hits").Result(); err != nil || n != 42 {
		t.Fatalf("Incr = %d, %v", n, err)
	}
	if f, err := rdb.IncrByFloat(ctx, "price", 10.5).Result(); err != nil || f != 10.5 {
		t.Fatalf("IncrByFloat = %v, %v", f, err)
	}
	if err := rdb.MSet(ctx, "a", "1", "b", "2").Err(); err != nil {
		t.Fatalf("MSet: %v", err)
	}
	if vs, err := rdb.MGet(ctx, "a", "missing", "b").Result(); err != nil || len(vs) != 3 || vs[0] != "1" || vs[1] != nil || vs[2] != "2" {
		t.Fatalf("MGet = %v, %v", vs, err)
	}
	if n, err := rdb.Append(ctx, "a", "23").Result(); err != nil || n != 3 {
		t.Fatalf("Append = %d, %v", n, err)
	}
	if v, err := rdb.GetRange(ctx, "a", 1, -1).Result(); err != nil || v != "23" {
		t.Fatalf("GetRange = %q, %v", v, err)
	}
	if v, err := rdb.GetEx(ctx, "a", time.Hour).Result(); err != nil || v != "123" {
		t.Fatalf("GetEx = %q, %v", v, err)
	}
	if v, err := rdb.GetDel(ctx, "a").Result(); err != nil || v != "123" {
		t.Fatalf("GetDel = %q, %v", v, err)
	}
	if err := rdb.Incr(ctx, "greeting").Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Fatalf("Incr on text: %v", err)
	}
	rdb.Set(ctx, "x", "ohmytext", 0)
	rdb.Set(ctx, "y", "mynewtext", 0)
	if v, err := rdb.LCS(ctx, &redis.LCSQuery{Key1: "x", Key2: "y"}).Result(); err != nil || v.MatchString != "mytext" {
		t.Fatalf("LCS = %+v, %v", v, err)
	}
}

// TestLCSTableLimit checks that LCS refuses strings whose table would pass
// maxLCSCells, with Redis's reply to a failed allocation, instead of
// allocating it.
func TestLCSTableLimit(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	n := int(math.Sqrt(maxLCSCells)) + 1
	c.expect("+OK\r\n", "SET", "a", strings.Repeat("a", n))
	c.expect("+OK\r\n", "SET", "b", strings.Repeat("b", n))
	c.expect("-ERR Insufficient memory, failed allocating transient memory for LCS\r\n", "LCS", "a", "b")
	c.expect(":0\r\n", "LCS", "a", "nokey", "LEN")
}

// FuzzParseLongDouble checks that parseLongDouble never panics, agrees with
// strconv.ParseFloat on plain decimal text within float64's range, and
// reads back whatever formatLongDouble writes.
func FuzzParseLongDouble(f *testing.F) {
	for _, s := range []string{
		"1.5", "-0", "0x1p3", "0x1.8", "1e400", "inf", "-Infinity", "nan", ".5", "5.", "+3", "1e", "0x", " 1",
		"3.0000000000000001", "1.18973149535723176502e+4932", "1.8e-4951", "0e99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, ok := parseLongDouble([]byte(s))
		if strings.Trim(s, "0123456789.eE+-") == "" {
			g, err := strconv.ParseFloat(s, 64)
			inRange := err == nil && math.Abs(g) > 1e-300 && math.Abs(g) < 1e300
			if inRange && !ok {
				t.Fatalf("parseLongDouble(%q) refused what ParseFloat reads as %v", s, g)
			}
			if inRange {
				if got, _ := x.Float64(); math.Abs(got-g) > 1e-15*math.Abs(g) {
					t.Fatalf("parseLongDouble(%q) = %v, ParseFloat %v", s, got, g)
				}
			}
			if err != nil && !errors.Is(err, strconv.ErrRange) && ok {
				t.Fatalf("parseLongDouble(%q) accepted what ParseFloat refuses: %v", s, err)
			}
		}
		if ok && !x.IsInf() {
			out := formatLongDouble(x)
			if _, ok := parseLongDouble(out); !ok {
				t.Fatalf("formatLongDouble(parseLongDouble(%q)) = %q does not read back", s, out)
			}
		}
	})
}
