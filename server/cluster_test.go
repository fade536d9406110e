package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stratakv/strata/cluster"
)

// threeWay are the slots of a three-node cluster, as redis-cli --cluster
// create splits them.
var threeWay = []string{"0-5460", "5461-10922", "10923-16383"}

// startCluster runs len(slots) in-process cluster nodes, named n0, n1...,
// node i owning slots[i], and pushes them the map of version 1. cfg is
// each node's config (Dir is set per node).
func startCluster(t testing.TB, cfg Config, slots []string) []*Server {
	t.Helper()
	cfg.ClusterEnabled = true
	nodes := make([]*Server, len(slots))
	for i := range nodes {
		nodes[i] = startServer(t, cfg)
	}
	pushMap(t, nodes, mapArgs(nodes, 1, slots)...)
	return nodes
}

// mapArgs is the map that gives node i of nodes slots[i], at version,
// followed by extra (MIGRATING entries).
func mapArgs(nodes []*Server, version int, slots []string, extra ...string) []string {
	args := []string{strconv.Itoa(version)}
	for i, s := range nodes {
		args = append(args, "NODE", "n"+strconv.Itoa(i), s.Addr(), slots[i])
	}
	return append(args, extra...)
}

// pushMap sends CLUSTER.SETMAP args to every node.
func pushMap(t testing.TB, nodes []*Server, args ...string) {
	t.Helper()
	for _, s := range nodes {
		dial(t, s).expect("+OK\r\n", append([]string{"CLUSTER.SETMAP"}, args...)...)
	}
}

// keyIn returns a key named prefix+n, for the smallest n, whose slot is
// in r.
func keyIn(t testing.TB, prefix string, r cluster.Range) string {
	t.Helper()
	for n := 0; n < 1<<20; n++ {
		k := prefix + strconv.Itoa(n)
		if s := cluster.Slot([]byte(k)); s >= r.First && s <= r.Last {
			return k
		}
	}
	t.Fatalf("no key for slots %v", r)
	return ""
}

func moved(key string, to *Server) string {
	return fmt.Sprintf("-MOVED %d %s\r\n", cluster.Slot([]byte(key)), to.Addr())
}

