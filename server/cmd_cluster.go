package server

// Cluster commands: CLUSTER INFO / MYID / NODES / SLOTS / SHARDS / KEYSLOT /
// COUNTKEYSINSLOT / GETKEYSINSLOT / LINKS / HELP, ASKING, READONLY,
// READWRITE, as Redis 7.0 replies to them; and Strata's own
// CLUSTER.SETMAP and CLUSTER.GETMAP, which push and read the slot map.
// https://redis.io/commands/?group=cluster
//
// Redis's commands that change the topology through the cluster bus
// (MEET, ADDSLOTS, SETSLOT, FAILOVER, ...) are not here: Strata's map is
// pushed whole, with a version (cluster.go). Without cluster-enabled every
// command of the family answers as Redis does then.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stratakv/strata/cluster"
)

func registerClusterCommands(t commandTable) {
	t.container("cluster", -2,
		&command{name: "info", handler: clusterOnly(cmdClusterInfo), arity: 2, flags: flagNoData},
		&command{name: "myid", handler: clusterOnly(cmdClusterMyID), arity: 2, flags: flagNoData},
		&command{name: "nodes", handler: clusterOnly(cmdClusterNodes), arity: 2, flags: flagNoData},
		&command{name: "slots", handler: clusterOnly(cmdClusterSlots), arity: 2, flags: flagNoData},
		&command{name: "shards", handler: clusterOnly(cmdClusterShards), arity: 2, flags: flagNoData},
		&command{name: "links", handler: clusterOnly(cmdClusterLinks), arity: 2, flags: flagNoData},
		&command{name: "keyslot", handler: clusterOnly(cmdClusterKeySlot), arity: 3, flags: flagNoData},
		// Counting and listing a slot's keys walk the keyspace a shard at
		// a time, which they could not do inside EXEC's store lock.
		&command{name: "countkeysinslot", handler: clusterOnly(cmdClusterCountKeysInSlot), arity: 3, flags: flagNoData | flagNoMulti},
		&command{name: "getkeysinslot", handler: clusterOnly(cmdClusterGetKeysInSlot), arity: 4, flags: flagNoData | flagNoMulti},
		&command{name: "help", handler: clusterOnly(cmdClusterHelp), arity: 2, flags: flagNoData},
	)
	t.add(
		&command{name: "asking", handler: clusterOnly(cmdAsking), arity: 1, flags: flagNoData},
		&command{name: "readonly", handler: clusterOnly(cmdReadOnly), arity: 1, flags: flagNoData},
		&command{name: "readwrite", handler: clusterOnly(cmdReadOnly), arity: 1, flags: flagNoData},
		// Pushing a map re-routes every key, as Redis's CLUSTER SETSLOT.
		&command{name: "cluster.setmap", handler: clusterOnly(cmdClusterSetMap), arity: -6, flags: flagNoData | flagNoMulti,
			categories: "@admin @slow @dangerous"},
		&command{name: "cluster.getmap", handler: clusterOnly(cmdClusterGetMap), arity: 1, flags: flagNoData, categories: "@slow"},
	)
	registerClusterMoveCommands(t)
}

// clusterOnly wraps a handler of the family so that, without
// cluster-enabled, it answers as Redis does.
func clusterOnly(h func(c *client, args [][]byte)) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		if c.srv.cluster == nil {
			c.out.Error(msgClusterDisabled)
			return
		}
		h(c, args)
	}
}

// cmdAsking is ASKING: the next command (or transaction) is served for a
// slot this node is importing (see client.redirected).
func cmdAsking(c *client, args [][]byte) {
	c.cluster.asking = true
	c.out.OK()
}

// cmdReadOnly is READONLY and READWRITE. They let a client read from
// replicas; Strata has none, so every node serves its own slots either way.
func cmdReadOnly(c *client, args [][]byte) { c.out.OK() }

// myID is this node's id: the map's, else cluster-node-id, else the run
// id, as a Redis node has an id before it joins a cluster.
func (s *Server) myID() string {
	if v := s.cluster.view.Load(); v != nil {
		return v.me().ID
	}
	if s.cluster.nodeID != "" {
		return s.cluster.nodeID
	}
	return s.runID()
}

func cmdClusterMyID(c *client, args [][]byte) { c.out.BulkString(c.srv.myID()) }

