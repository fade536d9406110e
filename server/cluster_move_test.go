package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/policy"
)

// moveSlots moves slots from node from to node to of nodes as strata
// cluster move does: the map with the slots migrating (version v), the
// keys, then the map with the slots given to the new owner (version v+1);
// each map goes to the new owner first. owners are the slots before the
// move, by node; it returns them after.
func moveSlots(t testing.TB, nodes []*Server, owners []string, v, from, to int, slots string) []string {
	t.Helper()
	order := []int{to, from}
	for i := range nodes {
		if i != to && i != from {
			order = append(order, i)
		}
	}
	push := func(args []string) {
		for _, i := range order {
			dial(t, nodes[i]).expect("+OK\r\n", append([]string{"CLUSTER.SETMAP"}, args...)...)
		}
	}
	push(mapArgs(nodes, v, owners, "MIGRATING", slots, "n"+strconv.Itoa(to)))
	if got := dial(t, nodes[from]).do("CLUSTER.MOVEKEYS"); got[0] != ':' {
		t.Fatalf("CLUSTER.MOVEKEYS: %q", got)
	}
	moved, err := cluster.ParseRanges(slots)
	if err != nil {
		t.Fatal(err)
	}
	after := make([]string, len(owners))
	for i := range owners {
		r, err := cluster.ParseRanges(owners[i])
		if err != nil {
			t.Fatal(err)
		}
		var kept []cluster.Range
		for _, x := range r {
			kept = append(kept, subtract(x, moved)...)
		}
		if i == to {
			kept = append(kept, moved...)
		}
		slices.SortFunc(kept, func(a, b cluster.Range) int { return a.First - b.First })
		after[i] = cluster.FormatRanges(kept)
	}
	push(mapArgs(nodes, v+1, after))
	return after
}

// subtract returns r without the slots in cut.
func subtract(r cluster.Range, cut []cluster.Range) []cluster.Range {
	out := []cluster.Range{r}
	for _, c := range cut {
		var next []cluster.Range
		for _, x := range out {
			if c.Last < x.First || c.First > x.Last {
				next = append(next, x)
				continue
			}
			if x.First < c.First {
				next = append(next, cluster.Range{First: x.First, Last: c.First - 1})
			}
			if x.Last > c.Last {
				next = append(next, cluster.Range{First: c.Last + 1, Last: x.Last})
			}
		}
		out = next
	}
	return out
}

// TestClusterMoveUnderLoad moves slots from n0 to n1 while clients write
// write_through keys of those slots through go-redis's ClusterClient,
// which follows ASK and MOVED: every acknowledged write is on the new
// owner afterwards, and on its disk.
func TestClusterMoveUnderLoad(t *testing.T) {
	ns := []policy.Namespace{{Match: "wt:*", Strategy: policy.WriteThrough}}
	nodes := startCluster(t, Config{Namespaces: ns}, threeWay)
	ctx := context.Background()
	const moving = "0-2000"
	var keys []string // write_through keys of the moving slots
	for n := 0; len(keys) < 64; n++ {
		if k := "wt:" + strconv.Itoa(n); cluster.Slot([]byte(k)) <= 2000 {
			keys = append(keys, k)
		}
	}
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].Addr()}, MaxRedirects: 8})
	t.Cleanup(func() { rc.Close() })
	for _, k := range keys {
		if err := rc.Set(ctx, k, "0", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Other kinds, tags and TTLs move too.
	hashKey, tagged := keyIn(t, "h", cluster.Range{First: 0, Last: 2000}), keyIn(t, "c", cluster.Range{First: 0, Last: 2000})
	rc.HSet(ctx, hashKey, "f", "v")
	rc.Do(ctx, "CACHE.SET", tagged, "v", "EX", "1000", "TAGS", "moved")

	// Writers: each owns some keys and counts their values up; acked[k]
	// is the last value a SET of k was acknowledged with.
	const writers = 4
	acked := make([]map[string]int, writers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		acked[w] = map[string]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(20 * time.Second)
			for i := 1; i <= 5000 && time.Now().Before(deadline); i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := keys[(w+writers*i)%len(keys)]
				if rc.Set(ctx, k, strconv.Itoa(i), 0).Err() == nil {
					acked[w][k] = i
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond) // let the writers start
	owners := moveSlots(t, nodes, threeWay, 2, 0, 1, moving)
	close(stop)
	wg.Wait()

	for w := range writers {
		for k, want := range acked[w] {
			if got, err := rc.Get(ctx, k).Result(); err != nil || got != strconv.Itoa(want) {
				t.Errorf("%s = %q (%v), want the acknowledged %d", k, got, err, want)
			}
		}
	}
	c0, c1 := dial(t, nodes[0]), dial(t, nodes[1])
	slot := strconv.Itoa(cluster.Slot([]byte(keys[0])))
	c0.expect(":0\r\n", "CLUSTER", "COUNTKEYSINSLOT", slot)
	if got := c1.do("CLUSTER", "COUNTKEYSINSLOT", slot); got == ":0\r\n" {
		t.Errorf("the new owner has no keys of slot %s", slot)
	}
	c1.expect("$1\r\nv\r\n", "HGET", hashKey, "f")
	c1.expect("*1\r\n$5\r\nmoved\r\n", "CACHE.TAGS", tagged)
	if ttl := c1.do("TTL", tagged); ttl == ":-1\r\n" || ttl == ":-2\r\n" {
		t.Errorf("TTL of a moved key: %q", ttl)
	}
	c0.expect(fmt.Sprintf("-MOVED %d %s\r\n", cluster.Slot([]byte(keys[0])), nodes[1].Addr()), "GET", keys[0])
	if owners[1] != "0-2000,5461-10922" || owners[0] != "2001-5460" {
		t.Errorf("owners after the move: %v", owners)
	}

	// The new owner has them on disk: restarted from its dir, it serves
	// every acknowledged value.
	dir := nodes[1].cfg.Dir
	nodes[1].Close()
	again, err := New(Config{Dir: dir, ClusterEnabled: true, ClusterNodeID: "n1", Namespaces: ns, Logger: nodes[1].log})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	for w := range writers {
		for k, want := range acked[w] {
			if v, ok := peek(t, again, k, 0); !ok || string(v.Bytes()) != strconv.Itoa(want) {
				t.Errorf("after a restart %s = %q, %v; want %d", k, v.Bytes(), ok, want)
			}
		}
	}
}
