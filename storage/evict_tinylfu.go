package storage

// allkeys-tinylfu: W-TinyLFU (Einziger, Friedman and Manes, as in Caffeine)
// over the shard's LRU. A key written since it was last absent enters a
// window, a FIFO of about windowPercent of the shard's keys; the rest of the
// LRU is the main queue. A count-min sketch (sketch.go) records the reads
// of the shard, hits and misses alike, so it also remembers keys that are
// not in memory. When the window is full, eviction takes its oldest key,
// the candidate, and duels it with the main queue's victim: the least
// frequent, by the sketch, of the LRU's tinyLFUSample oldest keys (those
// passed over move to the front, as allkeys-lfu's do). The less frequent
// of the two is evicted; the candidate wins ties only against a victim
// never read lately, so a key read once (a look-aside miss) does not
// displace one read as often, and a one-off scan leaves the main queue
// alone.
//
// A write does not count as a read: in a look-aside cache every miss is a
// read followed by a write, and counting both only adds noise. A SET is
// always stored and visible: the duel happens later, on the window's way
// out.
//
// Costs, all counted in Used: the window holds 8-byte hashes (counted at
// probationCost each, as 2Q's probation); the sketch has sketchPerKey
// counters a row per key of the shard, rounded up to a power of two, so 8
// to 16 bytes a key. It is sized again, empty, when the shard grows past
// half its width in keys or shrinks to under a quarter of what it was
// sized for (checked when it halves), and it halves every
// tinyLFUPeriod reads per key.
//
// Like 2Q's probation, the window knows keys by hash only; a key deleted
// and written again while its first entry is still there leaves the window
// early. Nothing else is wrong.

const (
	// windowPercent is the window's share of the shard's keys, Caffeine's
	// initial 1%: larger windows did worse on both traces of the bench
	// (bench/hitratio.go; 5%: -0.0003, 20%: -0.007).
	windowPercent = 1
	// sketchPerKey is the sketch's counters per row per key: 16 counters
	// a key in all, as Caffeine sizes it.
	sketchPerKey = 4
	// tinyLFUPeriod is the reads per key of the shard between halvings.
	// Caffeine's 10 forgets too fast for a shard of a few hundred keys on
	// the bench's Zipf trace (-0.007 against 32); 64 gained 0.0006 more.
	tinyLFUPeriod = 32
	// tinyLFUSample is how many of the LRU's oldest keys the main queue's
	// victim is chosen from; 1 (the oldest) cost 0.001 on both traces.
	tinyLFUSample = 8
)

// tinyLFU is a shard's W-TinyLFU state, nil until allkeys-tinylfu reads or
// writes a key in it under maxmemory. It is guarded by the shard's lock.
type tinyLFU struct {
	window hashQueue
	freq   *sketch
}

// tinyLFUFor returns sh's state, creating it, and sizing its sketch to the
// shard's keys. The caller holds sh.
func (db *DB) tinyLFUFor(sh *shard, h uint64) *tinyLFU {
	t := sh.tlfu
	if t == nil {
		t = &tinyLFU{}
		sh.tlfu = t
	}
	keys := sh.lru.Len()
	if t.freq == nil || keys > t.freq.width()/2 {
		db.resizeSketch(t, h, keys)
	}
	return t
}

// resizeSketch replaces t's sketch with an empty one sized for keys.
func (db *DB) resizeSketch(t *tinyLFU, h uint64, keys int) {
	var was int64
	if t.freq != nil {
		was = t.freq.bytes()
	}
	t.freq = newSketch(sketchPerKey * keys)
	db.store.used.Add(uint(h), t.freq.bytes()-was)
}

// readTinyLFU records a read of the key of hash h, present or not, in sh's
// sketch. The caller holds sh.
func (db *DB) readTinyLFU(sh *shard, h uint64) {
	t := db.tinyLFUFor(sh, h)
	keys := max(sh.lru.Len(), sketchMinWidth/sketchPerKey)
	before := t.freq.adds
	t.freq.increment(h, tinyLFUPeriod*keys)
	if t.freq.adds < before && t.freq.width() > 4*sketchPerKey*keys {
		db.resizeSketch(t, h, keys) // it halved: shrink it with the shard
	}
}

// admitTinyLFU puts the new key of hash h in sh's window. The caller holds
// sh and has just added the key to sh.lru.
func (db *DB) admitTinyLFU(sh *shard, h uint64) {
	t := db.tinyLFUFor(sh, h)
	used := &db.store.used
	t.window.push(h)
	used.Add(uint(h), probationCost)
	for t.window.len() > sh.lru.Len()*windowPercent/100+1 {
		used.Add(uint(t.window.pop()), -probationCost) // into the main queue
	}
}

// victimTinyLFU returns the key of sh that allkeys-tinylfu evicts (see
// above).
func (db *DB) victimTinyLFU(sh *shard) slot {
	t := sh.tlfu
	if t == nil || t.freq == nil {
		h, v, ok := sh.lru.GetOldest()
		return slot{sh: sh, h: h, found: ok, v: v}
	}
	used := &db.store.used
	for t.window.len() > 0 {
		// Over its bounds the window gives up its oldest key, which then
		// stays only if it wins; within them that key still duels, and
		// stays in the window if it wins: a second eviction for one write,
		// or a shard of a few keys (whose window is one key), would
		// otherwise take the main queue's victim unopposed.
		over := t.window.len() > sh.lru.Len()*windowPercent/100
		c := t.window.peek()
		pop := func() { t.window.pop(); used.Add(uint(c), -probationCost) }
		cv, ok := sh.lru.Peek(c)
		if !ok {
			pop() // gone already
			continue
		}
		candidate := slot{sh: sh, h: c, found: true, v: cv}
		victim := db.mainVictim(sh, t, c)
		if !victim.found {
			pop()
			return candidate
		}
		if fc, fv := t.freq.estimate(c), t.freq.estimate(victim.h); fc > fv || fv == 0 {
			if over {
				pop() // into the main queue
			}
			return victim
		}
		pop()
		return candidate
	}
	return db.mainVictim(sh, t, 0)
}

// peek returns the oldest hash; the queue must not be empty.
func (q *hashQueue) peek() uint64 { return q.buf[q.head] }

// mainVictim returns the least frequent of sh's tinyLFUSample oldest keys
// other than candidate's, moving the others it looks at to the front; not
// found when candidate's is the shard's only key. In a shard of a few
// keys the candidate is among the oldest: it is passed over, or it would
// never duel.
func (db *DB) mainVictim(sh *shard, t *tinyLFU, candidate uint64) slot {
	var best slot
	bestFreq := 16
	for i := 0; i < min(tinyLFUSample, sh.lru.Len()); i++ {
		h, v, ok := sh.lru.GetOldest()
		if !ok {
			break
		}
		if h == candidate {
			sh.lru.Get(h)
			continue
		}
		if f := t.freq.estimate(h); f < bestFreq {
			best, bestFreq = slot{sh: sh, h: h, found: true, v: v}, f
		}
		sh.lru.Get(h) // to the front: the next look sees other keys
	}
	return best
}

// dropTinyLFU frees sh's W-TinyLFU state: the policy changed, or the
// shard was flushed.
func (db *DB) dropTinyLFU(sh *shard) {
	t := sh.tlfu
	if t == nil {
		return
	}
	t.window.release(&db.store.used)
	if t.freq != nil {
		db.store.used.Add(0, -t.freq.bytes())
	}
	sh.tlfu = nil
}
