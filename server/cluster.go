package server

// Cluster mode: Redis Cluster's client protocol over a static, versioned
// slot map (package cluster) pushed from outside. There is no cluster bus:
// nodes learn the topology from CLUSTER.SETMAP, and a node accepts only a
// map of a higher version than its own.
//
// Every command that names keys is routed as Redis's getNodeByQuery routes
// it, before it runs (client.redirected): keys of two slots are CROSSSLOT,
// a slot another node owns is MOVED there. A slot this node is migrating
// to another node (the map's MIGRATING entries) is served for the keys it
// still has and sent on with ASK for those it has not (TRYAGAIN for a mix);
// the node it migrates to serves it to clients that sent ASKING. Whether a
// key is still here is asked again under the command's own locks
// (client.clusterServes), because the keys of a migrating slot leave
// under those locks (cluster_move.go): a write let through for a key that
// has just left would otherwise be stored where the map no longer looks.
//
// Only database 0 exists, as in Redis Cluster. Keyless cache commands
// (CACHE.INVALIDATE, CACHE.STATS CLUSTER) and warm-ups reach the other
// nodes through peer connections (cluster_peers.go, cluster_fanout.go,
// cluster_warmup.go).
//
// Locks: clusterState.mu (map changes) and moving (one move at a time)
// are taken with no storage lock held. A move holds one storage shard's
// lock across its exchange with the new owner (peerPool.mu is taken
// briefly inside), whose CLUSTER.IMPORT takes only that node's own locks;
// two nodes moving slots to each other at once could therefore wait on
// each other until peerTimeout, which is why moves go one at a time.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/storage"
)

// clusterMapFile is where a node keeps the last map it accepted, in its
// dir, so that it restarts with it rather than with an older one from its
// config file (Redis keeps nodes.conf for the same reason).
const clusterMapFile = "cluster-map"

// clusterState is a node's cluster mode. A Server has one when
// cluster-enabled is set, nil otherwise.
type clusterState struct {
	srv *Server
	// nodeID is cluster-node-id: how this node finds itself in a map;
	// empty, it goes by its address.
	nodeID string
	// mu serializes map changes and their saving.
	mu   sync.Mutex
	view atomic.Pointer[clusterView] // nil until a map names this node
	// peers are connections to the other nodes (cluster_peers.go).
	peers peerPool
	// moving serializes CLUSTER.MOVEKEYS runs (cluster_move.go).
	moving sync.Mutex
}

// clusterView is a slot map as one node sees it.
type clusterView struct {
	m    *cluster.Map
	self int // this node's index in m.Nodes
}

// me returns this node's entry.
func (v *clusterView) me() *cluster.Node { return &v.m.Nodes[v.self] }

// newClusterState sets up cluster mode from cfg: the map from the config
// file, or the one saved in dir when that is newer.
func newClusterState(s *Server, cfg Config) (*clusterState, error) {
	cs := &clusterState{srv: s, nodeID: cfg.ClusterNodeID}
	cs.peers.init(s)
	m := cfg.ClusterMap
	saved, err := loadClusterMap(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if saved != nil && (m == nil || saved.Version > m.Version) {
		m = saved
	}
	if m != nil {
		self := cs.find(m, configAddrs(cfg))
		if self < 0 {
			return nil, fmt.Errorf("server: the cluster map (version %d) names no node %s", m.Version, cs.whoAmI(configAddrs(cfg)))
		}
		cs.view.Store(&clusterView{m: m, self: self})
	}
	return cs, nil
}

// configAddrs are the addresses a node listens on by its config, before
// it has started: none when its port is chosen at start.
func configAddrs(cfg Config) []string {
	if cfg.Port <= 0 {
		return nil
	}
	out := make([]string, len(cfg.Bind))
	for i, b := range cfg.Bind {
		out[i] = net.JoinHostPort(b, strconv.Itoa(cfg.Port))
	}
	return out
}

// listenAddrs are the addresses the node listens on.
func (s *Server) listenAddrs() []string {
	out := make([]string, len(s.listeners))
	for i, ln := range s.listeners {
		out[i] = ln.Addr().String()
	}
	return out
}

// find returns this node's index in m: by cluster-node-id when set, else
// by one of addrs; -1 when m does not name it.
func (cs *clusterState) find(m *cluster.Map, addrs []string) int {
	if cs.nodeID != "" {
		return m.Index(cs.nodeID)
	}
	for _, a := range addrs {
		if i := m.IndexOfAddr(a); i >= 0 {
			return i
		}
	}
	return -1
}

// whoAmI describes what find looks for, for errors.
func (cs *clusterState) whoAmI(addrs []string) string {
	if cs.nodeID != "" {
		return "with id " + strconv.Quote(cs.nodeID)
	}
	if len(addrs) == 0 {
		return "at this node's address (set cluster-node-id)"
	}
	return "at " + strings.Join(addrs, " or ") + " (or set cluster-node-id)"
}

// Errors of setMap, worded for the reply.
var (
	errMapNotNewer = errors.New("not newer")
	errMapNotMe    = errors.New("no node for this server")
)

// setMap makes m the node's map if its version is higher than the
// current one and it names this node, and saves it in dir.
func (cs *clusterState) setMap(m *cluster.Map) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if v := cs.view.Load(); v != nil && m.Version <= v.m.Version {
		return errMapNotNewer
	}
	self := cs.find(m, cs.srv.listenAddrs())
	if self < 0 {
		return errMapNotMe
	}
	if err := saveClusterMap(cs.srv.cfg.Dir, m); err != nil {
		return err
	}
	cs.view.Store(&clusterView{m: m, self: self})
	cs.srv.log.Info("cluster map accepted", "version", m.Version, "myid", m.Nodes[self].ID)
	return nil
}

