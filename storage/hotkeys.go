package storage

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
)

// Hot keys are tracked as keys are touched, in a small set per shard kept
// under the shard's lock, so a read pays a scan of a few entries and no
// lock of its own. Each entry counts its key's accesses (the lookups that
// touch it: reads, and read-modify-writes such as INCR) with exponential
// decay: an access counts half as much after hotHalfLife. The count is
// exact for a key while it is tracked, so keys read 30, 20 and 10 times
// rank in that order, where the LFU counter OBJECT FREQ reports (Redis's
// logarithmic 8-bit counter) shows them all near 8.
//
// A shard's set holds hotPerShard keys, hotPerShard x 256 per database in
// all. When it is full, a key not in it takes the place of the coldest one
// only if its own LFU counter is higher than that key's: a burst of keys
// read once does not churn the set, and a key that grows hot gets in. Its
// count then starts from that access; what it had before is not known.
//
// Decay is kept forward (Cormode et al., "Forward decay", 2009): an access
// at time t adds 2^(t/hotHalfLife) rather than 1, and a count is read by
// dividing by 2^(now/hotHalfLife), so stored scores never need updating
// and compare directly. Times are counted from the Store's start in
// generations of hotGeneration half-lives, which keeps the weights in
// [1, 2^hotGeneration); an entry from an older generation is scaled down
// when it is next read.
const (
	hotHalfLife   = 60 // seconds
	hotPerShard   = 8
	hotGeneration = 32 // half-lives
)

// HotKey is a key with its decayed access count.
type HotKey struct {
	Key   string
	Count float64
}

// hotSet is a shard's tracked keys, in arrays so that a lookup reads the
// hashes (one cache line) and, for a tracked key, its score and state, and
// dereferences a key's text only when its hash matches. Its shard's lock
// guards it.
type hotSet struct {
	hash  [hotPerShard]uint64  // the keys' hashes (Store.hash)
	score [hotPerShard]float64 // the sum of the weights of its accesses, in generation gen
	gen   [hotPerShard]uint32
	lfu   [hotPerShard]uint8  // the key's LFU counter at its last access
	clock [hotPerShard]uint16 // and the access clock then
	n     int
	key   [hotPerShard]string
	// cold is the coldest entry's index while coldOK: a full set is asked
	// for it at every access to a key it does not track (the commonest
	// access over a large keyspace), and it changes only when that entry
	// is touched or replaced, or the set changes otherwise. Comparing
	// scores brought to a common generation does not depend on which, so
	// a new generation leaves it.
	cold   int
	coldOK bool
}

// coldest returns the index of the entry with the lowest score.
func (h *hotSet) coldest(gen uint32) int {
	if !h.coldOK {
		h.cold = 0
		for i := 1; i < h.n; i++ {
			if h.scoreAt(i, gen) < h.scoreAt(h.cold, gen) {
				h.cold = i
			}
		}
		h.coldOK = true
	}
	return h.cold
}

// scoreAt returns entry i's score in generation gen.
func (h *hotSet) scoreAt(i int, gen uint32) float64 {
	if h.gen[i] == gen {
		return h.score[i]
	}
	return math.Ldexp(h.score[i], -hotGeneration*int(min(gen-h.gen[i], 64)))
}

// put sets entry i to key, of hash hash and touched value v, with score w.
func (h *hotSet) put(i int, hash uint64, key []byte, v Value, gen uint32, w float64) {
	h.hash[i], h.key[i], h.score[i], h.gen[i] = hash, string(key), w, gen
	h.lfu[i], h.clock[i] = v.LFU(), v.clock()
}

// hotWeight returns the weight of an access now: the generation and the
// weight within it. It reads the cached access clock, as lookups do, and
// computes the weight once a second (math.Exp2 showed in profiles of
// reads, which all count).
func (s *Store) hotWeight() (uint32, float64) {
	var secs uint32
	if s.mono == nil {
		secs = uint32(s.clock()/1000) - s.startSecs
	} else {
		secs = s.lruSecs.Load() - s.startSecs
	}
	if w := s.hotW.Load(); w != nil && w.secs == secs {
		return w.gen, w.w
	}
	const span = hotGeneration * hotHalfLife
	w := &hotWeightAt{secs: secs, gen: secs / span, w: math.Exp2(float64(secs%span) / hotHalfLife)}
	s.hotW.Store(w)
	return w.gen, w.w
}

// hotWeightAt is hotWeight's result for one second since the Store's start.
type hotWeightAt struct {
	secs, gen uint32
	w         float64
}

