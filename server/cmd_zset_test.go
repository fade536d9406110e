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

// TestZSetMemoryAccounting: used_memory follows a sorted set as it grows
// and shrinks, and returns to where it was when it is gone.
func TestZSetMemoryAccounting(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	before := s.store.Used()
	args := []string{"ZADD", "z"}
	for i := 0; i < 1000; i++ {
		args = append(args, strconv.Itoa(i), fmt.Sprintf("member-%06d", i))
	}
	c.expect(":1000\r\n", args...)
	grown := s.store.Used() - before
	if grown < 50_000 || grown > 400_000 {
		t.Errorf("1000 members cost %d bytes", grown)
	}
	if n := memoryUsage(t, c, "z"); n < grown/2 {
		t.Errorf("MEMORY USAGE %d, used grew by %d", n, grown)
	}
	c.expect(":990\r\n", "ZREMRANGEBYRANK", "z", "10", "-1")
	if shrunk := s.store.Used() - before; shrunk > grown/10 {
		t.Errorf("after removing 990 members: %d bytes", shrunk)
	}
	c.expect(":10\r\n", "ZUNIONSTORE", "z2", "1", "z")
	c.expect(":2\r\n", "DEL", "z", "z2")
	if s.store.Used() != before {
		t.Errorf("used %d after DEL, %d before", s.store.Used(), before)
	}
}

// TestZSetGoRedis uses sorted sets through go-redis's typed API in both
// protocols, BZPOPMIN woken by a producer included.
func TestZSetGoRedis(t *testing.T) {
	s := startServer(t, Config{})
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto})
			t.Cleanup(func() { rdb.Close() })
			rdb.FlushAll(ctx)
			n, err := rdb.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}, redis.Z{Score: 3, Member: "c"}).Result()
			if err != nil || n != 3 {
				t.Fatalf("ZADD: %d %v", n, err)
			}
			if got := rdb.ZRangeWithScores(ctx, "z", 0, -1).Val(); !slices.Equal(got, []redis.Z{{Score: 1, Member: "a"}, {Score: 2.5, Member: "b"}, {Score: 3, Member: "c"}}) {
				t.Errorf("ZRANGE WITHSCORES: %v", got)
			}
			if got := rdb.ZRangeByScore(ctx, "z", &redis.ZRangeBy{Min: "(1", Max: "+inf", Count: 1}).Val(); !slices.Equal(got, []string{"b"}) {
				t.Errorf("ZRANGEBYSCORE: %v", got)
			}
			if got := rdb.ZIncrBy(ctx, "z", 0.25, "a").Val(); got != 1.25 {
				t.Errorf("ZINCRBY: %v", got)
			}
			if got, err := rdb.ZScore(ctx, "z", "b").Result(); err != nil || got != 2.5 {
				t.Errorf("ZSCORE: %v %v", got, err)
			}
			if got := rdb.ZRank(ctx, "z", "c").Val(); got != 2 {
				t.Errorf("ZRANK: %d", got)
			}
			if got := rdb.ZMScore(ctx, "z", "a", "nosuch").Val(); len(got) != 2 || got[0] != 1.25 || got[1] != 0 {
				t.Errorf("ZMSCORE: %v", got)
			}
			if got := rdb.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"z", "z"}}).Val(); len(got) != 3 || got[2].Score != 6 {
				t.Errorf("ZUNION WITHSCORES: %v", got)
			}
			keys, cursor, err := rdb.ZScan(ctx, "z", 0, "*", 10).Result()
			if err != nil || cursor != 0 || len(keys) != 6 {
				t.Errorf("ZSCAN: %v %d %v", keys, cursor, err)
			}
			if got := rdb.ZPopMin(ctx, "z", 2).Val(); len(got) != 2 || got[0].Member != "a" || got[1].Score != 2.5 {
				t.Errorf("ZPOPMIN 2: %v", got)
			}
			if got := rdb.ZRandMemberWithScores(ctx, "z", 1).Val(); len(got) != 1 || got[0].Member != "c" {
				t.Errorf("ZRANDMEMBER WITHSCORES: %v", got)
			}

			go func() {
				waitFor(t, "the consumer blocked", func() bool { return s.blocking.blocked() == 1 })
				rdb.ZAdd(ctx, "jobs", redis.Z{Score: float64(time.Now().Unix()), Member: "job"})
			}()
			got, err := rdb.BZPopMin(ctx, 5*time.Second, "jobs").Result()
			if err != nil || got.Key != "jobs" || got.Member != "job" {
				t.Errorf("BZPOPMIN: %+v %v", got, err)
			}
		})
	}
}

