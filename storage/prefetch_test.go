package storage

import (
	"fmt"
	"slices"
	"testing"
)

// TestPrefetchChangesNothing: a prefetch of keys present and absent, in
// one shard and many, more than PrefetchMax of them, leaves the keys'
// values, LRU order, access history, hot keys and hit counts as they
// were, and releases its locks.
func TestPrefetchChangesNothing(t *testing.T) {
	s := newTestStore(t)
	db := heldTx(s, 0)
	var keys [][]byte
	for i := range 100 {
		keys = append(keys, fmt.Appendf(nil, "key:%d", i))
		db.Set(keys[i], StringValue(fmt.Appendf(nil, "%0*d", i*3, i)))
	}
	db.Get(keys[7])
	order := func() []string {
		var out []string
		for i := range s.DB(0).shards {
			t := &s.DB(0).shards[i].lru
			for e := t.head; e >= 0; e = t.entries[e].next {
				v := t.entries[e].v
				out = append(out, fmt.Sprintf("%s=%q/%d", v.key(), v.Bytes(), v.meta))
			}
		}
		return out
	}
	before, hot, hits := order(), s.HotKeys(0, 10, nil), s.Stats().Hits.Load()
	var p Prefetcher
	for _, batch := range [][][]byte{keys[:1], keys[:20], keys, {[]byte("absent"), keys[3], []byte("")}} {
		s.Prefetch(&p, 0, batch)
		s.Prefetch(&p, 1, batch) // an empty database
	}
	if after := order(); !slices.Equal(before, after) {
		t.Errorf("keys changed:\n%q\nto\n%q", before, after)
	}
	if got := s.HotKeys(0, 10, nil); !slices.Equal(got, hot) {
		t.Errorf("hot keys changed from %v to %v", hot, got)
	}
	if got := s.Stats().Hits.Load(); got != hits {
		t.Errorf("hits changed from %d to %d", hits, got)
	}
	// Every shard lock is free again: an exclusive transaction can begin.
	s.Update(0, nil, func(*Tx) error { return nil })
}
