package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestHashRandomCounts checks HRANDFIELD's counts on a hashtable: distinct
// fields for a positive count (both of Redis's strategies), repetition for
// a negative one, and Strata's bound on the latter.
func TestHashRandomCounts(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	args := []string{"HSET", "h"}
	for i := 0; i < 600; i++ {
		args = append(args, fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i))
	}
	c.do(args...)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	for _, count := range []int{5, 300, 599} {
		kvs, err := rdb.HRandFieldWithValues(ctx, "h", count).Result()
		if err != nil || len(kvs) != count {
			t.Fatalf("HRANDFIELD %d WITHVALUES: %d pairs, %v", count, len(kvs), err)
		}
		seen := map[string]bool{}
		for _, kv := range kvs {
			if seen[kv.Key] || "v"+kv.Key[1:] != kv.Value {
				t.Errorf("count %d: %s=%s repeated or mismatched", count, kv.Key, kv.Value)
			}
			seen[kv.Key] = true
		}
	}
	if n := len(rdb.HRandField(ctx, "h", -1000).Val()); n != 1000 {
		t.Errorf("HRANDFIELD -1000: %d fields", n)
	}
	c.expect("-ERR value is out of range\r\n", "HRANDFIELD", "h", "-9223372036854775807")
}

// TestHashScanLarge walks a hashtable-encoded hash with HSCAN's cursor, raw
// and through go-redis's iterator, changing it between steps: the fields
// present throughout come back exactly once.
func TestHashScanLarge(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	args := []string{"HSET", "h"}
	for i := 0; i < 1000; i++ {
		args = append(args, fmt.Sprintf("f%d", i), "v")
	}
	c.expect(":1000\r\n", args...)
	c.expect("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "h")
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	seen := map[string]int{}
	cursor, steps := uint64(0), 0
	for {
		kvs, next, err := rdb.HScan(ctx, "h", cursor, "f*", 25).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(kvs); i += 2 {
			seen[kvs[i]]++
		}
		rdb.HDel(ctx, "h", fmt.Sprintf("f%d", 999-steps))
		rdb.HSet(ctx, "h", fmt.Sprintf("new%d", steps), "v")
		steps++
		if cursor = next; cursor == 0 || steps > 1000 {
			break
		}
	}
	if steps < 10 {
		t.Errorf("a 1000-field hash scanned in %d steps of COUNT 25", steps)
	}
	for i := 0; i < 500; i++ {
		if f := fmt.Sprintf("f%d", i); seen[f] != 1 {
			t.Fatalf("%s returned %d times", f, seen[f])
		}
	}
	for f := range seen {
		if strings.HasPrefix(f, "new") {
			t.Fatalf("MATCH f* returned %s", f)
		}
	}
	n := 0
	iter := rdb.HScan(ctx, "h", 0, "", 50).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil || n != 2*int(rdb.HLen(ctx, "h").Val()) {
		t.Errorf("iterator: %d fields and values, %v", n, err)
	}
}

// TestHashGoRedis uses the hash commands through go-redis's typed API, in
// RESP2 and RESP3, as applications do.
func TestHashGoRedis(t *testing.T) {
	s := startServer(t, Config{})
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto})
			t.Cleanup(func() { rdb.Close() })
			key := fmt.Sprintf("user:%d", proto)
			if n, err := rdb.HSet(ctx, key, "name", "ada", "visits", 1, "score", "1.5").Result(); err != nil || n != 3 {
				t.Fatalf("HSET: %d, %v", n, err)
			}
			if m := rdb.HGetAll(ctx, key).Val(); len(m) != 3 || m["name"] != "ada" || m["visits"] != "1" {
				t.Errorf("HGETALL: %v", m)
			}
			if n := rdb.HIncrBy(ctx, key, "visits", 41).Val(); n != 42 {
				t.Errorf("HINCRBY: %d", n)
			}
			if f := rdb.HIncrByFloat(ctx, key, "score", 0.25).Val(); f != 1.75 {
				t.Errorf("HINCRBYFLOAT: %v", f)
			}
			if v := rdb.HMGet(ctx, key, "name", "missing").Val(); len(v) != 2 || v[0] != "ada" || v[1] != nil {
				t.Errorf("HMGET: %#v", v)
			}
			if ok := rdb.HSetNX(ctx, key, "name", "bob").Val(); ok {
				t.Error("HSETNX overwrote a field")
			}
			if ok := rdb.HExists(ctx, key, "name").Val(); !ok {
				t.Error("HEXISTS: false")
			}
			if keys := rdb.HKeys(ctx, key).Val(); !slices.Equal(keys, []string{"name", "visits", "score"}) {
				t.Errorf("HKEYS: %v", keys)
			}
			if kvs := rdb.HRandFieldWithValues(ctx, key, 10).Val(); len(kvs) != 3 {
				t.Errorf("HRANDFIELD WITHVALUES: %v", kvs)
			}
			if err := rdb.HGet(ctx, key, "missing").Err(); err != redis.Nil {
				t.Errorf("HGET missing: %v", err)
			}
			if n := rdb.HDel(ctx, key, "name", "visits", "score").Val(); n != 3 {
				t.Errorf("HDEL: %d", n)
			}
			if n := rdb.Exists(ctx, key).Val(); n != 0 {
				t.Error("the emptied hash still exists")
			}
			rdb.Set(ctx, key, "string", 0)
			if err := rdb.HGet(ctx, key, "f").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
				t.Errorf("HGET on a string: %v", err)
			}
		})
	}
}

