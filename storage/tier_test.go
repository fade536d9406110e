package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// tierClock is an atomic clock: the tier's goroutines read it too.
type tierClock struct{ ms atomic.Int64 }

func (c *tierClock) now() int64 { return c.ms.Load() }

// prefixDurability keeps "wt:" keys write_through, "wb:" keys write_back
// and the rest in memory.
func prefixDurability(key []byte) Durability {
	switch {
	case bytes.HasPrefix(key, []byte("wt:")):
		return WriteThrough
	case bytes.HasPrefix(key, []byte("wb:")):
		return WriteBack
	}
	return MemoryOnly
}

// tierEnv is a store with a disk tier in a temporary directory, which a
// test can restart (gracefully or as a crash would) to check what the
// files hold.
type tierEnv struct {
	t     *testing.T
	dir   string
	clk   *tierClock
	opts  TierOptions
	store *Store
	tier  *Tier
}

func newTierEnv(t *testing.T, opts TierOptions) *tierEnv {
	t.Helper()
	e := &tierEnv{t: t, dir: t.TempDir(), clk: &tierClock{}, opts: opts}
	e.clk.ms.Store(1_000_000_000)
	if e.opts.Durability == nil {
		e.opts.Durability = prefixDurability
		e.opts.WriteThrough = true
	}
	if e.opts.FlushInterval == 0 {
		e.opts.FlushInterval = time.Hour // tests fold when they choose
	}
	if e.opts.segmentSize == 0 {
		e.opts.segmentSize = 1 << 20
	}
	e.opts.Dir = e.dir
	e.open()
	t.Cleanup(func() {
		if e.tier != nil {
			e.tier.Close()
		}
	})
	return e
}

func (e *tierEnv) open() {
	e.t.Helper()
	s, err := New(Options{Clock: e.clk.now})
	if err != nil {
		e.t.Fatal(err)
	}
	tier, err := OpenTier(s, e.opts)
	if err != nil {
		e.t.Fatalf("OpenTier: %v", err)
	}
	e.store, e.tier = s, tier
}

// restart closes the tier as a shutdown does and opens a fresh store on
// the same files.
func (e *tierEnv) restart() {
	e.t.Helper()
	if err := e.tier.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	e.open()
}

// crash stops the tier as kill -9 would and opens a fresh store on the
// same files.
func (e *tierEnv) crash() {
	e.t.Helper()
	e.kill()
	e.open()
}

// kill stops the tier as kill -9 would: no final fold, the log left as
// written (a killed process loses nothing the kernel was given).
func (e *tierEnv) kill() {
	t := e.tier
	t.closeOnce.Do(func() {
		t.disk.db.Close() // the flusher's last fold now fails
		close(t.closing)
		t.wg.Wait()
		if t.wal != nil {
			t.wal.close(false)
		}
	})
}

func (e *tierEnv) set(key, val string, exp int64) uint64 {
	e.t.Helper()
	tx := lockedTx(e.store, 0)
	tx.Set([]byte(key), StringValue([]byte(val)).WithExpireAt(exp))
	tx.End()
	return e.tier.Appended()
}

func (e *tierEnv) del(key string) bool {
	tx := lockedTx(e.store, 0)
	defer tx.End()
	return tx.Delete([]byte(key))
}

func (e *tierEnv) get(key string) (string, int64, bool) {
	e.t.Helper()
	tx := lockedTx(e.store, 0)
	defer tx.End()
	v, ok := tx.Get([]byte(key))
	return string(v.Bytes()), v.ExpireAt(), ok
}

func (e *tierEnv) expect(key, want string) {
	e.t.Helper()
	got, _, ok := e.get(key)
	if want == "" && ok {
		e.t.Errorf("%s = %q, want absent", key, got)
	} else if want != "" && (!ok || got != want) {
		e.t.Errorf("%s = %q (found %v), want %q", key, got, ok, want)
	}
}

