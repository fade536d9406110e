package cache

// Namespace invalidation by generation: CACHE.INVALIDATE NAMESPACE bumps
// the namespace's generation, in O(1) whatever its size. The store stamps
// every value with its key's generation when it is written and treats a
// value of an older one as gone (storage.Generations): never returned,
// reclaimed when a lookup, a scan or the disk tier's sweep meets it. This
// is the versioned-keys idiom (v2:product:42) without the application
// rewriting its keys.
//
// Generations are kept by namespace name in the disk tier's file, written
// before the bump takes effect, so that old entries never come back after
// a restart. Renaming a namespace that was invalidated, or moving its keys
// to another namespace, leaves them superseded.

import (
	"sync"
	"sync/atomic"

	"github.com/stratakv/strata/policy"
)

// generations holds each namespace's generation, by namespace ID: the
// store's storage.Generations once one is not 0.
type generations struct {
	rules *policy.Rules
	byID  []atomic.Uint32
	mu    sync.Mutex // serializes bumps, so the file and memory agree
}

func newGenerations(rules *policy.Rules) *generations {
	return &generations{rules: rules, byID: make([]atomic.Uint32, len(rules.Spaces()))}
}

// Generation returns key's namespace's generation (storage.Generations).
func (g *generations) Generation(key []byte) uint32 { return g.byID[g.rules.Lookup(key).ID].Load() }

// restore takes the generations the disk tier kept, by namespace name,
// and reports whether any is not 0.
func (g *generations) restore(saved map[string]uint32) bool {
	bumped := false
	for name, gen := range saved {
		if sp, ok := g.rules.ByName(name); ok && gen != 0 {
			g.byID[sp.ID].Store(gen)
			bumped = true
		}
	}
	return bumped
}

// InvalidateNamespace empties namespace sp at once: its keys in both
// tiers, whatever their number, are gone for every command from now on,
// and reclaimed lazily (see the file comment). It returns the namespace's
// new generation; an error (writing it to the disk tier) changes nothing.
func (c *Cache) InvalidateNamespace(sp *policy.Space) (uint32, error) {
	g := c.gens
	g.mu.Lock()
	defer g.mu.Unlock()
	gen := g.byID[sp.ID].Load() + 1
	if c.tier != nil {
		if err := c.tier.SaveGeneration(sp.Name, gen); err != nil {
			return 0, err
		}
	}
	c.store.SetGenerations(g)
	g.byID[sp.ID].Store(gen)
	if c.stale != nil {
		c.stale.forgetNamespace(sp)
	}
	return gen, nil
}