// cmdClusterInfo is CLUSTER INFO. The map's version stands for Redis's
// epochs; there is no bus, so no bus messages.
func cmdClusterInfo(c *client, args [][]byte) {
	var w infoWriter
	state, assigned, known, size, epoch := "fail", 0, 1, 0, uint64(0)
	if v := c.srv.cluster.view.Load(); v != nil {
		state, assigned, known, epoch = "ok", cluster.Slots, len(v.m.Nodes), v.m.Version
		for i := range v.m.Nodes {
			if len(v.m.Ranges(i, v.m.Owner)) > 0 {
				size++
			}
		}
	}
	w.field("cluster_state", state)
	w.field("cluster_slots_assigned", assigned)
	w.field("cluster_slots_ok", assigned)
	w.field("cluster_slots_pfail", 0)
	w.field("cluster_slots_fail", 0)
	w.field("cluster_known_nodes", known)
	w.field("cluster_size", size)
	w.field("cluster_current_epoch", epoch)
	w.field("cluster_my_epoch", epoch)
	w.field("cluster_stats_messages_sent", 0)
	w.field("cluster_stats_messages_received", 0)
	w.field("total_cluster_links_buffer_limit_exceeded", 0)
	c.out.Verbatim("txt", w.b.String())
}

// busPort is the cluster bus port CLUSTER NODES shows for a node: Redis's
// default, port+10000. Strata has no bus and listens on none.
func busPort(port int) int {
	if port+10000 > 65535 {
		return 0
	}
	return port + 10000
}

// cmdClusterNodes is CLUSTER NODES: this node's line first, then the
// others in the map's order, each ending in a newline. Only this node's
// line shows its migrating ("[slot->-id]") and importing ("[slot-<-id]")
// slots, as in Redis.
func cmdClusterNodes(c *client, args [][]byte) {
	v := c.srv.cluster.view.Load()
	if v == nil {
		host, port := splitHostPort(c.laddr)
		c.out.Verbatim("txt", fmt.Sprintf("%s %s:%d@%d myself,master - 0 0 0 connected\n", c.srv.myID(), host, port, busPort(port)))
		return
	}
	var b strings.Builder
	line := func(i int) {
		n := &v.m.Nodes[i]
		flags := "master"
		if i == v.self {
			flags = "myself,master"
		}
		fmt.Fprintf(&b, "%s %s@%d %s - 0 0 %d connected", n.ID, n.Addr(), busPort(n.Port), flags, v.m.Version)
		for _, r := range v.m.Ranges(i, v.m.Owner) {
			b.WriteByte(' ')
			b.WriteString(cluster.FormatRanges([]cluster.Range{r}))
		}
		if i == v.self {
			for s := 0; s < cluster.Slots; s++ {
				switch to := v.m.MigratingTo(s); {
				case to >= 0 && v.m.Owner(s) == i:
					fmt.Fprintf(&b, " [%d->-%s]", s, v.m.Nodes[to].ID)
				case to == i:
					fmt.Fprintf(&b, " [%d-<-%s]", s, v.m.Nodes[v.m.Owner(s)].ID)
				}
			}
		}
		b.WriteByte('\n')
	}
	line(v.self)
	for i := range v.m.Nodes {
		if i != v.self {
			line(i)
		}
	}
	c.out.Verbatim("txt", b.String())
}

// splitHostPort splits a listener address; port 0 when it has none.
func splitHostPort(addr string) (string, int) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return addr, 0
	}
	port, _ := strconv.Atoi(addr[i+1:])
	return strings.Trim(addr[:i], "[]"), port
}

// cmdClusterSlots is CLUSTER SLOTS: each run of slots one node owns, in
// slot order, with the node's address and id (and no replicas).
func cmdClusterSlots(c *client, args [][]byte) {
	v := c.srv.cluster.view.Load()
	if v == nil {
		c.out.Array(0)
		return
	}
	type run struct {
		cluster.Range
		node int
	}
	var runs []run
	for i := range v.m.Nodes {
		for _, r := range v.m.Ranges(i, v.m.Owner) {
			runs = append(runs, run{r, i})
		}
	}
	// Ranges are per node; CLUSTER SLOTS lists them by first slot.
	for i := 1; i < len(runs); i++ {
		for j := i; j > 0 && runs[j].First < runs[j-1].First; j-- {
			runs[j], runs[j-1] = runs[j-1], runs[j]
		}
	}
	c.out.Array(len(runs))
	for _, r := range runs {
		n := &v.m.Nodes[r.node]
		c.out.Array(3)
		c.out.Int(int64(r.First))
		c.out.Int(int64(r.Last))
		c.out.Array(4)
		c.out.BulkString(n.Host)
		c.out.Int(int64(n.Port))
		c.out.BulkString(n.ID)
		c.out.Map(0) // the node's metadata (hostname): none
	}
}

