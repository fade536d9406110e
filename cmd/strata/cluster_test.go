package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/cluster"
)

// threeNodeConfig is a config file for a three-node cluster on ports, the
// same for every node, with a write_through namespace.
func threeNodeConfig(ports [3]string) string {
	return fmt.Sprintf(`cluster-enabled: yes
cluster:
  version: 1
  nodes:
    - {id: a, addr: "127.0.0.1:%s", slots: "0-5460"}
    - {id: b, addr: "127.0.0.1:%s", slots: "5461-10922"}
    - {id: c, addr: "127.0.0.1:%s", slots: "10923-16383"}
namespaces:
  - match: "wt:*"
    strategy: write_through
`, ports[0], ports[1], ports[2])
}

// TestThreeProcesses runs a cluster of three strata processes from one
// config file, as the README sets it up, and uses it with redis-cli -c,
// go-redis's ClusterClient and redis-py's RedisCluster; invalidates a tag
// from one node; and moves slots with strata cluster move under a
// write_through load, losing no acknowledged write.
func TestThreeProcesses(t *testing.T) {
	bin := buildBinary(t)
	var ports [3]string
	for i := range ports {
		ports[i] = strconv.Itoa(freePort(t))
	}
	conf := writeFile(t, "strata.yaml", threeNodeConfig(ports))
	addrs := make([]string, 3)
	for i, p := range ports {
		startProcess(t, bin, p, "--config", conf, "--port", p, "--dir", t.TempDir())
		addrs[i] = "127.0.0.1:" + p
	}
	ctx := context.Background()
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs[:1], MaxRedirects: 8})
	t.Cleanup(func() { rc.Close() })

	t.Run("redis-cli -c", func(t *testing.T) {
		cli, err := exec.LookPath("redis-cli")
		if err != nil {
			skipClient(t, "redis-cli not on PATH")
		}
		run := func(args ...string) string {
			out, err := exec.Command(cli, append([]string{"-c", "-p", ports[0]}, args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("redis-cli %v: %v: %s", args, err, out)
			}
			return strings.TrimSpace(string(out))
		}
		for _, k := range []string{"foo", "bar", "k2"} { // slots of c, a and a
			if got := run("SET", k, "v:"+k); got != "OK" {
				t.Errorf("SET %s: %q", k, got)
			}
			if got := run("GET", k); got != "v:"+k {
				t.Errorf("GET %s: %q", k, got)
			}
		}
		if got := run("CLUSTER", "KEYSLOT", "foo"); got != "12182" {
			t.Errorf("CLUSTER KEYSLOT foo: %q", got)
		}
		if got := rc.Get(ctx, "foo").Val(); got != "v:foo" {
			t.Errorf("go-redis reads redis-cli's foo: %q", got)
		}
	})

	t.Run("redis-py RedisCluster", func(t *testing.T) {
		py := "/usr/bin/python3"
		if err := exec.Command(py, "-c", "import redis.cluster").Run(); err != nil {
			skipClient(t, "redis-py not installed for "+py)
		}
		script := `import sys
from redis.cluster import RedisCluster
rc = RedisCluster(host="127.0.0.1", port=int(sys.argv[1]))
for i in range(200):
    rc.set("py:%d" % i, i)
assert all(rc.get("py:%d" % i) == str(i).encode() for i in range(200))
rc.execute_command("CACHE.SET", "py:tagged", "v", "TAGS", "pytag")
n = rc.execute_command("CACHE.INVALIDATE", "TAG", "pytag", target_nodes=RedisCluster.RANDOM)
print(len(rc.get_nodes()), n, rc.get("py:tagged"))
`
		out, err := exec.Command(py, "-c", script, ports[1]).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "3 1 None" {
			t.Fatalf("redis-py: %v: %s", err, out)
		}
		if got := rc.Get(ctx, "py:199").Val(); got != "199" {
			t.Errorf("go-redis reads redis-py's py:199: %q", got)
		}
	})

	t.Run("tag invalidation from one node", func(t *testing.T) {
		const n = 90
		for i := range n {
			if err := rc.Do(ctx, "CACHE.SET", fmt.Sprintf("item:%d", i), "v", "TAGS", "catalog").Err(); err != nil {
				t.Fatal(err)
			}
		}
		one := redis.NewClient(&redis.Options{Addr: addrs[2]})
		defer one.Close()
		if got, err := one.Do(ctx, "CACHE.INVALIDATE", "TAG", "catalog").Int(); err != nil || got != n {
			t.Fatalf("CACHE.INVALIDATE TAG catalog on one node: %d, %v; want %d", got, err, n)
		}
		for _, a := range addrs {
			c := redis.NewClient(&redis.Options{Addr: a})
			if keys := c.Keys(ctx, "item:*").Val(); len(keys) != 0 {
				t.Errorf("%s still has %v", a, keys)
			}
			c.Close()
		}
	})

	t.Run("move under write_through load", func(t *testing.T) {
		var keys []string // keys of the slots that move
		for n := 0; len(keys) < 64; n++ {
			if k := "wt:" + strconv.Itoa(n); cluster.Slot([]byte(k)) <= 1000 {
				keys = append(keys, k)
			}
		}
		// Keys enough in those slots that the move takes a while.
		pipe := rc.Pipeline()
		for n, loaded := 0, 0; loaded < 20000; n++ {
			if k := "wt:pre:" + strconv.Itoa(n); cluster.Slot([]byte(k)) <= 1000 {
				pipe.Set(ctx, k, n, 0)
				loaded++
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		const writers = 4
		acked := make([]map[string]int, writers)
		writes := make([]int, writers) // acknowledged, for the log
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range writers {
			acked[w] = map[string]int{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				deadline := time.Now().Add(30 * time.Second)
				for i := 1; i <= 20000 && time.Now().Before(deadline); i++ {
					select {
					case <-stop:
						return
					default:
					}
					k := keys[(w+writers*i)%len(keys)]
					if rc.Set(ctx, k, strconv.Itoa(i), 0).Err() == nil {
						acked[w][k] = i
						writes[w]++
					}
				}
			}()
		}
		var out bytes.Buffer
		cmd := exec.Command(bin, "cluster", "move", "--node", addrs[0], "--slots", "0-1000", "--to", "b")
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		close(stop)
		wg.Wait()
		if err != nil || !strings.Contains(out.String(), "slots 0-1000 now on b (map version 3)") {
			t.Fatalf("strata cluster move: %v\n%s", err, out.String())
		}
		t.Logf("%s(%v acknowledged writes during the move)", out.String(), writes)
		for w := range writers {
			for k, want := range acked[w] {
				if got, err := rc.Get(ctx, k).Result(); err != nil || got != strconv.Itoa(want) {
					t.Errorf("%s = %q (%v), want the acknowledged %d", k, got, err, want)
				}
			}
		}
		show, err := exec.Command(bin, "cluster", "show", "--node", addrs[2]).CombinedOutput()
		if err != nil || !strings.Contains(string(show), "b 127.0.0.1:"+ports[1]+" 0-1000,5461-10922\n") {
			t.Errorf("strata cluster show: %v\n%s", err, show)
		}
	})
}

// skipClient skips a client's part unless STRATA_REQUIRE_CLIENTS=1, as the
// conformance suite does.
func skipClient(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("STRATA_REQUIRE_CLIENTS") == "1" {
		t.Fatal(why + " (STRATA_REQUIRE_CLIENTS=1)")
	}
	t.Skip(why)
}

func TestClusterSubcommandErrors(t *testing.T) {
	noCluster := writeFile(t, "strata.yaml", "port: 7000\n")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"cluster"}, 2, "Usage:"},
		{[]string{"cluster", "nope"}, 2, "Usage:"},
		{[]string{"cluster", "move", "--node", "127.0.0.1:1"}, 1, "move needs --node, --slots and --to"},
		{[]string{"cluster", "move", "--node", "127.0.0.1:1", "--slots", "x", "--to", "a"}, 1, `slot range "x"`},
		{[]string{"cluster", "push"}, 1, "push needs --config"},
		{[]string{"cluster", "push", "--config", noCluster}, 1, "has no cluster section"},
		{[]string{"cluster", "show"}, 1, "--node is required"},
		{[]string{"cluster", "show", "--node", "127.0.0.1:1"}, 1, "127.0.0.1:1: dial tcp"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if code := run(tt.args, &out, &errOut); code != tt.code || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("strata %s: exit %d, %q; want %d and %q", strings.Join(tt.args, " "), code, errOut.String(), tt.code, tt.want)
		}
	}
}
