package storage

import (
	"bytes"
	"errors"
	"os"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// The flusher's background work besides folding: the sweep that reclaims
// expired entries (and entries of namespaces no longer persisted) from the
// data file, max-disk-size eviction, and the warm-up that loads persisted
// keys into memory after a start.

// mappedBuckets returns the buckets databases map to, in id order.
func (t *Tier) mappedBuckets() []uint32 {
	ids := make([]uint32, len(t.buckets))
	for i := range t.buckets {
		ids[i] = t.buckets[i].Load()
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	return ids
}

// next moves c to the bucket after the one it is in, wrapping around.
func (c *sweepCursor) next(ids []uint32) {
	c.key = nil
	for _, id := range ids {
		if id > c.bucket {
			c.bucket = id
			return
		}
	}
	if len(ids) > 0 {
		c.bucket = ids[0]
	}
}

// walk calls fn with up to n entries from c onwards, moving c, across
// buckets in id order and around, at most once round.
func (c *sweepCursor) walk(tx *bolt.Tx, ids []uint32, n int, fn func(bucket uint32, key, rec []byte)) {
	if len(ids) == 0 {
		return
	}
	if i := sort.Search(len(ids), func(i int) bool { return ids[i] >= c.bucket }); i == len(ids) || ids[i] != c.bucket {
		c.next(ids)
	}
	startBucket, startKey := c.bucket, append([]byte(nil), c.key...)
	for round := 0; n > 0 && round <= len(ids); round++ {
		last := round == len(ids) // back where the walk started
		if last && len(startKey) == 0 {
			return
		}
		if b := tx.Bucket(bucketName(c.bucket)); b != nil {
			cur := b.Cursor()
			k, v := cur.First()
			if c.key != nil {
				if k, v = cur.Seek(c.key); k != nil && bytes.Equal(k, c.key) {
					k, v = cur.Next()
				}
			}
			for ; k != nil; k, v = cur.Next() {
				if n == 0 || last && c.bucket == startBucket && bytes.Compare(k, startKey) > 0 {
					return
				}
				fn(c.bucket, k, v)
				c.key = append(c.key[:0], k...)
				n--
			}
		}
		c.next(ids)
	}
}

// sweepTx deletes, inside the fold's transaction, the expired and
// superseded entries among the next sweepPerFold, and those whose keys no
// longer persist.
func (t *Tier) sweepTx(tx *bolt.Tx, stats map[uint32]bucketStat) error {
	now := t.store.clock()
	type doomed struct {
		bucket uint32
		key    []byte
		size   int
	}
	var dead []doomed
	t.sweepAt.walk(tx, t.mappedBuckets(), sweepPerFold, func(bucket uint32, key, rec []byte) {
		if entryExpired(rec, now) || entryGen(rec) != t.store.generation(key) || t.opts.Durability(key) == MemoryOnly {
			dead = append(dead, doomed{bucket, append([]byte(nil), key...), len(key) + len(rec)})
		}
	})
	for _, d := range dead {
		if err := tx.Bucket(bucketName(d.bucket)).Delete(d.key); err != nil {
			return err
		}
		st := stats[d.bucket]
		st.keys--
		st.bytes -= int64(d.size)
		stats[d.bucket] = st
	}
	return nil
}

// evict brings the data file's live bytes, with the writes staged for
// it, back under evictTarget: it picks the least recently used evictable
// key of each window of evictWindow neighbours until enough bytes are
// chosen, removes the chosen keys from memory, and stages their deletion
// for the next fold. Keys with a change waiting are spared: they were just
// written. It gives up after a whole round of the file without a key it
// may evict. Evictions are logged and counted.
func (t *Tier) evict() {
	over := t.diskBytes.Load() + t.backlog.Load() - t.evictTarget()
	type victim struct {
		bucket uint32
		key    []byte
	}
	var victims []victim
	chosen := map[string]bool{}
	ids := t.mappedBuckets()
	var freed int64
	for windows, barren := 0, 0; freed < over && windows < 1<<16 && barren <= int(t.diskKeys.Load()); windows++ {
		var best victim
		bestAt, bestSize, seen := uint32(0), 0, 0
		err := t.disk.view(func(tx *bolt.Tx) error {
			t.evictAt.walk(tx, ids, evictWindow, func(bucket uint32, key, rec []byte) {
				seen++
				if !t.opts.Evictable(key) {
					return
				}
				if _, staged := t.lookupStaged(bucket, key); staged || chosen[string(overlayKey(nil, bucket, key))] {
					return
				}
				if at := entryAtime(rec); best.key == nil || at < bestAt {
					best = victim{bucket, append([]byte(nil), key...)}
					bestAt, bestSize = at, len(key)+len(rec)
				}
			})
			return nil
		})
		if err != nil || seen == 0 {
			break
		}
		if best.key == nil {
			barren += seen
			continue
		}
		barren = 0
		chosen[string(overlayKey(nil, best.bucket, best.key))] = true
		victims = append(victims, best)
		freed += int64(bestSize)
	}
	n := 0
	for _, v := range victims {
		if t.evictKey(v.bucket, v.key) {
			n++
		}
	}
	if n > 0 {
		t.evicted.Add(int64(n))
		t.log.Info("max-disk-size reached; evicted persisted keys of namespaces with disk_evict",
			"keys", n, "bytes", freed, "max_disk_size", t.opts.MaxDiskSize, "evicted_total", t.evicted.Load())
		t.requestFlush()
	}
}

// evictKey removes key of bucket from memory and stages its deletion
// from disk, unless a newer change of it is staged, and reports whether
// it did.
func (t *Tier) evictKey(bucket uint32, key []byte) bool {
	for i := range t.buckets {
		if t.buckets[i].Load() != bucket || i >= t.store.Databases() {
			continue
		}
		l := t.store.lockShard(i, t.store.ShardOf(key))
		defer t.store.unlock(l)
		if t.buckets[i].Load() != bucket {
			return false // SWAPDB or FLUSHDB moved it meanwhile
		}
		if _, staged := t.lookupStaged(bucket, key); staged {
			return false
		}
		db := t.store.DB(i)
		if s := db.find(key); s.found {
			db.remove(&s, Evicted)
			db.store.stats.Evicted.Add(0, 1)
		}
		buf := append([]byte{opDel}, overlayKey(nil, bucket, key)...)
		t.put(stagedKey{key: unsafeString(key), bucket: bucket}, buf, len(buf), true, true)
		return true
	}
	return false
}

// warm loads persisted keys into memory, database by database, while
// memory stays under three quarters of maxmemory, until Close.
func (t *Tier) warm() {
	defer t.wg.Done()
	s := t.store
	for i := 0; i < len(t.buckets) && i < s.Databases(); i++ {
		bucket := t.buckets[i].Load()
		var after []byte
		for {
			select {
			case <-t.closing:
				return
			default:
			}
			var keys, recs [][]byte
			var err error
			after, err = t.disk.scan(bucket, after, warmChunk, func(k, rec []byte) {
				keys, recs = append(keys, k), append(recs, rec)
			})
			if err != nil {
				t.log.Error("disk tier warm-up read failed", "err", err)
				return
			}
			for j, k := range keys {
				// Checked per key: a chunk of large values would overshoot.
				if max := s.MaxMemory(); max > 0 && s.Used() >= max/4*3 {
					return
				}
				l := s.lockShard(i, s.ShardOf(k))
				if t.buckets[i].Load() == bucket {
					s.DB(i).warmKey(bucket, k, recs[j])
				}
				s.unlock(l)
			}
			if after == nil || t.buckets[i].Load() != bucket {
				break
			}
		}
	}
	t.warmed.Store(true)
}

// removeFile removes path; a file already gone is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
