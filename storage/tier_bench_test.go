package storage

import (
	"fmt"
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
