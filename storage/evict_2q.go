package storage

// allkeys-2q: the shard's LRU is 2Q's main queue (Am), with a probation
// FIFO (A1in) of the keys written since they were last absent, and a ghost
// queue (A1out) of the hashes of keys evicted from probation unread, as in
// Johnson and Shasha's 2Q and golang-lru/v2's TwoQueueCache. Eviction takes
// the oldest key on probation while probation holds more than
// probationPercent of the shard's keys: a key read while on probation
// (its LFU counter rose above the initial one, see lfuIncr) graduates and
// stays in the LRU, where its reads have already moved it; an unread one
// is evicted and its hash remembered in the ghost queue. A key written
// again while its hash is a ghost skips probation. Otherwise eviction
// takes the LRU's oldest key, as allkeys-lru does.
//
// A one-off scan of cold keys therefore only ever displaces the keys on
// probation, not the LRU's hot keys, and a key read twice in a while is
// kept. The bookkeeping is on the write and eviction paths only: a read
// touches the key exactly as under allkeys-lru.
//
// The queues hold 8-byte hashes and are counted in Used: probationCost per
// key on probation, ghostCost per ghost.

const (
	// probationPercent bounds probation at eviction time: S3-FIFO's 10%
	// of the cache did best on the bench's Zipf traces (bench/hitratio.go).
	probationPercent = 10
	// probationTrimPercent bounds probation when nothing is evicted (below
	// maxmemory): older keys graduate without a look, so keys written and
	// deleted over and over cannot grow it.
	probationTrimPercent = 25
	// ghostPercent bounds the ghost queue, relative to the shard's keys.
	ghostPercent = 50
	// probationCost is a probation entry's cost: its hash, with the
	// queue's slack (it compacts when half is consumed).
	probationCost = 16
	// ghostCost is a ghost's cost: its hash in the queue, with slack, and
	// its slot in the ghost set (8 bytes and a control byte at the map's
	// load factor).
	ghostCost = 16 + 16
)

// twoQueue is a shard's 2Q state, nil until allkeys-2q writes a key in it.
// It is guarded by the shard's lock.
type twoQueue struct {
	probation hashQueue
	ghosts    hashQueue
	ghostSet  map[uint64]struct{}
}

// hashQueue is a FIFO of key hashes.
type hashQueue struct {
	buf  []uint64
	head int
}

func (q *hashQueue) len() int { return len(q.buf) - q.head }

func (q *hashQueue) push(h uint64) { q.buf = append(q.buf, h) }

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
		q = &twoQueue{ghostSet: map[uint64]struct{}{}}
		sh.q2 = q
	}
	used := &db.store.used
	if _, ok := q.ghostSet[h]; ok {
		delete(q.ghostSet, h) // its queue entry stays until it leaves it
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
			q.ghostSet[h] = struct{}{}
			q.ghosts.push(h)
			used.Add(uint(h), ghostCost)
			for q.ghosts.len() > sh.lru.Len()*ghostPercent/100+1 {
				g := q.ghosts.pop()
				delete(q.ghostSet, g) // a later ghost of the same hash ends early: rare, and only costs a probation
				used.Add(uint(g), -ghostCost)
			}
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
	used := &db.store.used
	for q.probation.len() > 0 {
		used.Add(uint(q.probation.pop()), -probationCost)
	}
	for q.ghosts.len() > 0 {
		used.Add(uint(q.ghosts.pop()), -ghostCost)
	}
	sh.q2 = nil
}
