package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchDB returns a database holding 100,000 keys of 100-byte values,
// shaped like redis-benchmark's -r keys, and the keys.
func benchDB(b *testing.B) (*Tx, [][]byte, Value) {
	b.Helper()
	s, err := New(Options{Databases: 1})
	if err != nil {
		b.Fatal(err)
	}
	db := heldTx(s, 0)
	keys := make([][]byte, 100_000)
	val := StringValue(make([]byte, 100))
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%012d", i)
		db.Set(keys[i], val)
	}
	b.ReportAllocs()
	b.ResetTimer()
	return db, keys, val
}

// BenchmarkOverwrite is SET's storage work on a 100k-key keyspace touched
// at random, as redis-benchmark -r 100000 drives it: a write lookup, then
// the store of a fresh 100-byte value.
func BenchmarkOverwrite(b *testing.B) {
	db, keys, val := benchDB(b)
	rng := rand.New(rand.NewPCG(1, 2))
	for range b.N {
		k := keys[rng.IntN(len(keys))]
		db.Lookup(k, LookupWrite|LookupNoTouch)
		db.Set(k, val)
	}
}

// BenchmarkHit is GET's storage work on the same keyspace.
func BenchmarkHit(b *testing.B) {
	db, keys, _ := benchDB(b)
	rng := rand.New(rand.NewPCG(1, 2))
	var sink int
	for range b.N {
		v, _ := db.Get(keys[rng.IntN(len(keys))])
		sink += len(v.Bytes())
	}
	_ = sink
}

// BenchmarkEvictingInsert is a SET of a new key at maxmemory under each
// allkeys policy: making room (one eviction) and the store. Every key is
// new, as in a scan; allkeys-2q's probation and ghost queues do their work
// on this path.
func BenchmarkEvictingInsert(b *testing.B) {
	for _, p := range []EvictionPolicy{AllKeysLRU, AllKeysLFU, AllKeys2Q} {
		b.Run(p.String(), func(b *testing.B) {
			s, err := New(Options{Databases: 1, Policy: p, MaxMemory: 1 << 40})
			if err != nil {
				b.Fatal(err)
			}
			db := heldTx(s, 0)
			val := StringValue(make([]byte, 100))
			for i := 0; i < 100_000; i++ {
				db.Set(fmt.Appendf(nil, "key:%012d", i), val)
			}
			s.SetMaxMemory(s.Used())
			var k []byte
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				k = fmt.Appendf(k[:0], "new:%012d", i)
				db.MakeRoom(k)
				db.Set(k, val)
			}
		})
	}
}

// BenchmarkPipelinedHits is a -P 16 pipeline of GETs' storage work, each
// in its own transaction as a connection runs them, without and with a
// Prefetch of the pipeline's keys first; ns/op is per GET.
func BenchmarkPipelinedHits(b *testing.B) {
	for _, prefetch := range []bool{false, true} {
		b.Run(fmt.Sprintf("prefetch=%v", prefetch), func(b *testing.B) {
			s, err := New(Options{Databases: 1})
			if err != nil {
				b.Fatal(err)
			}
			keys := make([][]byte, 100_000)
			val := StringValue(make([]byte, 100))
			for i := range keys {
				keys[i] = fmt.Appendf(nil, "key:%012d", i)
				s.Update(0, [][]byte{keys[i]}, func(tx *Tx) error { tx.Set(keys[i], val); return nil })
			}
			rng := rand.New(rand.NewPCG(1, 2))
			var (
				p     Prefetcher
				tx    Tx
				batch [16][]byte
				sink  int
			)
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n += len(batch) {
				for i := range batch {
					batch[i] = keys[rng.IntN(len(keys))]
				}
				if prefetch {
					s.Prefetch(&p, 0, batch[:])
				}
				for _, k := range batch {
					s.Begin(&tx, 0, [][]byte{k}, TxRead)
					v, _ := tx.Get(k)
					sink += len(v.Bytes())
					tx.End()
				}
			}
			_ = sink
		})
	}
}