func TestClusterRouting(t *testing.T) {
	nodes := startCluster(t, Config{}, threeWay)
	c := dial(t, nodes[0])
	mine := keyIn(t, "k", cluster.Range{First: 0, Last: 5460})
	theirs := keyIn(t, "k", cluster.Range{First: 10923, Last: 16383})
	tagged := "{" + mine + "}x"
	other := keyIn(t, "o", cluster.Range{First: 0, Last: 5460}) // here, in another slot

	c.expect("+OK\r\n", "SET", mine, "v")
	c.expect("$1\r\nv\r\n", "GET", mine)
	c.expect(moved(theirs, nodes[2]), "SET", theirs, "v")
	c.expect(moved(theirs, nodes[2]), "GET", theirs)
	c.expect("-"+msgCrossSlot+"\r\n", "MGET", mine, theirs)
	c.expect("-"+msgCrossSlot+"\r\n", "DEL", mine, other)
	c.expect("*2\r\n$1\r\nv\r\n$-1\r\n", "MGET", mine, tagged)
	c.expect(":2\r\n", "EXISTS", mine, mine) // one key named twice is one slot
	c.expect("$1\r\nx\r\n", "PING", "x")     // keyless commands are served anywhere

	// Movable keys: EVAL's numkeys and ZUNIONSTORE's.
	c.expect(moved(theirs, nodes[2]), "EVAL", "return 1", "1", theirs)
	c.expect("-"+msgCrossSlot+"\r\n", "EVAL", "return 1", "2", mine, theirs)
	c.expect(":1\r\n", "EVAL", "return 1", "1", mine)
	c.expect(moved(theirs, nodes[2]), "ZUNIONSTORE", theirs, "1", theirs)
	// CACHE.MSET's keys follow its options.
	c.expect(moved(theirs, nodes[2]), "CACHE.MSET", "EX", "10", theirs, "1")
	c.expect("-"+msgCrossSlot+"\r\n", "CACHE.MSET", mine, "1", theirs, "2")
	c.expect("+OK\r\n", "CACHE.MSET", "PX", "10000", mine, "v", tagged, "w")
	c.expect(respStrings(mine, tagged), "COMMAND", "GETKEYS", "CACHE.MSET", "EX", "1", mine, "v", tagged, "w")
	if got := c.do("COMMAND", "INFO", "CACHE.MSET"); !strings.Contains(got, "+movablekeys\r\n") {
		t.Errorf("COMMAND INFO CACHE.MSET: %q", got)
	}
	// A script reaches only local keys, checked as it runs.
	c.expect("$1\r\nv\r\n", "EVAL", "return redis.call('get', ARGV[1])", "0", mine)
	if got := c.do("EVAL", "return redis.call('get', ARGV[1])", "0", theirs); !strings.HasPrefix(got, "-"+msgScriptNonLocal+" script: ") {
		t.Errorf("script reading another node's key: %q", got)
	}

	// A transaction is refused when a command is queued, and EXEC when
	// its keys span slots.
	c.expect("+OK\r\n", "MULTI")
	c.expect(moved(theirs, nodes[2]), "GET", theirs)
	c.expect("-"+msgExecAbort+"\r\n", "EXEC")
	c.expect("+OK\r\n", "MULTI")
	c.expect("+QUEUED\r\n", "GET", mine)
	c.expect("+QUEUED\r\n", "GET", other)
	c.expect("-"+msgCrossSlot+"\r\n", "EXEC")
	c.expect("-"+msgExecNoMulti+"\r\n", "EXEC") // the transaction is gone
	c.expect("+OK\r\n", "MULTI")
	c.expect("+QUEUED\r\n", "SET", tagged, "w")
	c.expect("+QUEUED\r\n", "GET", mine)
	c.expect("*2\r\n+OK\r\n$1\r\nv\r\n", "EXEC")

	// Only database 0.
	c.expect("-"+msgSelectCluster+"\r\n", "SELECT", "1")
	c.expect("+OK\r\n", "SELECT", "0")
	c.expect("-"+msgMoveCluster+"\r\n", "MOVE", mine, "1")
	c.expect("-"+msgSwapDBCluster+"\r\n", "SWAPDB", "0", "1")
	c.expect("-"+msgCopyDBCluster+"\r\n", "COPY", mine, tagged, "DB", "1")
	c.expect("-"+msgDBIndex+"\r\n", "COPY", mine, tagged, "DB", "99")
	c.expect(":1\r\n", "COPY", mine, tagged, "DB", "0", "REPLACE")

	if got := c.do("HELLO", "2"); !strings.Contains(got, "$4\r\nmode\r\n$7\r\ncluster\r\n") {
		t.Errorf("HELLO mode: %q", got)
	}
	if got := c.do("INFO", "cluster"); !strings.Contains(got, "cluster_enabled:1\r\n") {
		t.Errorf("INFO cluster: %q", got)
	}
	c.expect("*2\r\n$15\r\ncluster-enabled\r\n$3\r\nyes\r\n", "CONFIG", "GET", "cluster-enabled")
	c.expect("+OK\r\n", "READONLY")
	c.expect("+OK\r\n", "READWRITE")
}

