package conformance

// twemproxy (Debian's nutcracker) in front of standalone Strata nodes, for
// clients that do not speak Redis Cluster: the proxy shards keys over the
// nodes itself. What works through it, and the known limits README lists,
// are checked here against twemproxy 0.5.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nutcrackerBinary finds nutcracker: a missing one skips the test, or
// fails it when STRATA_REQUIRE_CLIENTS=1.
func nutcrackerBinary(t *testing.T) string {
	t.Helper()
	for _, bin := range []string{"nutcracker", "/usr/sbin/nutcracker"} {
		if p, err := exec.LookPath(bin); err == nil {
			return p
		}
	}
	if os.Getenv("STRATA_REQUIRE_CLIENTS") == "1" {
		t.Fatal("nutcracker not installed (STRATA_REQUIRE_CLIENTS=1)")
	}
	t.Skip("nutcracker (twemproxy) not installed")
	return ""
}

// loopbackPort returns a loopback port that was free a moment ago.
func loopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startTwemproxy runs nutcracker for the test's life in front of nodes,
// sharding by ketama as its README suggests, and returns its address.
func startTwemproxy(t *testing.T, nodes []string) string {
	t.Helper()
	bin := nutcrackerBinary(t)
	dir := t.TempDir()
	var servers strings.Builder
	for i, n := range nodes {
		fmt.Fprintf(&servers, "    - %s:1 strata%d\n", n, i)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", loopbackPort(t))
	conf := filepath.Join(dir, "nutcracker.yml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`strata:
  listen: %s
  hash: fnv1a_64
  distribution: ketama
  redis: true
  auto_eject_hosts: false
  servers:
%s`, addr, servers.String())), 0o644)
	cmd := exec.Command(bin, "-c", conf, "-s", strconv.Itoa(loopbackPort(t)), "-a", "127.0.0.1",
		"-o", filepath.Join(dir, "nutcracker.log"), "-p", filepath.Join(dir, "nutcracker.pid"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := dialConn(addr); err == nil {
			c.close()
			return addr
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "nutcracker.log"))
	t.Fatalf("nutcracker did not listen on %s:\n%s", addr, log)
	return ""
}

func TestTwemproxy(t *testing.T) {
	nodes := []string{startStrata(t), startStrata(t), startStrata(t)}
	proxy := startTwemproxy(t, nodes)
	c, err := dialConn(proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	expect := func(want string, args ...string) {
		t.Helper()
		if got := c.roundTrip(args...); got != want {
			t.Errorf("%s through twemproxy: got %q, want %q", strings.Join(args, " "), got, want)
		}
	}

	// Single-key commands of every kind, and the multi-key ones twemproxy
	// splits across the nodes (MGET, MSET, DEL, EXISTS).
	const n = 100
	for i := range n {
		expect("+OK\r\n", "SET", "key:"+strconv.Itoa(i), strconv.Itoa(i))
	}
	expect("$2\r\n42\r\n", "GET", "key:42")
	expect("*3\r\n$1\r\n1\r\n$2\r\n99\r\n$-1\r\n", "MGET", "key:1", "key:99", "nope")
	expect("+OK\r\n", "MSET", "m:1", "a", "m:2", "b", "m:3", "c")
	expect(":3\r\n", "EXISTS", "m:1", "m:2", "m:3")
	expect(":3\r\n", "DEL", "m:1", "m:2", "m:3")
	expect(":1\r\n", "INCR", "counter")
	expect(":1\r\n", "EXPIRE", "counter", "100")
	expect(":100\r\n", "TTL", "counter")
	expect(":1\r\n", "HSET", "h", "f", "v")
	expect("$1\r\nv\r\n", "HGET", "h", "f")
	expect(":2\r\n", "RPUSH", "l", "a", "b")
	expect("$1\r\na\r\n", "LPOP", "l")
	expect("$1\r\n1\r\n", "EVAL", "return redis.call('get', KEYS[1])", "1", "key:1")
	expect("+PONG\r\n", "PING")

	// The keys are spread over every node.
	total := 0
	for _, node := range nodes {
		direct, err := dialConn(node)
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := strconv.Atoi(strings.Trim(direct.roundTrip("DBSIZE"), ":\r\n"))
		direct.close()
		if keys == 0 {
			t.Errorf("node %s got no key through twemproxy", node)
		}
		total += keys
	}
	if total != n+3 { // key:*, counter, h, l
		t.Errorf("%d keys on the nodes, want %d", total, n+3)
	}

	// Known limits: twemproxy closes the connection on a command it does
	// not shard (MULTI, SELECT, KEYS, INFO, blocking and pub/sub commands,
	// HELLO, and Strata's own CACHE.* commands), so go-redis v9, which
	// opens every connection with HELLO, cannot use it.
	for _, cmd := range [][]string{{"MULTI"}, {"HELLO", "3"}, {"CACHE.SET", "k", "v"}, {"CACHE.INVALIDATE", "TAG", "t"}, {"SELECT", "1"}} {
		limited, err := dialConn(proxy)
		if err != nil {
			t.Fatal(err)
		}
		if got := limited.roundTrip(cmd...); got != replyClosed {
			t.Errorf("%v through twemproxy: %q, want the connection closed", cmd, got)
		}
		limited.close()
	}

	t.Run("redis-cli", func(t *testing.T) {
		bin := toolBinary(t, "redis-cli")
		_, port, _ := net.SplitHostPort(proxy)
		out, err := exec.Command(bin, "-p", port, "GET", "key:7").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "7" {
			t.Errorf("redis-cli GET through twemproxy: %v: %s", err, out)
		}
	})

	t.Run("redis-py", func(t *testing.T) {
		py := pythonWith(t, []string{"redis"})
		_, port, _ := net.SplitHostPort(proxy)
		script := `import sys, redis
r = redis.Redis(port=int(sys.argv[1]))
r.set("py:1", "x")
print(r.get("py:1").decode(), r.mget("key:1", "key:2"), r.incr("py:n"))`
		out, err := exec.Command(py, "-c", script, port).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "x [b'1', b'2'] 1" {
			t.Errorf("redis-py through twemproxy: %v: %s", err, out)
		}
	})
}
