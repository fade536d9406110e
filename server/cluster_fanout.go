package server

// Keyless cache commands across the cluster: an invalidation sent to any
// node reaches every node, so tagged keys need not share a slot; CACHE.STATS
// CLUSTER adds up every node's counters. The node a client calls runs the
// command itself, sends it to the others at once (cluster_peers.go), and
// replies the total; a node that fails makes the reply an error naming it,
// after the others have done their part.

import (
	"strconv"

	"github.com/stratakv/strata/internal/resp"
)

// invalidateOthers runs CACHE.INVALIDATE LOCAL what on every other node
// and returns their replies, or the error to reply.
func (cs *clusterState) invalidateOthers(what [][]byte) ([]int64, string) {
	v := cs.view.Load()
	if v == nil {
		return nil, ""
	}
	args := append([][]byte{[]byte("CACHE.INVALIDATE"), []byte("LOCAL")}, what...)
	replies, fail := cs.broadcast(v, args...)
	if fail != nil {
		return nil, fail.msg()
	}
	out := make([]int64, 0, len(replies))
	for i, r := range replies {
		if i != v.self {
			out = append(out, r.Num)
		}
	}
	return out, ""
}

// clusterStats adds the other nodes' CACHE.STATS fields (of the keyspace,
// or with name of that namespace) to this node's, stats, and returns
// them, or the error to reply.
// Counts are summed, hit_rate is recomputed from the sums, and
// compression_ratio is the nodes' ratios weighted by their sets: a node
// reports its ratio, not the bytes it is made of.
func (s *Server) clusterStats(stats []cacheStat, name []byte) ([]cacheStat, string) {
	v := s.cluster.view.Load()
	if v == nil {
		return stats, ""
	}
	args := [][]byte{[]byte("CACHE.STATS")}
	if name != nil {
		args = append(args, name)
	}
	replies, fail := s.cluster.broadcast(v, args...)
	if fail != nil {
		return nil, fail.msg()
	}
	index := make(map[string]int, len(stats))
	for i, st := range stats {
		index[st.name] = i
	}
	sets := float64(stats[index["sets"]].n)
	weighted := stats[index["compression_ratio"]].ratio * sets
	for _, r := range replies {
		fields := statFields(r)
		nodeSets := float64(fields["sets"].Num)
		sets += nodeSets
		ratio, _ := strconv.ParseFloat(fields["compression_ratio"].Str, 64)
		weighted += ratio * nodeSets
		for i := range stats {
			if !stats[i].isRatio {
				stats[i].n += fields[stats[i].name].Num
			}
		}
	}
	for i := range stats {
		switch stats[i].name {
		case "hit_rate":
			hits := stats[index["memory_hits"]].n + stats[index["disk_hits"]].n
			if total := hits + stats[index["misses"]].n; total > 0 {
				stats[i].ratio = float64(hits) / float64(total)
			}
		case "compression_ratio":
			if sets > 0 {
				stats[i].ratio = weighted / sets
			}
		}
	}
	return stats, ""
}

// statFields indexes a node's CACHE.STATS reply, a flat array of names and
// values in RESP2, by name.
func statFields(r resp.Node) map[string]resp.Node {
	out := make(map[string]resp.Node, len(r.Elems)/2)
	for i := 0; i+1 < len(r.Elems); i += 2 {
		out[r.Elems[i].Str] = r.Elems[i+1]
	}
	return out
}
