package server

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestCacheSetAndTags(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"set with tags", []string{"CACHE.SET", "p:1", "v1", "EX", "100", "TAGS", "product", "cat:5"}, "+OK\r\n"},
		{"tags sorted", []string{"CACHE.TAGS", "p:1"}, "*2\r\n$5\r\ncat:5\r\n$7\r\nproduct\r\n"},
		{"ttl kept", []string{"TTL", "p:1"}, ":100\r\n"},
		{"NX on existing", []string{"CACHE.SET", "p:1", "v2", "NX", "TAGS", "other"}, "$-1\r\n"},
		{"NX kept the tags", []string{"CACHE.TAGS", "p:1"}, "*2\r\n$5\r\ncat:5\r\n$7\r\nproduct\r\n"},
		{"XX on missing", []string{"CACHE.SET", "p:2", "v", "XX"}, "$-1\r\n"},
		{"XX missing untagged", []string{"CACHE.TAGS", "p:2"}, "*0\r\n"},
		{"GET option", []string{"CACHE.SET", "p:1", "v3", "GET", "KEEPTTL", "TAGS", "product"}, "$2\r\nv1\r\n"},
		{"TAGS replaced", []string{"CACHE.TAGS", "p:1"}, "*1\r\n$7\r\nproduct\r\n"},
		{"KEEPTTL", []string{"TTL", "p:1"}, ":100\r\n"},
		{"without TAGS tags stay", []string{"CACHE.SET", "p:1", "v4"}, "+OK\r\n"},
		{"tags stayed", []string{"CACHE.TAGS", "p:1"}, "*1\r\n$7\r\nproduct\r\n"},
		{"plain SET keeps tags", []string{"SET", "p:1", "v5"}, "+OK\r\n"},
		{"tags still", []string{"CACHE.TAGS", "p:1"}, "*1\r\n$7\r\nproduct\r\n"},
		{"tag adds", []string{"CACHE.TAG", "p:1", "a", "product", "b"}, ":2\r\n"},
		{"tagged", []string{"CACHE.TAGGED", "product"}, "*1\r\n$3\r\np:1\r\n"},
		{"tag missing key", []string{"CACHE.TAG", "nope", "a"}, "-ERR no such key\r\n"},
		{"tags of missing key", []string{"CACHE.TAGS", "nope"}, "*0\r\n"},
		{"TAGS without tags", []string{"CACHE.SET", "k", "v", "TAGS"}, "-ERR syntax error\r\n"},
		{"bad option", []string{"CACHE.SET", "k", "v", "FOO"}, "-ERR syntax error\r\n"},
		{"NX and XX", []string{"CACHE.SET", "k", "v", "NX", "XX"}, "-ERR syntax error\r\n"},
		{"EX not integer", []string{"CACHE.SET", "k", "v", "EX", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{"EX zero", []string{"CACHE.SET", "k", "v", "EX", "0"}, "-ERR invalid expire time in 'cache.set' command\r\n"},
		{"nothing stored on error", []string{"EXISTS", "k"}, ":0\r\n"},
		{"arity", []string{"CACHE.SET", "k"}, "-ERR wrong number of arguments for 'cache.set' command\r\n"},
		{"tag arity", []string{"CACHE.TAG", "k"}, "-ERR wrong number of arguments for 'cache.tag' command\r\n"},
		{"tagged COUNT", []string{"CACHE.TAGGED", "product", "COUNT", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{"tagged syntax", []string{"CACHE.TAGGED", "product", "LIMIT", "1"}, "-ERR syntax error\r\n"},
	}
	for _, tt := range tests {
		if got := c.do(tt.args...); got != tt.want {
			t.Errorf("%s: %v = %q, want %q", tt.name, tt.args, got, tt.want)
		}
	}
}

func TestCacheTaggedCount(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	for i := 0; i < 10; i++ {
		c.do("CACHE.SET", fmt.Sprintf("k%d", i), "v", "TAGS", "t")
	}
	if got := c.do("CACHE.TAGGED", "t", "COUNT", "3"); !strings.HasPrefix(got, "*3\r\n") {
		t.Fatalf("COUNT 3: %q", got)
	}
	c.expect("*0\r\n", "CACHE.TAGGED", "t", "COUNT", "0")
	c.expect("*0\r\n", "CACHE.TAGGED", "none")
}

// TestTagsShrink checks that every way a key goes takes it out of its
// tags, and that a tag with no key left is gone.
func TestTagsShrink(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.do("CACHE.SET", "del", "v", "TAGS", "t")
	c.do("CACHE.SET", "exp", "v", "PX", "10", "TAGS", "t")
	c.do("CACHE.SET", "ren", "v", "TAGS", "t")
	c.do("CACHE.SET", "keep", "v", "TAGS", "t")
	c.expect("*4\r\n$3\r\ndel\r\n$3\r\nexp\r\n$4\r\nkeep\r\n$3\r\nren\r\n", "CACHE.TAGGED", "t")
	c.do("DEL", "del")
	c.do("RENAME", "ren", "other")
	clk.Advance(20 * time.Millisecond)
	c.expect("*1\r\n$4\r\nkeep\r\n", "CACHE.TAGGED", "t") // the expired key is not reported
	c.do("GET", "exp")                                    // and is reclaimed
	db := s.store.DB(0)
	if keys, tags := s.cache.Tags().Len(db); keys != 1 || tags != 1 {
		t.Fatalf("index holds %d keys, %d tags; want 1, 1", keys, tags)
	}
	c.do("FLUSHDB")
	if keys, tags := s.cache.Tags().Len(db); keys != 0 || tags != 0 {
		t.Fatalf("after FLUSHDB the index holds %d keys, %d tags", keys, tags)
	}
}

func TestTagsShrinkOnEviction(t *testing.T) {
	s := startServer(t, Config{MaxMemoryPolicy: "allkeys-lru"})
	c := dial(t, s)
	for i := 0; i < 500; i++ {
		c.do("CACHE.SET", fmt.Sprintf("k%d", i), strings.Repeat("v", 100), "TAGS", "all")
	}
	s.store.SetMaxMemory(s.store.Used() / 2)
	c.do("SET", "trigger", "x") // a write evicts down to maxmemory
	db := s.store.DB(0)
	keys, _ := s.cache.Tags().Len(db)
	if keys >= 500 || keys != len(s.cache.Tags().Keys(db, "all")) || keys != db.Len()-1 {
		t.Fatalf("after eviction: %d tagged keys, %d keys", keys, db.Len())
	}
}

func TestCacheMSet(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"CACHE.MSET", "EX", "60", "a", "1", "b", "2"}, "+OK\r\n"},
		{[]string{"MGET", "a", "b"}, "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"TTL", "a"}, ":60\r\n"},
		{[]string{"PTTL", "b"}, ":60000\r\n"},
		{[]string{"CACHE.MSET", "PX", "1500", "c", "3"}, "+OK\r\n"},
		{[]string{"PTTL", "c"}, ":1500\r\n"},
		{[]string{"CACHE.MSET", "d", "4"}, "+OK\r\n"},
		{[]string{"TTL", "d"}, ":-1\r\n"},
		{[]string{"CACHE.MSET", "EX", "60", "a"}, "-ERR wrong number of arguments for 'cache.mset' command\r\n"},
		{[]string{"CACHE.MSET", "EX", "60"}, "-ERR wrong number of arguments for 'cache.mset' command\r\n"},
		{[]string{"CACHE.MSET", "a", "1", "b"}, "-ERR wrong number of arguments for 'cache.mset' command\r\n"},
		{[]string{"CACHE.MSET", "EX", "x", "a", "1"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"CACHE.MSET", "EX", "-1", "a", "1"}, "-ERR invalid expire time in 'cache.mset' command\r\n"},
		{[]string{"CACHE.MSET", "EX"}, "-ERR wrong number of arguments for 'cache.mset' command\r\n"},
	}
	for _, tt := range tests {
		if got := c.do(tt.args...); got != tt.want {
			t.Errorf("%v = %q, want %q", tt.args, got, tt.want)
		}
	}
	clk.Advance(2 * time.Second)
	c.expect(":0\r\n", "EXISTS", "c")
}

