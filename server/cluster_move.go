package server

// Moving slots between nodes.

import (
	"runtime"
	"strings"

	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/storage"
)

// keysInSlots returns up to limit (negative: all) keys of database 0
// whose slot in accepts, from the memory tier and then the disk tier, in
// no order. It walks the memory tier a shard at a time, and reads the
// disk tier's whole key list: it costs time in the size of the keyspace.
func (s *Server) keysInSlots(in func(slot int) bool, limit int) ([]string, error) {
	var keys []string
	seen := map[string]bool{}
	full := func() bool { return limit >= 0 && len(keys) >= limit }
	for i := 0; i < storage.Shards && !full(); i++ {
		// Write mode: the scan reclaims the expired keys it meets.
		err := s.store.UpdateShard(0, i, func(tx *storage.Tx) error {
			tx.ScanShard(i, func(k string, _ storage.Value) {
				if !full() && in(cluster.Slot(keyBytes(k))) {
					k = strings.Clone(k)
					keys = append(keys, k)
					seen[k] = true
				}
			})
			return nil
		})
		if err != nil {
			return nil, err
		}
		runtime.Gosched()
	}
	if t := s.cache.Tier(); t != nil && !full() {
		onDisk, err := t.PersistedKeys(0, "")
		if err != nil {
			return nil, err
		}
		for _, k := range onDisk {
			if !full() && !seen[k] && in(cluster.Slot(keyBytes(k))) {
				keys = append(keys, k)
			}
		}
	}
	return keys, nil
}