func TestClusterCommands(t *testing.T) {
	nodes := startCluster(t, Config{}, []string{"0-99,200-16383", "100-199", ""})
	c := dial(t, nodes[1])
	host, port := splitHostPort(nodes[0].Addr())
	_, port1 := splitHostPort(nodes[1].Addr())
	_, port2 := splitHostPort(nodes[2].Addr())

	c.expect(":12182\r\n", "CLUSTER", "KEYSLOT", "foo")
	c.expect(":5474\r\n", "CLUSTER", "KEYSLOT", "{user}a")
	c.expect("$2\r\nn1\r\n", "CLUSTER", "MYID")
	info := c.do("CLUSTER", "INFO")
	for _, f := range []string{"cluster_state:ok", "cluster_slots_assigned:16384", "cluster_known_nodes:3", "cluster_size:2", "cluster_current_epoch:1"} {
		if !strings.Contains(info, f+"\r\n") {
			t.Errorf("CLUSTER INFO lacks %s: %q", f, info)
		}
	}
	node := func(id string, p int) string {
		return fmt.Sprintf("*4\r\n$%d\r\n%s\r\n:%d\r\n$2\r\n%s\r\n*0\r\n", len(host), host, p, id)
	}
	c.expect("*3\r\n"+
		"*3\r\n:0\r\n:99\r\n"+node("n0", port)+
		"*3\r\n:100\r\n:199\r\n"+node("n1", port1)+
		"*3\r\n:200\r\n:16383\r\n"+node("n0", port), "CLUSTER", "SLOTS")

	nodesText := fmt.Sprintf("n1 %s@%d myself,master - 0 0 1 connected 100-199\n", nodes[1].Addr(), port1+10000) +
		fmt.Sprintf("n0 %s@%d master - 0 0 1 connected 0-99 200-16383\n", nodes[0].Addr(), port+10000) +
		fmt.Sprintf("n2 %s@%d master - 0 0 1 connected\n", nodes[2].Addr(), port2+10000)
	c.expect(fmt.Sprintf("$%d\r\n%s\r\n", len(nodesText), nodesText), "CLUSTER", "NODES")

	shard := func(id string, p int, slots ...int) string {
		s := fmt.Sprintf("*4\r\n$5\r\nslots\r\n*%d\r\n", len(slots))
		for _, n := range slots {
			s += ":" + strconv.Itoa(n) + "\r\n"
		}
		return s + fmt.Sprintf("$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n$2\r\n%s\r\n$4\r\nport\r\n:%d\r\n"+
			"$2\r\nip\r\n$%d\r\n%s\r\n$8\r\nendpoint\r\n$%[3]d\r\n%[4]s\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"+
			"$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n", id, p, len(host), host)
	}
	c.expect("*3\r\n"+shard("n0", port, 0, 99, 200, 16383)+shard("n1", port1, 100, 199)+shard("n2", port2), "CLUSTER", "SHARDS")

	// Counting and listing a slot's keys.
	k := keyIn(t, "k", cluster.Range{First: 100, Last: 199})
	slot := strconv.Itoa(cluster.Slot([]byte(k)))
	c.expect("+OK\r\n", "SET", k, "v")
	c.expect("+OK\r\n", "SET", "{"+k+"}2", "v")
	c.expect(":2\r\n", "CLUSTER", "COUNTKEYSINSLOT", slot)
	if got := c.do("CLUSTER", "GETKEYSINSLOT", slot, "1"); !strings.HasPrefix(got, "*1\r\n") {
		t.Errorf("GETKEYSINSLOT count 1: %q", got)
	}
	c.expect(":0\r\n", "CLUSTER", "COUNTKEYSINSLOT", "0")
	c.expect("-"+msgInvalidSlot+"\r\n", "CLUSTER", "COUNTKEYSINSLOT", "16384")
	c.expect("-"+msgNotInteger+"\r\n", "CLUSTER", "COUNTKEYSINSLOT", "x")
	c.expect("-"+msgInvalidSlotOrCount+"\r\n", "CLUSTER", "GETKEYSINSLOT", "1", "-1")
	c.expect("-"+msgNotInteger+"\r\n", "CLUSTER", "GETKEYSINSLOT", "1", "x")
	c.expect("*0\r\n", "CLUSTER", "LINKS")
	c.expect("-ERR unknown subcommand 'MEET'. Try CLUSTER HELP.\r\n", "CLUSTER", "MEET", "127.0.0.1", "7000")
	c.expect("-ERR wrong number of arguments for 'cluster|keyslot' command\r\n", "CLUSTER", "KEYSLOT")

	// RESP3: the node's metadata is a map, CLUSTER INFO and NODES are
	// verbatim text.
	c.do("HELLO", "3")
	if got := c.do("CLUSTER", "SLOTS"); !strings.HasSuffix(got, "$2\r\nn0\r\n%0\r\n") {
		t.Errorf("CLUSTER SLOTS in RESP3: %q", got)
	}
	if got := c.do("CLUSTER", "INFO"); !strings.HasPrefix(got, "=") || !strings.Contains(got, "txt:cluster_state:ok\r\n") {
		t.Errorf("CLUSTER INFO in RESP3: %q", got)
	}
}