// TestCacheMSetWatch: CACHE.MSET declares no key positions, so it marks
// its keys' watchers itself.
func TestCacheMSetWatch(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	a.do("WATCH", "k")
	a.do("MULTI")
	a.do("GET", "k")
	b.do("CACHE.MSET", "EX", "10", "k", "v")
	a.expect("*-1\r\n", "EXEC")
}

func TestInvalidateTag(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	for i := 0; i < 100; i++ {
		tags := []string{"all", fmt.Sprintf("mod%d", i%3)}
		c.do(append([]string{"CACHE.SET", fmt.Sprintf("k%d", i), "v", "TAGS"}, tags...)...)
	}
	c.do("SET", "untagged", "v")
	c.expect(":34\r\n", "CACHE.INVALIDATE", "TAG", "mod0")
	c.expect(":0\r\n", "CACHE.INVALIDATE", "TAG", "mod0")
	c.expect(":66\r\n", "CACHE.INVALIDATE", "TAG", "mod1", "all", "nothing")
	c.expect(":1\r\n", "DBSIZE")
	if keys, tags := s.cache.Tags().Len(s.store.DB(0)); keys != 0 || tags != 0 {
		t.Fatalf("index holds %d keys, %d tags after invalidating all", keys, tags)
	}
	if n := s.store.Counters().Invalidations[0].Load(); n != 100 {
		t.Fatalf("tag invalidations counted %d, want 100", n)
	}
	c.do("SELECT", "1")
	c.do("CACHE.SET", "k1", "v", "TAGS", "all")
	c.do("SELECT", "0")
	c.do("CACHE.SET", "k1", "v", "TAGS", "all")
	c.expect(":1\r\n", "CACHE.INVALIDATE", "TAG", "all") // its own database only
	c.do("SELECT", "1")
	c.expect(":1\r\n", "EXISTS", "k1")
}

