package storage

import (
	"fmt"
	"runtime"
	"testing"
)

// TestUsedTracksHeap checks that Used, which INFO reports as used_memory
// and maxmemory is enforced against, is within 10% of what the keys really
// take from the Go heap, for string keys with and without a TTL, after a
// collection.
func TestUsedTracksHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 200,000 keys")
	}
	for _, ttl := range []bool{false, true} {
		heap := func() uint64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return m.HeapAlloc
		}
		before := heap()
		s, err := New(Options{Databases: 1})
		if err != nil {
			t.Fatal(err)
		}
		tx := heldTx(s, 0)
		val := StringValue(make([]byte, 100))
		if ttl {
			val = val.WithExpireAt(s.Now() + 3600_000)
		}
		var key []byte
		for i := 0; i < 200_000; i++ {
			key = fmt.Appendf(key[:0], "key:%012d", i)
			tx.Set(key, val)
		}
		grown := float64(heap()) - float64(before)
		used := float64(s.Used())
		t.Logf("ttl %v: Used %.1f bytes/key, heap growth %.1f bytes/key", ttl, used/200_000, grown/200_000)
		if used < grown*0.9 || used > grown*1.1 {
			t.Errorf("ttl %v: Used %.0f bytes, heap grew %.0f: more than 10%% apart", ttl, used, grown)
		}
		runtime.KeepAlive(s)
	}
}
