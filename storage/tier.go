package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/stratakv/strata/internal/hist"
)

// Durability is how the disk tier keeps a key; the server maps namespace
// strategies to it.
type Durability uint8

// The durabilities.
const (
	// MemoryOnly keys never touch the disk (cache_aside).
	MemoryOnly Durability = iota
	// WriteThrough keys are in the write-ahead log, fsynced, before the
	// write is acknowledged (see Tier.Appended and Tier.Await).
	WriteThrough
	// WriteBack keys are acknowledged at once and are on disk within
	// FlushInterval: in the log, synced lazily, with TierOptions.WriteBack;
	// else in the data file, at the next flush.
	WriteBack
)

// TierOptions configures a Tier. The zero value of each field but
// Durability is its default.
type TierOptions struct {
	// Dir holds the data file (strata.db) and the log segments.
	Dir string
	// Durability tells how a key is kept. It is called on every write and
	// on every memory miss, with storage locks held: it must be fast, and
	// safe for concurrent use. Required.
	Durability func(key []byte) Durability
	// WriteThrough must be set when Durability may return WriteThrough: it
	// opens the write-ahead log.
	WriteThrough bool
	// WriteBack, when set, sends write_back writes through the
	// write-ahead log as lazy records, written in large batches and
	// synced within FlushInterval, and folds them into the data file with
	// the log's other records (see walFoldInterval) instead of every
	// FlushInterval: a key written many times between folds is folded
	// once. It opens the log. Without it write_back writes are folded
	// every FlushInterval.
	WriteBack bool
	// FlushInterval is how often pending writes are folded into the data
	// file (default 1s): the most write_back writes a crash can lose.
	FlushInterval time.Duration
	// MaxDiskSize bounds the data file's live bytes (keys and entries),
	// counting writes staged for it (0: no bound). Past it Room refuses
	// writes, and the flusher evicts the least recently used keys that
	// Evictable allows from both tiers.
	MaxDiskSize int64
	// Evictable reports whether max-disk-size may evict key (nil: no key
	// may). It is called by the flusher with no lock held; it must be
	// safe for concurrent use.
	Evictable func(key []byte) bool
	// MaxBacklog bounds the bytes of writes waiting for a flush (default
	// 64mb); writers of write_back keys wait while it is exceeded.
	MaxBacklog int64
	// Warm loads persisted keys into memory in the background after the
	// start, while memory stays under three quarters of maxmemory (or
	// without bound when there is none), so that DBSIZE, KEYS and SCAN see
	// them. Reads never wait for it: a key not yet loaded is read from
	// disk.
	Warm bool
	// Logger receives the tier's logs (default: discarded).
	Logger *slog.Logger
	// RestoreGenerations, when set, is given the generations the data
	// file holds by namespace name (see SaveGeneration), before the tier
	// reads or sweeps any key: the caller sets the Store's Generations
	// from them, or the keys of those namespaces would read as superseded.
	RestoreGenerations func(gens map[string]uint32)

	segmentSize int64 // log segment size (tests shrink it)
	fs          walFS // file system for the log (tests inject faults)
	// readFault, when set, fails the data file reads it returns an error
	// for: tests inject read errors with it (bbolt reads a memory map,
	// which no file system wrapper sees).
	readFault func(key []byte) error
}

// Tier is the disk tier: a bbolt data file with a write-ahead log in
// front. It follows the memory tier as a Listener: writes of persisted keys
// are staged in an overlay (and, for write_through keys, appended to the
// log); a flusher folds the overlay into the data file every
// FlushInterval; a memory miss on a persisted key reads the overlay, then
// the file, and promotes what it finds.
//
// A Tier is safe for concurrent use. Lock order: Store locks, then an
// overlay stripe, then the log's mutex; the flusher takes Store locks only
// while it holds no lock of its own, and never inside a bbolt transaction.
type Tier struct {
	store *Store
	opts  TierOptions
	log   *slog.Logger
	disk  *diskFile
	wal   *wal // nil without write_through namespaces (and write_back ones, with TierOptions.WriteBack)
	seed  maphash.Seed

	stripes [overlayStripes]stripe
	backlog atomic.Int64 // bytes staged and not yet folded
	// evictBacklog is the part of backlog max-disk-size may evict.
	evictBacklog atomic.Int64
	pending      atomic.Int64 // keys staged and not yet folded

	mapMu   sync.Mutex
	dbmap   dbMap
	buckets []atomic.Uint32 // dbmap.buckets, readable without mapMu

	touchMu sync.Mutex
	touches map[string]uint32 // bucket+key -> access time to record

	tags    atomic.Pointer[TagKeeper]
	nsDicts map[string]uint32 // as the file had them at open

	// Flusher state.
	checkpoint uint64 // the last log record in the data file
	stats      map[uint32]bucketStat
	sweepAt    sweepCursor
	evictAt    sweepCursor
	diskKeys   atomic.Int64
	diskBytes  atomic.Int64
	// evicted and refused count the keys max-disk-size evicted and the
	// writes it refused; full is set from a refusal until the flusher
	// finds the tier under max-disk-size again.
	evicted atomic.Int64
	refused atomic.Int64
	full    atomic.Bool
	kick    chan struct{}
	// warmed is set once the warm-up has read every persisted key into
	// memory, so the tag index knows them all (UnindexedTaggedKeys).
	warmed atomic.Bool
	// mustFold is set when something not covered by the log is staged (a
	// write_back write); foldedAt is when the flusher last folded.
	mustFold  atomic.Bool
	foldedAt  time.Time
	flushMu   sync.Mutex
	folded    chan struct{} // closed and replaced after each fold
	lastFlush atomic.Int64  // unix ms of the last successful fold
	flushDur  atomic.Int64  // its duration in ms
	flushErr  atomic.Pointer[error]
	warned    sync.Map // kinds without a codec, logged once

	closeOnce sync.Once
	closing   chan struct{}
	wg        sync.WaitGroup
}