func TestInvalidatePattern(t *testing.T) {
	for _, indexed := range []bool{false, true} {
		t.Run(fmt.Sprintf("indexed=%v", indexed), func(t *testing.T) {
			cfg := Config{}
			if indexed {
				cfg.IndexPrefixes = []string{"product:"}
			}
			s := startServer(t, cfg)
			c := dial(t, s)
			for i := 0; i < 50; i++ {
				c.do("SET", fmt.Sprintf("product:%d:name", i), "v")
				c.do("SET", fmt.Sprintf("product:%d:price", i), "v")
				c.do("SET", fmt.Sprintf("user:%d", i), "v")
			}
			c.expect(":2\r\n", "CACHE.INVALIDATE", "PATTERN", "product:1:*")
			c.expect(":11\r\n", "CACHE.INVALIDATE", "PATTERN", "product:4?:price", "product:40:*")
			c.expect(":0\r\n", "CACHE.INVALIDATE", "PATTERN", "product:1:*")
			c.expect(":0\r\n", "CACHE.INVALIDATE", "PATTERN", "FORCE") // a lone FORCE is a pattern
			c.expect("-ERR pattern '*' has no literal prefix and would scan the whole keyspace: add FORCE to invalidate with it\r\n",
				"CACHE.INVALIDATE", "PATTERN", "user:*", "*")
			c.expect(":137\r\n", "DBSIZE") // the refused command removed nothing
			c.expect(":18\r\n", "CACHE.INVALIDATE", "PATTERN", "*:?:*", "FORCE")
			c.expect(":119\r\n", "CACHE.INVALIDATE", "PATTERN", "*", "force")
			c.expect(":0\r\n", "DBSIZE")
		})
	}
}