// cmdClusterShards is CLUSTER SHARDS: one shard per node, in the map's
// order, each with its slot ranges and its one node.
func cmdClusterShards(c *client, args [][]byte) {
	v := c.srv.cluster.view.Load()
	if v == nil {
		c.out.Array(0)
		return
	}
	c.out.Array(len(v.m.Nodes))
	for i := range v.m.Nodes {
		n := &v.m.Nodes[i]
		ranges := v.m.Ranges(i, v.m.Owner)
		c.out.Map(2)
		c.out.BulkString("slots")
		c.out.Array(2 * len(ranges))
		for _, r := range ranges {
			c.out.Int(int64(r.First))
			c.out.Int(int64(r.Last))
		}
		c.out.BulkString("nodes")
		c.out.Array(1)
		c.out.Map(7)
		c.out.BulkString("id")
		c.out.BulkString(n.ID)
		c.out.BulkString("port")
		c.out.Int(int64(n.Port))
		c.out.BulkString("ip")
		c.out.BulkString(n.Host)
		c.out.BulkString("endpoint")
		c.out.BulkString(n.Host)
		c.out.BulkString("role")
		c.out.BulkString("master")
		c.out.BulkString("replication-offset")
		c.out.Int(0)
		c.out.BulkString("health")
		c.out.BulkString("online")
	}
}

// cmdClusterLinks is CLUSTER LINKS: the cluster bus's links, of which
// Strata has none.
func cmdClusterLinks(c *client, args [][]byte) { c.out.Array(0) }

func cmdClusterKeySlot(c *client, args [][]byte) { c.out.Int(int64(cluster.Slot(args[2]))) }

// cmdClusterCountKeysInSlot is CLUSTER COUNTKEYSINSLOT slot: the keys this
// node has in slot, in both tiers.
func cmdClusterCountKeysInSlot(c *client, args [][]byte) {
	slot, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if slot < 0 || slot >= cluster.Slots {
		c.out.Error(msgInvalidSlot)
		return
	}
	keys, err := c.srv.keysInSlots(func(s int) bool { return s == int(slot) }, -1)
	if err != nil {
		c.out.Error(storageError(err))
		return
	}
	c.out.Int(int64(len(keys)))
}

// cmdClusterGetKeysInSlot is CLUSTER GETKEYSINSLOT slot count: up to count
// of the keys this node has in slot, in no order.
func cmdClusterGetKeysInSlot(c *client, args [][]byte) {
	slot, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	count, ok := argInt(args[3])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if slot < 0 || slot >= cluster.Slots || count < 0 {
		c.out.Error(msgInvalidSlotOrCount)
		return
	}
	keys, err := c.srv.keysInSlots(func(s int) bool { return s == int(slot) }, int(min(count, 1<<31)))
	if err != nil {
		c.out.Error(storageError(err))
		return
	}
	c.out.Strings(keys)
}

// cmdClusterSetMap is CLUSTER.SETMAP version NODE id host:port slots [NODE
// ...] [MIGRATING slots id ...]: it replaces the node's slot map with a
// newer version (see cluster.Parse for the form), and saves it in dir.
func cmdClusterSetMap(c *client, args [][]byte) {
	m, err := cluster.Parse(argStrings(args[1:]))
	if err != nil {
		c.out.Error(fmt.Sprintf(msgMapInvalid, strings.TrimPrefix(err.Error(), cluster.ErrInvalidMap.Error()+": ")))
		return
	}
	cs := c.srv.cluster
	switch err := cs.setMap(m); {
	case errors.Is(err, errMapNotNewer):
		c.out.Error(fmt.Sprintf(msgMapNotNewer, m.Version, cs.view.Load().m.Version))
	case errors.Is(err, errMapNotMe):
		c.out.Error(fmt.Sprintf(msgMapNotMe, cs.whoAmI(c.srv.listenAddrs())))
	case err != nil:
		c.srv.log.Error("saving the cluster map", "dir", c.srv.cfg.Dir, "err", err)
		c.out.Error(msgMapSave)
	default:
		c.out.OK()
	}
}

// cmdClusterGetMap is CLUSTER.GETMAP: the node's map as CLUSTER.SETMAP
// takes it, version first.
func cmdClusterGetMap(c *client, args [][]byte) {
	v := c.srv.cluster.view.Load()
	if v == nil {
		c.out.Error(msgNoClusterMap)
		return
	}
	c.out.Strings(v.m.Args())
}

var clusterHelp = []string{
	"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"COUNTKEYSINSLOT <slot>",
	"    Return the number of keys in <slot>.",
	"GETKEYSINSLOT <slot> <count>",
	"    Return key names stored by current node in a slot.",
	"INFO",
	"    Return information about the cluster.",
	"KEYSLOT <key>",
	"    Return the hash slot for <key>.",
	"MYID",
	"    Return the node id.",
	"NODES",
	"    Return cluster configuration seen by node. Output format:",
	"    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
	"SLOTS",
	"    Return information about slots range mappings. Each range is made of:",
	"    start, end, master and replicas IP addresses, ports and ids",
	"SHARDS",
	"    Return information about slot range mappings and the nodes associated with them.",
	"LINKS",
	"    Return information about all network links between this node and its peers.",
	"    Output format is an array where each array element is a map containing attributes of a link",
	"HELP",
	"    Prints this help.",
	"The slot map is pushed whole with CLUSTER.SETMAP (see CLUSTER.GETMAP).",
}

func cmdClusterHelp(c *client, args [][]byte) { c.out.Help(clusterHelp) }
