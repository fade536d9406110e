package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchKeys returns n keys shaped like redis-benchmark's -r keys.
func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%012d", i)
	}
	return keys
}

// BenchmarkOverwrite is SET's storage work on a 100k-key keyspace touched
// at random, as redis-benchmark -r 100000 drives it: a write lookup, then
// the store of a fresh 100-byte value.
func BenchmarkOverwrite(b *testing.B) {
	s, err := New(Options{Databases: 1})
	if err != nil {
		b.Fatal(err)
	}
	db := s.DB(0)
	keys := benchKeys(100_000)
	val := StringValue(make([]byte, 100))
	for _, k := range keys {
		db.Set(k, val)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		k := keys[rng.IntN(len(keys))]
		db.Lookup(k, LookupWrite|LookupNoTouch)
		db.Set(k, val)
	}
}

// BenchmarkHit is GET's storage work on the same keyspace.
func BenchmarkHit(b *testing.B) {
	s, err := New(Options{Databases: 1})
	if err != nil {
		b.Fatal(err)
	}
	db := s.DB(0)
	keys := benchKeys(100_000)
	val := StringValue(make([]byte, 100))
	for _, k := range keys {
		db.Set(k, val)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var sink int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		v, _ := db.Get(keys[rng.IntN(len(keys))])
		sink += len(v.Bytes())
	}
	_ = sink
}