func TestTierStrategiesAcrossRestart(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%v", crash), func(t *testing.T) {
			e := newTierEnv(t, TierOptions{})
			exp := e.clk.now() + 60_000
			e.set("wt:a", "1", 0)
			e.set("wt:ttl", "2", exp)
			e.set("wb:a", "3", 0)
			e.set("mem:a", "4", 0)
			seq := e.set("wt:b", "5", 0)
			if err := e.tier.Await(seq, false); err != nil {
				t.Fatal(err)
			}
			if crash {
				// write_back keys are on disk only up to the last flush.
				if err := e.tier.Flush(); err != nil {
					t.Fatal(err)
				}
				e.set("wb:late", "6", 0)
				seq = e.set("wt:late", "7", 0)
				e.tier.Await(seq, false)
				e.crash()
			} else {
				e.set("wb:late", "6", 0)
				e.set("wt:late", "7", 0)
				e.restart()
			}
			e.expect("wt:a", "1")
			e.expect("wt:b", "5")
			e.expect("wb:a", "3")
			e.expect("mem:a", "")
			e.expect("wt:late", "7")
			if crash {
				e.expect("wb:late", "")
			} else {
				e.expect("wb:late", "6")
			}
			if _, at, ok := e.get("wt:ttl"); !ok || at != exp {
				t.Errorf("wt:ttl expiry %d (found %v), want %d", at, ok, exp)
			}
			if hits := e.store.Counters().DiskHits.Load(); hits < 4 {
				t.Errorf("disk hits %d", hits)
			}
		})
	}
}

func TestTierDeleteExpireFlushReachDisk(t *testing.T) {
	e := newTierEnv(t, TierOptions{})
	e.set("wt:gone", "x", 0)
	e.set("wt:short", "x", e.clk.now()+1000)
	e.set("wt:stay", "x", 0)
	e.set("wb:gone", "x", 0)
	e.tier.Flush()
	e.restart() // now on disk only
	if !e.del("wt:gone") || !e.del("wb:gone") {
		t.Fatal("DEL of keys only on disk must find them")
	}
	e.restart()
	e.expect("wt:gone", "")
	e.expect("wb:gone", "")
	e.clk.ms.Add(1001) // a key lives through its expiry millisecond
	e.expect("wt:short", "")
	e.expect("wt:stay", "x")

	// FLUSHALL reaches keys that are only on disk.
	e.restart()
	tx := lockedTx(e.store, 0)
	tx.FlushAll()
	tx.End()
	e.set("wt:new", "y", 0)
	e.tier.Await(e.tier.Appended(), false)
	e.crash()
	e.expect("wt:stay", "")
	e.expect("wt:new", "y")
}

func TestTierSwapDB(t *testing.T) {
	e := newTierEnv(t, TierOptions{})
	e.set("wt:k", "zero", 0)
	tx := lockedTx(e.store, 1)
	tx.Set([]byte("wt:k"), StringValue([]byte("one")))
	tx.SwapDB(0, 1)
	tx.End()
	e.tier.Await(e.tier.Appended(), false)
	e.crash()
	e.expect("wt:k", "one")
	tx = lockedTx(e.store, 1)
	v, _ := tx.Get([]byte("wt:k"))
	tx.End()
	if string(v.Bytes()) != "zero" {
		t.Errorf("db 1 wt:k = %q", v.Bytes())
	}
}

func TestTierEvictedKeyStaysOnDisk(t *testing.T) {
	e := newTierEnv(t, TierOptions{})
	e.set("wt:k", "v", 0)
	tx := lockedTx(e.store, 0)
	db := tx.DB
	s := db.find([]byte("wt:k"))
	db.remove(&s, Evicted)
	tx.End()
	before := e.store.Counters().DiskHits.Load()
	e.expect("wt:k", "v")
	if e.store.Counters().DiskHits.Load() != before+1 {
		t.Error("a read of an evicted persisted key must count a disk hit")
	}
}

