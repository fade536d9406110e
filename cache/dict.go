package cache

import (
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// Sample bounds for training: enough values to see a namespace's common
// structure, few enough to train in a fraction of a second.
const (
	dictSamples     = 2000
	dictSampleBytes = 4 << 20
)

// Dictionary is a trained compression dictionary.
type Dictionary struct {
	ID      uint32 // what values compressed with it record
	Size    int    // its bytes
	Samples int    // the values it was trained on
}

// TrainDictionary trains a zstd dictionary on the string values of
// namespace sp found in memory, keeps it (in the disk tier when there is
// one, so values compressed with it stay readable after a restart), and
// makes new values of sp compress with it. It reads the keyspace a shard
// at a time. Too few values is storage.ErrTooFewSamples (Samples says how
// many there were).
func (c *Cache) TrainDictionary(sp *policy.Space) (Dictionary, error) {
	var samples [][]byte
	total := 0
	enough := func() bool { return len(samples) >= dictSamples || total >= dictSampleBytes }
	for d := 0; d < c.store.Databases() && !enough(); d++ {
		for i := 0; i < storage.Shards && !enough(); i++ {
			var tx storage.Tx
			c.store.BeginShard(&tx, d, i, storage.TxRead)
			tx.ScanShard(i, func(key string, v storage.Value) {
				if v.Kind() != storage.KindString || enough() || c.rules.Lookup(keyBytes(key)) != sp {
					return
				}
				if b, err := c.store.Plain(v); err == nil && len(b) > 0 {
					samples = append(samples, b)
					total += len(b)
				}
			})
			tx.End()
		}
	}
	dict := Dictionary{Samples: len(samples)}
	id, data, err := c.store.TrainDict(samples, storageLevel(sp.Compress.Level))
	if err != nil {
		return dict, err
	}
	if c.tier != nil {
		err = c.tier.SaveDict(sp.Name, id, data)
	} else {
		err = c.store.AddDict(id, data)
	}
	if err != nil {
		return dict, err
	}
	c.dicts[sp.ID].Store(id)
	dict.ID, dict.Size = id, len(data)
	return dict, nil
}
