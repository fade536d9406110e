package storage

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	boltErrors "go.etcd.io/bbolt/errors"
)

// The data file is one bbolt database, dir/strata.db:
//
//   - bucket "strata" holds the file's metadata: "format" (diskFormat, so a
//     bbolt file of another program is refused), "checkpoint" (the last log
//     record folded in), "dbmap" (which bucket holds each database) and
//     "stat" (keys and bytes per bucket), and "gen:" and a namespace's
//     name its generation (see Generations), once it is not 0;
//   - bucket "dicts" holds the compression dictionaries by id;
//   - one bucket per database, a zero byte and a 4-byte id, maps keys to
//     entries.
//
// A database's bucket id changes on FLUSHDB (the database gets a new, empty
// bucket at once; the old one is deleted by a later fold) and SWAPDB swaps
// two ids, so neither rewrites keys.
const (
	diskFileName = "strata.db"
	diskFormat   = "strata-disk/1"
)

var (
	metaBucket = []byte("strata")
	dictBucket = []byte("dicts")
	keyFormat  = []byte("format")
	keyCheck   = []byte("checkpoint")
	keyDBMap   = []byte("dbmap")
	keyStat    = []byte("stat")
	// dictNSPrefix + a namespace's name keys the id of the dictionary it
	// compresses new values with, in the dicts bucket.
	dictNSPrefix = []byte("ns:")
	// genPrefix + a namespace's name keys its generation, in the meta
	// bucket.
	genPrefix = []byte("gen:")
)

// bucketName returns the name of data bucket id.
func bucketName(id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{0}, id)
}

// dbMap is which bucket holds each database, and the next free bucket id.
type dbMap struct {
	buckets []uint32
	next    uint32
}

func (m dbMap) encode() []byte {
	b := binary.LittleEndian.AppendUint32(nil, m.next)
	for _, id := range m.buckets {
		b = binary.LittleEndian.AppendUint32(b, id)
	}
	return b
}

func decodeDBMap(b []byte) (dbMap, error) {
	if len(b) < 4 || len(b)%4 != 0 {
		return dbMap{}, fmt.Errorf("%w: bad database map", ErrForeignFile)
	}
	m := dbMap{next: binary.LittleEndian.Uint32(b)}
	for b = b[4:]; len(b) > 0; b = b[4:] {
		m.buckets = append(m.buckets, binary.LittleEndian.Uint32(b))
	}
	return m, nil
}

// bucketStat is the live keys and bytes (keys plus entries) of a bucket.
type bucketStat struct{ keys, bytes int64 }

// diskFile is the open data file.
type diskFile struct {
	db   *bolt.DB
	path string
}

// diskState is what the data file says at open.
type diskState struct {
	checkpoint uint64
	dbmap      dbMap
	stats      map[uint32]bucketStat
	dicts      map[uint32][]byte
	nsDicts    map[string]uint32 // the dictionary each namespace compresses with
	gens       map[string]uint32 // each namespace's generation, when not 0
}

// openDisk opens dir/strata.db, creating it when absent. A file that is
// not a Strata data file, or is corrupt, is refused with ErrForeignFile
// and left untouched; one locked by another process is refused too.
func openDisk(dir string, databases int) (*diskFile, diskState, error) {
	path := filepath.Join(dir, diskFileName)
	if fi, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := createDisk(dir, path, databases); err != nil {
			return nil, diskState{}, err
		}
	} else if err != nil {
		return nil, diskState{}, err
	} else if fi.Size() == 0 {
		// bbolt would initialize an empty file; it is not ours (ours are
		// renamed into place complete).
		return nil, diskState{}, fmt.Errorf("%w: %s is empty; refusing to start rather than overwrite it (move it away or choose another dir)", ErrForeignFile, path)
	}
	if err := checkDisk(path); err != nil {
		return nil, diskState{}, err
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, diskState{}, openError(path, err)
	}
	d := &diskFile{db: db, path: path}
	st, err := d.state(databases)
	if err != nil {
		db.Close()
		return nil, diskState{}, err
	}
	return d, st, nil
}

// openError words a bbolt open failure.
func openError(path string, err error) error {
	if errors.Is(err, boltErrors.ErrTimeout) {
		return fmt.Errorf("storage: %s is in use by another process", path)
	}
	if errors.Is(err, boltErrors.ErrInvalid) || errors.Is(err, boltErrors.ErrVersionMismatch) || errors.Is(err, boltErrors.ErrChecksum) {
		return fmt.Errorf("%w: %s: %v; refusing to start rather than overwrite it (move it away or choose another dir)", ErrForeignFile, path, err)
	}
	return fmt.Errorf("storage: open %s: %w", path, err)
}