// TestTierOverlayKeepsOneChangePerKey: the overlay is keyed by the
// memory tier's copy of the key, which a write of another size replaces
// and an eviction or deletion removes; every later change of the key
// still replaces the one staged before, and reads see the newest.
func TestTierOverlayKeepsOneChangePerKey(t *testing.T) {
	e := newTierEnv(t, TierOptions{})
	evict := func(key string) {
		tx := lockedTx(e.store, 0)
		s := tx.DB.find([]byte(key))
		tx.DB.remove(&s, Evicted)
		tx.End()
	}
	for _, step := range []struct {
		do   func()
		want string
	}{
		{func() { e.set("wt:k", "a", 0) }, "a"},
		{func() { e.set("wt:k", "bb", 0) }, "bb"},
		{func() { e.set("wt:k", "cc", 0) }, "cc"},
		{func() { evict("wt:k") }, "cc"},
		{func() { e.set("wt:k", "ddd", 0) }, "ddd"},
		{func() { e.del("wt:k") }, ""},
		{func() { e.set("wt:k", "e", 0); evict("wt:k") }, "e"},
	} {
		step.do()
		if n := e.tier.Stats().BacklogKeys; n != 1 {
			t.Fatalf("%d changes staged for one key, want 1", n)
		}
		e.expect("wt:k", step.want)
	}
	e.crash()
	e.expect("wt:k", "e")
}

func TestTierSweepsExpiredAndUnpersisted(t *testing.T) {
	e := newTierEnv(t, TierOptions{})
	for i := 0; i < 50; i++ {
		e.set(fmt.Sprintf("wb:%d", i), "v", e.clk.now()+1000)
	}
	e.set("wb:keep", "v", 0)
	e.tier.Flush()
	if n := e.tier.DiskKeys(); n != 51 {
		t.Fatalf("disk keys %d", n)
	}
	e.clk.ms.Add(2000)
	e.tier.Flush()
	if n := e.tier.DiskKeys(); n != 1 {
		t.Errorf("after the sweep: disk keys %d, want 1", n)
	}
	// A namespace that stops persisting is swept from the file.
	e.opts.Durability = func([]byte) Durability { return MemoryOnly }
	e.restart()
	e.tier.Flush()
	if n := e.tier.DiskKeys(); n != 0 {
		t.Errorf("keys of a namespace no longer persisted: %d left", n)
	}
}

// TestTierMaxDiskSizeEvictsLeastRecentlyUsed: past max-disk-size the
// flusher evicts the least recently used keys Evictable allows (the "wb:"
// ones here), never the others, and counts them; writes it may evict do
// not count against the others' room.
func TestTierMaxDiskSizeEvictsLeastRecentlyUsed(t *testing.T) {
	e := newTierEnv(t, TierOptions{MaxDiskSize: 20_000,
		Evictable: func(key []byte) bool { return bytes.HasPrefix(key, []byte("wb:")) }})
	val := strings.Repeat("x", 100)
	for i := 0; i < 40; i++ {
		e.set(fmt.Sprintf("wt:%03d", i), val, 0) // the oldest, but not evictable
	}
	for i := 0; i < 400; i++ {
		e.set(fmt.Sprintf("wb:%03d", i), val, 0)
		if i%100 == 99 {
			e.clk.ms.Add(3_600_000) // later keys are more recently used
		}
	}
	if err := e.tier.Room(); err != nil {
		t.Errorf("Room with evictable writes staged: %v", err)
	}
	for i := 0; i < 3; i++ { // fold, evict, fold the evictions
		e.tier.Flush()
	}
	if b := e.tier.diskBytes.Load(); b > 20_000 || b < 15_000 {
		t.Fatalf("disk bytes %d, want at most 20000", b)
	}
	if err := e.tier.Room(); err != nil {
		t.Errorf("Room after eviction: %v", err)
	}
	if _, _, ok := e.get("wb:399"); !ok {
		t.Error("the most recently written key was evicted")
	}
	if _, _, ok := e.get("wb:000"); ok {
		t.Error("the least recently written key survived")
	}
	for i := 0; i < 40; i++ {
		e.expect(fmt.Sprintf("wt:%03d", i), val)
	}
	st := e.tier.Stats()
	if st.Evicted < 200 || st.Refused != 0 {
		t.Errorf("evicted %d, refused %d: want over 200 and none", st.Evicted, st.Refused)
	}
}

