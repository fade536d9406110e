package storage

import (
	"container/list"
	"math/rand/v2"
	"testing"
)

// lruModel is the obvious LRU the keyTable must behave as: a map and a
// list, most recent first.
type lruModel struct {
	order *list.List
	elems map[uint64]*list.Element
	vals  map[uint64]int64
}

func newLRUModel() *lruModel {
	return &lruModel{order: list.New(), elems: map[uint64]*list.Element{}, vals: map[uint64]int64{}}
}

func (m *lruModel) add(h uint64, x int64) {
	if e, ok := m.elems[h]; ok {
		m.order.MoveToFront(e)
	} else {
		m.elems[h] = m.order.PushFront(h)
	}
	m.vals[h] = x
}

func (m *lruModel) remove(h uint64) bool {
	e, ok := m.elems[h]
	if ok {
		m.order.Remove(e)
		delete(m.elems, h)
		delete(m.vals, h)
	}
	return ok
}

// TestKeyTableMatchesModel runs random operations on a keyTable and a model
// LRU and compares them after each: lookups, the LRU order, iteration with
// removal. Hashes are drawn so that many share their slot bits, which
// exercises probing and backward-shift deletion, and the table grows and
// shrinks through several sizes.
func TestKeyTableMatchesModel(t *testing.T) {
	for _, collide := range []bool{false, true} {
		r := rand.New(rand.NewPCG(1, 2))
		hash := func() uint64 {
			h := r.Uint64N(600)
			if collide {
				// Few distinct slot tags: long probe runs.
				return h<<40 | (h%7)<<slotTagShift
			}
			return h*0x9e3779b97f4a7c15 + 1
		}
		tbl, m := newKeyTable(), newLRUModel()
		for step := 0; step < 40000; step++ {
			h := hash()
			switch op := r.IntN(10); {
			case op < 4 || (step/5000)%2 == 0 && op < 6: // grow in some phases, shrink in others
				x := int64(step)
				tbl.Add(h, Value{}.WithExpireAt(x))
				m.add(h, x)
			case op < 8:
				if got, want := tbl.Remove(h), m.remove(h); got != want {
					t.Fatalf("step %d: Remove(%x) = %v, want %v", step, h, got, want)
				}
			case op == 8:
				v, ok := tbl.Get(h)
				x, want := m.vals[h]
				if ok != want || ok && v.ExpireAt() != x {
					t.Fatalf("step %d: Get(%x) = %v %v, want %v %v", step, h, v.ExpireAt(), ok, x, want)
				}
				if ok {
					m.add(h, x)
				}
			default:
				v, ok := tbl.Peek(h)
				x, want := m.vals[h]
				if ok != want || ok && v.ExpireAt() != x {
					t.Fatalf("step %d: Peek(%x) = %v %v, want %v %v", step, h, v.ExpireAt(), ok, x, want)
				}
			}
			if step%500 == 0 {
				checkKeyTable(t, &tbl, m)
			}
		}
		checkKeyTable(t, &tbl, m)
		// Remove every other key while iterating, then the rest.
		odd := true
		tbl.each(func(h uint64, _ Value) bool {
			if odd = !odd; odd {
				tbl.Remove(h)
				m.remove(h)
			}
			return true
		})
		checkKeyTable(t, &tbl, m)
		for m.order.Len() > 0 {
			h, _, _ := tbl.GetOldest()
			if want := m.order.Back().Value.(uint64); h != want {
				t.Fatalf("oldest = %x, want %x", h, want)
			}
			tbl.Remove(h)
			m.remove(h)
		}
		if tbl.Len() != 0 || tbl.slots != nil || tbl.head != -1 || tbl.tail != -1 {
			t.Fatalf("emptied table keeps len %d, %d slots, head %d, tail %d", tbl.Len(), len(tbl.slots), tbl.head, tbl.tail)
		}
	}
}

// checkKeyTable compares tbl with m: length, every key's value, the LRU
// order from both ends, and that each visits every key once.
func checkKeyTable(t *testing.T, tbl *keyTable, m *lruModel) {
	t.Helper()
	if tbl.Len() != m.order.Len() {
		t.Fatalf("Len = %d, want %d", tbl.Len(), m.order.Len())
	}
	e := m.order.Front()
	prev := int32(-1)
	for i := tbl.head; i >= 0; i = tbl.entries[i].next {
		if e == nil || tbl.entries[i].h != e.Value.(uint64) {
			t.Fatalf("LRU order differs from the model at entry %d", i)
		}
		if tbl.entries[i].prev != prev {
			t.Fatalf("entry %d links back to %d, want %d", i, tbl.entries[i].prev, prev)
		}
		prev, e = i, e.Next()
	}
	if e != nil || tbl.tail != prev {
		t.Fatalf("LRU list ends early or at the wrong tail (%d, want %d)", tbl.tail, prev)
	}
	seen := map[uint64]bool{}
	tbl.each(func(h uint64, v Value) bool {
		if seen[h] || v.ExpireAt() != m.vals[h] {
			t.Fatalf("each gives %x twice or with a wrong value", h)
		}
		seen[h] = true
		if p, ok := tbl.Peek(h); !ok || p.ExpireAt() != m.vals[h] {
			t.Fatalf("Peek(%x) after each = %v %v", h, p.ExpireAt(), ok)
		}
		return true
	})
	if len(seen) != len(m.vals) {
		t.Fatalf("each visits %d keys, want %d", len(seen), len(m.vals))
	}
	if n := tbl.Len(); n > 0 && (n*4 > len(tbl.slots)*3 || len(tbl.slots) > 8 && n*8 < len(tbl.slots)/2) {
		t.Fatalf("%d keys in %d slots: outside the table's load bounds", n, len(tbl.slots))
	}
}

// TestKeyTableRandomCoversAll checks that random draws every key.
func TestKeyTableRandomCoversAll(t *testing.T) {
	tbl := newKeyTable()
	for h := uint64(1); h <= 20; h++ {
		tbl.Add(h*0x9e3779b97f4a7c15, Value{})
	}
	seen := map[uint64]bool{}
	for i := 0; i < 2000 && len(seen) < 20; i++ {
		h, _ := tbl.random()
		seen[h] = true
	}
	if len(seen) != 20 {
		t.Fatalf("random drew %d of 20 keys in 2000 tries", len(seen))
	}
}
