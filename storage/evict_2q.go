package storage

// allkeys-2q: the shard's LRU is 2Q's main queue (Am), with a probation
// FIFO (A1in) of the keys written since they were last absent, and a ghost
// filter (A1out) of the hashes of keys evicted from probation unread, as in
// Johnson and Shasha's 2Q and golang-lru/v2's TwoQueueCache. Eviction takes
// the oldest key on probation while probation holds more than
// probationPercent of the shard's keys: a key read while on probation
// (its LFU counter rose above the initial one, see lfuIncr) graduates and
// stays in the LRU, where its reads have already moved it; an unread one
// is evicted and its hash remembered in the ghost filter. A key written
// again while its hash is a ghost skips probation. Otherwise eviction
// takes the LRU's oldest key, as allkeys-lru does.
//
// A one-off scan of cold keys therefore only ever displaces the keys on
// probation, not the LRU's hot keys, and a key read twice in a while is
// kept. The bookkeeping is on the write and eviction paths only: a read
// touches the key exactly as under allkeys-lru.
//
// Probation holds 8-byte hashes, counted in Used at probationCost each. The
// ghosts are two generations of Bloom filters (ghostBits bits per ghost,
// three bits set per key): a ghost is remembered for between one and two
// generations of ghostPercent of the shard's keys each, at about 1/25 of
// what a set of hashes would cost, so the filter can remember several times
// more evictions than the shard holds keys. Its bytes are counted in Used.
// A false positive (about 2%) only lets a cold key skip probation.
//
// Probation knows keys by hash only: a key deleted and written again while
// its first entry is still there is looked at by that entry, early. It
// then goes, unread, a little before its turn; nothing else is wrong.

const (
	// probationPercent bounds probation at eviction time: S3-FIFO's 10%
	// of the cache did best on the bench's Zipf traces (bench/hitratio.go).
	probationPercent = 10
	// probationTrimPercent bounds probation when nothing is evicted (below
	// maxmemory): older keys graduate without a look, so keys written and
	// deleted over and over cannot grow it.
	probationTrimPercent = 25
	// ghostPercent is a ghost generation's size, relative to the shard's
	// keys: with cold bursts (bench/hitratio.go) a hot key may leave
	// probation before its second read, and comes back later than that.
	ghostPercent = 200
	// ghostBits is the filter's size per ghost of a generation.
	ghostBits = 10
	// probationCost is a probation entry's cost: its hash, with the
	// queue's typical slack (it compacts when half is consumed).
	probationCost = 16
)

// twoQueue is a shard's 2Q state, nil until allkeys-2q writes a key in it.
// It is guarded by the shard's lock.
type twoQueue struct {
	probation hashQueue
	ghosts    ghostFilter
}

// ghostFilter remembers hashes in two generations of Bloom filters: adds go
// to cur; when cur holds its capacity it becomes prev, and the old prev is
// dropped.
type ghostFilter struct {
	cur, prev []uint64 // bit sets
	n, limit  int      // hashes added to cur, and its capacity
}

// ghostIndexes returns the three bits of h in a filter of m bits. The
// shard index is h's low bits, alike for every key of a shard, so h is
// mixed first.
func ghostIndexes(h uint64, m uint64) [3]uint64 {
	x := (h >> 8) * 0x9e3779b97f4a7c15
	return [3]uint64{x % m, (x >> 21) % m, (x >> 42) % m}
}

func (f *ghostFilter) has(h uint64) bool {
	for _, b := range [2][]uint64{f.cur, f.prev} {
		if len(b) == 0 {
			continue
		}
		in := true
		for _, i := range ghostIndexes(h, uint64(len(b))*64) {
			if b[i/64]&(1<<(i%64)) == 0 {
				in = false
				break
			}
		}
		if in {
			return true
		}
	}
	return false
}

// add remembers h, starting a generation of capacity limit when cur is
// full, and returns the change in the filter's bytes.
func (f *ghostFilter) add(h uint64, limit int) (grew int64) {
	if f.cur == nil || f.n >= f.limit {
		grew = -8 * int64(len(f.prev))
		f.prev = f.cur
		f.limit, f.n = max(limit, 8), 0
		f.cur = make([]uint64, (f.limit*ghostBits+63)/64)
		grew += 8 * int64(len(f.cur))
	}
	m := uint64(len(f.cur)) * 64
	for _, i := range ghostIndexes(h, m) {
		f.cur[i/64] |= 1 << (i % 64)
	}
	f.n++
	return grew
}

// bytes returns what the filter costs.
func (f *ghostFilter) bytes() int64 { return 8 * int64(len(f.cur)+len(f.prev)) }

// hashQueue is a FIFO of key hashes.
type hashQueue struct {
	buf  []uint64
	head int
}

func (q *hashQueue) len() int { return len(q.buf) - q.head }

func (q *hashQueue) push(h uint64) { q.buf = append(q.buf, h) }

// release empties the queue, giving back to used the probationCost each
// hash was counted at.
func (q *hashQueue) release(used *Counter) {
	for q.len() > 0 {
		used.Add(uint(q.pop()), -probationCost)
	}
}

// pop removes and returns the oldest hash; the queue must not be empty.
func (q *hashQueue) pop() uint64 {
	h := q.buf[q.head]
	q.head++
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	} else if q.head >= 64 && q.head*2 >= len(q.buf) {
		n := copy(q.buf, q.buf[q.head:])
		q.buf, q.head = q.buf[:n], 0
	}
	return h
}

// admit2Q puts the new key of hash h on probation in sh, or straight into
// the LRU when h is a ghost. The caller holds sh and has just added the
// key to sh.lru.
func (db *DB) admit2Q(sh *shard, h uint64) {
	q := sh.q2
	if q == nil {
		q = &twoQueue{}
		sh.q2 = q
	}
	used := &db.store.used
	if q.ghosts.has(h) {
		return
	}
	q.probation.push(h)
	used.Add(uint(h), probationCost)
	for q.probation.len() > sh.lru.Len()*probationTrimPercent/100+1 {
		used.Add(uint(q.probation.pop()), -probationCost)
	}
}

// victim2Q returns the key of sh that allkeys-2q evicts (see above).
func (db *DB) victim2Q(sh *shard) slot {
	if q := sh.q2; q != nil {
		used := &db.store.used
		limit := sh.lru.Len() * probationPercent / 100
		for q.probation.len() > limit {
			h := q.probation.pop()
			used.Add(uint(h), -probationCost)
			v, ok := sh.lru.Peek(h)
			if !ok || db.Frequency(v) > lfuInitial {
				continue // gone, or read while on probation: it graduates
			}
			used.Add(uint(h), q.ghosts.add(h, sh.lru.Len()*ghostPercent/100))
			return slot{sh: sh, h: h, found: true, v: v}
		}
	}
	h, v, ok := sh.lru.GetOldest()
	return slot{sh: sh, h: h, found: ok, v: v}
}

// drop2Q frees sh's 2Q state: the policy changed, or the shard was
// flushed.
func (db *DB) drop2Q(sh *shard) {
	q := sh.q2
	if q == nil {
		return
	}
	q.probation.release(&db.store.used)
	db.store.used.Add(0, -q.ghosts.bytes())
	sh.q2 = nil
}