// TestTierMaxDiskSizeKeepsUnevictableKeys: with no key evictable the
// tier stays over max-disk-size, keeps every key, and refuses growth.
func TestTierMaxDiskSizeKeepsUnevictableKeys(t *testing.T) {
	e := newTierEnv(t, TierOptions{MaxDiskSize: 5_000, Evictable: func([]byte) bool { return false }})
	val := strings.Repeat("x", 100)
	for i := 0; i < 100; i++ {
		e.set(fmt.Sprintf("wt:%03d", i), val, 0)
	}
	for i := 0; i < 3; i++ {
		e.tier.Flush()
	}
	if n := e.tier.DiskKeys(); n != 100 {
		t.Errorf("%d keys on disk, want all 100", n)
	}
	if err := e.tier.Room(); !errors.Is(err, ErrDiskLimit) {
		t.Errorf("Room: %v, want ErrDiskLimit", err)
	}
	e.del("wt:000") // deleting is how room comes back
	for i := 1; i < 100; i++ {
		e.del(fmt.Sprintf("wt:%03d", i))
	}
	e.tier.Flush()
	if err := e.tier.Room(); err != nil {
		t.Errorf("Room after deleting every key: %v", err)
	}
}

func TestTierRefusesForeignFiles(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		file  string
	}{
		{"garbage data file", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, diskFileName), bytes.Repeat([]byte("not a database "), 1000), 0o644)
		}, diskFileName},
		{"empty data file", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, diskFileName), nil, 0o644)
		}, diskFileName},
		{"another program's bbolt file", func(t *testing.T, dir string) {
			db, err := bolt.Open(filepath.Join(dir, diskFileName), 0o644, nil)
			if err != nil {
				t.Fatal(err)
			}
			db.Update(func(tx *bolt.Tx) error {
				b, _ := tx.CreateBucket([]byte("users"))
				return b.Put([]byte("alice"), []byte("admin"))
			})
			db.Close()
		}, diskFileName},
		{"foreign log segment", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "wal-00000000000000000001.log"), bytes.Repeat([]byte{7}, 100), 0o644)
		}, "wal-00000000000000000001.log"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			path := filepath.Join(dir, tc.file)
			before, _ := os.ReadFile(path)
			s, _ := New(Options{})
			tier, err := OpenTier(s, TierOptions{Dir: dir, Durability: prefixDurability, WriteThrough: true})
			if err == nil {
				tier.Close()
				t.Fatal("OpenTier accepted a foreign file")
			}
			if tc.name != "foreign log segment" && !errors.Is(err, ErrForeignFile) {
				t.Errorf("error %v, want ErrForeignFile", err)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the file", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Error("the refused file was modified")
			}
		})
	}
}

// faultFS is a walFS that counts syncs and can fail segment creation as a
// full disk does.
type faultFS struct {
	full    atomic.Bool
	syncs   atomic.Int64
	creates atomic.Int64 // segments made (not recycled)
}

func (f *faultFS) Create(path string) (walFile, error) {
	if f.full.Load() {
		return nil, &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
	}
	f.creates.Add(1)
	w, err := osFS{}.Create(path)
	return countingFile{w, f}, err
}

func (f *faultFS) Open(path string) (walFile, error) { return osFS{}.Open(path) }

type countingFile struct {
	walFile
	fs *faultFS
}

func (c countingFile) Sync() error {
	c.fs.syncs.Add(1)
	return c.walFile.Sync()
}

func TestTierFullDiskRefusesWriteThrough(t *testing.T) {
	fs := &faultFS{}
	e := newTierEnv(t, TierOptions{Durability: prefixDurability, WriteThrough: true, fs: fs, segmentSize: 64 << 10})
	if err := e.tier.Writable(WriteThrough); err != nil {
		t.Fatalf("Writable before: %v", err)
	}
	fs.full.Store(true)
	val := strings.Repeat("v", 1000)
	var refused error
	for i := 0; i < 1000 && refused == nil; i++ {
		if refused = e.tier.Writable(WriteThrough); refused != nil {
			break
		}
		seq := e.set(fmt.Sprintf("wt:%d", i), val, 0)
		if err := e.tier.Await(seq, false); err != nil {
			t.Fatalf("write %d acknowledged path failed: %v (the tier must refuse before the log is out of room)", i, err)
		}
		time.Sleep(time.Millisecond) // let the preallocator notice
	}
	if !errors.Is(refused, ErrDiskFull) {
		t.Fatalf("Writable = %v, want ErrDiskFull", refused)
	}
	fs.full.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for e.tier.Writable(WriteThrough) != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := e.tier.Writable(WriteThrough); err != nil {
		t.Fatalf("still refusing once there is room: %v", err)
	}
}

