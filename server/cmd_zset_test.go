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

// TestZSetCommands replays command sequences with replies recorded from
// redis-server 7.0.15 (conformance/testdata/zset.txt has many more).
func TestZSetCommands(t *testing.T) {
	s := startServer(t, Config{})
	runScripts(t, s, []scriptCase{
		{"add and flags", []scriptStep{
			st(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c"),
			st(":1\r\n", "ZADD", "z", "NX", "5", "a", "4", "d"),
			st(":1\r\n", "ZADD", "z", "XX", "CH", "10", "a", "9", "nosuch"),
			st(":0\r\n", "ZADD", "z", "GT", "CH", "1", "a"),
			st("$2\r\n12\r\n", "ZADD", "z", "INCR", "2", "a"),
			st("$-1\r\n", "ZADD", "z", "NX", "INCR", "1", "a"),
			st("$3\r\n4.5\r\n", "ZINCRBY", "z", "0.5", "d"),
			st("-ERR XX and NX options at the same time are not compatible\r\n", "ZADD", "z", "NX", "XX", "1", "a"),
			st("-ERR GT, LT, and/or NX options at the same time are not compatible\r\n", "ZADD", "z", "GT", "LT", "1", "a"),
			st("-ERR INCR option supports a single increment-element pair\r\n", "ZADD", "z", "INCR", "1", "a", "2", "b"),
			st("-ERR syntax error\r\n", "ZADD", "z", "1", "a", "2"),
			st("-ERR value is not a valid float\r\n", "ZADD", "z", "nan", "a"),
			st(":1\r\n", "ZADD", "z", "inf", "i"),
			st("-ERR resulting score is not a number (NaN)\r\n", "ZADD", "z", "INCR", "-inf", "i"),
		}},
		{"scores", []scriptStep{
			st(":4\r\n", "ZADD", "z", "0.1", "a", "1e20", "b", "-0", "c", "0x10", "d"),
			st("$19\r\n0.10000000000000001\r\n", "ZSCORE", "z", "a"),
			st("$5\r\n1e+20\r\n", "ZSCORE", "z", "b"),
			st("$1\r\n0\r\n", "ZSCORE", "z", "c"),
			st("$2\r\n16\r\n", "ZSCORE", "z", "d"),
			st("*3\r\n$2\r\n16\r\n$-1\r\n$1\r\n0\r\n", "ZMSCORE", "z", "d", "x", "c"),
			st("$2\r\n-0\r\n", "ZINCRBY", "z", "-0", "e"),
		}},
		{"ranges", []scriptStep{
			st(":4\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"),
			st(bulks("b", "c"), "ZRANGE", "z", "1", "2"),
			st(bulks("d", "4", "c", "3"), "ZRANGE", "z", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "0", "2", "WITHSCORES"),
			st(bulks("b", "c"), "ZRANGEBYSCORE", "z", "(1", "3"),
			st(bulks("c", "b"), "ZREVRANGEBYSCORE", "z", "3", "(1"),
			st(":2\r\n", "ZRANK", "z", "c"),
			st(":1\r\n", "ZREVRANK", "z", "c"),
			st(":3\r\n", "ZCOUNT", "z", "-inf", "(4"),
			st("-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n", "ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"),
			st("-ERR min or max is not a float\r\n", "ZRANGEBYSCORE", "z", "x", "1"),
			st(":2\r\n", "ZRANGESTORE", "dst", "z", "0", "1"),
			st(":2\r\n", "ZREMRANGEBYRANK", "z", "0", "1"),
			st(bulks("c", "d"), "ZRANGE", "z", "0", "-1"),
		}},
		{"lex", []scriptStep{
			st(":4\r\n", "ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d"),
			st(bulks("b", "c"), "ZRANGEBYLEX", "z", "[b", "(d"),
			st(bulks("d", "c"), "ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "0", "2"),
			st(":3\r\n", "ZLEXCOUNT", "z", "(a", "+"),
			st(":2\r\n", "ZREMRANGEBYLEX", "z", "-", "[b"),
			st("-ERR min or max not valid string range item\r\n", "ZRANGEBYLEX", "z", "a", "+"),
		}},
		{"pops", []scriptStep{
			st(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c"),
			st(bulks("a", "1"), "ZPOPMIN", "z"),
			st(bulks("c", "3", "b", "2"), "ZPOPMAX", "z", "5"),
			st("*0\r\n", "ZPOPMIN", "z"),
			st("-ERR value is out of range, must be positive\r\n", "ZPOPMIN", "z", "-1"),
			st(":1\r\n", "ZADD", "z", "1", "a"),
			st("*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", "ZMPOP", "1", "z", "MIN", "COUNT", "3"),
			st("*-1\r\n", "ZMPOP", "1", "z", "MIN"),
		}},
		{"set operations", []scriptStep{
			st(":2\r\n", "ZADD", "a", "1", "x", "2", "y"),
			st(":2\r\n", "ZADD", "b", "3", "y", "4", "z"),
			st(":3\r\n", "ZUNIONSTORE", "u", "2", "a", "b", "WEIGHTS", "2", "1"),
			st(bulks("x", "2", "z", "4", "y", "7"), "ZRANGE", "u", "0", "-1", "WITHSCORES"),
			st(bulks("y", "3"), "ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES"),
			st(bulks("x"), "ZDIFF", "2", "a", "b"),
			st(":1\r\n", "ZINTERCARD", "2", "a", "b"),
			st("-ERR at least 1 input key is needed for 'zunionstore' command\r\n", "ZUNIONSTORE", "u", "0", "a"),
			st("-ERR weight value is not a float\r\n", "ZUNION", "1", "a", "WEIGHTS", "x"),
		}},
		{"type encoding scan", []scriptStep{
			st(":2\r\n", "ZADD", "z", "1.5", "a", "2", "b"),
			st("+zset\r\n", "TYPE", "z"),
			st("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "z"),
			st("*2\r\n$1\r\n0\r\n"+bulks("a", "1.5", "b", "2"), "ZSCAN", "z", "0"),
			st(":1\r\n", "ZADD", "z", "1", "0123456789012345678901234567890123456789012345678901234567890123456789"),
			st("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "z"),
		}},
	})
}

// TestZSetResp3 checks RESP3's forms: doubles, score pairs as nested
// arrays, nulls.
func TestZSetResp3(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.do("HELLO", "3")
	c.expect(":2\r\n", "ZADD", "z", "1.5", "a", "inf", "b")
	c.expect(",1.5\r\n", "ZSCORE", "z", "a")
	c.expect("_\r\n", "ZSCORE", "z", "x")
	c.expect("*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,inf\r\n", "ZRANGE", "z", "0", "-1", "WITHSCORES")
	c.expect("*2\r\n$1\r\na\r\n,1.5\r\n", "ZPOPMIN", "z")
	c.expect("*1\r\n*2\r\n$1\r\nb\r\n,inf\r\n", "ZPOPMIN", "z", "1")
	c.expect("_\r\n", "BZPOPMIN", "z", "0.01")
}

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
