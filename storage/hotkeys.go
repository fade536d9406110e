package storage

import (
	"container/heap"
	"sort"
	"strings"
)

// Hot keys are found by scanning on demand, not tracked on the way: every
// lookup already keeps the key's LFU counter (Redis's logarithmic counter,
// decayed by idle time), so GET and SET pay nothing more for CACHE.HOTKEYS,
// and the answer is the same counter OBJECT FREQ reports. The price is a
// walk over the keyspace per call, as redis-cli --hotkeys walks it with SCAN
// and OBJECT FREQ; the walk reads each entry once and copies just the keys
// that enter the top n.

// HotKey is a key with its access frequency: the LFU counter decayed to now
// (0-255, logarithmic in the number of accesses).
type HotKey struct {
	Key  string
	Freq int
}

// HotKeys returns up to n live keys of database db with the highest access
// frequency, most frequent first, equal frequencies by key. It takes the
// locks it needs, one shard at a time, so that other clients wait at most
// for one shard's walk: call it holding none. It changes nothing. The
// returned keys are copies.
func (s *Store) HotKeys(db, n int) []HotKey {
	if n <= 0 {
		return nil
	}
	ms := s.clock()
	now := uint16(ms / 1000)
	var top hotHeap
	offer := func(v Value) {
		if expiredAt(v.exp, ms) {
			return
		}
		f := int(lfuDecay(v.LFU(), v.clock(), now))
		// Most keys lose on frequency alone: read the key, which lives
		// in the value's record and costs a cache miss, only for the
		// others.
		switch {
		case len(top) < n:
			heap.Push(&top, HotKey{Key: strings.Clone(v.key()), Freq: f})
		case f > top[0].Freq || f == top[0].Freq && v.key() < top[0].Key:
			top[0] = HotKey{Key: strings.Clone(v.key()), Freq: f}
			heap.Fix(&top, 0)
		}
	}
	for i := 0; i < shardsPerDB; i++ {
		l := s.lockShard(db, i)
		sh := l.shard
		// Values walks the LRU list once; Keys would add a map lookup
		// per key.
		for _, v := range sh.lru.Values() {
			offer(v)
		}
		for _, v := range sh.overflow {
			offer(v)
		}
		s.unlock(l)
	}
	sort.Slice(top, func(i, j int) bool { return top.less(top[i], top[j]) })
	return top
}

// hotHeap is a heap whose root is the coldest of the keys kept, the one a
// hotter key replaces.
type hotHeap []HotKey

// less orders hotter first: higher frequency, then the smaller key.
func (hotHeap) less(a, b HotKey) bool {
	if a.Freq != b.Freq {
		return a.Freq > b.Freq
	}
	return a.Key < b.Key
}

func (h hotHeap) Len() int           { return len(h) }
func (h hotHeap) Less(i, j int) bool { return h.less(h[j], h[i]) }
func (h hotHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hotHeap) Push(x any)        { *h = append(*h, x.(HotKey)) }
func (h *hotHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
