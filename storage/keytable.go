package storage

import "math/rand/v2"

// keyTable is a shard's keys in LRU order, found by their 64-bit hash (a
// key itself lives in its value's record). It replaces golang-lru's
// simplelru, whose list element (96 bytes, its own allocation) and map slot
// cost ~122 bytes a key and one dependent cache miss more per lookup; here a
// key costs ~60 bytes and no allocation of its own:
//
//   - entries holds every key's hash, value and LRU links (40 bytes), dense:
//     removing a key moves the last entry into its place, so the slice has
//     no holes and a random key is one index away;
//   - slots is an open-addressing index into entries (linear probing,
//     backward-shift deletion, at most 3/4 full). A slot packs 32 bits of
//     the hash with the entry's position, so a probe compares hashes
//     without touching entries, and the position of a slot's home is
//     computed from the slot alone when deletion shifts it back.
//
// The LRU is a doubly linked list through entry positions. Method names
// follow simplelru's (Peek, Get, Add, Remove, GetOldest, Len). It is not
// safe for concurrent use: the shard's mutex guards it.
type keyTable struct {
	slots   []uint64 // 0: empty; else slotTag(h)<<32 | position+1
	entries []keyEntry
	head    int32 // most recently used entry, -1 when empty
	tail    int32 // least recently used entry, -1 when empty
}

// keyEntry is one key of a keyTable.
type keyEntry struct {
	v    Value
	h    uint64
	prev int32 // the entry used more recently, -1 at the head
	next int32 // the entry used less recently, -1 at the tail
}

// keyEntryCost is what one key costs in a keyTable, as Used accounts it: a
// 40-byte entry with the slack of a slice grown by append (~12%), and an
// 8-byte slot at the average load of a table kept between 3/8 and 3/4 full.
const keyEntryCost = 45 + 15

// The hash's low bits pick the shard (shardsPerDB), the same for every key
// of a table; slots are placed by the 32 bits above them.
const slotTagShift = 8

func slotTag(h uint64) uint64 { return uint64(uint32(h >> slotTagShift)) }

func newKeyTable() keyTable { return keyTable{head: -1, tail: -1} }

// Len returns the number of keys.
func (t *keyTable) Len() int { return len(t.entries) }

// lookup returns the slot holding h and its entry's position, or the empty
// slot where h would go and -1.
func (t *keyTable) lookup(h uint64) (int, int32) {
	mask := len(t.slots) - 1
	want := slotTag(h) << 32
	for i := int(slotTag(h)) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return i, -1
		}
		if s&^0xffffffff == want {
			if e := int32(uint32(s)) - 1; t.entries[e].h == h {
				return i, e
			}
		}
	}
}

// position returns the position of h's entry, -1 when absent.
func (t *keyTable) position(h uint64) int32 {
	if len(t.entries) == 0 {
		return -1
	}
	_, e := t.lookup(h)
	return e
}

// Peek returns h's value without moving it in the LRU.
func (t *keyTable) Peek(h uint64) (Value, bool) {
	if e := t.position(h); e >= 0 {
		return t.entries[e].v, true
	}
	return Value{}, false
}

// Get returns h's value and makes it the most recently used.
func (t *keyTable) Get(h uint64) (Value, bool) {
	e := t.position(h)
	if e < 0 {
		return Value{}, false
	}
	t.unlink(e)
	t.pushFront(e)
	return t.entries[e].v, true
}

// Add stores v under h as the most recently used, replacing h's value if
// it has one.
func (t *keyTable) Add(h uint64, v Value) {
	if e := t.position(h); e >= 0 {
		t.entries[e].v = v
		t.unlink(e)
		t.pushFront(e)
		return
	}
	if (len(t.entries)+1)*4 > len(t.slots)*3 {
		t.resize(max(8, len(t.slots)*2))
	}
	i, _ := t.lookup(h)
	e := int32(len(t.entries))
	t.entries = append(t.entries, keyEntry{v: v, h: h})
	t.slots[i] = slotTag(h)<<32 | uint64(e+1)
	t.pushFront(e)
}