func TestTierGroupCommit(t *testing.T) {
	fs := &faultFS{}
	e := newTierEnv(t, TierOptions{Durability: prefixDurability, WriteThrough: true, fs: fs})
	const writers, each = 16, 50
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				key := []byte(fmt.Sprintf("wt:%d:%d", w, i))
				var tx Tx
				e.store.Begin(&tx, 0, [][]byte{key}, TxWrite)
				tx.Set(key, StringValue([]byte("v")))
				seq := e.tier.Appended()
				tx.End()
				if err := e.tier.Await(seq, false); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	syncs := fs.syncs.Load() - 1 // the preallocated segment's own sync
	if syncs >= writers*each {
		t.Errorf("%d syncs for %d writes: no group commit", syncs, writers*each)
	}
	t.Logf("%d writes, %d syncs", writers*each, syncs)
	e.crash()
	for w := 0; w < writers; w++ {
		e.expect(fmt.Sprintf("wt:%d:%d", w, each-1), "v")
	}
}

func TestWALReplayStopsAtTornRecord(t *testing.T) {
	e := newTierEnv(t, TierOptions{segmentSize: 64 << 10})
	for i := 0; i < 300; i++ { // several segments
		e.set(fmt.Sprintf("wt:%03d", i), strings.Repeat("v", 500), 0)
	}
	e.tier.Await(e.tier.Appended(), false)
	// Tear the last record: a crash in the middle of the last batch.
	path, off := e.tier.wal.cur.path, e.tier.wal.cur.off
	e.kill()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xff}, off-3)
	f.Close()
	e.open()
	e.expect("wt:000", strings.Repeat("v", 500))
	e.expect("wt:298", strings.Repeat("v", 500))
	e.expect("wt:299", "")
}

func TestTierWarmLoadsKeysInBackground(t *testing.T) {
	e := newTierEnv(t, TierOptions{})
	for i := 0; i < 100; i++ {
		e.set(fmt.Sprintf("wb:%d", i), "v", 0)
	}
	e.opts.Warm = true
	e.restart()
	deadline := time.Now().Add(5 * time.Second)
	for e.store.DB(0).Len() < 100 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := e.store.DB(0).Len(); n != 100 {
		t.Fatalf("warm-up loaded %d keys of 100", n)
	}
	if h := e.store.Counters().DiskHits.Load(); h != 0 {
		t.Errorf("warm-up counted %d disk hits", h)
	}
}

func TestTierFailedFlushKeepsWritesForTheNext(t *testing.T) {
	e := newTierEnv(t, TierOptions{})
	e.set("wb:a", "1", 0)
	// Make the data file refuse writes: the fold fails and must keep the
	// changes it took, under any staged since.
	path := e.tier.disk.path
	e.tier.disk.db.Close()
	ro, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	e.tier.disk.db = ro
	if err := e.tier.Flush(); err == nil {
		t.Fatal("Flush succeeded on a read-only file")
	}
	e.set("wb:a", "2", 0)
	e.set("wb:b", "3", 0)
	if e.tier.Writable(WriteBack) != nil {
		t.Error("write_back writes refused while the backlog is small")
	}
	ro.Close()
	rw, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.tier.disk.db = rw
	if err := e.tier.Flush(); err != nil {
		t.Fatalf("Flush after recovery: %v", err)
	}
	if n := e.tier.pending.Load(); n != 0 {
		t.Errorf("%d changes still pending", n)
	}
	e.crash()
	e.expect("wb:a", "2")
	e.expect("wb:b", "3")
}

