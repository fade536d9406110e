package storage

import (
	"fmt"
	"math"
	"reflect"
	"strings"
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

// read looks key up n times, as GET does.
func read(tx *Tx, key string, n int) {
	for i := 0; i < n; i++ {
		tx.Lookup([]byte(key), 0)
	}
}

// rounded rounds the counts of hot keys to two decimals, for comparison.
func rounded(hot []HotKey) []HotKey {
	for i := range hot {
		hot[i].Count = math.Round(hot[i].Count*100) / 100
	}
	return hot
}

// TestHotKeysRank: keys read 30, 20 and 10 times rank in that order with
// their exact counts, which then halve with every half-life.
func TestHotKeysRank(t *testing.T) {
	s, now := newClockStore(t, Options{})
	db := heldTx(s, 0)
	for _, k := range []string{"ten", "twenty", "thirty", "once", "never"} {
		db.Set([]byte(k), StringValue([]byte("v")))
	}
	read(db, "ten", 10)
	read(db, "twenty", 20)
	read(db, "thirty", 30)
	read(db, "once", 1)
	want := []HotKey{{"thirty", 30}, {"twenty", 20}, {"ten", 10}}
	if got := rounded(s.HotKeys(0, 3, nil)); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := s.HotKeys(0, 10, nil); len(got) != 4 {
		t.Errorf("COUNT 10: %v, want the 4 keys read", got)
	}
	now.Add(hotHalfLife * 1000)
	want = []HotKey{{"thirty", 15}, {"twenty", 10}, {"ten", 5}}
	if got := rounded(s.HotKeys(0, 3, nil)); !reflect.DeepEqual(got, want) {
		t.Errorf("a half-life later: got %v, want %v", got, want)
	}
	// Recent reads outweigh old ones: 16 reads now beat 30 a minute ago.
	read(db, "ten", 11)
	want = []HotKey{{"ten", 16}, {"thirty", 15}}
	if got := rounded(s.HotKeys(0, 2, nil)); !reflect.DeepEqual(got, want) {
		t.Errorf("after new reads: got %v, want %v", got, want)
	}
	if got := s.HotKeys(0, 0, nil); got != nil {
		t.Errorf("n 0: %v", got)
	}
	if got := s.HotKeys(1, 3, nil); len(got) != 0 {
		t.Errorf("another database: %v", got)
	}
}

// TestHotKeysAcrossGenerations: counts carry over when the weights move to
// a new generation, and keep decaying.
func TestHotKeysAcrossGenerations(t *testing.T) {
	s, now := newClockStore(t, Options{})
	db := heldTx(s, 0)
	db.Set([]byte("k"), StringValue([]byte("v")))
	now.Add((hotGeneration*hotHalfLife - 2*hotHalfLife) * 1000) // two half-lives before a new generation
	read(db, "k", 64)
	now.Add(3 * hotHalfLife * 1000)
	if got := rounded(s.HotKeys(0, 1, nil)); !reflect.DeepEqual(got, []HotKey{{"k", 8}}) {
		t.Errorf("three half-lives later, in the next generation: %v, want 8", got)
	}
	read(db, "k", 2)
	if got := rounded(s.HotKeys(0, 1, nil)); !reflect.DeepEqual(got, []HotKey{{"k", 10}}) {
		t.Errorf("after two more reads: %v, want 10", got)
	}
}

// TestHotKeysLive: removed and expired keys leave the list, and keep
// filters it.
func TestHotKeysLive(t *testing.T) {
	s, now := newClockStore(t, Options{})
	db := heldTx(s, 0)
	db.Set([]byte("user:1"), StringValue([]byte("v")))
	db.Set([]byte("user:2"), StringValue([]byte("v")))
	db.Set([]byte("product:1"), StringValue([]byte("v")))
	db.Set([]byte("short"), StringValue([]byte("v")).WithExpireAt(now.Load()+1))
	read(db, "user:1", 3)
	read(db, "user:2", 2)
	read(db, "product:1", 5)
	read(db, "short", 9)
	now.Add(2) // past the expiry, within the second: no decay
	if got := rounded(s.HotKeys(0, 10, nil)); !reflect.DeepEqual(got, []HotKey{{"product:1", 5}, {"user:1", 3}, {"user:2", 2}}) {
		t.Errorf("with an expired key: %v", got)
	}
	users := func(k string) bool { return strings.HasPrefix(k, "user:") }
	if got := rounded(s.HotKeys(0, 10, users)); !reflect.DeepEqual(got, []HotKey{{"user:1", 3}, {"user:2", 2}}) {
		t.Errorf("users only: %v", got)
	}
	db.Delete([]byte("user:1"))
	db.Set([]byte("user:1"), StringValue([]byte("v"))) // back, with no reads yet
	if got := rounded(s.HotKeys(0, 10, users)); !reflect.DeepEqual(got, []HotKey{{"user:2", 2}}) {
		t.Errorf("after DEL and SET: %v", got)
	}
	db.Flush()
	if got := s.HotKeys(0, 10, nil); len(got) != 0 {
		t.Errorf("after FLUSHDB: %v", got)
	}
}

// TestHotKeysAdmission: when a shard's set is full, keys read once do not
// push out hot keys, and a key that grows hot gets in.
func TestHotKeysAdmission(t *testing.T) {
	s, _ := newClockStore(t, Options{})
	db := heldTx(s, 0)
	// Keys of shard 0 only, so that one set fills.
	var keys []string
	for i := 0; len(keys) < 4*hotPerShard; i++ {
		if k := fmt.Sprintf("key:%d", i); s.ShardOf([]byte(k)) == 0 {
			keys = append(keys, k)
			db.Set([]byte(k), StringValue([]byte("v")))
		}
	}
	hot := keys[:hotPerShard]
	for _, k := range hot {
		read(db, k, 50)
	}
	for _, k := range keys[hotPerShard:] {
		read(db, k, 1)
	}
	got := s.HotKeys(0, hotPerShard, nil)
	for i, h := range got {
		if h.Count != 50 {
			t.Fatalf("after a burst of keys read once, entry %d is %v; want the keys read 50 times", i, h)
		}
	}
	// Admission compares Redis's logarithmic, probabilistic LFU counters:
	// 200 reads against 50 lost about once in 30 runs; 1,000 reads put the
	// late key's counter far above theirs.
	late := keys[len(keys)-1]
	read(db, late, 1000)
	if got := s.HotKeys(0, 1, nil); got[0].Key != late {
		t.Errorf("a key read 1,000 times is not the hottest: %v", got)
	}
}

func BenchmarkTouchHot(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	db := heldTx(s, 0)
	keys := make([][]byte, 100_000)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%d", i))
		db.Set(keys[i], StringValue([]byte("v")))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db.Lookup(keys[i%len(keys)], 0)
	}
}

func BenchmarkHotKeys(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	db := heldTx(s, 0)
	for i := 0; i < 100_000; i++ {
		k := []byte(fmt.Sprintf("key:%d", i))
		db.Set(k, StringValue([]byte("v")))
		db.Lookup(k, 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.HotKeys(0, 10, nil)
	}
}
