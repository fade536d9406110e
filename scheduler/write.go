package scheduler

import (
	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/storage"
)

// batchWriter writes loaded values through the write path, as a SET
// would, and waits for their durability once per batch, so that a batch
// of write_through keys shares one fsync. It is not safe for concurrent
// use: each worker has its own.
type batchWriter struct {
	c     *cache.Cache
	db    int
	batch int // writes per durability wait
	n     int
	wait  cache.Wait
	tx    cache.Tx
	key   [1][]byte
	// send writes the keys other nodes of a cluster own there (nil
	// outside a cluster).
	send Sender
}

// put stores value under key; expireAt (unix ms) is the TTL the source
// gave, 0 for the namespace's default. The write is durable once flush
// returns.
func (w *batchWriter) put(key string, value []byte, expireAt int64) error {
	k := []byte(key)
	w.key[0] = k
	w.c.Begin(&w.tx, w.db, w.key[:], cache.WriteReplace, storage.TxWrite)
	if w.send != nil && w.tx.Err() == nil {
		if remote, err := w.send.Send(key, value, expireAt); remote || err != nil {
			w.tx.End()
			if err != nil {
				return err
			}
			return w.counted()
		}
	}
	if w.c.Store().MaxMemory() > 0 && w.tx.Err() == nil {
		// As a SET: evict by the policy first, or be refused.
		if err := w.tx.MakeRoom(k); err != nil {
			w.tx.Fail(err)
		}
	}
	w.tx.Set(k, storage.StringValue(value).WithExpireAt(expireAt))
	wait, err := w.tx.End()
	if err != nil {
		return err
	}
	w.wait = w.wait.Merge(wait)
	return w.counted()
}

// counted counts a write, and flushes every batch.
func (w *batchWriter) counted() error {
	if w.n++; w.n >= w.batch {
		return w.flush()
	}
	return nil
}

// flush waits until the writes so far are durable, here and on the nodes
// keys were sent to.
func (w *batchWriter) flush() error {
	wait := w.wait
	w.wait, w.n = cache.Wait{}, 0
	err := w.c.Await(wait)
	if w.send != nil {
		if serr := w.send.Flush(); err == nil {
			err = serr
		}
	}
	return err
}