// TestTierWriteBackThroughLog checks write_back writes with
// TierOptions.WriteBack: they are synced in the log within FlushInterval
// without a fold, a crash replays them from there, and a write_through
// write's sync covers the write_back writes logged before it.
func TestTierWriteBackThroughLog(t *testing.T) {
	fs := &faultFS{}
	e := newTierEnv(t, TierOptions{Durability: prefixDurability, WriteThrough: true, WriteBack: true,
		FlushInterval: 20 * time.Millisecond, fs: fs})

	// A lazy record alone is synced by the writer's tick, and the
	// flusher, ticking as often, folds nothing after the fold it makes
	// now: the log covers it.
	if err := e.tier.Flush(); err != nil {
		t.Fatal(err)
	}
	folded := e.tier.lastFlush.Load()
	seq := e.set("wb:alone", "1", 0)
	for deadline := time.Now().Add(10 * time.Second); e.tier.wal.synced.Load() < seq; {
		if time.Now().After(deadline) {
			t.Fatalf("a write_back record was not synced within 10s (synced %d, want %d)", e.tier.wal.synced.Load(), seq)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if at := e.tier.lastFlush.Load(); at != folded {
		t.Errorf("a write_back write in the log was folded (at %d); it should wait for walFoldInterval", at)
	}

	// Many lazy records and one urgent one: the urgent one's sync makes
	// them all durable.
	for i := 0; i < 200; i++ {
		e.set(fmt.Sprintf("wb:%d", i), "v", 0)
	}
	seq = e.set("wt:last", "x", 0)
	if err := e.tier.Await(seq, false); err != nil {
		t.Fatal(err)
	}
	e.crash()
	e.expect("wb:alone", "1")
	e.expect("wb:199", "v")
	e.expect("wt:last", "x")

	// After the restart the log still takes write_back writes.
	e.set("wb:after", "2", 0)
	e.restart()
	e.expect("wb:after", "2")
}

// TestTierWriteBackFoldsWhenLogFails checks that a write_back write the
// log cannot take (it failed) is folded every FlushInterval as without
// the log, so that a crash loses no more than FlushInterval of them.
func TestTierWriteBackFoldsWhenLogFails(t *testing.T) {
	e := newTierEnv(t, TierOptions{Durability: prefixDurability, WriteThrough: true, WriteBack: true})
	e.tier.wal.mu.Lock()
	e.tier.wal.err = ErrDiskIO // as a failed batch leaves it
	e.tier.wal.mu.Unlock()
	e.set("wb:a", "1", 0)
	if !e.tier.mustFold.Load() {
		t.Fatal("a write_back write the failed log refused is not marked for the next fold")
	}
	if err := e.tier.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := e.tier.wal.failure(); err != nil {
		t.Errorf("the fold that covered everything did not clear the log's failure: %v", err)
	}
	e.crash()
	e.expect("wb:a", "1")
}

// TestTierAwaitSyncsLazyRecord checks that waiting for a write_back
// record syncs it at once rather than at the lazy interval (an hour
// here): a write_through writer's Appended may name a write_back record
// another writer appended after its own.
func TestTierAwaitSyncsLazyRecord(t *testing.T) {
	e := newTierEnv(t, TierOptions{Durability: prefixDurability, WriteThrough: true, WriteBack: true})
	if err := e.tier.Await(e.set("wt:a", "1", 0), false); err != nil {
		t.Fatal(err)
	}
	seq := e.set("wb:b", "2", 0) // lazy, and nothing else wakes the writer
	done := make(chan error, 1)
	go func() { done <- e.tier.Await(seq, false) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Await of a write_back record did not return: it waits for the lazy interval")
	}
	e.crash()
	e.expect("wb:b", "2")
}

// TestTierFullDiskTakesWriteBack checks that a log with no room for its
// next segment, which refuses write_through writes, leaves write_back
// writes accepted, and folded into the data file as without the log.
func TestTierFullDiskTakesWriteBack(t *testing.T) {
	fs := &faultFS{}
	e := newTierEnv(t, TierOptions{Durability: prefixDurability, WriteThrough: true, WriteBack: true, fs: fs, segmentSize: 64 << 10})
	fs.full.Store(true)
	val := strings.Repeat("v", 1000)
	for i := 0; i < 1000 && e.tier.Writable(WriteThrough) == nil; i++ {
		if err := e.tier.Await(e.set(fmt.Sprintf("wt:%d", i), val, 0), false); err != nil {
			t.Fatalf("write %d: %v (the tier must refuse before the log is out of room)", i, err)
		}
		time.Sleep(time.Millisecond) // let the preallocator notice
	}
	if err := e.tier.Writable(WriteThrough); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Writable(WriteThrough) = %v, want ErrDiskFull", err)
	}
	if err := e.tier.Writable(WriteBack); err != nil {
		t.Fatalf("Writable(WriteBack) = %v with room in the data file", err)
	}
	e.tier.mustFold.Store(false)
	e.set("wb:full", "1", 0)
	if !e.tier.mustFold.Load() {
		t.Fatal("a write_back write the full log refused is not marked for the next fold")
	}
	if err := e.tier.Flush(); err != nil {
		t.Fatal(err)
	}
	e.crash()
	e.expect("wb:full", "1")
}

// TestWALAddDoesNotAllocate: framing a record allocates nothing once the
// buffer has room (its header was an allocation per write).
func TestWALAddDoesNotAllocate(t *testing.T) {
	w := &wal{buf: make([]byte, 0, 4096)}
	payload := make([]byte, 150)
	if n := testing.AllocsPerRun(100, func() {
		w.buf = w.buf[:0]
		w.add(payload)
	}); n != 0 {
		t.Errorf("wal.add: %v allocations, want 0", n)
	}
	var expect uint64
	torn, _, _ := scanSegment(append(make([]byte, walHeaderSize), w.buf...), &expect, func(uint64, []byte) error { return nil })
	if torn {
		t.Error("the framed record does not scan back")
	}
}

// TestTierRestageDoesNotAllocate: a change of a staged key to a value of
// the same size overwrites the staged change in place.
func TestTierRestageDoesNotAllocate(t *testing.T) {
	e := newTierEnv(t, TierOptions{Durability: prefixDurability})
	db := e.store.DB(0)
	v := StringValue(make([]byte, 100))
	e.tier.stage(db, "wb:k", &v, WriteBack)
	if n := testing.AllocsPerRun(100, func() { e.tier.stage(db, "wb:k", &v, WriteBack) }); n != 0 {
		t.Errorf("staging a key again: %v allocations, want 0", n)
	}
	if n := e.tier.Stats().BacklogKeys; n != 1 {
		t.Errorf("%d changes staged, want 1", n)
	}
}

// TestWALRecyclesReleasedSegments: segments folded into the data file are
// reused for later records instead of new zero-filled ones, and what a
// recycled segment held before is never replayed: after a crash every
// acknowledged write reads back, the keys rewritten in recycled segments
// with their new values, and a torn last batch in one is dropped as in a
// new segment.
func TestWALRecyclesReleasedSegments(t *testing.T) {
	fs := &faultFS{}
	e := newTierEnv(t, TierOptions{Durability: prefixDurability, WriteThrough: true, fs: fs, segmentSize: 64 << 10})
	write := func(n int, val string) {
		t.Helper()
		for i := 0; i < n; i++ {
			e.set(fmt.Sprintf("wt:%04d", i), val, 0)
		}
		if err := e.tier.Await(e.tier.Appended(), false); err != nil {
			t.Fatal(err)
		}
	}
	old, newer := strings.Repeat("o", 500), strings.Repeat("n", 500)
	write(600, old) // some five segments of 64 KB
	if err := e.tier.Flush(); err != nil {
		t.Fatal(err)
	}
	w := e.tier.wal
	w.segMu.Lock()
	spares := len(w.spares)
	w.segMu.Unlock()
	if spares < 3 {
		t.Fatalf("%d spare segments after the fold, want the released ones", spares)
	}
	made := fs.creates.Load()
	write(250, newer) // two segments or so, in recycled ones
	if got := fs.creates.Load() - made; got != 0 {
		t.Errorf("%d segments made while %d spares were there to recycle", got, spares)
	}
	// Tear the last record: a crash in the middle of the last batch.
	w.segMu.Lock()
	path, off := w.cur.path, w.cur.off
	w.segMu.Unlock()
	e.kill()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xff}, off-3)
	f.Close()
	e.open()
	e.expect("wt:0000", newer)
	e.expect("wt:0248", newer)
	e.expect("wt:0249", old) // the torn write: its older value, folded before
	e.expect("wt:0250", old)
	e.expect("wt:0599", old)
}