func TestClusterSetMap(t *testing.T) {
	nodes := startCluster(t, Config{}, threeWay)
	c := dial(t, nodes[0])
	c.expect(fmt.Sprintf("-"+msgMapNotNewer+"\r\n", 1, 1), append([]string{"CLUSTER.SETMAP"}, mapArgs(nodes, 1, threeWay)...)...)
	c.expect("-ERR invalid slot map: slot 5460 has no owner\r\n", append([]string{"CLUSTER.SETMAP"}, mapArgs(nodes, 2, []string{"0-5459", "5461-10922", "10923-16383"})...)...)
	c.expect("-ERR invalid slot map: version \"x\" is not a positive integer\r\n", "CLUSTER.SETMAP", "x", "NODE", "a", "h:1", "0-16383")
	c.expect("-ERR the slot map names no node at "+nodes[0].Addr()+" (or set cluster-node-id)\r\n",
		"CLUSTER.SETMAP", "2", "NODE", "a", "127.0.0.1:1", "0-16383")

	// A newer map moves slots; GETMAP returns it as SETMAP takes it.
	newer := mapArgs(nodes, 5, []string{"0-16383", "", ""})
	c.expect("+OK\r\n", append([]string{"CLUSTER.SETMAP"}, newer...)...)
	c.expect(respStrings(newer...), "CLUSTER.GETMAP")
	c.expect("+OK\r\n", "SET", "foo", "bar")

	// The node restarts with the map it saved, newer than its config's.
	saved, err := os.ReadFile(filepath.Join(nodes[0].cfg.Dir, clusterMapFile))
	if err != nil || !strings.HasPrefix(string(saved), "5\nNODE\nn0\n") {
		t.Fatalf("saved map %q, %v", saved, err)
	}
	old, err := cluster.Parse(mapArgs(nodes, 1, threeWay))
	if err != nil {
		t.Fatal(err)
	}
	nodes[0].Close()
	again, err := New(Config{Dir: nodes[0].cfg.Dir, ClusterEnabled: true, ClusterNodeID: "n0", ClusterMap: old, Logger: nodes[0].log})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if v := again.cluster.view.Load(); v == nil || v.m.Version != 5 {
		t.Errorf("restarted with %+v", v)
	}
}

// respStrings is a RESP array of bulk strings.
func respStrings(ss ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(ss))
	for _, s := range ss {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(s), s)
	}
	return b.String()
}

