package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratakv/strata/internal/hist"
)

// The write-ahead log makes write_through writes durable at the cost of one
// sequential write and one fdatasync per batch, where a bbolt commit costs
// several page writes and fsyncs. One goroutine (the writer) takes every
// record waiting when it wakes, writes them with one write and syncs them
// with one fdatasync, with no batch delay: clients that write while a sync
// runs share the next one. The flusher later folds the same changes into
// the bbolt file and releases the log up to its checkpoint.
//
// write_back writes go through the log too, as lazy records (appendLazy):
// the writer writes them with the next batch but syncs them only when a
// record that needs it comes, or once they have waited the lazy interval
// (the tier's FlushInterval), as Redis's appendfsync everysec writes its
// log every event loop and fsyncs it every second. They lose no more in a
// power cut than a fold every FlushInterval lost (and nothing when only
// the process dies: the page cache has them), while the flusher, no longer
// folding them every FlushInterval, folds each key's last value once per
// walFoldInterval: pprof of write_back SETs at -P 16 had a third of the
// server's CPU in the fold every second.
//
// The log is a series of segment files, each zero-filled to its full size
// and synced before it is used, so that a batch's fdatasync writes data
// only (no size or block-map change), and so that running out of disk shows
// when the next segment cannot be made, while the current one still has
// room: the tier then refuses new write_through writes with an error
// instead of failing ones in flight. A segment whose records are all in
// the data file is recycled as a later one rather than deleted (up to
// walSpareSegments of them): its blocks are written already, and zero
// filling a new segment, 16 MB written and synced for every 16 MB of
// log, cost 2% of the server's CPU under write_back SETs at -P 1 and 5%
// under write_through ones.
//
// A segment starts with a header: magic (16 bytes), segment number (u64)
// and the size it was made with (u64; 0 in segments of older versions).
// A record is framed as length (u32), CRC-32C of sequence and payload
// (u32), sequence number (u64), payload. Every batch is written with an
// end mark after it, a zero record header that the next batch overwrites,
// so that what a recycled segment held before (records of sequences long
// folded) never reads as part of the log. Replay reads records in sequence
// order and stops at the end mark (or the zero fill of a new segment), or
// at the first record that is torn (bad checksum, or a sequence gap, as an
// old record's is): everything after it belongs to the batch a crash
// interrupted, which no client was told had succeeded. What a crash cannot
// leave is refused, not replayed up to: a segment shorter than it was made
// (they are made whole, then renamed into place), or a torn record with
// intact records in a later segment (a batch moves to the next segment
// only once its part in this one is synced).

const (
	walMagic       = "STRATAWAL1\x00\x00\x00\x00\x00\x00"
	walHeaderSize  = 32
	walRecHeader   = 16
	walSegmentSize = 16 << 20
	walFilePrefix  = "wal-"
	walFileSuffix  = ".log"
	walFillChunk   = 1 << 20
	// walSpareSegments is how many released segments are kept to be
	// recycled (128 MB): the log a fold every walFoldInterval releases at
	// some 80,000 writes of 100 bytes a second. More are deleted, so a
	// log gives back the disk space of a burst but for these.
	walSpareSegments = 8
)

// walEndMark follows every batch in its segment (see above).
var walEndMark [walRecHeader]byte

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// walFS is what the log needs from the file system; tests inject faults
// such as a full disk.
type walFS interface {
	// Create makes a file ready for writing at any offset.
	Create(path string) (walFile, error)
	// Open opens an existing segment for writing.
	Open(path string) (walFile, error)
}

// walFile is one segment file.
type walFile interface {
	io.WriterAt
	io.ReaderAt
	Sync() error // fdatasync
	Close() error
}

type osFS struct{}

func (osFS) Create(path string) (walFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return dataSyncFile{f}, nil
}

func (osFS) Open(path string) (walFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return dataSyncFile{f}, nil
}

