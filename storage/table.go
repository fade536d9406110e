package storage

import (
	"math/rand/v2"
	"unsafe"
)

// table is the hashtable encoding of hashes and sets: a map from each key
// to its cell in a slice kept in insertion order. Removing a key leaves a
// dead cell behind, and the slice is compacted (in order) once half of it
// is dead. That gives what the commands need besides lookups:
//
//   - iteration in insertion order, which is also Redis's order for the
//     small (listpack) hashes whose encoding a table stands in for;
//   - a random live key in O(1) expected time (SPOP, SRANDMEMBER,
//     HRANDFIELD): at least half the cells are live;
//   - a stable SCAN cursor: every cell has a sequence number, increasing
//     along the slice and never reused, and the cursor is the sequence
//     number to resume from. A key present for a whole iteration is
//     returned exactly once, however the table changes between calls,
//     which is stronger than Redis's at-least-once.
//
// It is not safe for concurrent use.
type table[V any] struct {
	index    map[string]int // key -> position in cells
	cells    []cell[V]
	dead     int    // dead cells in cells
	seq      uint64 // the last sequence number given
	keyBytes int64  // what the keys' allocations cost
}

// cell is one key of a table. A removed key's cell keeps its sequence
// number, with deadBit set, so that the numbers stay ordered for scan.
type cell[V any] struct {
	key string
	val V
	seq uint64
}

const deadBit = 1 << 63

func (c *cell[V]) live() bool { return c.seq&deadBit == 0 }

// mapEntryCost estimates what one key costs in a Go map from string to
// int: a 24-byte slot and its control byte, at the average load of a
// table that doubles when 7/8 full.
const mapEntryCost = 40

func newTable[V any](hint int) table[V] {
	return table[V]{index: make(map[string]int, hint), cells: make([]cell[V], 0, hint)}
}

// len returns the number of live keys.
func (t *table[V]) len() int { return len(t.index) }

// find returns the position of key.
func (t *table[V]) find(key []byte) (int, bool) {
	i, ok := t.index[unsafeString(key)]
	return i, ok
}

// insert adds key, which must be absent, with val.
func (t *table[V]) insert(key string, val V) {
	t.seq++
	t.index[key] = len(t.cells)
	t.cells = append(t.cells, cell[V]{key: key, val: val, seq: t.seq})
	t.keyBytes += int64(allocSize(len(key)))
}

// remove removes the key at position i and returns its cell. Positions
// of other keys may change (compaction).
func (t *table[V]) remove(i int) cell[V] {
	c := t.cells[i]
	delete(t.index, c.key)
	t.keyBytes -= int64(allocSize(len(c.key)))
	t.cells[i] = cell[V]{seq: c.seq | deadBit} // let the key and value go
	t.dead++
	switch {
	case len(t.index) == 0:
		t.cells, t.dead = t.cells[:0], 0
	case t.dead > len(t.cells)/2:
		t.compact()
	}
	return c
}

// compact drops the dead cells, keeping the order, into a slice sized for
// the live ones, and rebuilds the index (a Go map never shrinks), so that
// memory shrinks with the table. It costs O(live keys), after at least as
// many removals.
func (t *table[V]) compact() {
	n := len(t.index)
	cells := make([]cell[V], 0, n+n/4)
	index := make(map[string]int, n)
	for _, c := range t.cells {
		if c.live() {
			index[c.key] = len(cells)
			cells = append(cells, c)
		}
	}
	t.index, t.cells, t.dead = index, cells, 0
}

// random returns the position of a random live key; the table must not
// be empty.
func (t *table[V]) random() int {
	for {
		if i := rand.IntN(len(t.cells)); t.cells[i].live() {
			return i
		}
	}
}

// each calls fn with the position of every live key in order, until fn
// returns false. fn must not add or remove keys.
func (t *table[V]) each(fn func(i int) bool) {
	for i := range t.cells {
		if t.cells[i].live() && !fn(i) {
			return
		}
	}
}

// scan calls fn with the positions of up to count live keys, from the
// first whose sequence number is at least cursor, and returns the cursor
// to resume from: 0 when the table has been walked to its end.
func (t *table[V]) scan(cursor uint64, count int, fn func(i int)) uint64 {
	lo, hi := 0, len(t.cells)
	for lo < hi { // the first cell numbered cursor or later
		mid := int(uint(lo+hi) >> 1)
		if t.cells[mid].seq&^deadBit < cursor {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for i := lo; i < len(t.cells); i++ {
		if !t.cells[i].live() {
			continue
		}
		if count == 0 {
			return t.cells[i].seq
		}
		fn(i)
		count--
	}
	return 0
}

// size is what the table's map, cells and keys cost.
func (t *table[V]) size() int64 {
	var c cell[V]
	return int64(allocSize(cap(t.cells)*int(unsafe.Sizeof(c)))) + int64(len(t.index))*mapEntryCost + t.keyBytes
}

// sample calls fn with the positions of count random elements of a
// container of n > 0 elements, as Redis's SRANDMEMBER and HRANDFIELD pick
// them: with repetition when distinct is false, else count distinct ones
// (count < n; the caller serves count >= n with every element). random
// returns a random position, each calls its argument with every position.
func sample(n, count int, distinct bool, random func() int, each func(func(i int) bool), fn func(i int)) {
	switch {
	case !distinct:
		for ; count > 0; count-- {
			fn(random())
		}
	case count*3 > n:
		// Most elements are wanted: take them all and drop random ones,
		// rather than draw and retry as the result fills up.
		all := make([]int, 0, n)
		each(func(i int) bool {
			all = append(all, i)
			return true
		})
		for len(all) > count {
			j := rand.IntN(len(all))
			all[j] = all[len(all)-1]
			all = all[:len(all)-1]
		}
		for _, i := range all {
			fn(i)
		}
	default:
		seen := make(map[int]struct{}, count)
		for len(seen) < count {
			i := random()
			if _, dup := seen[i]; !dup {
				seen[i] = struct{}{}
				fn(i)
			}
		}
	}
}
