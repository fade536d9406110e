package server

// Warm-ups in cluster mode (scheduler.Cluster): a job that loads keys
// from a source runs on the node that owns its name's slot, so once per
// cluster whatever node's cron fires, and each key it loads is written on
// the node that owns it, with SET as a client would write it.

import (
	"errors"
	"strconv"

	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/scheduler"
)

// Why a warm-up key is not written.
var (
	// errSlotMoving: its slot is on its way between nodes, where neither
	// can take it without the other's say.
	errSlotMoving = errors.New("server: the key's slot is moving between cluster nodes; the job's next run writes it")
	// errNoSlotMap: this node has no slot map, so no node to write it on.
	errNoSlotMap = errors.New("server: this cluster node has no slot map yet")
)

// warmupCluster is the scheduler's view of the cluster.
type warmupCluster struct{ cs *clusterState }

// scheduleCluster is what the scheduler is told of the cluster: nil
// outside one.
func (s *Server) scheduleCluster() scheduler.Cluster {
	if s.cluster == nil {
		return nil
	}
	return warmupCluster{s.cluster}
}

// Runs reports whether this node owns the slot of the job's name: none
// does before the node has a map.
func (w warmupCluster) Runs(name string) bool {
	v := w.cs.view.Load()
	return v != nil && v.m.Owner(cluster.Slot([]byte(name))) == v.self
}

func (w warmupCluster) Sender() scheduler.Sender {
	return &keySender{cs: w.cs, queued: map[string][][][]byte{}, nodes: map[string]cluster.Node{}}
}

// keySender queues the SETs of keys other nodes own, by address.
type keySender struct {
	cs     *clusterState
	queued map[string][][][]byte
	nodes  map[string]cluster.Node
}

func (k *keySender) Send(key string, value []byte, expireAt int64) (bool, error) {
	v := k.cs.view.Load()
	if v == nil {
		return false, errNoSlotMap
	}
	slot := cluster.Slot(keyBytes(key))
	if v.m.MigratingTo(slot) >= 0 {
		return false, errSlotMoving
	}
	owner := v.m.Nodes[v.m.Owner(slot)]
	if v.m.Owner(slot) == v.self {
		return false, nil
	}
	set := [][]byte{[]byte("SET"), []byte(key), append([]byte(nil), value...)}
	if expireAt != 0 {
		set = append(set, []byte("PXAT"), strconv.AppendInt(nil, expireAt, 10))
	}
	k.nodes[owner.Addr()] = owner
	k.queued[owner.Addr()] = append(k.queued[owner.Addr()], set)
	return true, nil
}

// Flush sends each node its keys in one exchange; a node replies once
// they are durable as its namespaces say.
func (k *keySender) Flush() error {
	var first error
	for addr, cmds := range k.queued {
		if msg := k.cs.sendKeys(k.nodes[addr], cmds); msg != "" && first == nil {
			first = errors.New(msg)
		}
		delete(k.queued, addr)
	}
	return first
}