// segment is one log file being written.
type segment struct {
	num  uint64
	path string
	f    walFile
	size int64
	off  int64  // where the next record goes
	last uint64 // sequence of the last record in it
	// dirty is set while records written to it are not synced.
	dirty bool
}

// wal is the write-ahead log. append is called with storage locks held and
// only buffers; the writer goroutine does the I/O.
type wal struct {
	dir     string
	segSize int64
	fs      walFS
	log     *slog.Logger

	mu      sync.Mutex
	buf     []byte // framed records waiting for the writer
	syncTo  uint64 // records up to this one are to be synced at once
	spare   []byte
	next    uint64        // sequence of the next record
	err     error         // sticky: a batch failed; reset by restart
	changed chan struct{} // closed when synced or err changes
	closing bool

	synced   atomic.Uint64 // every record up to this one is durable
	lazy     time.Duration // the longest a lazy record waits for its sync
	lowSpace atomic.Pointer[error]
	wake     chan struct{}

	// syncs times each batch's write and fdatasync; records counts the
	// records they made durable (over syncs' count: the mean batch).
	syncs   hist.Histogram
	records atomic.Int64

	// Owned by the writer goroutine (and by release under segMu).
	written  uint64    // every record up to this one is written, maybe unsynced
	syncedAt time.Time // when the writer last synced
	segMu    sync.Mutex
	cur      *segment
	full     []*segment // written segments, oldest first, for release
	// spares are released segments, renamed to temporary names (which
	// replay never reads and startup deletes), for prealloc to recycle.
	spares []*segment
	ready  chan *segment // a preallocated segment, when one is made
	need   chan struct{} // asks the preallocator for the next segment
	// preallocDone is closed when the preallocator has stopped: close
	// waits for it, since it makes segments without segMu.
	preallocDone chan struct{}
	// lastNum is the number of the newest segment made current: a
	// preallocated segment numbered below it (made while the writer made
	// one itself) is discarded, so file names keep the records' order.
	lastNum  uint64
	released uint64 // records up to here are in the bbolt file
	done     chan struct{}

	// nextNum is the number the next segment made gets. create reserves
	// it without segMu: the preallocator's zero fill and fsync of a whole
	// segment (30 to 150 ms here) ran under segMu, and stalled every
	// batch behind it once a segment.
	nextNum atomic.Uint64
}

// errWALClosed is returned to writers racing with Close.
var errWALClosed = errors.New("storage: write-ahead log closed")

// openWAL opens the log in dir after replay: first is the sequence the next
// record gets, nextNum the number for the next segment file, lazy the
// longest a lazy record (appendLazy) waits for its sync.
func openWAL(dir string, segSize int64, fs walFS, log *slog.Logger, first, nextNum uint64, lazy time.Duration) *wal {
	w := &wal{
		dir: dir, segSize: segSize, fs: fs, log: log, lazy: lazy, written: first - 1, syncedAt: time.Now(),
		next: first, changed: make(chan struct{}), wake: make(chan struct{}, 1),
		ready: make(chan *segment, 1), need: make(chan struct{}, 1), done: make(chan struct{}),
		preallocDone: make(chan struct{}),
		released:     first - 1,
	}
	w.nextNum.Store(nextNum)
	w.synced.Store(first - 1)
	// The first segment is made now, so a full disk shows at once; the
	// preallocator retries when it cannot be.
	if s, err := w.create(segSize); err == nil {
		w.cur, w.lastNum = s, s.num
	} else {
		w.noRoom(err)
	}
	w.need <- struct{}{}
	go w.prealloc()
	go w.run()
	return w
}

// append adds a record holding payload, to be synced at once, and returns
// its sequence number. It does no I/O.
func (w *wal) append(payload []byte) uint64 {
	w.mu.Lock()
	seq := w.add(payload)
	w.syncTo = seq
	w.mu.Unlock()
	w.wakeWriter()
	return seq
}

