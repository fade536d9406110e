package storage

import (
	"slices"
	"unsafe"
)

// PrefetchMax is the most keys one Prefetch reads; it ignores the rest.
const PrefetchMax = maxTxShards

// Prefetcher is the room Store.Prefetch works in, kept by its caller (a
// connection) so that a prefetch allocates nothing. It is not safe for
// concurrent use.
type Prefetcher struct {
	hash   [PrefetchMax]uint64
	shards [PrefetchMax]int
	pos    [PrefetchMax]int32
	// sink sums what the reads found, so that the compiler keeps them.
	sink uintptr
}

// Prefetch reads into the CPU cache what looking up keys of database db
// touches: each key's slot, then its entry, then its value's record (and,
// for a key a read will move in the LRU, its neighbours' entries). A key
// table lookup is three dependent cache misses; done key after key, as
// commands run, they follow one another, while here each pass reads the
// keys' memory independently of the other keys', so the CPU overlaps
// their misses. A connection calls it with the keys of the requests a
// pipeline has buffered before running the first of them.
//
// It is only a hint: it changes nothing (no access time, no statistics),
// reads nothing from the disk tier, and ignores keys past PrefetchMax. It
// takes the locks a read of keys takes, one shard lock per shard, never
// the whole store; call it holding none.
func (s *Store) Prefetch(p *Prefetcher, db int, keys [][]byte) {
	keys = keys[:min(len(keys), PrefetchMax)]
	if len(keys) == 0 {
		return
	}
	shards := p.shards[:0]
	for i, k := range keys {
		p.hash[i] = s.hash(k)
		shards = append(shards, int(p.hash[i]&(shardsPerDB-1)))
	}
	slices.Sort(shards)
	shards = slices.Compact(shards)
	var l locks
	if len(shards) == 1 {
		l = s.lockShard(db, shards[0])
	} else {
		l = s.lockShards(db, shards)
	}
	d := s.dbs[db].Load()
	sink := p.sink
	for _, h := range p.hash[:len(keys)] { // the home slots
		if t := &d.shards[h&(shardsPerDB-1)].lru; len(t.slots) > 0 {
			sink += uintptr(t.slots[int(slotTag(h))&(len(t.slots)-1)])
		}
	}
	for i, h := range p.hash[:len(keys)] { // the entries (a probe reads their hashes)
		p.pos[i] = d.shards[h&(shardsPerDB-1)].lru.position(h)
	}
	clock := s.lruClock()
	for i, h := range p.hash[:len(keys)] { // the records
		if e := p.pos[i]; e >= 0 {
			t := &d.shards[h&(shardsPerDB-1)].lru
			x := &t.entries[e]
			sink += touchRecord(x.v)
			if x.v.clock() != clock {
				// A read in a new second moves the key to the LRU's
				// front (DB.lookup), which writes its neighbours.
				sink += uintptr(t.entries[max(x.prev, 0)].h + t.entries[max(x.next, 0)].h)
			}
		}
	}
	p.sink = sink
	s.unlock(l)
}

// touchRecord reads one byte of each cache line of v's record, up to four,
// and returns their sum. A record holds at least its payload and the key
// length's byte, so every offset read is inside it.
func touchRecord(v Value) uintptr {
	if v.ptr == nil {
		return 0
	}
	sum := uintptr(*(*byte)(v.ptr))
	if v.Kind() == KindString {
		for off := 64; off <= int(min(v.n, 255)); off += 64 {
			sum += uintptr(*(*byte)(unsafe.Add(v.ptr, off)))
		}
	}
	return sum
}
