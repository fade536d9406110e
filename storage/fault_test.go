package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestTierReplaysMapIntoMoreDatabases: a log whose last database map was
// written with fewer databases than the server now has (SWAPDB, then a
// crash before the next fold, then a start with more databases) gives the
// new databases buckets of their own.
func TestTierReplaysMapIntoMoreDatabases(t *testing.T) {
	dir := t.TempDir()
	open := func(databases int) (*Store, *Tier) {
		t.Helper()
		s, err := New(Options{Databases: databases})
		if err != nil {
			t.Fatal(err)
		}
		tier, err := OpenTier(s, TierOptions{Dir: dir, Durability: prefixDurability, WriteThrough: true, FlushInterval: 1 << 40})
		if err != nil {
			t.Fatal(err)
		}
		return s, tier
	}
	s, tier := open(2)
	tx := lockedTx(s, 0)
	tx.Set([]byte("wt:b"), StringValue([]byte("2")))
	tx.SwapDB(0, 1) // logs the database map, 2 databases long
	tx.End()
	if err := tier.Await(tier.Appended(), false); err != nil {
		t.Fatal(err)
	}
	(&tierEnv{t: t, tier: tier}).kill()

	s, tier = open(4)
	defer tier.Close()
	for db := 0; db < 4; db++ {
		tx := lockedTx(s, db)
		tx.Set([]byte("wt:c"), StringValue([]byte("3")))
		tx.End()
	}
	tx = lockedTx(s, 1)
	defer tx.End()
	if v, ok := tx.Get([]byte("wt:b")); !ok || string(v.Bytes()) != "2" {
		t.Errorf("wt:b in database 1 = %q (found %v), want 2", v.Bytes(), ok)
	}
}

// writeKeys writes n write_through keys of 200 bytes, "wt:0000" on, and
// waits until they are durable.
func (e *tierEnv) writeKeys(n int) string {
	e.t.Helper()
	val := strings.Repeat("v", 200)
	for i := 0; i < n; i++ {
		e.set(fmt.Sprintf("wt:%04d", i), val, 0)
	}
	if err := e.tier.Await(e.tier.Appended(), false); err != nil {
		e.t.Fatal(err)
	}
	return val
}

// reopenErr opens a fresh store on e's files and returns OpenTier's
// error, closing a tier that opened.
func (e *tierEnv) reopenErr() error {
	s, _ := New(Options{Clock: e.clk.now})
	tier, err := OpenTier(s, e.opts)
	if err == nil {
		tier.Close()
	}
	return err
}

// TestTierRefusesTruncatedDataFile: a data file cut short is refused with
// a message that says so, and left as it is; it does not fault the
// process by reading pages past its end.
func TestTierRefusesTruncatedDataFile(t *testing.T) {
	e := newTierEnv(t, TierOptions{})
	e.writeKeys(2000)
	e.tier.Close()
	e.tier = nil
	path := filepath.Join(e.dir, diskFileName)
	// Cut the pages in use in half: bbolt grows the file ahead of them.
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var used int64
	db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	db.Close()
	if err := os.Truncate(path, used/2); err != nil {
		t.Fatal(err)
	}
	err = e.reopenErr()
	if !errors.Is(err, ErrForeignFile) || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), path) {
		t.Fatalf("OpenTier on a truncated data file: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Size() != used/2 {
		t.Errorf("the refused file changed size: %d", fi.Size())
	}
}

// TestTierSurvivesCorruptPage damages one leaf page of the data file (its
// page type, as bbolt's robustness tests do): the tier opens, the warm-up
// and the flusher meet the page without a panic, every key elsewhere reads
// back, and the keys on the page answer ErrDiskRead, never absent.
func TestTierSurvivesCorruptPage(t *testing.T) {
	e := newTierEnv(t, TierOptions{})
	val := e.writeKeys(2000)
	e.tier.Close()
	e.tier = nil
	path := filepath.Join(e.dir, diskFileName)
	damaged := corruptLeafPage(t, path, "wt:")

	e.opts.Warm = true
	e.open()
	lost := 0
	for i := 0; i < 2000; i++ {
		key := fmt.Sprintf("wt:%04d", i)
		tx := lockedTx(e.store, 0)
		v, ok := tx.Get([]byte(key))
		err := tx.End()
		switch {
		case damaged[key]:
			if !errors.Is(err, ErrDiskRead) {
				t.Errorf("%s on the damaged page: found %v, error %v; want ErrDiskRead", key, ok, err)
			}
		case err != nil || !ok || string(v.Bytes()) != val:
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d keys off the damaged page did not read back", lost)
	}
	// A fold meets the page too: it fails, keeping the write for the next.
	e.set("wt:new", "x", 0)
	if err := e.tier.Flush(); !errors.Is(err, ErrDiskIO) || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Flush over a damaged page: %v", err)
	}
	e.expect("wt:new", "x")
}