// overlayStripes spreads the overlay over this many maps, each with its
// own mutex, so writers on different shards rarely meet.
const overlayStripes = 64

// stripe is one part of the overlay: staged changes by bucket and key.
// A fold takes m whole as folding and leaves an empty m for new changes;
// readers see folding (under mu) until the fold is in the data file.
type stripe struct {
	mu      sync.Mutex
	m       map[stagedKey]staged
	folding map[stagedKey]staged // owned by the flusher; nil between folds
	_       [32]byte             // keep neighbouring mutexes off one cache line
}

// stagedKey is a staged change's key in the overlay. key is never
// modified: a write's is the memory tier's copy of the key (KeyStored's,
// which views the key of the stored record, bytes no write changes), so
// that the next write of the key, whose lookup in the memory tier has
// just read those bytes, finds its older change without reading the
// change's own (a cache miss, 4% of the CPU of write_back SETs at -P 16;
// a map keeps the key of its latest assignment, so it follows the record
// when a write replaces it). Other changes' keys view their buf.
type stagedKey struct {
	key    string
	bucket uint32
}

// staged is a change waiting to be folded into the data file. buf is the
// change as the log records it, op | bucket u32 | key length uvarint | key
// | entry; only a later change of the same key and length overwrites it
// (see put), so readers holding the key's locks may view it.
type staged struct {
	buf    []byte
	keyEnd int // buf[keyEnd:] is the entry
	// evictable: max-disk-size may evict the key (Evictable), so Room
	// leaves the change out.
	evictable bool
}

// evictableSize is what s adds to the backlog of evictable changes.
func (s staged) evictableSize() int64 {
	if !s.evictable {
		return 0
	}
	return int64(len(s.buf))
}

// Log record operations.
const (
	opPut byte = iota + 1
	opDel
	opMap
)

// sweepCursor is where a walk over the data file stopped.
type sweepCursor struct {
	bucket uint32
	key    []byte
}

// Walk sizes: keys the sweep looks at per fold, and keys compared per
// max-disk-size eviction (Redis's sampled LRU looks at 5; a window of
// neighbours is cheaper to read and needs more).
const (
	sweepPerFold  = 4096
	evictWindow   = 32
	warmChunk     = 512
	touchInterval = 60 // seconds an access time may lag before it is rewritten
)

