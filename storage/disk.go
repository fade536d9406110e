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
	"runtime/debug"
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
	// readOnly: the directory is read-only, and the file was opened so.
	readOnly bool
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
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := createDisk(dir, path, databases); err != nil {
			return nil, diskState{}, err
		}
		fi, err = os.Stat(path)
	}
	if err != nil {
		return nil, diskState{}, err
	} else if fi.Size() == 0 {
		// bbolt would initialize an empty file; it is not ours (ours are
		// renamed into place complete).
		return nil, diskState{}, fmt.Errorf("%w: %s is empty; refusing to start rather than overwrite it (move it away or choose another dir)", ErrForeignFile, path)
	}
	if err := checkDisk(path, fi.Size()); err != nil {
		return nil, diskState{}, err
	}
	d := &diskFile{path: path}
	d.db, err = openBolt(path, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType, InitialMmapSize: initialMmapSize})
	if isReadOnlyFS(err) {
		d.readOnly = true
		d.db, err = openBolt(path, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	}
	if err != nil {
		return nil, diskState{}, err
	}
	db := d.db
	st, err := d.state(databases)
	if err != nil {
		db.Close()
		return nil, diskState{}, err
	}
	return d, st, nil
}

// initialMmapSize is the address space the data file is mapped with at
// open: 1gb on 64-bit platforms (none on 32-bit ones). bbolt maps the file
// anew each time it outgrows its mapping (doubling from 32kb), and before
// that copies every key and value the fold's transaction has touched out
// of the old mapping: a third of a fold's CPU while a fresh tier's file
// grew. A larger mapping costs address space only.
const initialMmapSize = int(^uint(0)>>63) << 30

// openBolt opens path with bbolt, which reads the metadata and freelist
// pages: a failure, or a panic on a damaged one, is worded by openError.
func openBolt(path string, opts *bolt.Options) (db *bolt.DB, err error) {
	err = guardCorrupt(path, func() error {
		db, err = bolt.Open(path, 0o644, opts)
		return err
	})
	if err != nil {
		return nil, openError(path, err)
	}
	return db, nil
}