// appendLazy adds a record holding payload that may wait up to the lazy
// interval for its sync, and reports whether it did: not while the log
// has failed or has no room for its next segment, when the caller must
// have the write folded into the data file as if there were no log. It
// does no I/O.
func (w *wal) appendLazy(payload []byte) bool {
	if w.lowSpace.Load() != nil {
		return false
	}
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return false
	}
	w.add(payload)
	full := len(w.buf) >= walLazyChunk
	w.mu.Unlock()
	if full {
		w.wakeWriter()
	}
	return true
}

// walLazyChunk is how many bytes of lazy records wake the writer before
// the lazy interval ends: one write of them costs a system call where a
// write per record or per client's pipeline would cost hundreds.
const walLazyChunk = 64 << 10

// wakeWriter wakes the writer goroutine.
func (w *wal) wakeWriter() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// add frames payload into buf and returns its sequence number. The
// caller holds mu.
func (w *wal) add(payload []byte) uint64 {
	seq := w.next
	w.next++
	// The checksum is taken over the record's copy in buf: crc32 calls
	// through a function variable, so whatever it reads escapes, and a
	// header on the stack was an allocation per write.
	start := len(w.buf)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(payload)))
	w.buf = binary.LittleEndian.AppendUint32(w.buf, 0) // the checksum, below
	w.buf = binary.LittleEndian.AppendUint64(w.buf, seq)
	w.buf = append(w.buf, payload...)
	rec := w.buf[start:]
	crc := crc32.Update(crc32.Checksum(rec[8:walRecHeader], castagnoli), castagnoli, rec[walRecHeader:])
	binary.LittleEndian.PutUint32(rec[4:], crc)
	return seq
}

// appended returns the sequence of the last record appended.
func (w *wal) appended() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.next - 1
}

// wait blocks until record seq is durable, or returns the error that keeps
// it from being so. A lazy record waited for is synced at once: a
// write_through writer's seq (Tier.Appended) may be that of a write_back
// record appended after its own.
func (w *wal) wait(seq uint64) error {
	if w.synced.Load() >= seq {
		return nil
	}
	w.mu.Lock()
	if seq > w.syncTo {
		w.syncTo = seq
		w.wakeWriter()
	}
	for w.synced.Load() < seq {
		if w.err != nil {
			err := w.err
			w.mu.Unlock()
			return err
		}
		ch := w.changed
		w.mu.Unlock()
		<-ch
		w.mu.Lock()
	}
	w.mu.Unlock()
	return nil
}

