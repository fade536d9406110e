package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/cluster"
)

// TestGoRedisClusterClient writes and reads across three in-process nodes
// through go-redis's ClusterClient, which learns the map from CLUSTER
// SLOTS and routes each key to its slot's node, and checks that every key
// landed on its owner.
func TestGoRedisClusterClient(t *testing.T) {
	nodes := startCluster(t, Config{}, threeWay)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[1].Addr()}, Protocol: proto})
			t.Cleanup(func() { rc.Close() })
			const n = 300
			for i := range n {
				if err := rc.Set(ctx, fmt.Sprintf("key:%d", i), i, 0).Err(); err != nil {
					t.Fatalf("SET: %v", err)
				}
			}
			pipe := rc.Pipeline()
			gets := make([]*redis.StringCmd, n)
			for i := range gets {
				gets[i] = pipe.Get(ctx, fmt.Sprintf("key:%d", i))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatalf("pipelined GETs: %v", err)
			}
			for i, g := range gets {
				if g.Val() != fmt.Sprint(i) {
					t.Fatalf("GET key:%d = %q", i, g.Val())
				}
			}
			if err := rc.MSet(ctx, "{user:1}name", "ann", "{user:1}mail", "a@x").Err(); err != nil {
				t.Fatalf("MSET with a hash tag: %v", err)
			}
			if v := rc.MGet(ctx, "{user:1}name", "{user:1}mail").Val(); fmt.Sprint(v) != "[ann a@x]" {
				t.Errorf("MGET: %v", v)
			}
			if err := rc.MGet(ctx, "a", "b").Err(); err == nil || err.Error() != msgCrossSlot {
				t.Errorf("MGET across slots: %v", err)
			}
			_, err := rc.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, "{user:1}visits")
				p.Expire(ctx, "{user:1}visits", 0)
				return nil
			})
			if err != nil {
				t.Errorf("MULTI/EXEC: %v", err)
			}
			// Strata's own keyed commands route by their key positions.
			if err := rc.Do(ctx, "CACHE.SET", "tagged:1", "v", "TAGS", "t").Err(); err != nil {
				t.Errorf("CACHE.SET: %v", err)
			}
			// Each key is on its slot's owner and nowhere else.
			for i := range 20 {
				k := fmt.Sprintf("key:%d", i)
				slot := cluster.Slot([]byte(k))
				for j, s := range nodes {
					_, ok := peek(t, s, k, 0)
					if owns := slot >= []int{0, 5461, 10923}[j] && slot <= []int{5460, 10922, 16383}[j]; ok != owns {
						t.Errorf("%s (slot %d) on node %d: %v", k, slot, j, ok)
					}
				}
			}
			rc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return c.FlushAll(ctx).Err() })
		})
	}
}
