package storage

import (
	"container/heap"
	"encoding/binary"
	"fmt"
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
	d := s.DB(db)
	offer := func(v Value) {
		if expiredAt(v.exp, ms) || d.superseded(v, bytesOf(v.key())) {
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

// Saved hot keys: the hot source of warm-up jobs promotes, after a restart,
// the keys that were hottest before it. The access counters live in memory
// only, so the hot keys of a database, with their counters, are saved in
// the data file's metadata (SaveHotKeys) when the job runs and when the
// server stops, and read back, decayed, by SavedHotKeys.

// hotKeysKey names database db's saved hot keys in the meta bucket.
func hotKeysKey(db int) []byte { return binary.BigEndian.AppendUint32([]byte("hot:"), uint32(db)) }

// SaveHotKeys writes keys, database db's hottest keys with their access
// frequencies, to the data file in place of the last saved.
func (t *Tier) SaveHotKeys(db int, keys []HotKey) error {
	b := binary.BigEndian.AppendUint64(nil, uint64(t.store.clock()/1000))
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k.Key)))
		b = append(append(b, k.Key...), byte(k.Freq))
	}
	if err := t.disk.putMeta(hotKeysKey(db), b); err != nil {
		return fmt.Errorf("%w: %w", diskError(err), err)
	}
	return nil
}

// SavedHotKeys returns the keys SaveHotKeys saved last for database db,
// their frequencies decayed by the time since (a minute a step, as the
// counters decay in memory), hottest first; ties keep the saved order.
func (t *Tier) SavedHotKeys(db int) ([]HotKey, error) {
	b, err := t.disk.getMeta(hotKeysKey(db))
	if err != nil || len(b) < 8 {
		return nil, err
	}
	periods := (t.store.clock()/1000 - int64(binary.BigEndian.Uint64(b))) / 60 / lfuDecayMinutes
	var out []HotKey
	for b = b[8:]; len(b) > 0; {
		n, w := binary.Uvarint(b)
		if w <= 0 || n >= uint64(len(b)-w) {
			return nil, fmt.Errorf("%w: saved hot keys of db %d", ErrForeignFile, db)
		}
		key, freq := string(b[w:w+int(n)]), int64(b[w+int(n)])
		out = append(out, HotKey{Key: key, Freq: int(max(freq-periods, 0))})
		b = b[w+int(n)+1:]
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Freq > out[j].Freq })
	return out, nil
}

// Promote reads key of database db into memory from the disk tier, unless
// memory holds it, and reports whether it did: the hot source's load. It
// counts no read. Call it holding no lock.
func (s *Store) Promote(db int, key []byte) (bool, error) {
	if s.tier == nil {
		return false, nil
	}
	var tx Tx
	s.Begin(&tx, db, [][]byte{key}, TxRead)
	sl := tx.DB.find(key)
	promoted := false
	if !sl.found {
		sl, tx.err = tx.DB.promote(key, sl, LookupWrite)
		promoted = sl.found
	}
	return promoted, tx.End()
}