func TestInvalidateEvent(t *testing.T) {
	s := startServer(t, Config{Events: map[string][]string{
		"product_updated": {"product:{product_id}:*", "inventory:*:{product_id}:*", "product:list:*"},
	}})
	c := dial(t, s)
	for _, k := range []string{"product:42:name", "product:42:price", "product:421:name", "inventory:east:42:count",
		"inventory:west:42:count", "inventory:east:7:count", "product:list:1", "product:list:2", "other"} {
		c.do("SET", k, "v")
	}
	c.expect(":6\r\n", "CACHE.INVALIDATE", "EVENT", "product_updated", "product_id", "42")
	c.expect(":0\r\n", "CACHE.INVALIDATE", "EVENT", "product_updated", "product_id", "42", "unused", "x")
	c.expect(":3\r\n", "DBSIZE")
	c.expect("-ERR event 'product_updated' needs field 'product_id'\r\n", "CACHE.INVALIDATE", "EVENT", "product_updated", "id", "7")
	c.expect("-ERR unknown event 'nope'\r\n", "CACHE.INVALIDATE", "EVENT", "nope")
	c.expect("-ERR syntax error\r\n", "CACHE.INVALIDATE", "EVENT", "product_updated", "product_id")
	c.expect("-ERR syntax error\r\n", "CACHE.INVALIDATE", "EVERYTHING", "x")
	c.expect("-ERR wrong number of arguments for 'cache.invalidate' command\r\n", "CACHE.INVALIDATE", "TAG")
	// A value with glob characters matches only itself.
	c.do("SET", "product:*:name", "v")
	c.expect(":1\r\n", "CACHE.INVALIDATE", "EVENT", "product_updated", "product_id", "*")
	c.expect(":3\r\n", "DBSIZE")
	if s.cache.IndexedKeys(0) != 2 {
		t.Fatal("the events' prefixes are not indexed")
	}
}

func TestInvalidateConfigErrors(t *testing.T) {
	if _, err := New(Config{Events: map[string][]string{"e": {"a:{id"}}}); err == nil {
		t.Fatal("a bad template was accepted")
	}
	if _, err := New(Config{NotifyKeyspaceEvents: "Kq"}); err == nil {
		t.Fatal("bad notify-keyspace-events accepted")
	}
}

func TestInvalidateNotInMulti(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.do("SET", "k", "v")
	c.do("MULTI")
	c.expect("-ERR Command not allowed inside a transaction\r\n", "CACHE.INVALIDATE", "TAG", "t")
	c.expect("-ERR Command not allowed inside a transaction\r\n", "CACHE.TAGGED", "t")
	c.expect("+QUEUED\r\n", "CACHE.TAGS", "k")
	c.expect("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC")
}

// TestInvalidatePublishes: each removed key goes out on strata:invalidate,
// and as a del event when keyspace events are on.
func TestInvalidatePublishes(t *testing.T) {
	s := startServer(t, Config{NotifyKeyspaceEvents: "Eg"})
	sub, c := dial(t, s), dial(t, s)
	sub.do("SUBSCRIBE", "strata:invalidate", "__keyevent@0__:del")
	sub.read() // the second confirmation
	c.do("CACHE.SET", "a", "1", "TAGS", "t")
	c.do("CACHE.SET", "b", "2", "TAGS", "t")
	c.expect(":2\r\n", "CACHE.INVALIDATE", "TAG", "t")
	var got []string
	for i := 0; i < 4; i++ {
		got = append(got, sub.read())
	}
	sort.Strings(got)
	want := []string{
		"*3\r\n$7\r\nmessage\r\n$17\r\nstrata:invalidate\r\n$1\r\na\r\n",
		"*3\r\n$7\r\nmessage\r\n$17\r\nstrata:invalidate\r\n$1\r\nb\r\n",
		"*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:del\r\n$1\r\na\r\n",
		"*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:del\r\n$1\r\nb\r\n",
	}
	sort.Strings(want)
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Fatalf("published %q, want %q", got, want)
	}
}