// TestHashAndSetWithKeyCommands checks that the keyspace commands treat
// hashes and sets as values like any other: TYPE, SCAN TYPE, MEMORY USAGE
// (which follows in-place growth), COPY (a deep copy), RENAME, MOVE,
// EXPIRE (kept by in-place writes) and DEL.
func TestHashAndSetWithKeyCommands(t *testing.T) {
	s := startServer(t, Config{Clock: newTestClock().Now})
	c := dial(t, s)
	c.expect(":2\r\n", "HSET", "h", "a", "1", "b", "2")
	c.expect(":2\r\n", "SADD", "s", "1", "2")
	c.expect("+hash\r\n", "TYPE", "h")
	c.expect("+set\r\n", "TYPE", "s")
	c.expect("*2\r\n$1\r\n0\r\n"+bulks("h"), "SCAN", "0", "TYPE", "hash", "COUNT", "1000")
	c.expect("*2\r\n$1\r\n0\r\n"+bulks("s"), "SCAN", "0", "TYPE", "set", "COUNT", "1000")

	memory := func(key string) int64 {
		t.Helper()
		n, err := strconv.ParseInt(strings.Trim(c.do("MEMORY", "USAGE", key), ":\r\n"), 10, 64)
		if err != nil {
			t.Fatalf("MEMORY USAGE %s: %v", key, err)
		}
		return n
	}
	hashBefore, setBefore, usedBefore := memory("h"), memory("s"), s.store.Used()
	big := strings.Repeat("v", 100)
	for i := 0; i < 100; i++ {
		c.do("HSET", "h", fmt.Sprintf("field%d", i), big)
		c.do("SADD", "s", fmt.Sprintf("member%d-%s", i, big))
	}
	if grown := memory("h") - hashBefore; grown < 100*100 {
		t.Errorf("MEMORY USAGE of the hash grew by %d after 10 kB of values", grown)
	}
	if grown := memory("s") - setBefore; grown < 100*100 {
		t.Errorf("MEMORY USAGE of the set grew by %d after 10 kB of members", grown)
	}
	if grown := s.store.Used() - usedBefore; grown < 2*100*100 {
		t.Errorf("used memory grew by %d", grown)
	}

	c.expect(":1\r\n", "COPY", "h", "h2")
	c.expect(":1\r\n", "HSET", "h2", "only", "copy")
	c.expect(":0\r\n", "HEXISTS", "h", "only")
	c.expect(":1\r\n", "COPY", "s", "s2")
	c.expect(":1\r\n", "SREM", "s2", "1")
	c.expect(":1\r\n", "SISMEMBER", "s", "1")

	c.expect("+OK\r\n", "RENAME", "h", "h3")
	c.expect(":0\r\n", "EXISTS", "h")
	c.expect("$1\r\n2\r\n", "HGET", "h3", "b")
	c.expect(":1\r\n", "EXPIRE", "h3", "100")
	c.expect(":1\r\n", "HSET", "h3", "c", "3")
	c.expect(":1\r\n", "HDEL", "h3", "c")
	c.expect(":100\r\n", "TTL", "h3")
	c.expect(":1\r\n", "MOVE", "s", "1")
	c.expect("+OK\r\n", "SELECT", "1")
	c.expect(":1\r\n", "SISMEMBER", "s", "2")
	c.expect(":1\r\n", "DEL", "s")
	c.expect("+OK\r\n", "SELECT", "0")
	c.expect(":3\r\n", "DEL", "h3", "h2", "s2")
	c.expect(":0\r\n", "DBSIZE")
	if used := s.store.Used(); used != 0 {
		t.Errorf("used memory %d with no keys left", used)
	}
}