// openError words a bbolt open failure.
func openError(path string, err error) error {
	if errors.Is(err, boltErrors.ErrTimeout) {
		return fmt.Errorf("storage: %s is in use by another process", path)
	}
	if errors.Is(err, boltErrors.ErrInvalid) || errors.Is(err, boltErrors.ErrVersionMismatch) || errors.Is(err, boltErrors.ErrChecksum) || errors.Is(err, errCorruptFile) {
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

// checkDisk opens path read-only and checks it is a whole Strata data
// file: not cut short, with Strata's metadata. It writes nothing,
// whatever it finds.
func checkDisk(path string, size int64) error {
	db, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	err = guardCorrupt(path, func() error {
		return db.View(func(tx *bolt.Tx) error {
			// Pages past the end of the file would fault when read.
			if tx.Size() > size {
				return fmt.Errorf("%w: %s is truncated: %d bytes where its metadata says %d; refusing to start rather than lose what was cut (restore the file, or move it away to start empty)",
					ErrForeignFile, path, size, tx.Size())
			}
			meta := tx.Bucket(metaBucket)
			if meta == nil || string(meta.Get(keyFormat)) != diskFormat {
				return fmt.Errorf("%w: %s is a bbolt file of another program or version; refusing to start rather than overwrite it (move it away or choose another dir)", ErrForeignFile, path)
			}
			_, err := decodeDBMap(meta.Get(keyDBMap))
			return err
		})
	})
	if errors.Is(err, errCorruptFile) {
		return fmt.Errorf("%w: %w; refusing to start rather than overwrite it (move it away or choose another dir)", ErrForeignFile, err)
	}
	return err
}

// state reads the metadata, extending the database map to databases.
func (d *diskFile) state(databases int) (diskState, error) {
	st := diskState{stats: map[uint32]bucketStat{}, dicts: map[uint32][]byte{}, nsDicts: map[string]uint32{}, gens: map[string]uint32{}}
	err := d.view(func(tx *bolt.Tx) error {
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
	st.dbmap.grow(databases)
	return st, err
}

// grow gives databases beyond those m maps a new, empty bucket each: the
// server may be started with more databases than the file was written
// with.
func (m *dbMap) grow(databases int) {
	for len(m.buckets) < databases {
		m.buckets = append(m.buckets, m.next)
		m.next++
	}
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
	touch  uint32
	// prefix holds the key's first bytes after those every key of the
	// fold shares (see sortOps).
	prefix uint64
	key    []byte
	rec    []byte
}

// sortOps sorts ops by bucket and key. Comparing the keys themselves cost
// a cache miss on each key's bytes, a quarter of a fold's CPU (100,000
// keys sharing a prefix such as "key:0000000"), so each op first gets the
// 8 bytes that follow the prefix all keys share, as a big-endian number
// padded with zeros: ops whose numbers differ are ordered as their keys
// are, and only equal numbers need the keys compared.
func sortOps(ops []foldOp) {
	if len(ops) == 0 {
		return
	}
	shared := ops[0].key
	for i := 1; i < len(ops) && len(shared) > 0; i++ {
		k := ops[i].key
		n := min(len(shared), len(k))
		j := 0
		for j < n && shared[j] == k[j] {
			j++
		}
		shared = shared[:j]
	}
	for i := range ops {
		var b [8]byte
		copy(b[:], ops[i].key[len(shared):])
		ops[i].prefix = binary.BigEndian.Uint64(b[:])
	}
	slices.SortFunc(ops, func(x, y foldOp) int {
		if x.bucket != y.bucket {
			return cmp.Compare(x.bucket, y.bucket)
		}
		if x.prefix != y.prefix {
			return cmp.Compare(x.prefix, y.prefix)
		}
		return bytes.Compare(x.key, y.key)
	})
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
	sortOps(f.ops)
	mapped := map[uint32]bool{}
	for _, id := range f.dbmap.buckets {
		mapped[id] = true
	}
	err := d.update(func(tx *bolt.Tx) error {
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
	return d.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(dictBucket)
		if err := b.Put(binary.BigEndian.AppendUint32(nil, id), dict); err != nil {
			return err
		}
		return b.Put(append(append([]byte(nil), dictNSPrefix...), ns...), binary.BigEndian.AppendUint32(nil, id))
	})
}

// putMeta stores val under key in the meta bucket, durably.
func (d *diskFile) putMeta(key, val []byte) error {
	return d.update(func(tx *bolt.Tx) error { return tx.Bucket(metaBucket).Put(key, val) })
}

// getMeta returns a copy of the value under key in the meta bucket, nil
// when there is none.
func (d *diskFile) getMeta(key []byte) (val []byte, err error) {
	err = d.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(metaBucket).Get(key); v != nil {
			val = append([]byte(nil), v...)
		}
		return nil
	})
	return val, err
}

// foldYield is how many changes a fold applies between yields.
const foldYield = 256

// errCorruptFile means bbolt met a damaged page in the data file (it
// panics on those rather than failing); the error names the file.
var errCorruptFile = errors.New("storage: data file is corrupt")

// view and update are the data file's bbolt View and Update, with the
// panic bbolt raises on a damaged page, or the fault of a read past the
// end of a file cut short under its memory map, turned into
// errCorruptFile: the caller fails, the process carries on.
func (d *diskFile) view(fn func(tx *bolt.Tx) error) error {
	return guardCorrupt(d.path, func() error { return d.db.View(fn) })
}

func (d *diskFile) update(fn func(tx *bolt.Tx) error) error {
	return guardCorrupt(d.path, func() error { return d.db.Update(fn) })
}

// guardCorrupt runs fn (bbolt rolls back a transaction that panics)
// and returns its error, or errCorruptFile naming path for a panic.
func guardCorrupt(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: %v", errCorruptFile, path, r)
		}
	}()
	return fn()
}

// get returns a copy of key's entry in bucket, nil when absent.
func (d *diskFile) get(bucket uint32, key []byte) (rec []byte, err error) {
	err = d.view(func(tx *bolt.Tx) error {
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
	err := d.view(func(tx *bolt.Tx) error {
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