// TestInvalidateConcurrent invalidates many tagged keys while other
// clients keep reading and writing: the invalidation removes exactly the
// keys tagged before it started that nobody else touched, and the others
// carry on (they would time out if a batch held the store).
func TestInvalidateConcurrent(t *testing.T) {
	s := startServer(t, Config{})
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), PoolSize: 8})
	defer rdb.Close()
	const n = 20000
	pipe := rdb.Pipeline()
	for i := 0; i < n; i++ {
		pipe.Do(ctx, "CACHE.SET", fmt.Sprintf("item:%d", i), "v", "TAGS", "bulk")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ops [4]int
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("other:%d:%d", w, i%100)
				if err := rdb.Set(ctx, key, "x", 0).Err(); err != nil {
					t.Error(err)
					return
				}
				if err := rdb.Get(ctx, key).Err(); err != nil {
					t.Error(err)
					return
				}
				ops[w]++
			}
		}()
	}
	removed, err := rdb.Do(ctx, "CACHE.INVALIDATE", "TAG", "bulk").Int64()
	close(stop)
	wg.Wait()
	if err != nil || removed != n {
		t.Fatalf("invalidate = %d, %v; want %d", removed, err, n)
	}
	if left, _ := rdb.Do(ctx, "CACHE.TAGGED", "bulk").StringSlice(); len(left) != 0 {
		t.Fatalf("%d keys left tagged", len(left))
	}
	if keys, _ := rdb.Keys(ctx, "item:*").Result(); len(keys) != 0 {
		t.Fatalf("%d items left", len(keys))
	}
}

func TestCacheGoRedis(t *testing.T) {
	s := startServer(t, Config{Events: map[string][]string{"user_changed": {"user:{id}:*"}}})
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto})
			defer rdb.Close()
			if err := rdb.Do(ctx, "CACHE.SET", "user:1:profile", "{}", "EX", "60", "TAGS", "user:1", "profiles").Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Do(ctx, "CACHE.MSET", "EX", "60", "user:1:a", "1", "user:1:b", "2").Err(); err != nil {
				t.Fatal(err)
			}
			if n, err := rdb.Do(ctx, "CACHE.TAG", "user:1:a", "user:1").Int(); err != nil || n != 1 {
				t.Fatalf("CACHE.TAG = %d, %v", n, err)
			}
			tags, err := rdb.Do(ctx, "CACHE.TAGS", "user:1:profile").StringSlice()
			if err != nil || strings.Join(tags, ",") != "profiles,user:1" {
				t.Fatalf("CACHE.TAGS = %q, %v", tags, err)
			}
			keys, err := rdb.Do(ctx, "CACHE.TAGGED", "user:1").StringSlice()
			if err != nil || strings.Join(keys, ",") != "user:1:a,user:1:profile" {
				t.Fatalf("CACHE.TAGGED = %q, %v", keys, err)
			}
			if n, err := rdb.Do(ctx, "CACHE.INVALIDATE", "TAG", "user:1").Int(); err != nil || n != 2 {
				t.Fatalf("INVALIDATE TAG = %d, %v", n, err)
			}
			if n, err := rdb.Do(ctx, "CACHE.INVALIDATE", "EVENT", "user_changed", "id", "1").Int(); err != nil || n != 1 {
				t.Fatalf("INVALIDATE EVENT = %d, %v", n, err)
			}
			if err := rdb.Do(ctx, "CACHE.INVALIDATE", "PATTERN", "*").Err(); err == nil || !strings.Contains(err.Error(), "FORCE") {
				t.Fatalf("PATTERN * without FORCE: %v", err)
			}
		})
	}
}