// corruptLeafPage overwrites the page type of the fullest leaf page whose
// keys start with prefix and returns those keys.
func corruptLeafPage(t *testing.T, path, prefix string) map[string]bool {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := db.Info().PageSize
	var best int
	db.View(func(tx *bolt.Tx) error {
		most := 0
		for id := 2; int64(id*pageSize) < tx.Size(); id++ {
			if p, err := tx.Page(id); err == nil && p != nil && p.Type == "leaf" && p.Count > most {
				best, most = id, p.Count
			}
		}
		return nil
	})
	db.Close()
	data, err := os.ReadFile(path)
	if err != nil || best == 0 {
		t.Fatalf("no leaf page found: %v", err)
	}
	// A leaf page: id u64, flags u16, count u16, overflow u32, then count
	// elements of flags, pos, ksize, vsize (u32 each), pos from the element.
	page := data[best*pageSize:]
	keys := map[string]bool{}
	for i := 0; i < int(binary.LittleEndian.Uint16(page[10:])); i++ {
		el := page[16+16*i:]
		pos, ksize := binary.LittleEndian.Uint32(el[4:]), binary.LittleEndian.Uint32(el[8:])
		if k := string(el[pos : pos+ksize]); strings.HasPrefix(k, prefix) {
			keys[k] = true
		}
	}
	if len(keys) == 0 {
		t.Fatalf("the fullest leaf page holds no %q keys", prefix)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{0xee, 0xee}, int64(best*pageSize+8)); err != nil {
		t.Fatal(err)
	}
	return keys
}

// walSegments returns the log's segment files, oldest first.
func walSegments(t *testing.T, dir string) []string {
	t.Helper()
	files, _, err := walSegmentFiles(dir)
	if err != nil || len(files) < 3 {
		t.Fatalf("%d segments (%v), want several", len(files), err)
	}
	return files
}

// TestWALRefusesWhatACrashCannotLeave: a segment cut short, or a damaged
// record with intact writes in a later segment, is refused with a message
// naming the segment, rather than replayed up to the damage (which would
// drop acknowledged writes); a torn last batch, what a crash leaves, is
// replayed up to the tear (TestWALReplayStopsAtTornRecord).
func TestWALRefusesWhatACrashCannotLeave(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, files []string)
		want   string
	}{
		{"truncated segment", func(t *testing.T, files []string) {
			os.Truncate(files[len(files)-2], 40<<10)
		}, "truncated"},
		{"damaged record before later segments", func(t *testing.T, files []string) {
			f, _ := os.OpenFile(files[0], os.O_RDWR, 0)
			defer f.Close()
			f.WriteAt([]byte{0xff, 0xff}, walHeaderSize+walRecHeader+100) // a payload byte of the first records
		}, "damaged at offset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTierEnv(t, TierOptions{segmentSize: 64 << 10})
			e.writeKeys(1000) // about four segments
			e.kill()
			e.tier = nil
			files := walSegments(t, e.dir)
			tc.damage(t, files)
			err := e.reopenErr()
			if !errors.Is(err, ErrForeignFile) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("OpenTier: %v, want a refusal saying %q", err, tc.want)
			}
		})
	}
}

// TestWALSkipsStalePreallocatedSegment: the preallocator makes segments
// without the writer's lock, so the writer may make one itself while an
// older-numbered one is on its way; rotating into that older one would put
// newer records in a file replay reads first. The writer discards it, and
// every write survives a crash.
func TestWALSkipsStalePreallocatedSegment(t *testing.T) {
	e := newTierEnv(t, TierOptions{segmentSize: 64 << 10})
	w := e.tier.wal
	takeReady := func() *segment {
		t.Helper()
		select {
		case s := <-w.ready:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("no preallocated segment")
			return nil
		}
	}
	current := func() uint64 {
		w.segMu.Lock()
		defer w.segMu.Unlock()
		return w.lastNum
	}
	// writeUntilRotated writes keys prefix0, prefix1, ... until the log
	// moves to another segment, and returns how many.
	val := strings.Repeat("v", 200)
	writeUntilRotated := func(prefix string) int {
		t.Helper()
		start := current()
		for i := 0; i < 100_000; i++ {
			e.set(fmt.Sprintf("wt:%s%d", prefix, i), val, 0)
			if err := e.tier.Await(e.tier.Appended(), false); err != nil {
				t.Fatal(err)
			}
			if current() != start {
				return i + 1
			}
		}
		t.Fatal("the log never moved to another segment")
		return 0
	}
	stale := takeReady()
	na := writeUntilRotated("a") // with nothing ready, the writer makes the segment itself
	w.need <- struct{}{}
	fresh := takeReady() // made after the writer's own
	fresh.f.Close()
	os.Remove(fresh.path)
	w.ready <- stale
	nb := writeUntilRotated("b")
	e.crash()
	for p, n := range map[string]int{"a": na, "b": nb} {
		for i := 0; i < n; i++ {
			e.expect(fmt.Sprintf("wt:%s%d", p, i), val)
		}
	}
}
