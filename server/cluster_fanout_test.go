package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/scheduler"
)

// TestClusterInvalidate tags keys that fall on all three nodes and
// invalidates them from one node: every node removes its own, and the
// reply is the total.
func TestClusterInvalidate(t *testing.T) {
	nodes := startCluster(t, Config{Events: map[string][]string{"user_changed": {"user:{id}:*"}}}, threeWay)
	ctx := context.Background()
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].Addr()}})
	t.Cleanup(func() { rc.Close() })
	const n = 60
	for i := range n {
		if err := rc.Do(ctx, "CACHE.SET", fmt.Sprintf("item:%d", i), "v", "TAGS", "catalog").Err(); err != nil {
			t.Fatal(err)
		}
		rc.Set(ctx, fmt.Sprintf("user:7:%d", i), "v", 0)
	}
	perNode := func(prefix string) (counts []int) {
		for _, s := range nodes {
			k := 0
			for i := range n {
				if _, ok := peek(t, s, fmt.Sprintf("%s%d", prefix, i), 0); ok {
					k++
				}
			}
			counts = append(counts, k)
		}
		return counts
	}
	if c := perNode("item:"); c[0] == 0 || c[1] == 0 || c[2] == 0 {
		t.Fatalf("tagged keys per node %v: want some on each", c)
	}

	c := dial(t, nodes[1])
	local := perNode("item:")[1]
	c.expect(fmt.Sprintf(":%d\r\n", local), "CACHE.INVALIDATE", "LOCAL", "TAG", "catalog")
	c.expect(fmt.Sprintf(":%d\r\n", n-local), "CACHE.INVALIDATE", "TAG", "catalog")
	if got := perNode("item:"); fmt.Sprint(got) != "[0 0 0]" {
		t.Errorf("tagged keys left per node: %v", got)
	}
	c.expect(":33\r\n", "CACHE.INVALIDATE", "PATTERN", "user:7:1*", "user:7:2*", "user:7:3*")
	c.expect(":27\r\n", "CACHE.INVALIDATE", "EVENT", "user_changed", "id", "7")
	c.expect("-ERR unknown event 'nope'\r\n", "CACHE.INVALIDATE", "EVENT", "nope")
	c.expect("-ERR wrong number of arguments for 'cache.invalidate' command\r\n", "CACHE.INVALIDATE", "LOCAL", "TAG")

	// A node that does not answer makes the reply an error naming it,
	// once the others have done their part.
	rc.Do(ctx, "CACHE.SET", "item:0", "v", "TAGS", "catalog")
	nodes[2].Close()
	if got := c.do("CACHE.INVALIDATE", "TAG", "catalog"); got != fmt.Sprintf("-"+msgPeerFailed+"\r\n", "n2", nodes[2].Addr()) {
		t.Errorf("with a node down: %q", got)
	}
}

func TestClusterStats(t *testing.T) {
	nodes := startCluster(t, Config{}, threeWay)
	ctx := context.Background()
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].Addr()}})
	t.Cleanup(func() { rc.Close() })
	for i := range 30 {
		rc.Set(ctx, fmt.Sprintf("k%d", i), "v", 0)
		rc.Get(ctx, fmt.Sprintf("k%d", i))
		rc.Get(ctx, fmt.Sprintf("missing%d", i))
	}
	c := dial(t, nodes[2])
	local := c.do("CACHE.STATS")
	wide := c.do("CACHE.STATS", "CLUSTER")
	for _, want := range []string{"$4\r\nsets\r\n:30\r\n", "$11\r\nmemory_hits\r\n:30\r\n", "$6\r\nmisses\r\n:30\r\n", "$8\r\nhit_rate\r\n$6\r\n0.5000\r\n"} {
		if !strings.Contains(wide, want) {
			t.Errorf("CACHE.STATS CLUSTER lacks %q: %q", want, wide)
		}
	}
	if local == wide || strings.Contains(local, "$4\r\nsets\r\n:30\r\n") {
		t.Errorf("CACHE.STATS alone reports the cluster: %q", local)
	}
	c.expect("-"+msgNoNamespace+"\r\n", "CACHE.STATS", "CLUSTER", "nope")
	c.expect("-ERR wrong number of arguments for 'cache.stats' command\r\n", "CACHE.STATS", "CLUSTER", "a", "b")
}

// TestClusterWarmup: a job that loads keys runs its schedule on one node
// of the cluster, and the node that runs it writes each key on its owner,
// with the source's TTL.
func TestClusterWarmup(t *testing.T) {
	var ndjson strings.Builder
	const n = 60
	for i := range n {
		fmt.Fprintf(&ndjson, `{"key": "wu:%d", "value": "v%d", "ttl": 600}`+"\n", i, i)
	}
	file := filepath.Join(t.TempDir(), "catalog.ndjson")
	if err := os.WriteFile(file, []byte(ndjson.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	job := scheduler.Job{Name: "catalog", Source: scheduler.Source{File: file}}
	nodes := startCluster(t, Config{Warmup: []scheduler.Job{job}}, threeWay)
	runners := 0
	for _, s := range nodes {
		if s.scheduleCluster().Runs("catalog") {
			runners++
		}
	}
	if runners != 1 {
		t.Errorf("%d nodes run the job's schedule, want 1", runners)
	}
	if got := dial(t, nodes[1]).do("CACHE.WARMUP", "RUN", "catalog"); !strings.Contains(got, "$6\r\nloaded\r\n:60\r\n") {
		t.Fatalf("CACHE.WARMUP RUN: %q", got)
	}
	for i := range n {
		k := fmt.Sprintf("wu:%d", i)
		owner := nodes[0].cluster.view.Load().m.Owner(cluster.Slot([]byte(k)))
		for j, s := range nodes {
			v, ok := peek(t, s, k, 0)
			if ok != (j == owner) {
				t.Errorf("%s (owner n%d) on n%d: %v", k, owner, j, ok)
			}
			if ok && (string(v.Bytes()) != fmt.Sprintf("v%d", i) || v.ExpireAt() == 0) {
				t.Errorf("%s on n%d = %q, expiry %d", k, j, v.Bytes(), v.ExpireAt())
			}
		}
	}
}