// TestClusterMigrating checks ASK, ASKING and TRYAGAIN for a slot on its
// way from n0 to n1, as Redis 7.0 answers them.
func TestClusterMigrating(t *testing.T) {
	nodes := startCluster(t, Config{}, threeWay)
	here := keyIn(t, "k", cluster.Range{First: 0, Last: 5460})
	slot := cluster.Slot([]byte(here))
	gone := "{" + here + "}gone"
	src, dst := dial(t, nodes[0]), dial(t, nodes[1])
	src.expect("+OK\r\n", "SET", here, "v")
	pushMap(t, nodes, mapArgs(nodes, 2, threeWay, "MIGRATING", strconv.Itoa(slot), "n1")...)
	ask := fmt.Sprintf("-ASK %d %s\r\n", slot, nodes[1].Addr())

	src.expect("$1\r\nv\r\n", "GET", here)
	src.expect(ask, "GET", gone)
	src.expect(ask, "SET", gone, "x") // a new key goes to the new owner
	src.expect("-"+msgTryAgain+"\r\n", "MGET", here, gone)
	src.expect("+OK\r\n", "MULTI")
	src.expect("+QUEUED\r\n", "SET", gone, "x") // queued: EXEC decides
	src.expect(ask, "EXEC")

	dst.expect(fmt.Sprintf("-MOVED %d %s\r\n", slot, nodes[0].Addr()), "GET", gone)
	dst.expect("+OK\r\n", "ASKING")
	dst.expect("+OK\r\n", "SET", gone, "x")
	dst.expect(fmt.Sprintf("-MOVED %d %s\r\n", slot, nodes[0].Addr()), "GET", gone) // ASKING is for one command
	dst.expect("+OK\r\n", "ASKING")
	dst.expect("-"+msgTryAgain+"\r\n", "MGET", gone, here)
	dst.expect("+OK\r\n", "ASKING")
	dst.expect("+OK\r\n", "MULTI")
	dst.expect("+QUEUED\r\n", "GET", gone)
	dst.expect("+QUEUED\r\n", "PING")
	dst.expect("*2\r\n$1\r\nx\r\n+PONG\r\n", "EXEC") // ASKING covers the transaction
	dst.expect(fmt.Sprintf("-MOVED %d %s\r\n", slot, nodes[0].Addr()), "GET", gone)

	// A script declaring a key the slot no longer has here is sent on.
	src.expect(ask, "EVAL", "return 1", "1", gone)
	src.expect(":1\r\n", "EVAL", "return 1", "1", here)
}

func TestClusterWithoutMap(t *testing.T) {
	s := startServer(t, Config{ClusterEnabled: true, ClusterNodeID: "lonely"})
	c := dial(t, s)
	c.expect("-"+msgClusterDownUnbound+"\r\n", "GET", "k")
	c.expect("+PONG\r\n", "PING")
	c.expect("$6\r\nlonely\r\n", "CLUSTER", "MYID")
	c.expect("*0\r\n", "CLUSTER", "SLOTS")
	c.expect("-"+msgNoClusterMap+"\r\n", "CLUSTER.GETMAP")
	if got := c.do("CLUSTER", "INFO"); !strings.Contains(got, "cluster_state:fail\r\ncluster_slots_assigned:0\r\n") {
		t.Errorf("CLUSTER INFO: %q", got)
	}
	if got := c.do("CLUSTER", "NODES"); !strings.HasPrefix(got, "$") || !strings.Contains(got, "lonely "+s.Addr()+"@") {
		t.Errorf("CLUSTER NODES: %q", got)
	}
	c.expect("+OK\r\n", "CLUSTER.SETMAP", "1", "NODE", "lonely", "10.0.0.1:7000", "0-16383") // found by its id
	c.expect("$-1\r\n", "GET", "k")
}

func TestClusterDisabled(t *testing.T) {
	c := dial(t, startServer(t, Config{}))
	for _, cmd := range [][]string{{"CLUSTER", "INFO"}, {"CLUSTER", "KEYSLOT", "k"}, {"CLUSTER", "HELP"}, {"ASKING"}, {"READONLY"}, {"READWRITE"}, {"CLUSTER.GETMAP"}} {
		c.expect("-"+msgClusterDisabled+"\r\n", cmd...)
	}
	c.expect("+OK\r\n", "SELECT", "1")
	if got := c.do("HELLO", "2"); !strings.Contains(got, "$4\r\nmode\r\n$10\r\nstandalone\r\n") {
		t.Errorf("HELLO mode: %q", got)
	}
}
