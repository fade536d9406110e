package storage

import (
	"sync"
	"testing"
)

func TestCounterStripes(t *testing.T) {
	var c Counter
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c.Add(uint(g*7+i), 1)
			}
		}()
	}
	wg.Wait()
	if got := c.Load(); got != 8000 {
		t.Fatalf("Load = %d, want 8000", got)
	}
	c.Add(3, -8000)
	if got := c.Load(); got != 0 {
		t.Fatalf("after subtracting: %d", got)
	}
}

// recordedReads is a ReadListener that remembers what it was told.
type recordedReads []struct {
	key       string
	hit, disk bool
}

func (r *recordedReads) KeyRead(_ *DB, key []byte, hit, disk bool) {
	*r = append(*r, struct {
		key       string
		hit, disk bool
	}{string(key), hit, disk})
}

// TestCountersFollowKeys: the Store's Counters count writes and deletes;
// a namespace's also expiries, evictions and, as a ReadListener, reads.
func TestCountersFollowKeys(t *testing.T) {
	s, now := newClockStore(t, Options{Policy: AllKeysLRU})
	ns := NewNamespaceCounters()
	s.AddListener(ns)
	var reads recordedReads
	s.SetReadListener(&reads)
	db := heldTx(s, 0)
	db.Set([]byte("a"), StringValue([]byte("1")))
	db.Set([]byte("a"), StringValue([]byte("2")))
	db.Set([]byte("t"), StringValue([]byte("1")).WithExpireAt(now.Load()+10))
	db.Get([]byte("a"))
	db.Get([]byte("missing"))
	db.Lookup([]byte("a"), LookupWrite) // a write's own lookup is no read
	db.Delete([]byte("a"))
	now.Add(11)
	db.Get([]byte("t"))
	db.Set([]byte("b"), StringValue([]byte("1")))
	s.SetMaxMemory(1)
	db.MakeRoom([]byte("b"))

	st := s.Counters()
	for _, c := range []struct {
		name      string
		store, ns *Counter
		want      [2]int64 // the Store's, the namespace's
	}{
		{"sets", &st.Sets, &ns.Sets, [2]int64{4, 4}},
		{"deletes", &st.Deletes, &ns.Deletes, [2]int64{1, 1}},
		{"expired (the Store's are in Stats)", &st.Expired, &ns.Expired, [2]int64{0, 1}},
		{"evicted (the Store's are in Stats)", &st.Evicted, &ns.Evicted, [2]int64{0, 1}},
	} {
		if got := [2]int64{c.store.Load(), c.ns.Load()}; got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	want := recordedReads{{"a", true, false}, {"missing", false, false}, {"t", false, false}}
	if len(reads) != len(want) {
		t.Fatalf("reads %v, want %v", reads, want)
	}
	for i := range want {
		if reads[i] != want[i] {
			t.Errorf("read %d: %v, want %v", i, reads[i], want[i])
		}
	}
}

func TestCountersKeyRead(t *testing.T) {
	c := NewNamespaceCounters()
	for _, r := range []struct{ hit, disk bool }{{true, false}, {true, true}, {false, false}, {true, false}} {
		c.KeyRead(nil, []byte("k"), r.hit, r.disk)
	}
	if c.Hits.Load() != 3 || c.DiskHits.Load() != 1 || c.Misses.Load() != 1 {
		t.Errorf("hits %d disk %d misses %d, want 3, 1, 1", c.Hits.Load(), c.DiskHits.Load(), c.Misses.Load())
	}
	c.Reset()
	if c.Hits.Load() != 0 || c.DiskHits.Load() != 0 || c.Misses.Load() != 0 {
		t.Errorf("Reset left counts")
	}
}