// OpenTier opens the disk tier in opts.Dir for s and attaches it: s then
// stages writes of persisted keys and reads them back on a memory miss.
// Call it before s serves commands. Log records not yet in the data file
// are replayed first. A foreign or corrupt file is refused with
// ErrForeignFile and left as it is.
func OpenTier(s *Store, opts TierOptions) (*Tier, error) {
	if opts.Durability == nil {
		return nil, errors.New("storage: TierOptions.Durability is required")
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.MaxBacklog <= 0 {
		opts.MaxBacklog = 64 << 20
	}
	if opts.segmentSize <= 0 {
		opts.segmentSize = walSegmentSize
	}
	if opts.fs == nil {
		opts.fs = osFS{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	disk, st, err := openDisk(opts.Dir, s.Databases())
	if err != nil {
		return nil, err
	}
	for id, d := range st.dicts {
		if err := s.AddDict(id, d); err != nil {
			disk.close()
			return nil, fmt.Errorf("%w: %s: %w", ErrForeignFile, disk.path, err)
		}
	}
	if opts.RestoreGenerations != nil {
		opts.RestoreGenerations(st.gens)
	}
	t := &Tier{
		store: s, opts: opts, log: opts.Logger, disk: disk, seed: maphash.MakeSeed(), nsDicts: st.nsDicts,
		dbmap: st.dbmap, stats: st.stats, touches: map[string]uint32{},
		kick: make(chan struct{}, 1), folded: make(chan struct{}), closing: make(chan struct{}),
	}
	for i := range t.stripes {
		t.stripes[i].m = map[stagedKey]staged{}
	}
	files, nextNum, err := walSegmentFiles(opts.Dir)
	if err == nil {
		err = t.replay(files, st.checkpoint)
	}
	if err != nil {
		disk.close()
		return nil, err
	}
	t.dbmap.grow(s.Databases()) // a replayed map may have fewer
	t.buckets = make([]atomic.Uint32, len(t.dbmap.buckets))
	for i, id := range t.dbmap.buckets {
		t.buckets[i].Store(id)
	}
	t.countDisk()
	if disk.readOnly {
		t.log.Warn("the disk tier's directory is read-only: persisted keys are served, writes to them are refused", "dir", opts.Dir)
	} else if opts.WriteThrough || opts.WriteBack {
		t.wal = openWAL(opts.Dir, opts.segmentSize, opts.fs, t.log, t.checkpoint+1, nextNum, opts.FlushInterval)
	}
	s.tier = t
	s.AddListener(t)
	t.wg.Add(1)
	go t.flusher()
	if opts.Warm {
		t.wg.Add(1)
		go t.warm()
	}
	return t, nil
}

// replay folds the log records after checkpoint into the data file and
// removes the segments, so the tier starts with an empty log.
func (t *Tier) replay(files []string, checkpoint uint64) error {
	t.checkpoint = checkpoint
	if len(files) == 0 {
		return nil
	}
	latest := map[string]foldOp{}
	last, err := replayWAL(files, checkpoint, t.log, func(seq uint64, p []byte) error {
		r, err := decodeWALRecord(seq, p)
		switch {
		case err != nil:
			return err
		case r.dbmap != nil:
			t.dbmap = *r.dbmap
		default:
			latest[r.mapKey] = r.op
		}
		return nil
	})
	if err != nil {
		return err
	}
	if t.disk.readOnly {
		if last > checkpoint {
			return fmt.Errorf("%w: the write-ahead log in %s holds %d writes not yet in the data file, which a read-only directory cannot take; refusing to start without them (make it writable)",
				ErrDiskReadOnly, t.opts.Dir, last-checkpoint)
		}
		return nil
	}
	f := &fold{dbmap: t.dbmap, checkpoint: max(last, checkpoint)}
	for _, op := range latest {
		f.ops = append(f.ops, op)
	}
	stats, err := t.disk.apply(f, t.stats)
	if err != nil {
		return fmt.Errorf("storage: replaying the write-ahead log: %w", err)
	}
	t.stats = stats
	t.checkpoint = f.checkpoint
	if last > checkpoint {
		t.log.Info("replayed write-ahead log", "records", last-checkpoint, "segments", len(files))
	}
	for _, path := range files {
		if err := removeFile(path); err != nil {
			return err
		}
	}
	return syncDir(t.opts.Dir)
}

// walRecord is a decoded log record: a put or delete of one key (op, and
// mapKey, its bucket and key as one string), or a database map (dbmap).
type walRecord struct {
	op     foldOp
	mapKey string
	dbmap  *dbMap
}

// decodeWALRecord decodes the payload p of log record seq, which views p.
// A record that does not decode is ErrForeignFile: its checksum matched,
// so it is no torn write, and the tier refuses to guess.
func decodeWALRecord(seq uint64, p []byte) (walRecord, error) {
	if len(p) == 0 {
		return walRecord{}, fmt.Errorf("%w: empty log record %d", ErrForeignFile, seq)
	}
	switch p[0] {
	case opPut, opDel:
		bucket, key, rec, ok := splitRecord(p)
		if !ok {
			return walRecord{}, fmt.Errorf("%w: bad log record %d", ErrForeignFile, seq)
		}
		r := walRecord{op: foldOp{bucket: bucket, key: key}, mapKey: string(p[1 : len(p)-len(rec)])}
		if p[0] == opPut {
			r.op.rec = rec
		}
		return r, nil
	case opMap:
		m, err := decodeDBMap(p[1:])
		if err != nil {
			return walRecord{}, err
		}
		return walRecord{dbmap: &m}, nil
	}
	return walRecord{}, fmt.Errorf("%w: unknown log record %d", ErrForeignFile, seq)
}

// splitRecord splits a put or delete record (or a staged buf) into its
// bucket, key and entry (empty for a delete).
func splitRecord(p []byte) (bucket uint32, key, rec []byte, ok bool) {
	if len(p) < 6 {
		return 0, nil, nil, false
	}
	bucket = binary.BigEndian.Uint32(p[1:])
	n, w := binary.Uvarint(p[5:])
	if w <= 0 || n > uint64(len(p)-5-w) {
		return 0, nil, nil, false
	}
	start := 5 + w
	return bucket, p[start : start+int(n)], p[start+int(n):], true
}

func (t *Tier) countDisk() {
	var keys, bytes int64
	for _, st := range t.stats {
		keys += st.keys
		bytes += st.bytes
	}
	t.diskKeys.Store(keys)
	t.diskBytes.Store(bytes)
}

// Tier returns the Store's disk tier, nil when it has none.
func (s *Store) Tier() *Tier { return s.tier }

// bytesOf views a key string as bytes, to be read only.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// KeyStored stages a write of a persisted key (Listener).
func (t *Tier) KeyStored(db *DB, key string, v Value) {
	d := t.opts.Durability(bytesOf(key))
	if d == MemoryOnly {
		return
	}
	t.stage(db, key, &v, d)
}

// KeyRemoved stages the deletion of a persisted key (Listener). A key
// evicted from memory stays on disk; an expired one is expired there too
// (the sweep reclaims it); a flushed database is handled by flushDB.
func (t *Tier) KeyRemoved(db *DB, key string, _ Value, why Reason) {
	if why != Deleted {
		return
	}
	d := t.opts.Durability(bytesOf(key))
	if d == MemoryOnly {
		return
	}
	t.stage(db, key, nil, d)
}

// stage records a change of key (v nil: its deletion) in the overlay and,
// for a write_through key, in the log.
func (t *Tier) stage(db *DB, key string, v *Value, d Durability) {
	bucket := t.buckets[db.index].Load()
	bp := stageBufs.Get().(*[]byte)
	buf := slices.Grow((*bp)[:0], 1+4+binary.MaxVarintLen32+len(key)+entryFixed+16+t.entrySizeHint(v))
	defer func() {
		if cap(buf) <= maxStageBuf {
			*bp = buf[:0]
			stageBufs.Put(bp)
		}
	}()
	buf = append(buf, opDel)
	buf = binary.BigEndian.AppendUint32(buf, bucket)
	buf = binary.AppendUvarint(buf, uint64(len(key)))
	buf = append(buf, key...)
	keyEnd := len(buf)
	if v != nil {
		buf[0] = opPut
		var tags []string
		if k := t.tags.Load(); k != nil {
			tags = (*k).Of(db, key)
		}
		var err error
		if buf, err = appendEntry(buf, *v, tags, uint32(t.store.clock()/1000)); err != nil {
			if _, seen := t.warned.LoadOrStore(v.Kind(), true); !seen {
				t.log.Warn("values of this kind are kept in memory only", "kind", v.Kind().String(), "err", err)
			}
			return
		}
	}
	// A deletion's key views its change: the removed value's record would
	// be kept until the fold.
	t.put(stagedKey{key: key, bucket: bucket}, buf, keyEnd, v == nil,
		t.opts.MaxDiskSize > 0 && t.opts.Evictable != nil && t.opts.Evictable(bytesOf(key)))
	switch {
	case d == WriteThrough && t.wal != nil:
		t.wal.append(buf)
	case d == WriteBack && t.opts.WriteBack && t.wal != nil && t.wal.appendLazy(buf):
		// Folded with the log's records.
	default:
		t.mustFold.Store(true)
	}
	if t.backlog.Load() > t.opts.MaxBacklog/2 {
		t.requestFlush()
	}
}

func (t *Tier) entrySizeHint(v *Value) int {
	if v == nil || v.Kind() != KindString {
		return 0
	}
	return v.Len()
}

func (t *Tier) stripeOf(k stagedKey) *stripe {
	return &t.stripes[(maphash.String(t.seed, k.key)+uint64(k.bucket))%overlayStripes]
}

// stageBufs holds the buffers stage encodes changes in, up to
// maxStageBuf bytes, so that put allocates only for a key's first change
// since the last fold or one of another size.
var stageBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxStageBuf = 64 << 10

// put stages a copy of change (the log's record of it; change[keyEnd:] is
// the entry) under k, replacing an older change of its key. k.key must
// never be modified (see stagedKey); with ownKey the staged copy's key
// bytes become k.key instead. An older change of the same length is
// overwritten in place rather than allocated anew (the allocation, with
// the collections it called for, cost more than the copy): a staged
// change's bytes are read only under its stripe's lock, or under its
// key's locks, which every writer of the key holds, or while folded,
// when it is in a stripe's folding map, which writers never change.
func (t *Tier) put(k stagedKey, change []byte, keyEnd int, ownKey, evictable bool) {
	st := t.stripeOf(k)
	st.mu.Lock()
	old, had := st.m[k]
	s := staged{buf: old.buf, keyEnd: keyEnd, evictable: evictable}
	if !had || len(old.buf) != len(change) {
		s.buf = make([]byte, len(change))
	}
	copy(s.buf, change)
	if ownKey {
		k.key = unsafeString(s.buf[keyEnd-len(k.key) : keyEnd])
	}
	st.m[k] = s
	st.mu.Unlock()
	t.backlog.Add(int64(len(s.buf) - len(old.buf)))
	t.evictBacklog.Add(s.evictableSize() - old.evictableSize())
	if !had {
		t.pending.Add(1)
	}
}

// overlayKey builds the overlay key of key in bucket into buf.
func overlayKey(buf []byte, bucket uint32, key []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, bucket)
	buf = binary.AppendUvarint(buf, uint64(len(key)))
	return append(buf, key...)
}

// lookupStaged returns the staged change of key in bucket.
func (t *Tier) lookupStaged(bucket uint32, key []byte) (staged, bool) {
	k := stagedKey{key: unsafeString(key), bucket: bucket}
	st := t.stripeOf(k)
	st.mu.Lock()
	s, ok := st.m[k]
	if !ok {
		s, ok = st.folding[k]
	}
	st.mu.Unlock()
	return s, ok
}

// eachStaged calls fn with every staged change of bucket, newest for each
// key, stripe by stripe under the stripe's lock: fn must be quick and must
// not call back into the tier.
func (t *Tier) eachStaged(bucket uint32, fn func(key string, s staged)) {
	for i := range t.stripes {
		st := &t.stripes[i]
		st.mu.Lock()
		for _, m := range [...]map[stagedKey]staged{st.folding, st.m} { // newer last
			for k, s := range m {
				if k.bucket == bucket {
					fn(k.key, s)
				}
			}
		}
		st.mu.Unlock()
	}
}

// load reads key of db from the disk tier after a memory miss: the
// overlay first, then the data file. It returns the live value with its
// tags and generation, false when the key is not persisted, absent,
// expired or superseded, and an error when the file cannot be read or the
// entry does not decode: the key may exist, so it must not be reported
// absent.
func (t *Tier) load(db *DB, key []byte) (stored, bool, error) {
	if t.opts.Durability(key) == MemoryOnly {
		return stored{}, false, nil
	}
	bucket := t.buckets[db.index].Load()
	var rec []byte
	if s, ok := t.lookupStaged(bucket, key); ok {
		if s.buf[0] == opDel {
			return stored{}, false, nil
		}
		rec = s.buf[s.keyEnd:]
	} else {
		var err error
		if rec, err = t.read(bucket, key); err != nil {
			t.log.Error("disk tier read failed", "key", string(key), "err", err)
			return stored{}, false, fmt.Errorf("%w: %w", ErrDiskRead, err)
		}
		if rec == nil {
			return stored{}, false, nil
		}
	}
	st, ok, err := t.decode(bucket, key, rec, true)
	if err != nil {
		t.log.Error("disk tier entry does not decode", "key", string(key), "err", err)
		return stored{}, false, fmt.Errorf("%w: %w", ErrDiskRead, err)
	}
	return st, ok, nil
}

// read returns a copy of key's entry in the data file's bucket, nil when
// absent.
func (t *Tier) read(bucket uint32, key []byte) ([]byte, error) {
	if t.opts.readFault != nil {
		if err := t.opts.readFault(key); err != nil {
			return nil, err
		}
	}
	return t.disk.get(bucket, key)
}

// stored is a key's value as read from the disk tier, with its tags and
// generation.
type stored struct {
	v    Value
	tags []string
	gen  uint32
}

// decode turns key's entry rec into its value, tags and generation, false
// when it is expired or superseded, an error when it does not decode. With
// touch a read records the key's access time for max-disk-size (the
// warm-up, not a client's read, does not).
func (t *Tier) decode(bucket uint32, key, rec []byte, touch bool) (stored, bool, error) {
	e, err := parseEntry(rec)
	if err != nil {
		return stored{}, false, err
	}
	now := t.store.clock()
	if expiredAt(e.exp, now) || e.gen != t.store.generation(key) {
		return stored{}, false, nil // the sweep reclaims it
	}
	v, err := e.value()
	if err != nil {
		return stored{}, false, err
	}
	if sec := uint32(now / 1000); touch && sec-e.atime > touchInterval {
		t.touch(bucket, key, sec)
	}
	return stored{v: v, tags: e.tags, gen: e.gen}, true, nil
}

// warmKey loads key into memory from rec, its entry as the warm-up read it
// from the data file, unless memory holds the key already; a write staged
// since (in the overlay) wins over rec. An entry that does not decode is
// logged and left on disk, where a client's read of it meets the error.
// The caller holds key's locks.
func (db *DB) warmKey(bucket uint32, key, rec []byte) {
	t := db.store.tier
	if db.find(key).found || t.opts.Durability(key) == MemoryOnly {
		return
	}
	if s, ok := t.lookupStaged(bucket, key); ok {
		if s.buf[0] == opDel {
			return
		}
		rec = s.buf[s.keyEnd:]
	}
	st, ok, err := t.decode(bucket, key, rec, false)
	if err != nil {
		t.log.Error("disk tier entry does not decode; the warm-up leaves it on disk", "key", string(key), "err", err)
	}
	if !ok {
		return
	}
	db.write(key, st.v, st.gen)
	if k := t.tags.Load(); k != nil && len(st.tags) > 0 {
		(*k).Replace(db, string(key), st.tags)
	}
}

// touch records that key was used at sec, for max-disk-size eviction.
func (t *Tier) touch(bucket uint32, key []byte, sec uint32) {
	if t.disk.readOnly {
		return
	}
	mk := string(overlayKey(nil, bucket, key))
	t.touchMu.Lock()
	t.touches[mk] = sec
	t.touchMu.Unlock()
}

// promote brings key of db in from the disk tier after a memory miss
// (s is that miss) and returns its slot, found when the disk had it, or
// the error of a read that failed. A read (flags without LookupWrite)
// counts a disk hit, and keeps the key in memory only if maxmemory has
// room for it (see roomFor); otherwise the slot is transient, the value
// served from disk. The listeners are not told: the key did not change,
// it only moved between tiers.
func (db *DB) promote(key []byte, s slot, flags LookupFlags) (slot, error) {
	t := db.store.tier
	st, ok, err := t.load(db, key)
	if err != nil || !ok {
		return s, err
	}
	if flags&LookupWrite == 0 {
		db.store.counters.DiskHits.Add(uint(s.h), 1)
		if !db.roomFor(s.sh, key, st.v, st.gen) {
			s.found, s.transient, s.v = true, true, st.v
			return s, nil
		}
	}
	db.write(key, st.v, st.gen)
	if k := t.tags.Load(); k != nil && len(st.tags) > 0 {
		(*k).Replace(db, string(key), st.tags)
	}
	return db.find(key), nil
}

// TagKeeper is the tag index as the disk tier sees it (Tags satisfies
// it): a persisted key's tags are stored in its entry and given back when
// the key is read in.
type TagKeeper interface {
	// Of returns key's tags (nil: none). It is called with key's locks
	// held, each time the key is staged.
	Of(db *DB, key string) []string
	// Replace gives back the tags of a key just read in from disk, with
	// its locks held.
	Replace(db *DB, key string, tags []string)
}

// SetTagKeeper makes the tier persist tags through k.
func (t *Tier) SetTagKeeper(k TagKeeper) { t.tags.Store(&k) }

// TagsChanged stages key again after its tags changed without a write of
// its value (CACHE.TAG). The caller holds key's locks.
func (t *Tier) TagsChanged(db *DB, key []byte) {
	if s := db.find(key); s.found {
		t.KeyStored(db, s.v.key(), s.v)
	}
}

// flushDB gives db a new, empty bucket (FLUSHDB, FLUSHALL); the flusher
// deletes the old one. The caller holds the Store lock exclusively.
func (t *Tier) flushDB(db *DB) {
	t.mapMu.Lock()
	t.dbmap.buckets[db.index] = t.dbmap.next
	t.dbmap.next++
	t.buckets[db.index].Store(t.dbmap.buckets[db.index])
	rec := append([]byte{opMap}, t.dbmap.encode()...)
	t.mapMu.Unlock()
	if t.wal != nil {
		t.wal.append(rec)
	}
	t.requestFlush()
}

// swapDB follows Store.SwapDB. The caller holds the Store lock
// exclusively.
func (t *Tier) swapDB(a, b int) {
	t.mapMu.Lock()
	m := t.dbmap.buckets
	m[a], m[b] = m[b], m[a]
	t.buckets[a].Store(m[a])
	t.buckets[b].Store(m[b])
	rec := append([]byte{opMap}, t.dbmap.encode()...)
	t.mapMu.Unlock()
	if t.wal != nil {
		t.wal.append(rec)
	}
}

// Appended returns the sequence number of the last write-ahead log record:
// a write_through write is durable once Await(Appended()) returns, called
// after the write without storage locks held. It is 0 without a log.
func (t *Tier) Appended() uint64 {
	if t.wal == nil {
		return 0
	}
	return t.wal.appended()
}

// Await waits until log record seq (0: none) is durable, then, when
// throttle is set, while the write backlog is over its bound: the wait
// that makes write_through writes durable before their reply, and write
// back writers slow down when flushes fall behind. Call it without
// storage locks. Its error (ErrDiskFull or ErrDiskIO) means the write may
// not be durable; the caller must not acknowledge it.
func (t *Tier) Await(seq uint64, throttle bool) error {
	if seq != 0 && t.wal != nil {
		if err := t.wal.wait(seq); err != nil {
			return err
		}
	}
	for throttle && t.backlog.Load() > t.opts.MaxBacklog && t.flushErr.Load() == nil {
		t.flushMu.Lock()
		ch := t.folded
		t.flushMu.Unlock()
		t.requestFlush()
		select {
		case <-ch:
		case <-t.closing:
			return nil
		}
	}
	return nil
}

// Writable returns why a write of durability d must be refused now
// (ErrDiskFull, ErrDiskIO or ErrDiskReadOnly), or nil: a write_through
// write when the log failed or has no room for its next segment; a
// write_back write when the backlog is full and flushes fail; any write to
// the tier when its directory is read-only.
func (t *Tier) Writable(d Durability) error {
	if t.disk.readOnly && d != MemoryOnly {
		return ErrDiskReadOnly
	}
	switch d {
	case WriteThrough:
		if t.wal != nil {
			return t.wal.failure()
		}
	case WriteBack:
		if p := t.flushErr.Load(); p != nil && t.backlog.Load() > t.opts.MaxBacklog {
			return *p
		}
	}
	return nil
}

// Room returns ErrDiskLimit while the disk tier is over MaxDiskSize,
// counting the writes staged for it except those Evictable allows to be
// evicted (the flusher makes room for them), and nil otherwise: the check
// before a write that may grow the tier, for a key that must not be
// evicted. As with Redis's maxmemory, the write that crosses the bound is
// let through, so the tier can pass it by the writes admitted at one
// moment. A refusal asks the flusher to fold, which makes the count exact
// (staged overwrites count whole), and to evict what Evictable allows.
func (t *Tier) Room() error {
	if !t.overMax() {
		return nil
	}
	t.refused.Add(1)
	if !t.full.Swap(true) {
		t.log.Warn("disk tier over max-disk-size; writes to namespaces without disk_evict are refused",
			"max_disk_size", t.opts.MaxDiskSize, "disk_bytes", t.diskBytes.Load(), "staged_bytes", t.backlog.Load())
	}
	t.requestFlush()
	return ErrDiskLimit
}

// overMax reports whether the data file and the writes staged for it,
// less those max-disk-size may evict, are over MaxDiskSize.
func (t *Tier) overMax() bool {
	max := t.opts.MaxDiskSize
	return max > 0 && t.diskBytes.Load()+t.backlog.Load()-t.evictBacklog.Load() > max
}

// evictTarget is where max-disk-size eviction brings the data file and
// the writes staged for it: 90% of MaxDiskSize, so that the writes of
// namespaces that may not be evicted have room between flushes.
func (t *Tier) evictTarget() int64 { return t.opts.MaxDiskSize / 10 * 9 }

// overTarget reports whether the data file and the writes staged for it
// are over evictTarget.
func (t *Tier) overTarget() bool {
	return t.opts.MaxDiskSize > 0 && t.diskBytes.Load()+t.backlog.Load() > t.evictTarget()
}

// requestFlush wakes the flusher before its next tick.
// walFoldInterval is how long writes already durable in the log may wait
// to be folded into the data file when nothing else needs a fold: folding
// rewrites every B+tree page a write touched, so folding a hot write_through
// keyspace every FlushInterval cost a third of the server's CPU. The log
// stays bounded by MaxBacklog, which requests a fold at half of it.
const walFoldInterval = 10 * time.Second

func (t *Tier) requestFlush() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// Flush folds everything staged so far into the data file and returns once
// it is there (or the error that kept it out).
func (t *Tier) Flush() error {
	t.flushMu.Lock()
	ch := t.folded
	t.flushMu.Unlock()
	t.requestFlush()
	select {
	case <-ch:
	case <-t.closing:
	}
	// The fold that closed ch may have started before the call: wait for
	// one more so everything staged before it is included.
	t.flushMu.Lock()
	ch = t.folded
	t.flushMu.Unlock()
	t.requestFlush()
	select {
	case <-ch:
	case <-t.closing:
	}
	if p := t.flushErr.Load(); p != nil {
		return *p
	}
	return nil
}

// flusher folds the overlay into the data file every FlushInterval, when
// asked, and once more at Close.
func (t *Tier) flusher() {
	defer t.wg.Done()
	tick := time.NewTicker(t.opts.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if !t.mustFold.Load() && time.Since(t.foldedAt) < walFoldInterval && t.flushErr.Load() == nil &&
				(t.wal == nil || t.wal.failure() == nil) {
				continue // only log-covered writes wait: they are durable already, or will be within FlushInterval
			}
		case <-t.kick:
		case <-t.closing:
			t.foldOnce(false)
			return
		}
		t.mustFold.Store(false)
		t.foldedAt = time.Now()
		// Evictions are staged first, so this fold takes them with the
		// writes that called for them.
		if t.opts.Evictable != nil && t.overTarget() {
			t.evict()
		}
		t.foldOnce(true)
		if t.full.Load() && !t.overMax() && t.full.Swap(false) {
			t.log.Info("disk tier under max-disk-size again; writes accepted")
		}
	}
}

// foldOnce writes every staged change into the data file in one
// transaction, then drops the folded changes from the overlay and releases
// the log up to the checkpoint. sweep also reclaims expired keys.
func (t *Tier) foldOnce(sweep bool) {
	if t.disk.readOnly { // nothing is staged: writes are refused
		t.broadcastFolded()
		return
	}
	start := time.Now()
	var checkpoint uint64
	if t.wal != nil {
		checkpoint = t.wal.appended()
	} else {
		checkpoint = t.checkpoint
	}
	f := &fold{checkpoint: checkpoint}
	// Take each stripe's changes whole: writers go on into a fresh map
	// at once, and nothing is copied under the lock.
	for i := range t.stripes {
		st := &t.stripes[i]
		st.mu.Lock()
		// Sized for as many keys as the last interval's: under a steady
		// load the same keys come back, and a map grown from half that
		// rehashed on the writers' path (2% of the CPU at -P 16).
		st.folding, st.m = st.m, make(map[stagedKey]staged, len(st.m))
		st.mu.Unlock()
	}
	n := 0
	for i := range t.stripes {
		n += len(t.stripes[i].folding)
	}
	f.ops = make([]foldOp, 0, n)
	var foldedBytes, foldedKeys, foldedEvictable int64
	for i := range t.stripes {
		for _, s := range t.stripes[i].folding {
			foldedEvictable += s.evictableSize()
			bucket, key, rec, _ := splitRecord(s.buf)
			op := foldOp{bucket: bucket, key: key}
			if s.buf[0] == opPut {
				op.rec = rec
			}
			f.ops = append(f.ops, op)
			foldedBytes += int64(len(s.buf))
			foldedKeys++
		}
	}
	t.touchMu.Lock()
	touches := t.touches
	t.touches = map[string]uint32{}
	t.touchMu.Unlock()
	for mk, sec := range touches {
		b := []byte(mk)
		bucket := binary.BigEndian.Uint32(b)
		n, w := binary.Uvarint(b[4:])
		f.ops = append(f.ops, foldOp{bucket: bucket, key: b[4+w : 4+w+int(n)], touch: sec})
	}
	t.mapMu.Lock()
	f.dbmap = dbMap{buckets: append([]uint32(nil), t.dbmap.buckets...), next: t.dbmap.next}
	t.mapMu.Unlock()
	if sweep {
		f.sweep = t.sweepTx
	}
	stats, err := t.disk.apply(f, t.stats)
	if err != nil {
		t.unfold()
		e := fmt.Errorf("%w: %w", diskError(err), err)
		if t.flushErr.Swap(&e) == nil {
			t.log.Error("disk tier flush failed; pending writes are kept and retried", "err", err)
		}
		t.broadcastFolded()
		return
	}
	for i := range t.stripes {
		st := &t.stripes[i]
		st.mu.Lock()
		st.folding = nil
		st.mu.Unlock()
	}
	t.backlog.Add(-foldedBytes)
	t.evictBacklog.Add(-foldedEvictable)
	t.pending.Add(-foldedKeys)
	t.stats, t.checkpoint = stats, checkpoint
	if t.wal != nil {
		t.wal.release(checkpoint)
		t.wal.recover(checkpoint)
	}
	t.countDisk()
	if t.flushErr.Swap(nil) != nil {
		t.log.Info("disk tier flush succeeded again")
	}
	t.lastFlush.Store(time.Now().UnixMilli())
	t.flushDur.Store(time.Since(start).Milliseconds())
	t.broadcastFolded()
}

// unfold puts back the changes of a fold that failed, under the ones
// staged since, to be retried.
func (t *Tier) unfold() {
	for i := range t.stripes {
		st := &t.stripes[i]
		st.mu.Lock()
		for k, s := range st.folding {
			if _, newer := st.m[k]; newer {
				t.backlog.Add(-int64(len(s.buf)))
				t.evictBacklog.Add(-s.evictableSize())
				t.pending.Add(-1)
				continue
			}
			st.m[k] = s
		}
		st.folding = nil
		st.mu.Unlock()
	}
}

func (t *Tier) broadcastFolded() {
	t.flushMu.Lock()
	close(t.folded)
	t.folded = make(chan struct{})
	t.flushMu.Unlock()
}

// Close folds everything staged into the data file, stops the tier's
// goroutines and closes its files. Call it after the last command.
func (t *Tier) Close() error {
	var err error
	t.closeOnce.Do(func() {
		close(t.closing)
		t.wg.Wait()
		clean := t.flushErr.Load() == nil && t.pending.Load() == 0
		if t.wal != nil {
			t.wal.close(clean)
		}
		if p := t.flushErr.Load(); p != nil {
			err = *p
		}
		if cerr := t.disk.close(); err == nil {
			err = cerr
		}
	})
	return err
}

// TierStats is a snapshot of the disk tier's state, for INFO.
type TierStats struct {
	Keys, Bytes, MaxBytes     int64 // live keys and bytes on disk, and MaxDiskSize
	BacklogKeys, BacklogBytes int64 // write_back writes waiting for a flush
	LastFlush                 int64 // unix ms of the last flush
	LastFlushDuration         int64 // ms
	FlushFailed, WALFailed    bool  // the last flush failed; the log is failing
	Evicted, Refused          int64 // keys max-disk-size evicted, writes it refused
	// WALSyncs are the write-ahead log's batches: the time each took to
	// write and fdatasync (nil when no namespace is write_through, and so
	// there is no log); WALRecords the records they made durable, so
	// WALRecords / WALSyncs.Count() is the mean batch size.
	WALSyncs   *hist.Snapshot
	WALRecords int64
}

// Stats returns a snapshot of the tier's state.
func (t *Tier) Stats() TierStats {
	st := TierStats{
		Keys: t.diskKeys.Load(), Bytes: t.diskBytes.Load(), MaxBytes: t.opts.MaxDiskSize,
		BacklogKeys: t.pending.Load(), BacklogBytes: t.backlog.Load(),
		LastFlush: t.lastFlush.Load(), LastFlushDuration: t.flushDur.Load(),
		FlushFailed: t.flushErr.Load() != nil, WALFailed: t.wal != nil && t.wal.failure() != nil,
		Evicted: t.evicted.Load(), Refused: t.refused.Load(),
	}
	if t.wal != nil {
		st.WALSyncs, st.WALRecords = t.wal.syncs.Snapshot(), t.wal.records.Load()
	}
	return st
}

// SaveDict registers dictionary id (see Store.TrainDict) for namespace ns
// and writes it to the data file before it returns, so that no value
// compressed with it can reach the disk before it does.
func (t *Tier) SaveDict(ns string, id uint32, dict []byte) error {
	if err := t.store.AddDict(id, dict); err != nil {
		return err
	}
	if err := t.disk.saveDict(ns, id, dict); err != nil {
		return fmt.Errorf("%w: %w", diskError(err), err)
	}
	return nil
}

// Dicts returns the dictionary each namespace (by name) compressed with
// when the data file was opened.
func (t *Tier) Dicts() map[string]uint32 { return t.nsDicts }

// SaveGeneration writes gen as namespace ns's generation to the data file
// before it returns (see Generations): keys of older generations never
// come back after a restart.
func (t *Tier) SaveGeneration(ns string, gen uint32) error {
	if err := t.disk.putMeta(append(append([]byte(nil), genPrefix...), ns...), binary.BigEndian.AppendUint32(nil, gen)); err != nil {
		return fmt.Errorf("%w: %w", diskError(err), err)
	}
	return nil
}

// DiskKeys returns how many keys the data file holds (as of the last
// flush), expired ones not yet swept included.
func (t *Tier) DiskKeys() int64 { return t.diskKeys.Load() }
