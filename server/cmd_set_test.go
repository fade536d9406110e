package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestSetRandomCounts checks SRANDMEMBER and SPOP counts on both encodings:
// distinct members for a positive count (both of Redis's strategies),
// repetition for a negative one, and Strata's bound on the latter.
func TestSetRandomCounts(t *testing.T) {
	s := startServer(t, Config{})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	for _, prefix := range []string{"", "m"} { // an intset, a hashtable
		key := "set" + prefix
		var members []any
		for i := 0; i < 300; i++ {
			members = append(members, fmt.Sprintf("%s%d", prefix, i))
		}
		rdb.SAdd(ctx, key, members...)
		for _, count := range []int64{3, 150, 299} {
			got := rdb.SRandMemberN(ctx, key, count).Val()
			if len(got) != int(count) || len(got) != len(uniq(got)) {
				t.Errorf("%s SRANDMEMBER %d: %d members, %d distinct", key, count, len(got), len(uniq(got)))
			}
		}
		if got := rdb.SRandMemberN(ctx, key, -500).Val(); len(got) != 500 {
			t.Errorf("%s SRANDMEMBER -500: %d", key, len(got))
		}
		popped := rdb.SPopN(ctx, key, 250).Val()
		if len(uniq(popped)) != 250 || rdb.SCard(ctx, key).Val() != 50 {
			t.Errorf("%s SPOP 250: %d distinct, %d left", key, len(uniq(popped)), rdb.SCard(ctx, key).Val())
		}
		for _, m := range popped {
			if rdb.SIsMember(ctx, key, m).Val() {
				t.Errorf("%s: popped %s still a member", key, m)
			}
		}
	}
	if err := rdb.SRandMemberN(ctx, "setm", -1<<40).Err(); err == nil || err.Error() != "ERR value is out of range" {
		t.Errorf("SRANDMEMBER -2^40: %v", err)
	}
}

// uniq returns ss's distinct elements.
func uniq(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// TestSetScanLarge walks a hashtable-encoded set with SSCAN while members
// are removed and added: the members present throughout come back once.
func TestSetScanLarge(t *testing.T) {
	s := startServer(t, Config{})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	var members []any
	for i := 0; i < 1000; i++ {
		members = append(members, i) // integers, past the intset limit
	}
	rdb.SAdd(ctx, "s", members...)
	if enc := rdb.ObjectEncoding(ctx, "s").Val(); enc != "hashtable" {
		t.Fatalf("encoding %s", enc)
	}
	seen := map[string]int{}
	cursor, steps := uint64(0), 0
	for {
		page, next, err := rdb.SScan(ctx, "s", cursor, "", 20).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			seen[m]++
		}
		rdb.SRem(ctx, "s", 999-steps)
		rdb.SAdd(ctx, "s", fmt.Sprintf("new%d", steps))
		steps++
		if cursor = next; cursor == 0 || steps > 1000 {
			break
		}
	}
	for i := 0; i < 500; i++ {
		if m := strconv.Itoa(i); seen[m] != 1 {
			t.Fatalf("%s returned %d times", m, seen[m])
		}
	}
}

// TestSetGoRedis uses the set commands through go-redis's typed API, in
// RESP2 and RESP3, as applications do (a tag set, Celery's and
// django-redis's usual shapes).
func TestSetGoRedis(t *testing.T) {
	s := startServer(t, Config{})
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto})
			t.Cleanup(func() { rdb.Close() })
			a, b := fmt.Sprintf("a%d", proto), fmt.Sprintf("b%d", proto)
			if n := rdb.SAdd(ctx, a, "x", "y", "z").Val(); n != 3 {
				t.Fatalf("SADD: %d", n)
			}
			rdb.SAdd(ctx, b, "y", "z", "w")
			if m := rdb.SMembers(ctx, a).Val(); !equalSets(m, "x", "y", "z") {
				t.Errorf("SMEMBERS: %v", m)
			}
			if m := rdb.SMembersMap(ctx, a).Val(); len(m) != 3 {
				t.Errorf("SMEMBERS as a map: %v", m)
			}
			if m := rdb.SInter(ctx, a, b).Val(); !equalSets(m, "y", "z") {
				t.Errorf("SINTER: %v", m)
			}
			if m := rdb.SUnion(ctx, a, b).Val(); !equalSets(m, "x", "y", "z", "w") {
				t.Errorf("SUNION: %v", m)
			}
			if m := rdb.SDiff(ctx, a, b).Val(); !equalSets(m, "x") {
				t.Errorf("SDIFF: %v", m)
			}
			if n := rdb.SInterCard(ctx, 1, a, b).Val(); n != 1 {
				t.Errorf("SINTERCARD LIMIT 1: %d", n)
			}
			if n := rdb.SInterStore(ctx, "dst", a, b).Val(); n != 2 {
				t.Errorf("SINTERSTORE: %d", n)
			}
			if v := rdb.SMIsMember(ctx, a, "x", "w").Val(); len(v) != 2 || !v[0] || v[1] {
				t.Errorf("SMISMEMBER: %v", v)
			}
			if ok := rdb.SMove(ctx, a, b, "x").Val(); !ok {
				t.Error("SMOVE")
			}
			if m := rdb.SPopN(ctx, a, 5).Val(); !equalSets(m, "y", "z") {
				t.Errorf("SPOP 5: %v", m)
			}
			if n := rdb.Exists(ctx, a).Val(); n != 0 {
				t.Error("the emptied set still exists")
			}
			if err := rdb.SPop(ctx, a).Err(); err != redis.Nil {
				t.Errorf("SPOP on a missing key: %v", err)
			}
		})
	}
}

// equalSets reports whether got holds exactly want, in any order.
func equalSets(got []string, want ...string) bool {
	return len(got) == len(want) && len(uniq(got)) == len(want) && !slices.ContainsFunc(want, func(w string) bool { return !uniq(got)[w] })
}