// createDisk makes a new data file under a temporary name and renames it
// into place once complete, so that a crash never leaves a half-made file
// that a later start would mistake for a foreign one.
func createDisk(dir, path string, databases int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("storage: create %s: %w", dir, err)
	}
	tmp := path + ".tmp"
	os.Remove(tmp)
	db, err := bolt.Open(tmp, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("storage: create %s: %w", tmp, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(metaBucket)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket(dictBucket); err != nil {
			return err
		}
		m := dbMap{next: uint32(databases)}
		for i := 0; i < databases; i++ {
			m.buckets = append(m.buckets, uint32(i))
		}
		if err := meta.Put(keyFormat, []byte(diskFormat)); err != nil {
			return err
		}
		return meta.Put(keyDBMap, m.encode())
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storage: create %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("storage: create %s: %w", path, err)
	}
	return syncDir(dir)
}

// checkDisk opens path read-only and checks it is a Strata data file. It
// writes nothing, whatever it finds.
func checkDisk(path string) (err error) {
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return openError(path, err)
	}
	defer db.Close()
	defer func() {
		// bbolt panics on some corrupt pages rather than failing.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s is corrupt (%v); refusing to start rather than overwrite it", ErrForeignFile, path, r)
		}
	}()
	return db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil || string(meta.Get(keyFormat)) != diskFormat {
			return fmt.Errorf("%w: %s is a bbolt file of another program or version; refusing to start rather than overwrite it (move it away or choose another dir)", ErrForeignFile, path)
		}
		_, err := decodeDBMap(meta.Get(keyDBMap))
		return err
	})
}

// state reads the metadata, extending the database map to databases.
func (d *diskFile) state(databases int) (diskState, error) {
	st := diskState{stats: map[uint32]bucketStat{}, dicts: map[uint32][]byte{}, nsDicts: map[string]uint32{}, gens: map[string]uint32{}}
	err := d.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if b := meta.Get(keyCheck); len(b) == 8 {
			st.checkpoint = binary.LittleEndian.Uint64(b)
		}
		var err error
		if st.dbmap, err = decodeDBMap(meta.Get(keyDBMap)); err != nil {
			return err
		}
		if b := meta.Get(keyStat); len(b)%20 == 0 {
			for ; len(b) > 0; b = b[20:] {
				st.stats[binary.LittleEndian.Uint32(b)] = bucketStat{
					keys:  int64(binary.LittleEndian.Uint64(b[4:])),
					bytes: int64(binary.LittleEndian.Uint64(b[12:])),
				}
			}
		}
		c := meta.Cursor()
		for k, v := c.Seek(genPrefix); bytes.HasPrefix(k, genPrefix); k, v = c.Next() {
			if len(v) == 4 {
				st.gens[string(k[len(genPrefix):])] = binary.BigEndian.Uint32(v)
			}
		}
		return tx.Bucket(dictBucket).ForEach(func(k, v []byte) error {
			switch {
			case len(k) == 4:
				st.dicts[binary.BigEndian.Uint32(k)] = append([]byte(nil), v...)
			case bytes.HasPrefix(k, dictNSPrefix) && len(v) == 4:
				st.nsDicts[string(k[len(dictNSPrefix):])] = binary.BigEndian.Uint32(v)
			}
			return nil
		})
	})
	for len(st.dbmap.buckets) < databases {
		st.dbmap.buckets = append(st.dbmap.buckets, st.dbmap.next)
		st.dbmap.next++
	}
	return st, err
}

