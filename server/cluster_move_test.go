package server

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/policy"
)

// moveSlots moves slots to node to of nodes as strata cluster move does:
// the map with the slots migrating, CLUSTER.MOVEKEYS on from, the map with
// the slots given to the new owner; each map goes to the new owner first.
// It returns the last map.
func moveSlots(t testing.TB, nodes []*Server, from, to int, slots string) *cluster.Map {
	t.Helper()
	ranges, err := cluster.ParseRanges(slots)
	if err != nil {
		t.Fatal(err)
	}
	push := func(m *cluster.Map) {
		args := append([]string{"CLUSTER.SETMAP"}, m.Args()...)
		dial(t, nodes[to]).expect("+OK\r\n", args...)
		for i, s := range nodes {
			if i != to {
				dial(t, s).expect("+OK\r\n", args...)
			}
		}
	}
	m := nodes[from].cluster.view.Load().m
	moving, err := m.Migrate(m.Version+1, ranges, "n"+strconv.Itoa(to))
	if err != nil {
		t.Fatal(err)
	}
	push(moving)
	if got := dial(t, nodes[from]).do("CLUSTER.MOVEKEYS"); got[0] != ':' {
		t.Fatalf("CLUSTER.MOVEKEYS: %q", got)
	}
	done, err := moving.Assign(moving.Version+1, ranges, "n"+strconv.Itoa(to))
	if err != nil {
		t.Fatal(err)
	}
	push(done)
	return done
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
	after := moveSlots(t, nodes, 0, 1, moving)
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
	if r := cluster.FormatRanges(after.Ranges(1, after.Owner)); r != "0-2000,5461-10922" {
		t.Errorf("n1 owns %s after the move", r)
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

// TestClusterMoveKeysFailure: when the new owner cannot take the keys,
// CLUSTER.MOVEKEYS says which node failed and the keys stay where they
// were, still served.
func TestClusterMoveKeysFailure(t *testing.T) {
	nodes := startCluster(t, Config{}, threeWay)
	src := dial(t, nodes[0])
	k := keyIn(t, "k", cluster.Range{First: 0, Last: 100})
	src.expect("+OK\r\n", "SET", k, "v")
	src.expect("-ERR invalid slot map: slot range \"x\": want a slot or first-last, from 0 to 16383\r\n", "CLUSTER.MOVEKEYS", "x")
	src.expect(":0\r\n", "CLUSTER.MOVEKEYS") // nothing is migrating
	pushMap(t, nodes, mapArgs(nodes, 2, threeWay, "MIGRATING", "0-100", "n2")...)
	nodes[2].Close()
	src.expect(fmt.Sprintf("-"+msgPeerFailed+"\r\n", "n2", nodes[2].Addr()), "CLUSTER.MOVEKEYS", "0-100")
	src.expect("$1\r\nv\r\n", "GET", k)

	dst := dial(t, nodes[1])
	dst.expect("-"+msgImportPayload+"\r\n", "CLUSTER.IMPORT", keyIn(t, "k", cluster.Range{First: 5461, Last: 10922}), "junk")
	dst.expect(moved(k, nodes[0]), "CLUSTER.IMPORT", k, "junk") // not a slot it imports
}