// TestHashAndSetSurviveRestart: hashes and sets persist through the disk
// tier's codec like strings, in a write_through and a write_back
// namespace, with their order, encodings and TTLs; in-place changes and
// deletions reach the disk too.
func TestHashAndSetSurviveRestart(t *testing.T) {
	cfg := tieredConfig(t.TempDir())
	s := startServer(t, cfg)
	c := dial(t, s)
	long := strings.Repeat("x", 100)
	for _, p := range []string{"wt:", "wb:"} {
		c.expect(":3\r\n", "HSET", p+"h", "c", "1", "a", "2", "b", "3")
		c.expect(":1\r\n", "HSET", p+"big", "f", long)
		c.expect(":3\r\n", "SADD", p+"ints", "30", "-1", "2")
		c.expect(":2\r\n", "SADD", p+"s", "x", "y")
		c.expect(":1\r\n", "EXPIRE", p+"h", "1000")
		c.expect(":1\r\n", "HSET", p+"gone", "f", "v")
		c.expect(":1\r\n", "HDEL", p+"gone", "f")
	}
	c.expect(":2\r\n", "HSET", "ca:h", "a", "1", "b", "2")
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	for _, p := range []string{"wt:", "wb:"} {
		c.expect("*6\r\n$1\r\nc\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n3\r\n", "HGETALL", p+"h")
		if ttl := c.do("TTL", p+"h"); ttl != ":1000\r\n" && ttl != ":999\r\n" {
			t.Errorf("TTL %sh after restart: %q", p, ttl)
		}
		c.expect("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", p+"big")
		c.expect(bulks("-1", "2", "30"), "SMEMBERS", p+"ints")
		c.expect("$6\r\nintset\r\n", "OBJECT", "ENCODING", p+"ints")
		c.expect(":2\r\n", "SCARD", p+"s")
		c.expect(":0\r\n", "EXISTS", p+"gone")
		// In-place changes after the restart persist as well.
		c.expect(":1\r\n", "HDEL", p+"h", "a")
		c.expect(":1\r\n", "SREM", p+"s", "x")
		c.expect(":42\r\n", "HINCRBY", p+"h", "c", "41")
	}
	c.expect("*0\r\n", "HGETALL", "ca:h")
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	for _, p := range []string{"wt:", "wb:"} {
		c.expect("*4\r\n$1\r\nc\r\n$2\r\n42\r\n$1\r\nb\r\n$1\r\n3\r\n", "HGETALL", p+"h")
		c.expect(bulks("y"), "SMEMBERS", p+"s")
	}
}

// TestHashAndSetNamespaceTTL: a hash or set that a write creates in a
// namespace with a TTL gets it; later in-place writes leave it alone.
func TestHashAndSetNamespaceTTL(t *testing.T) {
	_, c := ttlServer(t, 0.5)
	c.expect(":1\r\n", "HSET", "ttl:h", "a", "1")
	c.expect(":300000\r\n", "PTTL", "ttl:h")
	c.expect(":1\r\n", "PEXPIRE", "ttl:h", "1000")
	c.expect(":1\r\n", "HSET", "ttl:h", "b", "2")
	c.expect(":1000\r\n", "PTTL", "ttl:h")
	c.expect(":1\r\n", "SADD", "ttl:s", "a")
	c.expect(":300000\r\n", "PTTL", "ttl:s")
	c.expect(":1\r\n", "SUNIONSTORE", "ttl:u", "ttl:s")
	c.expect(":300000\r\n", "PTTL", "ttl:u")
	c.expect(":1\r\n", "HSET", "plain", "a", "1")
	c.expect(":-1\r\n", "PTTL", "plain")
}