// Remove removes h and reports whether it was there.
func (t *keyTable) Remove(h uint64) bool {
	if len(t.entries) == 0 {
		return false
	}
	i, e := t.lookup(h)
	if e < 0 {
		return false
	}
	t.clearSlot(i)
	t.unlink(e)
	last := int32(len(t.entries) - 1)
	if e != last {
		t.moveEntry(last, e)
	}
	t.entries[last] = keyEntry{} // let the value's record go
	t.entries = t.entries[:last]
	switch n := len(t.entries); {
	case n == 0:
		t.entries, t.slots = nil, nil
	case n*8 < len(t.slots) && len(t.slots) > 8:
		t.resize(len(t.slots) / 2)
	case n*4 < cap(t.entries) && cap(t.entries) > 64:
		t.entries = append(make([]keyEntry, 0, n*2), t.entries...)
	}
	return true
}

// GetOldest returns the least recently used key's hash and value.
func (t *keyTable) GetOldest() (uint64, Value, bool) {
	if t.tail < 0 {
		return 0, Value{}, false
	}
	e := &t.entries[t.tail]
	return e.h, e.v, true
}

// random returns a random key's hash and value; the table must not be
// empty.
func (t *keyTable) random() (uint64, Value) {
	e := &t.entries[rand.IntN(len(t.entries))]
	return e.h, e.v
}

// each calls fn with every key's hash and value until fn returns false,
// and reports whether it saw them all. fn may remove the key it is given,
// and no other.
func (t *keyTable) each(fn func(h uint64, v Value) bool) bool {
	// Backwards: removing entry i moves the last one, already seen, into i.
	for i := len(t.entries) - 1; i >= 0; i-- {
		if e := t.entries[i]; !fn(e.h, e.v) {
			return false
		}
	}
	return true
}

// moveEntry moves the entry at from (the last) to the free position to,
// repointing its slot and LRU neighbours.
func (t *keyTable) moveEntry(from, to int32) {
	e := t.entries[from]
	t.entries[to] = e
	mask := len(t.slots) - 1
	for i := int(slotTag(e.h)) & mask; ; i = (i + 1) & mask {
		if int32(uint32(t.slots[i]))-1 == from {
			t.slots[i] = t.slots[i]&^0xffffffff | uint64(to+1)
			break
		}
	}
	if e.prev >= 0 {
		t.entries[e.prev].next = to
	} else {
		t.head = to
	}
	if e.next >= 0 {
		t.entries[e.next].prev = to
	} else {
		t.tail = to
	}
}

// clearSlot empties slot i, shifting back the slots after it that probed
// past it, so that lookups never need tombstones.
func (t *keyTable) clearSlot(i int) {
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		home := int(t.slots[j]>>32) & mask
		// The slot at j may move to i when its home is not cyclically in
		// (i, j]: a lookup from its home then still reaches it.
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
}

// resize rebuilds slots with n (a power of two) slots.
func (t *keyTable) resize(n int) {
	t.slots = make([]uint64, n)
	mask := n - 1
	for e := range t.entries {
		tag := slotTag(t.entries[e].h)
		i := int(tag) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = tag<<32 | uint64(e+1)
	}
}

func (t *keyTable) unlink(e int32) {
	x := &t.entries[e]
	if x.prev >= 0 {
		t.entries[x.prev].next = x.next
	} else {
		t.head = x.next
	}
	if x.next >= 0 {
		t.entries[x.next].prev = x.prev
	} else {
		t.tail = x.prev
	}
}

func (t *keyTable) pushFront(e int32) {
	x := &t.entries[e]
	x.prev, x.next = -1, t.head
	if t.head >= 0 {
		t.entries[t.head].prev = e
	} else {
		t.tail = e
	}
	t.head = e
}