// loadClusterMap reads the map saved in dir; nil when there is none.
func loadClusterMap(dir string) (*cluster.Map, error) {
	b, err := os.ReadFile(filepath.Join(dir, clusterMapFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	m, err := cluster.Parse(strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"))
	if err != nil {
		return nil, fmt.Errorf("server: %s: %w", filepath.Join(dir, clusterMapFile), err)
	}
	return m, nil
}

// saveClusterMap writes m to dir, one argument a line, replacing the file
// only once the new one is complete.
func saveClusterMap(dir string, m *cluster.Map) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, clusterMapFile+".tmp")
	if err := os.WriteFile(tmp, []byte(strings.Join(m.Args(), "\n")+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, clusterMapFile))
}

// clusterKeys appends to dst the keys cmd names in args (for EXEC, those
// of every queued command) and returns it.
func (c *client) clusterKeys(dst [][]byte, cmd *command, args [][]byte) [][]byte {
	if cmd.name == "exec" && c.multi != nil {
		for _, q := range c.multi.queue {
			dst = q.cmd.appendKeys(dst, q.args)
		}
		return dst
	}
	return cmd.appendKeys(dst, args)
}

// appendKeys appends the keys of a command line to dst, as keyArgs finds
// them, without the closures keyArgs costs for the common case.
func (cmd *command) appendKeys(dst [][]byte, args [][]byte) [][]byte {
	if cmd.keys != nil {
		return cmd.appendMovableKeys(dst, args)
	}
	first, last, step := cmd.keyRange(len(args))
	for i := first; i <= last; i += step {
		dst = append(dst, args[i])
	}
	return dst
}

// appendMovableKeys is appendKeys for a command with a key finder; apart,
// so that the finder's closure does not move dst to the heap for the
// others.
func (cmd *command) appendMovableKeys(dst [][]byte, args [][]byte) [][]byte {
	cmd.keys(args, func(pos int) { dst = append(dst, args[pos]) })
	return dst
}

// namesKeys reports whether cmd is routed by its keys: whether it can name
// any, or is EXEC, whose queued commands can.
func (cmd *command) namesKeys() bool {
	return cmd.firstKey != 0 || cmd.keys != nil || cmd.name == "exec"
}

// route decides whether this node serves a command naming keys, as Redis
// Cluster's getNodeByQuery does: "" to serve it, else the error that
// sends the client elsewhere. asking is whether the client sent ASKING
// first. exists tells whether a key is here; it is asked only of keys of
// a slot on its way in or out. With exists nil the answer cannot depend
// on it: route then returns "" and recheck, and must be asked again with
// exists under the command's locks.
func (v *clusterView) route(keys [][]byte, asking bool, exists func([]byte) bool) (msg string, recheck bool) {
	if len(keys) == 0 {
		return "", false
	}
	slot := cluster.Slot(keys[0])
	to := v.m.MigratingTo(slot)
	migrating := to >= 0 && v.m.Owner(slot) == v.self
	importing := to == v.self
	multiple := false
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			if cluster.Slot(k) != slot {
				return msgCrossSlot, false
			}
			multiple = true
		}
	}
	missing, existing := 0, 0
	switch {
	case !migrating && !importing:
	case exists == nil:
		if migrating || asking && multiple {
			return "", true
		}
	default:
		for _, k := range keys {
			if exists(k) {
				existing++
			} else {
				missing++
			}
		}
	}
	switch {
	case migrating && missing > 0:
		if existing > 0 {
			return msgTryAgain, false
		}
		return fmt.Sprintf(msgAsk, slot, v.m.Nodes[to].Addr()), false
	case importing && asking:
		if multiple && missing > 0 {
			return msgTryAgain, false
		}
		return "", false
	case v.m.Owner(slot) != v.self:
		return fmt.Sprintf(msgMoved, slot, v.m.Nodes[v.m.Owner(slot)].Addr()), false
	}
	return "", false
}

