package conformance

// The cluster family (testdata/cluster/*.txt): cases run against node A of
// a two-node cluster, A owning slots 0-8191 and B 8192-16383. On the Redis
// side they are two redis-servers in cluster mode, given their node ids
// (in nodes.conf) and announcing fixed addresses, so that MOVED, CLUSTER
// SLOTS and the ids read the same from run to run whatever ports the
// servers get; nothing listens on the announced addresses, and the cases
// never follow a redirection. On Strata's side node A alone, with the
// same map.

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/server"
)

const clusterDir = testdataDir + "/cluster"

// The two nodes' ids and announced addresses.
var (
	clusterIDs   = [2]string{strings.Repeat("a", 40), strings.Repeat("b", 40)}
	clusterAddrs = [2]string{"127.0.0.1:30001", "127.0.0.1:30002"}
	clusterSlots = [2][2]int{{0, 8191}, {8192, 16383}}
)

func TestClusterConformance(t *testing.T) {
	files, err := loadScripts(clusterDir)
	if err != nil {
		t.Fatal(err)
	}
	if *record {
		addr, version := startRedisCluster(t, redisBinary(t))
		recordGoldens(t, files, addr, version)
		return
	}
	t.Run("strata", func(t *testing.T) {
		checkFiles(t, target{name: "strata", addr: startStrataClusterNode(t), strata: true}, files)
	})
	t.Run("redis", func(t *testing.T) {
		addr, version := startRedisCluster(t, redisBinary(t))
		requireGoldensVersion(t, version)
		checkFiles(t, target{name: "redis", addr: addr}, files)
	})
}

// startStrataClusterNode runs node A in process, with the cluster's map.
func startStrataClusterNode(t *testing.T) string {
	t.Helper()
	args := []string{"1"}
	for i := range clusterIDs {
		r := cluster.Range{First: clusterSlots[i][0], Last: clusterSlots[i][1]}
		args = append(args, "NODE", clusterIDs[i], clusterAddrs[i], cluster.FormatRanges([]cluster.Range{r}))
	}
	m, err := cluster.Parse(args)
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(server.Config{Port: -1, Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ClusterEnabled: true, ClusterNodeID: clusterIDs[0], ClusterMap: m})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}

// startRedisCluster runs the two redis-servers, gives them their slots,
// joins them and waits until node A sees the cluster ok; it returns A's
// address and the version.
func startRedisCluster(t *testing.T, bin string) (addr, version string) {
	t.Helper()
	var addrs [2]string
	for i := range clusterIDs {
		dir := t.TempDir()
		conf := clusterIDs[i] + " :0@0 myself,master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n"
		if err := os.WriteFile(filepath.Join(dir, "nodes.conf"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		_, announced, _ := strings.Cut(clusterAddrs[i], ":")
		addrs[i], version = startRedisIn(t, bin, dir, func(port int) []string {
			return []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
				"--cluster-announce-ip", "127.0.0.1", "--cluster-announce-port", announced,
				"--cluster-announce-bus-port", strconv.Itoa(port + 10000)}
		})
	}
	admin := func(i int, args ...string) string {
		t.Helper()
		c, err := dialConn(addrs[i])
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		return c.roundTrip(args...)
	}
	for i := range addrs {
		if r := admin(i, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(clusterSlots[i][0]), strconv.Itoa(clusterSlots[i][1])); r != "+OK\r\n" {
			t.Fatalf("CLUSTER ADDSLOTSRANGE: %q", r)
		}
	}
	host, port, _ := strings.Cut(addrs[1], ":")
	bus, _ := strconv.Atoi(port)
	if r := admin(0, "CLUSTER", "MEET", host, port, strconv.Itoa(bus+10000)); r != "+OK\r\n" {
		t.Fatalf("CLUSTER MEET: %q", r)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ok := true
		for i := range addrs {
			info := admin(i, "CLUSTER", "INFO")
			ok = ok && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:2")
		}
		if ok {
			return addrs[0], version
		}
	}
	t.Fatal("the redis cluster did not become ok within 20s")
	return "", ""
}
