package storage

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// BenchmarkWriteThrough measures durable writes from 50 concurrent writers,
// each waiting for its write to be synced as a client's reply does.
func BenchmarkWriteThrough(b *testing.B) {
	fs := &faultFS{}
	s, _ := New(Options{})
	tier, err := OpenTier(s, TierOptions{Dir: b.TempDir(), Durability: prefixDurability, WriteThrough: true, fs: fs})
	if err != nil {
		b.Fatal(err)
	}
	defer tier.Close()
	const writers = 50
	val := make([]byte, 100)
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/writers + 1
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				key := []byte(fmt.Sprintf("wt:%d:%d", w, i))
				var tx Tx
				s.Begin(&tx, 0, [][]byte{key}, TxWrite)
				tx.Set(key, StringValue(val))
				seq := tier.Appended()
				tx.End()
				if err := tier.Await(seq, false); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(writers*per)/float64(fs.syncs.Load()), "writes/sync")
}

// BenchmarkFold measures a fold of 100,000 write_back keys of 100 bytes,
// each overwritten since the last fold, as the flusher folds a hot
// keyspace every walFoldInterval; the writes themselves are not timed.
func BenchmarkFold(b *testing.B) {
	s, tier, names := openWriteBackBench(b)
	val := make([]byte, 100)
	write := func(round int) {
		val[0] = byte(round)
		for _, k := range names {
			tx := lockedTx(s, 0)
			tx.Set(k, StringValue(val))
			tx.End()
		}
	}
	write(0)
	if err := tier.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		write(i + 1)
		b.StartTimer()
		if err := tier.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(names)), "ns/key")
}

// BenchmarkWriteBackSet measures SETs of 100-byte values to random keys of
// a 100,000-key write_back keyspace, through the log, as a server's
// clients make them (folds left out: see BenchmarkFold).
func BenchmarkWriteBackSet(b *testing.B) {
	s, _, names := openWriteBackBench(b)
	val := make([]byte, 100)
	set := func(k []byte) {
		tx := lockedTx(s, 0)
		tx.Set(k, StringValue(val))
		tx.End()
	}
	for _, k := range names {
		set(k)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		set(names[rng.IntN(len(names))])
	}
}

// openWriteBackBench opens a store over a write_back tier that flushes
// only when told (the benchmark's cleanup closes it), and returns the
// names of the 100,000 keys the write_back benchmarks write.
func openWriteBackBench(b *testing.B) (*Store, *Tier, [][]byte) {
	s, _ := New(Options{})
	tier, err := OpenTier(s, TierOptions{Dir: b.TempDir(), Durability: prefixDurability, WriteBack: true, FlushInterval: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tier.Close() })
	names := make([][]byte, 100_000)
	for i := range names {
		names[i] = []byte(fmt.Sprintf("wb:key:%012d", i))
	}
	return s, tier, names
}
