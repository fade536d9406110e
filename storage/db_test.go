package storage

import (
	"slices"
	"testing"
	"time"
)

type fakeClock struct{ ms int64 }

func (c *fakeClock) now() int64 { return c.ms }

func newClockedStore(t *testing.T, opts Options) (*Store, *fakeClock) {
	t.Helper()
	clk := &fakeClock{ms: 1_000_000}
	opts.Clock = clk.now
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

func get(t *testing.T, db *Tx, key string) (string, bool) {
	t.Helper()
	v, ok := db.Get([]byte(key))
	return string(v.Bytes()), ok
}

func TestSetGetDeleteExpire(t *testing.T) {
	s, clk := newClockedStore(t, Options{})
	db := heldTx(s, 0)
	buf := []byte("v1")
	db.Set([]byte("k"), StringValue(buf))
	buf[0] = 'X' // Set copied: the caller may reuse its buffer
	if v, ok := get(t, db, "k"); !ok || v != "v1" {
		t.Fatalf("get k = %q %v", v, ok)
	}
	db.Set([]byte("t"), StringValue([]byte("x")).WithExpireAt(clk.ms+100))
	if db.Len() != 2 || db.Expires() != 1 {
		t.Fatalf("len %d expires %d", db.Len(), db.Expires())
	}
	clk.ms += 100
	if _, ok := get(t, db, "t"); !ok {
		t.Fatal("a key must live through its expiry millisecond, as in Redis")
	}
	clk.ms++
	if _, ok := get(t, db, "t"); ok {
		t.Fatal("expired key returned")
	}
	if db.Len() != 1 || db.Expires() != 0 || s.Stats().Expired.Load() != 1 {
		t.Fatalf("after expiry: len %d expires %d expired %d", db.Len(), db.Expires(), s.Stats().Expired.Load())
	}
	if !db.Delete([]byte("k")) || db.Delete([]byte("k")) {
		t.Fatal("delete")
	}
	if s.Used() != 0 {
		t.Fatalf("used %d after deleting everything", s.Used())
	}
}

// TestHashCollision forces a key into the overflow map by occupying its
// hash in the LRU with another record, and checks every path on it.
func TestHashCollision(t *testing.T) {
	s, clk := newClockedStore(t, Options{})
	db := heldTx(s, 0)
	key := []byte("victim")
	h := s.hash(key)
	sh := &db.shards[h&(shardsPerDB-1)]
	sh.lru.Add(h, newRecord([]byte("squatter"), StringValue([]byte("s")), 0))
	db.keys.Add(0, 1)

	db.Set(key, StringValue([]byte("v")).WithExpireAt(clk.ms+50))
	if len(sh.overflow) != 1 {
		t.Fatalf("overflow has %d keys, want 1", len(sh.overflow))
	}
	if v, ok := get(t, db, "victim"); !ok || v != "v" {
		t.Fatalf("get = %q %v", v, ok)
	}
	db.Set(key, StringValue([]byte("w")))
	if v, _ := get(t, db, "victim"); v != "w" || db.Len() != 2 || db.Expires() != 0 {
		t.Fatalf("overwrite: %q len %d expires %d", v, db.Len(), db.Expires())
	}
	seen := map[string]bool{}
	db.ScanShard(int(h&(shardsPerDB-1)), func(k string, v Value) { seen[k] = true })
	if !seen["victim"] || !seen["squatter"] {
		t.Fatalf("scan saw %v", seen)
	}
	db.Set(key, StringValue([]byte("x")).WithExpireAt(clk.ms+10))
	clk.ms += 11
	if n := db.expireSample(sh); n != 1 || len(sh.overflow) != 0 || db.Expires() != 0 {
		t.Fatalf("active expiry removed %d, overflow %d, expires %d", n, len(sh.overflow), db.Expires())
	}
	db.Set(key, StringValue([]byte("y")))
	if !db.Delete(key) || len(sh.overflow) != 0 {
		t.Fatal("delete from overflow")
	}
}

// TestOverwriteInPlace checks the overwrites that reuse a key's record
// (same length, TTL and second): the new value is read back, memory is
// unchanged, and a value seen before the write keeps no stale view past it;
// an overwrite that changes the length, the TTL or the second still
// replaces the record.
func TestOverwriteInPlace(t *testing.T) {
	s, clk := newClockedStore(t, Options{})
	db := heldTx(s, 0)
	k := []byte("k")
	db.Set(k, StringValue([]byte("aaaa")))
	before, _ := db.Lookup(k, LookupWrite|LookupNoTouch)
	used := s.Used()
	db.Set(k, StringValue([]byte("bbbb")))
	after, _ := db.Lookup(k, LookupWrite|LookupNoTouch)
	if after.ptr != before.ptr {
		t.Fatal("a same-sized overwrite within the second allocated a new record")
	}
	if v, _ := get(t, db, "k"); v != "bbbb" || s.Used() != used {
		t.Fatalf("after in-place overwrite: %q, used %d (was %d)", v, s.Used(), used)
	}
	for _, step := range []struct {
		name string
		set  func()
		want string
	}{
		{"longer", func() { db.Set(k, StringValue([]byte("ccccc"))) }, "ccccc"},
		{"with a TTL", func() { db.Set(k, StringValue([]byte("ddddd")).WithExpireAt(clk.ms+1000)) }, "ddddd"},
		{"next second", func() { clk.ms += 1000; db.Set(k, StringValue([]byte("eeeee")).WithExpireAt(clk.ms)) }, "eeeee"},
	} {
		prev, _ := db.Lookup(k, LookupWrite|LookupNoTouch)
		step.set()
		cur, _ := db.Lookup(k, LookupWrite|LookupNoTouch)
		if cur.ptr == prev.ptr {
			t.Fatalf("%s: overwrite reused the record", step.name)
		}
		if v, _ := get(t, db, "k"); v != step.want {
			t.Fatalf("%s: got %q", step.name, v)
		}
	}
	if db.Len() != 1 || db.Expires() != 1 {
		t.Fatalf("len %d expires %d", db.Len(), db.Expires())
	}
}

func TestEvictionLRU(t *testing.T) {
	s, _ := newClockedStore(t, Options{MaxMemory: 1, Policy: AllKeysLRU})
	db := heldTx(s, 0)
	db.Set([]byte("a"), StringValue([]byte("1")))
	if err := db.MakeRoom([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if db.Len() != 0 || s.Stats().Evicted.Load() != 1 {
		t.Fatalf("len %d evicted %d", db.Len(), s.Stats().Evicted.Load())
	}
	s.SetPolicy(NoEviction)
	db.Set([]byte("a"), StringValue([]byte("1")))
	if err := db.MakeRoom([]byte("b")); err != ErrOutOfMemory {
		t.Fatalf("noeviction: %v", err)
	}
}

func TestExpireCycle(t *testing.T) {
	s, clk := newClockedStore(t, Options{})
	db := heldTx(s, 0)
	for i := 0; i < 1000; i++ {
		db.Set([]byte{byte(i), byte(i >> 8)}, StringValue([]byte("v")).WithExpireAt(clk.ms+1))
	}
	clk.ms += 2
	for i := 0; i < 100 && db.Len() > 0; i++ {
		s.ExpireCycle(time.Second)
	}
	if db.Len() != 0 || db.Expires() != 0 {
		t.Fatalf("after active expiry: len %d expires %d", db.Len(), db.Expires())
	}
}

// TestLockShards checks that multi-shard, single-shard and exclusive
// lockers exclude each other (the race detector watches the counters) and
// never deadlock.
func TestLockShards(t *testing.T) {
	s, _ := newClockedStore(t, Options{})
	var counts [shardsPerDB]int
	done := make(chan struct{})
	const workers, rounds = 4, 2000
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < rounds; i++ {
				a, b, c := (i*7+w)%shardsPerDB, (i*13+w*5)%shardsPerDB, (i*31+w*11)%shardsPerDB
				switch i % 10 {
				case 0:
					l := s.lockAll()
					counts[a]++
					s.unlock(l)
				case 1, 2, 3:
					l := s.lockShard(0, a)
					counts[a]++
					s.unlock(l)
				default:
					shards := slices.Compact(slices.Sorted(slices.Values([]int{a, b, c})))
					if len(shards) < 2 {
						continue
					}
					l := s.lockShards(0, shards)
					for _, i := range shards {
						counts[i]++
					}
					s.unlock(l)
				}
			}
		}(w)
	}
	for w := 0; w < workers; w++ {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("lockers deadlocked")
		}
	}
}

// TestLRUClockTicksWithExpireCycle checks that the cached access clock
// keys are stamped with follows the time through the expiry cycle, as
// Redis's LRU clock follows serverCron.
func TestLRUClockTicksWithExpireCycle(t *testing.T) {
	s, err := New(Options{Databases: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.lruSecs.Store(0) // as if the store had been idle since 1970
	s.ExpireCycle(time.Millisecond)
	k := []byte("k")
	heldTx(s, 0).Set(k, StringValue([]byte("v")))
	v, _ := heldTx(s, 0).Lookup(k, LookupNoTouch)
	if now := uint16(time.Now().Unix()); v.clock() != now && v.clock() != now-1 {
		t.Fatalf("a write after the expiry cycle is stamped %d, want %d", v.clock(), now)
	}
}
