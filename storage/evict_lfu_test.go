package storage

import (
	"errors"
	"fmt"
	"testing"
)

// lfuWorkload fills db with 1000 keys (every tenth read 1000 times, so its
// LFU counter climbs), caps memory at what they use, then writes 2000 new
// keys once each, as a scan of cold data would, making room before each
// write as the dispatcher does. It returns how many of the 100 frequently
// read keys survived. ttl gives every key a TTL when set.
func lfuWorkload(t *testing.T, policy EvictionPolicy, ttl bool) (hotLeft int) {
	t.Helper()
	s, now := newClockStore(t, Options{Policy: policy})
	db := heldTx(s, 0)
	val := make([]byte, 100)
	exp := int64(0)
	if ttl {
		exp = now.Load() + 3_600_000
	}
	for i := 0; i < 1000; i++ {
		db.Set([]byte(fmt.Sprintf("old:%d", i)), StringValue(val).WithExpireAt(exp))
	}
	for i := 0; i < 1000; i += 10 {
		for j := 0; j < 1000; j++ {
			db.Get([]byte(fmt.Sprintf("old:%d", i)))
		}
	}
	s.SetMaxMemory(s.Used())
	for i := 0; i < 2000; i++ {
		k := []byte(fmt.Sprintf("new:%d", i))
		if err := db.MakeRoom(k); err != nil {
			t.Fatalf("MakeRoom: %v", err)
		}
		db.Set(k, StringValue(val).WithExpireAt(exp))
	}
	if s.Used() > s.MaxMemory()+int64(recordCostEstimate(len("new:999"), len(val))) {
		t.Errorf("used %d, well over maxmemory %d", s.Used(), s.MaxMemory())
	}
	for i := 0; i < 1000; i += 10 {
		if _, ok := db.Lookup([]byte(fmt.Sprintf("old:%d", i)), LookupNoTouch|LookupWrite); ok {
			hotLeft++
		}
	}
	return hotLeft
}

// recordCostEstimate bounds what one more key may cost over the limit: a
// write makes room first, then adds itself.
func recordCostEstimate(klen, vlen int) int { return 256 + klen + vlen }

// TestLFUPoliciesResistScans: under allkeys-lfu and volatile-lfu, keys read
// often survive a one-time write of twice as much cold data as memory
// holds; under allkeys-lru the same scan flushes most of them out (not all:
// LRU order is exact per shard only). That difference is what the LFU
// policies are for.
func TestLFUPoliciesResistScans(t *testing.T) {
	cases := []struct {
		name   string
		policy EvictionPolicy
		ttl    bool
		min    int
		max    int
	}{
		{"allkeys-lfu", AllKeysLFU, false, 90, 100},
		{"volatile-lfu", VolatileLFU, true, 90, 100},
		{"allkeys-lru evicts them", AllKeysLRU, false, 0, 30},
	}
	for _, c := range cases {
		if got := lfuWorkload(t, c.policy, c.ttl); got < c.min || got > c.max {
			t.Errorf("%s: %d of 100 frequently read keys survived, want %d-%d", c.name, got, c.min, c.max)
		}
	}
}

// TestVolatileLFUSparesPersistentKeys: volatile-lfu evicts only keys with a
// TTL, least frequently used first, and reports out of memory once none is
// left.
func TestVolatileLFUSparesPersistentKeys(t *testing.T) {
	s, now := newClockStore(t, Options{Policy: VolatileLFU})
	db := heldTx(s, 0)
	val := make([]byte, 100)
	for i := 0; i < 200; i++ {
		db.Set([]byte(fmt.Sprintf("keep:%d", i)), StringValue(val))
		db.Set([]byte(fmt.Sprintf("tmp:%d", i)), StringValue(val).WithExpireAt(now.Load()+60_000).withLFU(uint8(i)))
	}
	s.SetMaxMemory(s.Used())
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		k := []byte(fmt.Sprintf("extra:%d", i))
		if err = db.MakeRoom(k); err == nil {
			db.Set(k, StringValue(val))
		}
	}
	if !errors.Is(err, ErrOutOfMemory) {
		t.Fatalf("MakeRoom with no volatile key left: %v, want ErrOutOfMemory", err)
	}
	for i := 0; i < 200; i++ {
		if _, ok := db.Lookup([]byte(fmt.Sprintf("keep:%d", i)), LookupNoTouch|LookupWrite); !ok {
			t.Fatalf("keep:%d (no TTL) was evicted", i)
		}
	}
	if db.Expires() != 0 {
		t.Errorf("%d keys with a TTL left, want all evicted", db.Expires())
	}
}

// TestAllKeysLFUEvictsLeastFrequentFirst: when a quarter of the keys must go
// at once (maxmemory lowered), the rarely used ones go first. Eviction
// compares keys within a shard, not across shards, so a shard holding only
// frequently used keys still gives one up: a few percent of them go.
func TestAllKeysLFUEvictsLeastFrequentFirst(t *testing.T) {
	s, _ := newClockStore(t, Options{Policy: AllKeysLFU})
	db := heldTx(s, 0)
	val := make([]byte, 100)
	for i := 0; i < 1000; i++ {
		lfu := uint8(0)
		if i%2 == 0 {
			lfu = 200
		}
		db.Set([]byte(fmt.Sprintf("k:%d", i)), StringValue(val).withLFU(lfu))
	}
	s.SetMaxMemory(s.Used() * 3 / 4) // room for 750 keys: 250 must go
	if err := db.MakeRoom([]byte("k:0")); err != nil {
		t.Fatal(err)
	}
	frequentLost := 0
	for i := 0; i < 1000; i += 2 {
		if _, ok := db.Lookup([]byte(fmt.Sprintf("k:%d", i)), LookupNoTouch|LookupWrite); !ok {
			frequentLost++
		}
	}
	if frequentLost > 50 {
		t.Errorf("%d of 500 frequently used keys evicted while rarely used ones were left", frequentLost)
	}
}