// touchHot counts an access to key, of hash hash, whose value v is
// touched, in its shard's set. The caller holds the shard's lock.
func (db *DB) touchHot(sh *shard, hash uint64, key []byte, v Value) {
	h := sh.hot
	if h == nil {
		h = new(hotSet)
		sh.hot = h
	}
	gen, w := db.store.hotWeight()
	for i := 0; i < h.n; i++ {
		if h.hash[i] == hash && h.key[i] == unsafeString(key) {
			h.score[i], h.gen[i] = h.scoreAt(i, gen)+w, gen
			h.lfu[i], h.clock[i] = v.LFU(), v.clock()
			if i == h.cold {
				h.coldOK = false
			}
			return
		}
	}
	if h.n < hotPerShard {
		h.put(h.n, hash, key, v, gen, w)
		h.n++
		h.coldOK = false
		return
	}
	if c := h.coldest(gen); v.LFU() > lfuDecay(h.lfu[c], h.clock[c], v.clock()) {
		h.put(c, hash, key, v, gen, w)
		h.coldOK = false
	}
}

// dropHot forgets key, removed from its shard, whose lock the caller holds.
func (sh *shard) dropHot(key string) {
	h := sh.hot
	if h == nil {
		return
	}
	for i := 0; i < h.n; i++ {
		if h.key[i] == key {
			h.n--
			h.hash[i], h.key[i], h.score[i], h.gen[i] = h.hash[h.n], h.key[h.n], h.score[h.n], h.gen[h.n]
			h.lfu[i], h.clock[i] = h.lfu[h.n], h.clock[h.n]
			h.key[h.n] = ""
			h.coldOK = false
			return
		}
	}
}

// HotKeys returns up to n live keys of database db with the highest
// decayed access counts, hottest first, equal counts by key, among the
// tracked keys that keep accepts (nil: all). It takes the shard locks
// one at a time: call it holding none. It changes nothing; the returned
// keys are copies.
func (s *Store) HotKeys(db, n int, keep func(key string) bool) []HotKey {
	if n <= 0 {
		return nil
	}
	ms := s.clock()
	var out []HotKey
	for i := 0; i < shardsPerDB; i++ {
		l := s.lockShard(db, i)
		d, sh := s.DB(db), l.shard
		gen, w := s.hotWeight()
		if h := sh.hot; h != nil {
			for i, k := range h.key[:h.n] {
				if sl := d.find(bytesOf(k)); !sl.found || expiredAt(sl.v.exp, ms) || d.superseded(sl.v, bytesOf(k)) || keep != nil && !keep(k) {
					continue
				}
				out = append(out, HotKey{Key: k, Count: h.scoreAt(i, gen) / w})
			}
		}
		s.unlock(l)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out[:min(n, len(out))]
}

// Saved hot keys: the hot source of warm-up jobs promotes, after a restart,
// the keys that were hottest before it. The access counts live in memory
// only, so the hot keys of a database, with their counts, are saved in the
// data file's metadata (SaveHotKeys) when the job runs and when the server
// stops, and read back, decayed by the time since, by SavedHotKeys.

// hotKeysKey names database db's saved hot keys in the meta bucket.
func hotKeysKey(db int) []byte { return binary.BigEndian.AppendUint32([]byte("hot:"), uint32(db)) }

// SaveHotKeys writes keys, database db's hottest keys with their access
// counts, to the data file in place of the last saved.
func (t *Tier) SaveHotKeys(db int, keys []HotKey) error {
	b := binary.BigEndian.AppendUint64(nil, uint64(t.store.clock()/1000))
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k.Key)))
		b = binary.BigEndian.AppendUint64(append(b, k.Key...), math.Float64bits(k.Count))
	}
	if err := t.disk.putMeta(hotKeysKey(db), b); err != nil {
		return fmt.Errorf("%w: %w", diskError(err), err)
	}
	return nil
}

// SavedHotKeys returns the keys SaveHotKeys saved last for database db,
// their counts decayed by the time since (halved every hotHalfLife, as
// they decay in memory), hottest first; ties keep the saved order.
func (t *Tier) SavedHotKeys(db int) ([]HotKey, error) {
	b, err := t.disk.getMeta(hotKeysKey(db))
	if err != nil || len(b) < 8 {
		return nil, err
	}
	decay := math.Exp2(-float64(t.store.clock()/1000-int64(binary.BigEndian.Uint64(b))) / hotHalfLife)
	var out []HotKey
	for b = b[8:]; len(b) > 0; {
		n, w := binary.Uvarint(b)
		if w <= 0 || n+8 > uint64(len(b)-w) {
			return nil, fmt.Errorf("%w: saved hot keys of db %d", ErrForeignFile, db)
		}
		b = b[w:]
		count := math.Float64frombits(binary.BigEndian.Uint64(b[n:]))
		out = append(out, HotKey{Key: string(b[:n]), Count: count * decay})
		b = b[n+8:]
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
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
