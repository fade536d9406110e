package storage

import (
	"bytes"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// PersistedKeys returns the keys of database index that the disk tier
// holds and that start with prefix: the data file's keys (an ordered range,
// read from prefix on) merged with the writes staged but not yet folded
// into it, less the staged deletions. It serves invalidations, which must
// reach keys that live only on disk: deleting each through Tx.Delete reads
// it in and stages its deletion. Some keys returned may have expired on
// disk; Tx.Delete reports those absent.
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
	err := t.disk.view(func(tx *bolt.Tx) error {
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
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDiskRead, err)
	}
	return keys, nil
}

// UnindexedTaggedKeys returns the keys of database index whose entries in
// the data file carry one of tags, while the tag index may not know them
// all: the index learns a persisted key's tags when the key is read into
// memory, so until the warm-up has read every persisted key after a start
// (or when maxmemory stopped it), keys that live only on disk are found
// here, by reading the file's entries. Once the warm-up is complete it
// returns nil at once: the index knows every key.
//
// Like PersistedKeys it takes no Store lock; Tx.Delete reports keys that
// expired or went meanwhile absent.
func (t *Tier) UnindexedTaggedKeys(index int, tags []string) ([]string, error) {
	if t.warmed.Load() || len(tags) == 0 {
		return nil, nil
	}
	want := make(map[string]bool, len(tags))
	for _, tag := range tags {
		want[tag] = true
	}
	bucket := t.buckets[index].Load()
	var keys []string
	err := t.disk.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketName(bucket))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, rec []byte) error {
			e, err := parseEntry(rec)
			if err != nil {
				// Its tags are unknown: the key may carry one of these.
				return fmt.Errorf("%w: the entry of %q: %w", ErrDiskRead, k, err)
			}
			for _, tag := range e.tags {
				if want[tag] {
					keys = append(keys, string(k))
					break
				}
			}
			return nil
		})
	})
	return keys, err
}