func encodeStats(stats map[uint32]bucketStat) []byte {
	ids := make([]uint32, 0, len(stats))
	for id := range stats {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	var b []byte
	for _, id := range ids {
		b = binary.LittleEndian.AppendUint32(b, id)
		b = binary.LittleEndian.AppendUint64(b, uint64(stats[id].keys))
		b = binary.LittleEndian.AppendUint64(b, uint64(stats[id].bytes))
	}
	return b
}

// foldOp is one change folded into the file: rec nil deletes key; touch
// only updates the access time of an existing entry.
type foldOp struct {
	bucket uint32
	key    []byte
	rec    []byte
	touch  uint32
}

// fold is one transaction of the flusher.
type fold struct {
	ops        []foldOp
	dbmap      dbMap
	checkpoint uint64
	// sweep, when set, is called inside the transaction after the ops.
	sweep func(tx *bolt.Tx, stats map[uint32]bucketStat) error
}

// apply commits f in one transaction (one fsync) and returns the bucket
// stats after it (stats itself is left as it is): ops for buckets no
// database maps to are dropped, and such buckets are deleted.
func (d *diskFile) apply(f *fold, before map[uint32]bucketStat) (map[uint32]bucketStat, error) {
	stats := make(map[uint32]bucketStat, len(before))
	for id, st := range before {
		stats[id] = st
	}
	// Sorted puts touch each page once; bbolt appends in order fastest.
	slices.SortFunc(f.ops, func(x, y foldOp) int {
		if x.bucket != y.bucket {
			return cmp.Compare(x.bucket, y.bucket)
		}
		return bytes.Compare(x.key, y.key)
	})
	mapped := map[uint32]bool{}
	for _, id := range f.dbmap.buckets {
		mapped[id] = true
	}
	err := d.db.Update(func(tx *bolt.Tx) error {
		var b *bolt.Bucket
		cur := ^uint32(0)
		for i := range f.ops {
			op := &f.ops[i]
			if !mapped[op.bucket] {
				continue
			}
			if i%foldYield == foldYield-1 {
				// Let clients run: with few Ps a big fold would otherwise
				// hold one for its whole length.
				runtime.Gosched()
			}
			if op.bucket != cur || b == nil {
				cur = op.bucket
				var err error
				if b, err = tx.CreateBucketIfNotExists(bucketName(cur)); err != nil {
					return err
				}
			}
			st := stats[cur]
			old := b.Get(op.key)
			if old != nil {
				st.keys--
				st.bytes -= int64(len(op.key) + len(old))
			}
			switch {
			case op.rec != nil:
				if err := b.Put(op.key, op.rec); err != nil {
					return err
				}
				st.keys++
				st.bytes += int64(len(op.key) + len(op.rec))
			case op.touch != 0 && old != nil:
				if err := b.Put(op.key, withAtime(old, op.touch)); err != nil {
					return err
				}
				st.keys++
				st.bytes += int64(len(op.key) + len(old))
			case old != nil:
				if err := b.Delete(op.key); err != nil {
					return err
				}
			}
			stats[cur] = st
		}
		var orphans [][]byte
		tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if len(name) == 5 && name[0] == 0 && !mapped[binary.BigEndian.Uint32(name[1:])] {
				orphans = append(orphans, append([]byte(nil), name...))
			}
			return nil
		})
		for _, name := range orphans {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			delete(stats, binary.BigEndian.Uint32(name[1:]))
		}
		if f.sweep != nil {
			if err := f.sweep(tx, stats); err != nil {
				return err
			}
		}
		meta := tx.Bucket(metaBucket)
		if err := meta.Put(keyCheck, binary.LittleEndian.AppendUint64(nil, f.checkpoint)); err != nil {
			return err
		}
		if err := meta.Put(keyDBMap, f.dbmap.encode()); err != nil {
			return err
		}
		return meta.Put(keyStat, encodeStats(stats))
	})
	return stats, err
}

// saveDict stores dictionary id and makes it namespace ns's, durably,
// before any value compressed with it can be written.
func (d *diskFile) saveDict(ns string, id uint32, dict []byte) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(dictBucket)
		if err := b.Put(binary.BigEndian.AppendUint32(nil, id), dict); err != nil {
			return err
		}
		return b.Put(append(append([]byte(nil), dictNSPrefix...), ns...), binary.BigEndian.AppendUint32(nil, id))
	})
}

// putMeta stores val under key in the meta bucket, durably.
func (d *diskFile) putMeta(key, val []byte) error {
	return d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(metaBucket).Put(key, val) })
}

// getMeta returns a copy of the value under key in the meta bucket, nil
// when there is none.
func (d *diskFile) getMeta(key []byte) (val []byte, err error) {
	err = d.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(metaBucket).Get(key); v != nil {
			val = append([]byte(nil), v...)
		}
		return nil
	})
	return val, err
}

// foldYield is how many changes a fold applies between yields.
const foldYield = 256

// get returns a copy of key's entry in bucket, nil when absent.
func (d *diskFile) get(bucket uint32, key []byte) (rec []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: %v", errBadEntry, d.path, r)
		}
	}()
	err = d.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketName(bucket)); b != nil {
			if v := b.Get(key); v != nil {
				rec = append([]byte(nil), v...)
			}
		}
		return nil
	})
	return rec, err
}

// scan calls fn with up to n keys of bucket after key after (nil: from the
// first), in order, and returns the last key seen (nil at the end). The
// slices are copies.
func (d *diskFile) scan(bucket uint32, after []byte, n int, fn func(key, rec []byte)) ([]byte, error) {
	var last []byte
	err := d.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketName(bucket))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.First()
		if after != nil {
			k, v = c.Seek(after)
			if k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && n > 0; k, v = c.Next() {
			last = append([]byte(nil), k...)
			fn(last, append([]byte(nil), v...))
			n--
		}
		if k == nil {
			last = nil
		}
		return nil
	})
	return last, err
}

// close closes the file.
func (d *diskFile) close() error { return d.db.Close() }