// failure returns why new write_through writes cannot be accepted: the
// log failed, or the disk has no room for its next segment.
func (w *wal) failure() error {
	if p := w.lowSpace.Load(); p != nil {
		return *p
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// recover clears a failure once everything appended is durable elsewhere
// (the flusher folded it into the bbolt file): the records the failed
// batches held are then as good as synced.
func (w *wal) recover(upTo uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil || upTo < w.next-1 {
		return
	}
	w.err = nil
	w.buf = w.buf[:0]
	w.synced.Store(w.next - 1)
	close(w.changed)
	w.changed = make(chan struct{})
}

// run is the writer goroutine. It wakes for new records, and every lazy
// interval to sync lazy records that no urgent one has.
func (w *wal) run() {
	defer close(w.done)
	tick := time.NewTicker(w.lazy)
	defer tick.Stop()
	for {
		ticked := false
		select {
		case <-w.wake:
			w.gather()
		case <-tick.C:
			ticked = true
		}
		w.mu.Lock()
		batch, last, closing, failed := w.buf, w.next-1, w.closing, w.err != nil
		urgent := w.syncTo > w.synced.Load()
		w.buf, w.spare = w.spare[:0], nil
		w.mu.Unlock()
		var err error
		synced := false
		if !failed {
			sync := urgent || closing || ticked || time.Since(w.syncedAt) >= w.lazy
			if len(batch) > 0 || sync && w.written > w.synced.Load() {
				start := time.Now()
				batch = append(batch, walEndMark[:]...)
				err = w.write(batch, sync)
				if err == nil {
					w.written = last
				}
				if sync && err == nil {
					synced = true
					w.syncedAt = time.Now()
					w.syncs.Observe(w.syncedAt.Sub(start))
					w.records.Add(int64(last - w.synced.Load()))
				}
			}
		}
		w.mu.Lock()
		if cap(batch) <= 4<<20 {
			w.spare = batch[:0]
		}
		switch {
		case failed:
			// Records appended after a failure stay unsynced until
			// recover.
		case err != nil:
			w.err = fmt.Errorf("%w: %w", ErrDiskIO, err)
			w.log.Error("write-ahead log write failed; write_through writes are refused until the data file catches up", "err", err)
			close(w.changed)
			w.changed = make(chan struct{})
		case synced:
			w.synced.Store(last)
			close(w.changed)
			w.changed = make(chan struct{})
		}
		empty := len(w.buf) == 0
		more := w.syncTo > w.synced.Load() && !failed && w.err == nil || len(w.buf) >= walLazyChunk || closing && !empty
		w.mu.Unlock()
		if closing && empty {
			return
		}
		if more {
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	}
}

// gather lets goroutines that are ready to run (clients whose requests
// have arrived) append before the writer takes the batch, as an event loop
// serves every ready client before its one write and fsync: yielding costs
// nothing when none is ready, and is no timed delay. It stops as soon as a
// yield brings no new record.
func (w *wal) gather() {
	for i := 0; i < maxGatherYields; i++ {
		w.mu.Lock()
		before := w.next
		w.mu.Unlock()
		runtime.Gosched()
		w.mu.Lock()
		grew := w.next != before
		w.mu.Unlock()
		if !grew {
			return
		}
	}
}

// maxGatherYields bounds gather, so that a steady stream of writers cannot
// hold a batch back.
const maxGatherYields = 4

// write writes a batch of framed records followed by walEndMark, moving
// to new segments as they fill, and syncs them, with the records written
// before, when sync is set. Each segment's records are followed by the end
// mark, written with the last of them: one write per segment. A segment
// is synced before the next gets records, whether or not sync is set, so
// that replay can tell a damaged log from one a crash cut short.
func (w *wal) write(batch []byte, sync bool) error {
	w.segMu.Lock()
	defer w.segMu.Unlock()
	for len(batch) > walRecHeader {
		if w.cur == nil {
			if err := w.rotate(recordLen(batch)); err != nil {
				return err
			}
		}
		n, seq := fit(batch[:len(batch)-walRecHeader], w.cur.size-w.cur.off-walRecHeader)
		if n == 0 {
			if w.cur.dirty {
				if err := w.cur.f.Sync(); err != nil {
					return err
				}
			}
			w.full = append(w.full, w.cur)
			w.cur = nil
			continue
		}
		chunk := batch[:n+walRecHeader]
		if n < len(batch)-walRecHeader {
			// The segment is full before the batch ends: its end mark is
			// written on its own, once in the segment's life.
			if _, err := w.cur.f.WriteAt(walEndMark[:], w.cur.off+int64(n)); err != nil {
				return err
			}
			chunk = batch[:n]
		}
		if _, err := w.cur.f.WriteAt(chunk, w.cur.off); err != nil {
			return err
		}
		w.cur.off += int64(n)
		w.cur.last = seq
		w.cur.dirty = true
		batch = batch[n:]
	}
	if sync && w.cur != nil && w.cur.dirty {
		if err := w.cur.f.Sync(); err != nil {
			return err
		}
		w.cur.dirty = false
	}
	return nil
}

// recordLen is the framed length of the first record of batch.
func recordLen(batch []byte) int64 {
	return walRecHeader + int64(binary.LittleEndian.Uint32(batch))
}

// fit returns how many bytes of whole records from the start of batch fit
// in room, and the sequence of the last of them.
func fit(batch []byte, room int64) (int, uint64) {
	n, seq := 0, uint64(0)
	for n < len(batch) {
		l := recordLen(batch[n:])
		if int64(n)+l > room {
			break
		}
		seq = binary.LittleEndian.Uint64(batch[n+8:])
		n += int(l)
	}
	return n, seq
}

// rotate makes the next segment current: the preallocated one when it is
// ready, big enough for a record of need bytes and newer than the current
// one, else a spare recycled or one made now. The caller holds segMu.
func (w *wal) rotate(need int64) error {
	need += walHeaderSize + walRecHeader // with the header and the end mark
	if need <= w.segSize {
		select {
		case s := <-w.ready:
			select {
			case w.need <- struct{}{}:
			default:
			}
			if s.num > w.lastNum {
				w.cur, w.lastNum = s, s.num
				return nil
			}
			// Made while this goroutine made one itself: records in it
			// would sort before older ones at replay.
			s.f.Close()
			os.Remove(s.path)
		default:
		}
	}
	var s *segment
	var err error
	if need <= w.segSize {
		s, err = w.nextSegment(w.takeSpare())
	} else {
		s, err = w.create(need)
	}
	if err != nil {
		return err
	}
	w.cur, w.lastNum = s, s.num
	return nil
}

// prealloc keeps one zero-filled segment ready, retrying every second
// while the disk is full, until the log closes.
func (w *wal) prealloc() {
	defer close(w.preallocDone)
	for {
		select {
		case <-w.done:
			return
		case <-w.need:
		}
		w.segMu.Lock()
		spare := w.takeSpare()
		w.segMu.Unlock()
		s, err := w.nextSegment(spare) // without segMu: batches go on meanwhile
		if err != nil {
			w.noRoom(err)
			select {
			case <-w.done:
				return
			case <-time.After(time.Second):
			}
			select {
			case w.need <- struct{}{}:
			default:
			}
			continue
		}
		if w.lowSpace.Swap(nil) != nil {
			w.log.Info("write-ahead log has room again; write_through writes accepted")
		}
		select {
		case w.ready <- s:
		case <-w.done:
			s.f.Close()
			os.Remove(s.path)
			return
		}
	}
}

// noRoom records that the next segment cannot be made.
func (w *wal) noRoom(err error) {
	if w.lowSpace.Load() == nil {
		w.log.Warn("cannot make the next write-ahead log segment; write_through writes are refused until there is room", "err", err)
	}
	e := fmt.Errorf("%w: %w", diskError(err), err)
	w.lowSpace.Store(&e)
}

// diskError classifies an I/O error: ErrDiskFull for no space or quota,
// else ErrDiskIO.
func diskError(err error) error {
	if isNoSpace(err) {
		return ErrDiskFull
	}
	return ErrDiskIO
}

// create makes a new zero-filled, synced segment of size bytes under a
// temporary name and renames it into place. It takes no lock: the writer
// (in rotate) and the preallocator may both run it, each with its own
// number; a number whose segment could not be made is skipped.
func (w *wal) create(size int64) (*segment, error) {
	num := w.nextNum.Add(1) - 1
	final := segmentPath(w.dir, num)
	tmp := final + ".tmp"
	f, err := w.fs.Create(tmp)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*segment, error) {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	if _, err := f.WriteAt(walHeader(num, size), 0); err != nil {
		return fail(err)
	}
	zeros := make([]byte, walFillChunk)
	for off := int64(walHeaderSize); off < size; off += walFillChunk {
		n := min(int64(walFillChunk), size-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err)
	}
	if err := syncDir(w.dir); err != nil {
		return fail(err)
	}
	return &segment{num: num, path: final, f: f, size: size, off: walHeaderSize}, nil
}

// release retires the segments whose records are all in the bbolt file
// (sequence upTo and before), oldest first: up to walSpareSegments of
// them become spares, renamed out of the log, and the rest are deleted.
func (w *wal) release(upTo uint64) {
	w.segMu.Lock()
	defer w.segMu.Unlock()
	if upTo > w.released {
		w.released = upTo
	}
	keep := w.full[:0]
	for _, s := range w.full {
		if s.last > upTo {
			keep = append(keep, s)
			continue
		}
		if s.size == w.segSize && len(w.spares) < walSpareSegments {
			tmp := s.path + ".tmp"
			if err := os.Rename(s.path, tmp); err == nil {
				s.path = tmp
				w.spares = append(w.spares, s)
				continue
			}
		}
		s.f.Close()
		if err := os.Remove(s.path); err != nil {
			w.log.Warn("cannot remove a released write-ahead log segment", "path", s.path, "err", err)
		}
	}
	w.full = keep
}

// nextSegment returns a segment of segSize ready for records: spare
// recycled when it is not nil, else one made now.
func (w *wal) nextSegment(spare *segment) (*segment, error) {
	if spare != nil {
		s, err := w.recycle(spare)
		if err == nil {
			return s, nil
		}
		w.log.Warn("cannot recycle a write-ahead log segment; making a new one", "path", spare.path, "err", err)
	}
	return w.create(w.segSize)
}

// takeSpare removes a spare segment from the list and returns it, nil
// when there is none. The caller holds segMu.
func (w *wal) takeSpare() *segment {
	n := len(w.spares)
	if n == 0 {
		return nil
	}
	s := w.spares[n-1]
	w.spares = w.spares[:n-1]
	return s
}

// recycle makes spare old the next segment: renamed to the next number,
// with a new header and an end mark at the start, so that the records it
// held are never read again. Until it is renamed into place it keeps a
// temporary name, which startup deletes. On error old is closed and
// removed.
func (w *wal) recycle(old *segment) (*segment, error) {
	num := w.nextNum.Add(1) - 1
	final := segmentPath(w.dir, num)
	tmp := final + ".tmp"
	err := os.Rename(old.path, tmp)
	if err == nil {
		old.path = tmp
		hdr := append(walHeader(num, old.size), walEndMark[:]...)
		if _, err = old.f.WriteAt(hdr, 0); err == nil {
			err = old.f.Sync()
		}
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err == nil {
		err = syncDir(w.dir)
	}
	if err != nil {
		old.f.Close()
		os.Remove(old.path)
		return nil, err
	}
	return &segment{num: num, path: final, f: old.f, size: old.size, off: walHeaderSize}, nil
}

// segmentPath is the file name of segment num in dir.
func segmentPath(dir string, num uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%s%020d%s", walFilePrefix, num, walFileSuffix))
}

// walHeader returns the header of segment num, made with size bytes.
func walHeader(num uint64, size int64) []byte {
	hdr := make([]byte, walHeaderSize, walHeaderSize+walRecHeader)
	copy(hdr, walMagic)
	binary.LittleEndian.PutUint64(hdr[16:], num)
	binary.LittleEndian.PutUint64(hdr[24:], uint64(size))
	return hdr
}

// close writes what is buffered, stops the goroutines and closes the
// files. removeAll deletes every segment: the caller has folded all of
// them into the bbolt file.
func (w *wal) close(removeAll bool) {
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	<-w.done
	<-w.preallocDone
	w.mu.Lock()
	if w.err == nil {
		w.err = errWALClosed
	}
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
	w.segMu.Lock()
	defer w.segMu.Unlock()
	segs := append(w.full, w.cur)
	select {
	case s := <-w.ready:
		segs = append(segs, s)
	default:
	}
	for _, s := range segs {
		if s == nil {
			continue
		}
		s.f.Close()
		if removeAll {
			os.Remove(s.path)
		}
	}
	for _, s := range w.spares {
		s.f.Close()
		os.Remove(s.path)
	}
	w.full, w.cur, w.spares = nil, nil, nil
	if removeAll {
		syncDir(w.dir)
	}
}

// walSegmentFiles returns the segment files in dir, oldest first, and
// removes segments left half-made (".tmp") by a crash.
func walSegmentFiles(dir string) ([]string, uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	var files []string
	next := uint64(1)
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, walFilePrefix) {
			continue
		}
		if strings.HasSuffix(name, walFileSuffix+".tmp") {
			os.Remove(filepath.Join(dir, name))
			continue
		}
		num, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, walFilePrefix), walFileSuffix), 10, 64)
		if err != nil || !strings.HasSuffix(name, walFileSuffix) {
			continue
		}
		files = append(files, filepath.Join(dir, name))
		next = max(next, num+1)
	}
	sort.Strings(files) // zero-padded numbers sort in order
	return files, next, nil
}