// keysHere is route's exists for commands that take no locks to route
// again under (WATCH, the shard channel commands): their keys count as
// here.
func keysHere([]byte) bool { return true }

// redirected routes a command in cluster mode before it runs or is queued
// (see route), and reports whether it replied instead: a redirect or an
// error. It also ends the ASKING of the command before, as Redis does.
func (c *client) redirected(cmd *command, args [][]byte) bool {
	cl := &c.cluster
	cl.cmdAsking = cl.asking || cmd.flags&flagAsking != 0
	// ASKING holds for one command, or for the transaction it opens.
	switch {
	case cmd.name == "asking", cmd.name == "multi":
	case c.multi != nil && cmd.name != "exec" && cmd.name != "discard":
	default:
		cl.asking = false
	}
	cl.recheck = false
	v := c.srv.cluster.view.Load()
	cl.view = v
	if !cmd.namesKeys() {
		return false
	}
	if v != nil && cmd.keys == nil && cmd.firstKey == 1 && cmd.lastKey == 1 && len(args) > 1 {
		// The common case, one key, needs no key list.
		if slot := cluster.Slot(args[1]); v.m.Owner(slot) == v.self && v.m.MigratingTo(slot) < 0 {
			return false
		}
	}
	cl.keys = c.clusterKeys(cl.keys[:0], cmd, args)
	defer clear(cl.keys) // they view the request buffer
	var msg string
	switch {
	case len(cl.keys) == 0:
		return false
	case v == nil:
		msg = msgClusterDownUnbound
	default:
		var exists func([]byte) bool
		if cmd.flags&flagNoData != 0 {
			exists = keysHere
		}
		if msg, cl.recheck = v.route(cl.keys, cl.cmdAsking, exists); msg == "" {
			return false
		}
	}
	if cmd.name == "exec" {
		c.discardMulti()
		c.out.Error(msg)
	} else {
		c.reject(cmd, msg) // flags an open transaction to abort
	}
	return true
}

// clusterServes routes a command again under its locks when it must: when
// redirected said so, when the map changed since (a key it let through
// may be moving now), and for every command a script calls, which Redis
// checks as a script runs. It reports whether the command may run, having
// replied when it may not.
func (c *client) clusterServes(cmd *command, args [][]byte) bool {
	cs := c.srv.cluster
	if cs == nil || !c.cluster.recheck && c.script == nil && cs.view.Load() == c.cluster.view {
		return true
	}
	return c.clusterRoutesHere(cmd, args)
}

func (c *client) clusterRoutesHere(cmd *command, args [][]byte) bool {
	c.cluster.recheck = false
	v := c.srv.cluster.view.Load()
	c.cluster.view = v // EXEC's queued commands are routed with it
	keys := c.clusterKeys(nil, cmd, args)
	var msg string
	switch {
	case len(keys) == 0:
		return true
	case v == nil:
		msg = msgClusterDownUnbound
	default:
		msg, _ = v.route(keys, c.cluster.cmdAsking, func(k []byte) bool {
			_, ok := c.tx.Lookup(k, storage.LookupWrite|storage.LookupNoTouch)
			return ok
		})
	}
	switch {
	case msg == "":
		return true
	case c.script != nil:
		c.out.Error(msgScriptNonLocal) // as Redis's scriptVerifyClusterState
	case cmd.name == "exec":
		c.discardMulti()
		c.out.Error(msg)
	default:
		c.out.Error(msg)
	}
	return false
}

// clientCluster is a connection's cluster mode state.
type clientCluster struct {
	// asking is set by ASKING until the command after it (or the
	// transaction after it) has run; cmdAsking is whether the running
	// command is served as asked.
	asking, cmdAsking bool
	// recheck says the running command must be routed again under its
	// locks (see route); view is the map it was routed by.
	recheck bool
	view    *clusterView
	// keys is the running command's keys, while it is routed.
	keys [][]byte
}

// discardMulti drops c's transaction and its watches, as Redis's
// discardTransaction.
func (c *client) discardMulti() {
	c.multi = nil
	c.srv.watches.unwatchAll(c)
}

// clusterEnabled reports whether the server runs in cluster mode.
func (s *Server) clusterEnabled() bool { return s.cluster != nil }

// infoCluster writes INFO's cluster section.
func (s *Server) infoCluster(w *infoWriter) {
	enabled := 0
	if s.clusterEnabled() {
		enabled = 1
	}
	w.field("cluster_enabled", enabled)
}

// redisMode is the mode HELLO and INFO report.
func (s *Server) redisMode() string {
	if s.clusterEnabled() {
		return "cluster"
	}
	return "standalone"
}
