package storage

import (
	"bytes"
	"encoding/binary"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// PersistedKeys returns the keys of database index that the disk tier
// holds and that start with prefix: the data file's keys (an ordered range,
// read from prefix on) merged with the writes staged but not yet folded
// into it, less the staged deletions. It serves invalidations, which must
// reach keys that live only on disk: deleting each through DB.Delete reads
// it in and stages its deletion. Some keys returned may have expired on
// disk; DB.Delete reports those absent.
//
// It takes no Store lock and reads the file in one bbolt read transaction;
// the staged writes are read stripe by stripe under their locks.
func (t *Tier) PersistedKeys(index int, prefix string) ([]string, error) {
	bucket := t.buckets[index].Load()
	pending := map[string]bool{} // key -> staged write (true) or deletion
	t.eachStaged(bucket, func(key string, s staged) {
		if strings.HasPrefix(key, prefix) {
			pending[key] = s.buf[0] == opPut
		}
	})
	var keys []string
	for k, put := range pending {
		if put {
			keys = append(keys, k)
		}
	}
	err := t.disk.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketName(bucket))
		if b == nil {
			return nil
		}
		p := []byte(prefix)
		c := b.Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			if _, ok := pending[string(k)]; !ok {
				keys = append(keys, string(k))
			}
		}
		return nil
	})
	return keys, err
}

// splitOverlayKey parses an overlay key, bucket u32 | key length uvarint |
// key (see overlayKey).
func splitOverlayKey(mk string) (bucket uint32, key string, ok bool) {
	if len(mk) < 5 {
		return 0, "", false
	}
	bucket = binary.BigEndian.Uint32([]byte(mk[:4]))
	n, w := binary.Uvarint([]byte(mk[4:min(len(mk), 4+binary.MaxVarintLen64)]))
	if w <= 0 || uint64(len(mk)-4-w) != n {
		return 0, "", false
	}
	return bucket, mk[4+w:], true
}
