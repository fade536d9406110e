package storage

import (
	"fmt"
	"testing"
)

// TestAllKeysTinyLFUResistsScans: a hot set read twice survives a one-off
// scan of twice as much cold data as memory holds (scanWorkload, in
// evict_2q_test.go) under allkeys-tinylfu: the scan's keys, never read,
// lose their duels on the way out of the window.
func TestAllKeysTinyLFUResistsScans(t *testing.T) {
	if got := scanWorkload(t, AllKeysTinyLFU); got < 390 {
		t.Errorf("allkeys-tinylfu: %d of 400 hot keys survived the scan, want at least 390", got)
	}
}

// TestAllKeysTinyLFUAdmitsByFrequency plays a look-aside client: every
// key is read (a miss the first time) and written on a miss. A hot set
// read three times over survives a scan of one-off keys, each read once
// and written, twice as large as memory: a one-off key's single read
// never beats a hot key's three. The one hot key each shard's window
// holds when the scan starts may go (it loses a tie with the main queue's
// victim, as in Caffeine): about one a shard, so 1,600 must stay. Under allkeys-lru the scan flushes the
// hot set out.
func TestAllKeysTinyLFUAdmitsByFrequency(t *testing.T) {
	lookAside := func(policy EvictionPolicy) (hotLeft int) {
		s, _ := newClockStore(t, Options{Policy: policy, MaxMemory: 1 << 30})
		db := heldTx(s, 0)
		val := make([]byte, 100)
		get := func(k []byte) {
			if _, ok := db.Lookup(k, 0); ok {
				return
			}
			if err := db.MakeRoom(k); err != nil {
				t.Fatalf("MakeRoom: %v", err)
			}
			db.Set(k, StringValue(val))
		}
		for r := 0; r < 3; r++ {
			for i := 0; i < 2000; i++ {
				get([]byte(fmt.Sprintf("hot:%d", i)))
			}
		}
		s.SetMaxMemory(s.Used())
		for i := 0; i < 4000; i++ {
			get([]byte(fmt.Sprintf("scan:%d", i)))
		}
		for i := 0; i < 2000; i++ {
			if _, ok := db.Lookup([]byte(fmt.Sprintf("hot:%d", i)), LookupNoTouch|LookupWrite); ok {
				hotLeft++
			}
		}
		return hotLeft
	}
	if got := lookAside(AllKeysTinyLFU); got < 1600 {
		t.Errorf("allkeys-tinylfu: %d of 2000 hot keys survived a look-aside scan, want at least 1600", got)
	}
	if got := lookAside(AllKeysLRU); got > 500 {
		t.Errorf("allkeys-lru: %d of 2000 hot keys survived a look-aside scan, want at most 500", got)
	}
}

// TestAllKeysTinyLFUWriteVisible: a key written under allkeys-tinylfu at
// maxmemory is there for the next read, however cold: it waits in the
// window, and only its way out is decided by frequency.
func TestAllKeysTinyLFUWriteVisible(t *testing.T) {
	s, _ := newClockStore(t, Options{Policy: AllKeysTinyLFU, MaxMemory: 1 << 30})
	db := heldTx(s, 0)
	val := make([]byte, 100)
	for i := 0; i < 3000; i++ {
		k := []byte(fmt.Sprintf("hot:%d", i))
		db.Set(k, StringValue(val))
		read(db, string(k), 3)
	}
	s.SetMaxMemory(s.Used())
	for i := 0; i < 3000; i++ {
		k := []byte(fmt.Sprintf("cold:%d", i))
		if err := db.MakeRoom(k); err != nil {
			t.Fatal(err)
		}
		db.Set(k, StringValue(val))
		if _, ok := db.Lookup(k, 0); !ok {
			t.Fatalf("cold:%d not found right after its SET", i)
		}
	}
}

// sketchBytes returns what db's sketches cost, and checks that no shard
// keeps W-TinyLFU state when wantNone.
func sketchBytes(t *testing.T, db *DB, wantNone bool) (n int64) {
	t.Helper()
	for i := range db.shards {
		tl := db.shards[i].tlfu
		if tl == nil {
			continue
		}
		if wantNone {
			t.Fatalf("shard %d kept its W-TinyLFU state", i)
		}
		if tl.freq != nil {
			n += tl.freq.bytes()
		}
		n += int64(tl.window.len()) * probationCost
	}
	return n
}

// keyBytes returns what db's keys cost.
func keyBytes(db *DB) (sum int64) {
	for i := range db.shards {
		db.eachSlot(&db.shards[i], func(sl *slot) bool {
			sum += entryOverhead + recordSize(sl.v)
			return true
		})
	}
	return sum
}

