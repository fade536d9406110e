package storage

import (
	"fmt"
	"testing"
)

// scanWorkload loads 4000 keys under maxmemory, reads every tenth twice
// (the hot set), caps memory at what the keys use, then writes 8000 new
// keys once each, as a one-off scan would, making room before each write
// as the dispatcher does. It checks that memory stays within maxmemory
// throughout and returns how many of the 400 hot keys survived.
func scanWorkload(t *testing.T, policy EvictionPolicy) (hotLeft int) {
	t.Helper()
	s, _ := newClockStore(t, Options{Policy: policy, MaxMemory: 1 << 30})
	db := heldTx(s, 0)
	val := make([]byte, 100)
	for i := 0; i < 4000; i++ {
		db.Set([]byte(fmt.Sprintf("old:%d", i)), StringValue(val))
	}
	for r := 0; r < 2; r++ {
		for i := 0; i < 4000; i += 10 {
			db.Get([]byte(fmt.Sprintf("old:%d", i)))
		}
	}
	s.SetMaxMemory(s.Used())
	slack := int64(recordCostEstimate(len("scan:9999"), len(val)))
	for i := 0; i < 8000; i++ {
		k := []byte(fmt.Sprintf("scan:%d", i))
		if err := db.MakeRoom(k); err != nil {
			t.Fatalf("MakeRoom: %v", err)
		}
		db.Set(k, StringValue(val))
		if s.Used() > s.MaxMemory()+slack {
			t.Fatalf("%v: used %d after %d scan keys, over maxmemory %d by more than one key", policy, s.Used(), i+1, s.MaxMemory())
		}
	}
	for i := 0; i < 4000; i += 10 {
		if _, ok := db.Lookup([]byte(fmt.Sprintf("old:%d", i)), LookupNoTouch|LookupWrite); ok {
			hotLeft++
		}
	}
	return hotLeft
}

// TestAllKeys2QResistsScans: a hot set read twice survives a one-off scan
// of twice as much cold data as memory holds under allkeys-2q, where
// allkeys-lru lets the scan flush it out (not all of it: LRU order is exact
// per shard only). That difference is what allkeys-2q is for.
func TestAllKeys2QResistsScans(t *testing.T) {
	if got := scanWorkload(t, AllKeys2Q); got < 390 {
		t.Errorf("allkeys-2q: %d of 400 hot keys survived the scan, want at least 390", got)
	}
	if got := scanWorkload(t, AllKeysLRU); got > 100 {
		t.Errorf("allkeys-lru: %d of 400 hot keys survived the scan, want at most 100", got)
	}
}

// TestAllKeys2QGhostSkipsProbation: a key evicted from probation unread,
// then written again soon after, goes straight to the LRU, so the next scan
// (of twice what memory holds) leaves it alone although it was never read.
func TestAllKeys2QGhostSkipsProbation(t *testing.T) {
	s, _ := newClockStore(t, Options{Policy: AllKeys2Q, MaxMemory: 1 << 30})
	db := heldTx(s, 0)
	val := make([]byte, 100)
	for i := 0; i < 4000; i++ {
		db.Set([]byte(fmt.Sprintf("old:%d", i)), StringValue(val))
	}
	s.SetMaxMemory(s.Used())
	write := func(k string) {
		if err := db.MakeRoom([]byte(k)); err != nil {
			t.Fatal(err)
		}
		db.Set([]byte(k), StringValue(val))
	}
	// The returning keys are written, pushed out of probation by a scan,
	// then written again.
	for i := 0; i < 200; i++ {
		write(fmt.Sprintf("back:%d", i))
	}
	for i := 0; i < 1500; i++ { // within what the ghost filter remembers
		write(fmt.Sprintf("scan1:%d", i))
	}
	var again []string
	for i := 0; i < 200; i++ {
		k := fmt.Sprintf("back:%d", i)
		if _, ok := db.Lookup([]byte(k), LookupNoTouch|LookupWrite); !ok {
			again = append(again, k)
			write(k)
		}
	}
	if len(again) < 100 {
		t.Fatalf("only %d of 200 unread keys left probation in a scan", len(again))
	}
	for i := 0; i < 8000; i++ { // twice what memory holds
		write(fmt.Sprintf("scan2:%d", i))
	}
	left := 0
	for _, k := range again {
		if _, ok := db.Lookup([]byte(k), LookupNoTouch|LookupWrite); ok {
			left++
		}
	}
	if left < len(again)*9/10 {
		t.Errorf("%d of %d keys written again after their eviction survived the next scan, want 90%%", left, len(again))
	}
}

// TestAllKeys2QAccountsQueues: the probation and ghost queues are counted
// in Used and given back in full by a flush, and by a change of policy.
func TestAllKeys2QAccountsQueues(t *testing.T) {
	s, _ := newClockStore(t, Options{Policy: AllKeys2Q, MaxMemory: 1 << 30})
	db := heldTx(s, 0)
	val := make([]byte, 100)
	fill := func(prefix string) {
		for i := 0; i < 3000; i++ {
			k := []byte(fmt.Sprintf("%s:%d", prefix, i))
			if err := db.MakeRoom(k); err != nil {
				t.Fatal(err)
			}
			db.Set(k, StringValue(val))
		}
	}
	fill("a")
	s.SetMaxMemory(s.Used())
	fill("b") // evicts: probation and ghosts fill
	if db.Flush(); s.Used() != 0 {
		t.Errorf("after a flush under allkeys-2q, used %d, want 0", s.Used())
	}
	s.SetMaxMemory(1 << 30)
	fill("c")
	s.SetMaxMemory(s.Used())
	fill("d")
	s.SetPolicy(AllKeysLRU)
	s.SetMaxMemory(s.Used() / 2)
	if err := db.MakeRoom([]byte("e")); err != nil { // every shard evicts, and drops its queues
		t.Fatal(err)
	}
	var sum int64
	for i := range db.DB.shards {
		sh := &db.DB.shards[i]
		if sh.q2 != nil {
			t.Fatalf("shard %d kept its 2Q queues under allkeys-lru", i)
		}
		db.DB.eachSlot(sh, func(sl *slot) bool {
			sum += entryOverhead + recordSize(sl.v)
			return true
		})
	}
	if s.Used() != sum {
		t.Errorf("under allkeys-lru after allkeys-2q, used %d, want the keys' %d", s.Used(), sum)
	}
}
