package storage

import (
	"fmt"
	"strings"
	"testing"
)

// TestTierPromotionRespectsMaxMemory reads back many more persisted keys
// than maxmemory holds: under noeviction they are served from disk
// without being kept, under allkeys-lru older ones are evicted to make
// room, and in both used memory never passes maxmemory.
func TestTierPromotionRespectsMaxMemory(t *testing.T) {
	for _, policy := range []EvictionPolicy{NoEviction, AllKeysLRU} {
		t.Run(policy.String(), func(t *testing.T) {
			e := newTierEnv(t, TierOptions{})
			val := strings.Repeat("v", 1000)
			const keys = 400
			for i := 0; i < keys; i++ {
				e.set(fmt.Sprintf("wt:%03d", i), val, 0)
			}
			e.restart() // memory empty, everything on disk
			const max = 50_000
			e.store.SetMaxMemory(max)
			e.store.SetPolicy(policy)
			for i := 0; i < keys; i++ {
				key := fmt.Sprintf("wt:%03d", i)
				e.expect(key, val)
				if used := e.store.Used(); used > max {
					t.Fatalf("after reading %s: used memory %d over maxmemory %d", key, used, max)
				}
			}
			inMemory := e.store.DB(0).Len()
			switch {
			case inMemory == 0:
				t.Error("no key was kept in memory, though some fit")
			case inMemory >= keys:
				t.Errorf("%d keys in memory: all of them, past maxmemory", inMemory)
			}
			if hits := e.store.Counters().DiskHits.Load(); hits != keys {
				t.Errorf("disk hits %d, want %d", hits, keys)
			}
			if policy == AllKeysLRU {
				// The last key read is the one most recently promoted.
				if s := e.store.DB(0).find([]byte(fmt.Sprintf("wt:%03d", keys-1))); !s.found {
					t.Error("the last key read was not kept in memory")
				}
			}
		})
	}
}