// replayWAL calls fn with every intact record after sequence after, in
// order, across the segment files, and returns the last sequence seen. A
// file that is not a Strata log is an error; a torn record ends the replay.
func replayWAL(files []string, after uint64, log *slog.Logger, fn func(seq uint64, payload []byte) error) (uint64, error) {
	last := after
	expect := uint64(0) // 0: take the first record's sequence as is
	for i, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return last, err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return last, err
		}
		if len(data) < walHeaderSize || string(data[:len(walMagic)]) != walMagic {
			return last, fmt.Errorf("%w: %s is not a Strata write-ahead log segment", ErrForeignFile, path)
		}
		if made := binary.LittleEndian.Uint64(data[24:]); made != 0 && uint64(len(data)) < made {
			return last, fmt.Errorf("%w: write-ahead log segment %s is truncated: %d bytes of %d; refusing to start rather than lose the acknowledged writes that were cut (restore it, or move it and the later segments away to start without them)",
				ErrForeignFile, path, len(data), made)
		}
		torn, off, err := scanSegment(data, &expect, func(seq uint64, payload []byte) error {
			if seq <= after {
				return nil
			}
			last = seq
			return fn(seq, payload)
		})
		if err != nil {
			return last, err
		}
		if torn {
			if later := laterRecords(files[i+1:]); later != "" {
				return last, fmt.Errorf("%w: write-ahead log segment %s is damaged at offset %d, and %s holds later writes; refusing to start rather than drop them (restore it, or move it and the later segments away to start without them)",
					ErrForeignFile, path, off, later)
			}
			if i < len(files)-1 || anyNonZero(data[off:]) {
				log.Warn("write-ahead log ends in a torn batch; its writes were never acknowledged and are dropped", "segment", path, "offset", off)
			}
			return last, nil
		}
	}
	return last, nil
}