// TestAllKeysTinyLFUAccountsSketch: the window and the sketches are counted
// in Used, stay within 32 bytes a key (beyond each shard's smallest
// sketch), and are given back in full by a flush and by a change of
// policy, to allkeys-2q and back and then to allkeys-lru.
func TestAllKeysTinyLFUAccountsSketch(t *testing.T) {
	s, _ := newClockStore(t, Options{Policy: AllKeysTinyLFU, MaxMemory: 1 << 30})
	db := heldTx(s, 0)
	val := make([]byte, 100)
	fill := func(prefix string, n int) {
		for i := 0; i < n; i++ {
			k := []byte(fmt.Sprintf("%s:%d", prefix, i))
			if err := db.MakeRoom(k); err != nil {
				t.Fatal(err)
			}
			db.Set(k, StringValue(val))
			read(db, string(k), 2)
			read(db, fmt.Sprintf("absent:%s:%d", prefix, i), 1) // misses count too
		}
	}
	check := func(when string) {
		t.Helper()
		keys, extra := keyBytes(db.DB), sketchBytes(t, db.DB, false)
		if s.Used() != keys+extra {
			t.Errorf("%s: used %d, want the keys' %d and the sketches' and windows' %d", when, s.Used(), keys, extra)
		}
		if limit := int64(32*db.DB.Len() + shardsPerDB*sketchRows*sketchMinWidth/2); extra > limit {
			t.Errorf("%s: sketches and windows cost %d bytes for %d keys, over %d", when, extra, db.DB.Len(), limit)
		}
		if extra == 0 {
			t.Errorf("%s: no sketch was made", when)
		}
	}
	fill("a", 20000)
	check("after 20000 keys")
	s.SetMaxMemory(s.Used())
	fill("b", 20000) // evicts through the window
	check("at maxmemory")
	if db.Flush(); s.Used() != 0 {
		t.Errorf("after a flush under allkeys-tinylfu, used %d, want 0", s.Used())
	}
	s.SetMaxMemory(1 << 30)
	fill("c", 4000)
	s.SetMaxMemory(s.Used())
	fill("d", 4000)
	for _, p := range []EvictionPolicy{AllKeys2Q, AllKeysTinyLFU} {
		s.SetPolicy(p)
		fill("e"+p.String(), 2000)
	}
	s.SetPolicy(AllKeysLRU)
	s.SetMaxMemory(s.Used() / 2)
	if err := db.MakeRoom([]byte("f")); err != nil { // every shard evicts, and drops its state
		t.Fatal(err)
	}
	sketchBytes(t, db.DB, true)
	if sum := keyBytes(db.DB); s.Used() != sum {
		t.Errorf("under allkeys-lru after allkeys-tinylfu, used %d, want the keys' %d", s.Used(), sum)
	}
}

// TestSketch: estimates never undercount within a period, halving halves
// them, and a sketch recording far more distinct hashes than it has
// counters still ranks a hash recorded often above one recorded once.
func TestSketch(t *testing.T) {
	s := newSketch(256)
	if s.width() != 256 || s.bytes() != sketchRows*256/2 {
		t.Fatalf("width %d, bytes %d", s.width(), s.bytes())
	}
	const period = 1 << 30
	for i := 0; i < 10; i++ {
		s.increment(42<<8, period)
	}
	if got := s.estimate(42 << 8); got != 10 {
		t.Errorf("estimate %d after 10 increments, want 10", got)
	}
	for i := 0; i < 40; i++ {
		s.increment(7<<8, period)
	}
	if got := s.estimate(7 << 8); got != 15 {
		t.Errorf("estimate %d after 40 increments, want 15 (the counters' most)", got)
	}
	s.halve()
	if got := s.estimate(42 << 8); got != 5 {
		t.Errorf("estimate %d after halving 10, want 5", got)
	}
	for h := uint64(1000); h < 3000; h++ { // 2000 one-off hashes, 256 counters a row
		s.increment(h<<8, period)
	}
	if s.estimate(42<<8) <= s.estimate(1500<<8) {
		t.Errorf("a hash recorded 5 times estimates %d, one recorded once %d", s.estimate(42<<8), s.estimate(1500<<8))
	}
	s = newSketch(64)
	for i := 0; i < 100; i++ {
		s.increment(9<<8, 64)
	}
	if got := s.estimate(9 << 8); got > 15 || s.adds >= 64 {
		t.Errorf("with period 64: estimate %d, %d adds since halving", got, s.adds)
	}
}