// TestFloatArguments checks score, range and timeout parsing against what
// Redis 7.0.15 accepts (strtod's syntax with Redis's checks on top).
func TestFloatArguments(t *testing.T) {
	scores := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1.5", -1.5, true}, {".5", 0.5, true}, {"5.", 5, true}, {"1e3", 1000, true},
		{"0x10", 16, true}, {"0x1p-2", 0.25, true}, {"0X.8", 0.5, true}, {"inf", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true}, {"4e-320", 4e-320, true},
		{"", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"nan", 0, false}, {"NaN(1)", 0, false},
		{"1e400", 0, false}, {"1e-400", 0, false}, {"0x", 0, false}, {"1_0", 0, false}, {"1e", 0, false},
		{"+", 0, false}, {".", 0, false}, {"infinit", 0, false}, {"0x1p", 0, false},
	}
	for _, tt := range scores {
		got, ok := parseScore([]byte(tt.in))
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("parseScore(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	bounds := []struct {
		in     string
		want   float64
		ex, ok bool
	}{
		{"(1", 1, true, true}, {"", 0, false, true}, {"(", 0, true, true}, {" 2", 2, false, true},
		{"1e400", math.Inf(1), false, true}, {"[1", 0, false, false}, {" ", 0, false, false}, {"nan", 0, false, false},
	}
	for _, tt := range bounds {
		got, ex, ok := parseScoreBound([]byte(tt.in))
		if ok != tt.ok || ok && (got != tt.want || ex != tt.ex) {
			t.Errorf("parseScoreBound(%q) = %v %v %v", tt.in, got, ex, ok)
		}
	}
	s := startServer(t, Config{})
	timeouts := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""}, {"1.5", 1500 * time.Millisecond, ""}, {"0.0001", time.Millisecond, ""},
		{"1e-400", time.Millisecond, ""}, {"-0", 0, ""}, {"0x10", 16 * time.Second, ""},
		{"9223372036854775", 0, ""}, // past 64-bit time: never
		{"-0.5", 0, msgTimeoutNegative}, {"inf", 0, msgTimeoutNegative}, {"1e400", 0, msgTimeoutNegative},
		{"1e5000", 0, msgTimeoutNotFloat}, {"1e-5000", 0, msgTimeoutNotFloat}, {"x", 0, msgTimeoutNotFloat},
		{" 1", 0, msgTimeoutNotFloat}, {"nan", 0, msgTimeoutNotFloat},
	}
	for _, tt := range timeouts {
		c := &client{srv: s}
		got, ok := parseBlockTimeout(c, []byte(tt.in))
		errText := ""
		if !ok {
			errText = string(c.out.Bytes()[1 : c.out.Len()-2])
		}
		if errText != tt.err || ok && got != tt.want {
			t.Errorf("parseBlockTimeout(%q) = %v, %q; want %v, %q", tt.in, got, errText, tt.want, tt.err)
		}
	}
}

// FuzzCFloatSyntax: whatever the input, the strtod syntax check neither
// panics nor accepts text Go's parser then refuses (infinities and NaNs
// aside, which the callers handle).
func FuzzCFloatSyntax(f *testing.F) {
	for _, s := range []string{"1", "-1.5e10", "0x1.8p3", "0x10", ".5", "inf", "nan(x)", " 1", "1e", "0x", "1_0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm, ok := cFloatSyntax(s, true)
		if !ok || isInfText(norm) || isNaNText(norm) {
			return
		}
		if _, err := strconv.ParseFloat(norm, 64); err != nil && !isRangeErr(err) {
			t.Errorf("%q accepted as %q, which ParseFloat refuses: %v", s, norm, err)
		}
		parseScore([]byte(s))
	})
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// TestZRandMemberDistinct draws distinct members by both of its methods
// (shuffle for most of the set, draws for a few) and with repetitions.
func TestZRandMemberDistinct(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	args := []string{"ZADD", "z"}
	for i := 0; i < 100; i++ {
		args = append(args, strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	c.do(args...)
	for _, count := range []int{5, 60, 99} {
		got := parseBulks(t, c.do("ZRANDMEMBER", "z", strconv.Itoa(count)))
		seen := map[string]bool{}
		for _, m := range got {
			if seen[m] || len(m) < 2 || m[0] != 'm' {
				t.Errorf("ZRANDMEMBER %d: bad or repeated member %q", count, m)
			}
			seen[m] = true
		}
		if len(got) != count {
			t.Errorf("ZRANDMEMBER %d returned %d members", count, len(got))
		}
	}
	if got := parseBulks(t, c.do("ZRANDMEMBER", "z", "-300", "WITHSCORES")); len(got) != 600 {
		t.Errorf("ZRANDMEMBER -300 WITHSCORES returned %d items", len(got))
	}
}
