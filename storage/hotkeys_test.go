package storage

import (
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
)

// newClockStore returns a Store whose clock the test moves.
func newClockStore(t *testing.T, opts Options) (*Store, *atomic.Int64) {
	t.Helper()
	var now atomic.Int64
	now.Store(1_700_000_000_000)
	opts.Clock = now.Load
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, &now
}

func TestHotKeys(t *testing.T) {
	s, now := newClockStore(t, Options{})
	db := heldTx(s, 0)
	lfu := map[string]uint8{"a": 30, "b": 200, "c": 30, "d": 5, "e": 0, "f": 90}
	for k, f := range lfu {
		db.Set([]byte(k), StringValue([]byte("v")).withLFU(f))
	}
	db.Set([]byte("gone"), StringValue([]byte("v")).withLFU(255).WithExpireAt(now.Load()+1000))
	now.Add(1001) // a key lives through its expiry millisecond

	cases := []struct {
		name string
		n    int
		want []HotKey
	}{
		{"top 3, ties by key", 3, []HotKey{{"b", 200}, {"f", 90}, {"a", 30}}},
		{"top 4", 4, []HotKey{{"b", 200}, {"f", 90}, {"a", 30}, {"c", 30}}},
		{"more than there are", 100, []HotKey{{"b", 200}, {"f", 90}, {"a", 30}, {"c", 30}, {"d", 5}, {"e", 0}}},
		{"none", 0, nil},
	}
	for _, c := range cases {
		if got := s.HotKeys(0, c.n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if db.Len() != len(lfu)+1 {
		t.Errorf("HotKeys changed the keyspace: %d keys", db.Len())
	}

	// Ten idle minutes take ten off every counter, as OBJECT FREQ shows.
	now.Add(10 * 60 * 1000)
	want := []HotKey{{"b", 190}, {"f", 80}, {"a", 20}}
	if got := s.HotKeys(0, 3); !reflect.DeepEqual(got, want) {
		t.Errorf("decayed: got %v, want %v", got, want)
	}
}

// TestHotKeysFromReads: keys read often rise above keys read rarely, over
// many shards.
func TestHotKeysFromReads(t *testing.T) {
	s, _ := newClockStore(t, Options{})
	db := heldTx(s, 0)
	for i := 0; i < 2000; i++ {
		db.Set([]byte(fmt.Sprintf("key:%d", i)), StringValue([]byte("v")))
	}
	hot := map[string]bool{}
	for i := 0; i < 5; i++ {
		k := fmt.Sprintf("key:%d", i*397)
		hot[k] = true
		for j := 0; j < 2000; j++ {
			db.Get([]byte(k))
		}
	}
	got := s.HotKeys(0, 5)
	for _, h := range got {
		if !hot[h.Key] {
			t.Errorf("HotKeys returned %v; want only %v", got, hot)
			break
		}
	}
}

func BenchmarkHotKeys(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	db := heldTx(s, 0)
	b.ReportAllocs()
	for i := 0; i < 100_000; i++ {
		db.Set([]byte(fmt.Sprintf("key:%d", i)), StringValue([]byte("v")).withLFU(uint8(i)))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.HotKeys(0, 10)
	}
}