// scanSegment calls fn with the records of one segment's data (header
// included), in order, while they are intact and follow *expect (0: any
// first sequence), which it advances. It stops at the end mark (or the
// zero fill), or at a torn record (torn, at offset off), or at fn's
// error. Corrupt data is a torn record, never a panic.
func scanSegment(data []byte, expect *uint64, fn func(seq uint64, payload []byte) error) (torn bool, off int, err error) {
	off = walHeaderSize
	for off+walRecHeader <= len(data) {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		seq := binary.LittleEndian.Uint64(data[off+8:])
		if n == 0 && seq == 0 {
			return false, off, nil // the zero fill: the rest of the segment is unused
		}
		end := off + walRecHeader + n
		if n < 0 || end > len(data) || end < off ||
			crc32.Update(crc32.Checksum(data[off+8:off+16], castagnoli), castagnoli, data[off+walRecHeader:end]) != binary.LittleEndian.Uint32(data[off+4:]) ||
			*expect != 0 && seq != *expect {
			return true, off, nil
		}
		*expect = seq + 1
		if err := fn(seq, data[off+walRecHeader:end]); err != nil {
			return false, off, err
		}
		off = end
	}
	return false, off, nil
}

// laterRecords returns the first of files that holds an intact record
// ("" for none): after a torn record, one proves the log was damaged, not
// cut short by a crash. A file that cannot be read counts as holding none.
func laterRecords(files []string) string {
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil || len(data) < walHeaderSize {
			continue
		}
		found := false
		expect := uint64(0)
		scanSegment(data, &expect, func(uint64, []byte) error {
			found = true
			return errStopScan
		})
		if found {
			return path
		}
	}
	return ""
}

// errStopScan ends a scanSegment early.
var errStopScan = errors.New("storage: stop")

func anyNonZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return true
		}
	}
	return false
}
