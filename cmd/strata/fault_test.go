package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// persistedConfig is a config on dir with a write_through namespace
// (wt:), a write_back one (wb:), the rest cache_aside.
func persistedConfig(t *testing.T, dir string) string {
	return writeConfig(t, fmt.Sprintf(`dir: %s
namespaces:
  - match: "wt:*"
    strategy: write_through
  - match: "wb:*"
    strategy: write_back
`, dir))
}

// TestDiskFull runs strata on a small tmpfs and fills it: write_through
// writes are refused with MISCONF before the log runs out of room (none
// acknowledged and lost), reads go on, writes are taken again once there
// is room, and after a kill -9 every acknowledged write is there.
func TestDiskFull(t *testing.T) {
	// Room for the log's two 16mb segments and the data file, and as much
	// again for the filler, whose removal lets a third segment be made.
	dir := mountTmpfs(t, 72<<20)
	conf := persistedConfig(t, dir)
	p := launch(t, "--config", conf)
	c := dialProc(t, p)
	val := strings.Repeat("v", 10<<10)
	acked := map[string]bool{}
	for i := 0; i < 100; i++ {
		key := fmt.Sprintf("wt:before:%d", i)
		if r := c.do("SET", key, val); r != "+OK\r\n" {
			t.Fatalf("SET before the disk is full: %q", r)
		}
		acked[key] = true
	}
	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)

	refused := ""
	for i := 0; i < 5000 && refused == ""; i++ {
		key := fmt.Sprintf("wt:full:%d", i)
		switch r := c.do("SET", key, val); {
		case r == "+OK\r\n":
			acked[key] = true
		case strings.HasPrefix(r, "-MISCONF"):
			refused = r
		default:
			t.Fatalf("SET on a full disk: %q", r)
		}
	}
	if refused != "-MISCONF Errors writing to the disk tier: No space left on device. Writes to write_through namespaces are refused until there is room.\r\n" {
		t.Fatalf("writes on a full disk: refusal %q", refused)
	}
	if r := c.do("GET", "wt:before:7"); r != bulk(val) {
		t.Errorf("GET on a full disk: %q", r)
	}
	if r := c.do("SET", "plain", "x"); r != "+OK\r\n" {
		t.Errorf("a cache_aside write on a full disk: %q", r)
	}

	os.Remove(filler)
	deadline := time.Now().Add(20 * time.Second)
	for c.do("SET", "wt:after", "x") != "+OK\r\n" {
		if time.Now().After(deadline) {
			t.Fatalf("writes still refused once there is room:\n%s", p.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	acked["wt:after"] = true
	p.kill()
	p.checkNoPanic()

	p = launch(t, "--config", conf)
	c = dialProc(t, p)
	for key := range acked {
		want := val
		if key == "wt:after" {
			want = "x"
		}
		if r := c.do("GET", key); r != bulk(want) {
			t.Fatalf("after the restart, acknowledged %s = %.40q", key, r)
		}
	}
	t.Logf("%d write_through writes acknowledged around a full disk, all there after kill -9", len(acked))
	p.stop()
}

// fillDisk writes path until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for i := 0; i < 1<<12; i++ {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatal("the file system did not fill")
}

// TestReadOnlyDataDir starts strata on a read-only data directory that
// holds persisted keys: it serves them, refuses writes to persisted
// namespaces (and FLUSHALL) with MISCONF, takes cache_aside writes, and
// once the directory is writable again every key is there.
func TestReadOnlyDataDir(t *testing.T) {
	dir := mountTmpfs(t, 64<<20)
	conf := persistedConfig(t, dir)
	p := launch(t, "--config", conf)
	c := dialProc(t, p)
	for _, k := range []string{"wt:a", "wb:b"} {
		c.do("SET", k, "v-"+k)
	}
	p.stop()

	remount(t, dir, "ro")
	p = launch(t, "--config", conf)
	if !p.running() {
		t.Fatalf("strata refused a read-only data directory:\n%s", p.log())
	}
	c = dialProc(t, p)
	const refusal = "-MISCONF The disk tier's directory is read-only. Writes to persisted namespaces are refused.\r\n"
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"GET", "wt:a"}, bulk("v-wt:a")},
		{[]string{"GET", "wb:b"}, bulk("v-wb:b")},
		{[]string{"SET", "wt:new", "x"}, refusal},
		{[]string{"SET", "wb:new", "x"}, refusal},
		{[]string{"DEL", "wt:a"}, refusal},
		{[]string{"FLUSHALL"}, refusal},
		{[]string{"SET", "plain", "x"}, "+OK\r\n"},
		{[]string{"GET", "wt:a"}, bulk("v-wt:a")},
	} {
		if r := c.do(step.args...); r != step.want {
			t.Errorf("%v on a read-only dir: %q, want %q", step.args, r, step.want)
		}
	}
	p.stop()
	p.checkNoPanic()

	remount(t, dir, "rw")
	p = launch(t, "--config", conf)
	c = dialProc(t, p)
	if r := c.do("MGET", "wt:a", "wb:b"); r != "*2\r\n"+bulk("v-wt:a")+bulk("v-wb:b") {
		t.Errorf("after the directory is writable again: %q", r)
	}
	p.stop()
}

// TestDamagedFiles starts strata on data directories damaged as disks and
// people damage them: each is refused at start with a message naming the
// damage, or served with every key either read back or answered with an
// error, never silently absent; never a panic.
func TestDamagedFiles(t *testing.T) {
	val := strings.Repeat("v", 300)
	for _, tc := range []struct {
		name    string
		crash   bool // leave the log (kill -9) rather than fold it (SIGTERM)
		damage  func(t *testing.T, dir string)
		refused string // the start-up refusal's words, "" to be served
		maxLost int    // keys that may be gone (a torn tail's last write)
	}{
		{"torn log tail", true, func(t *testing.T, dir string) {
			seg := newestSegment(t, dir)
			data, _ := os.ReadFile(seg)
			end := len(data) - 1
			for end > 0 && data[end] == 0 {
				end--
			}
			data[end] ^= 0xff // the last record's last byte
			os.WriteFile(seg, data, 0o644)
		}, "", 1},
		{"truncated log segment", true, func(t *testing.T, dir string) {
			seg := newestSegment(t, dir)
			fi, _ := os.Stat(seg)
			os.Truncate(seg, fi.Size()/2)
		}, "is truncated", 0},
		{"truncated data file", false, func(t *testing.T, dir string) {
			path := filepath.Join(dir, "strata.db")
			os.Truncate(path, usedSize(t, path)/2)
		}, "is truncated", 0},
		{"damaged data page", false, func(t *testing.T, dir string) {
			path := filepath.Join(dir, "strata.db")
			used := usedSize(t, path)
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			defer f.Close()
			garbage := []byte(strings.Repeat("\xaa", 4096))
			f.WriteAt(garbage, (used/2)&^4095) // a page in the middle, whole
		}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := persistedConfig(t, dir)
			p := launch(t, "--config", conf)
			c := dialProc(t, p)
			const keys = 3000
			for i := 0; i < keys; i++ {
				c.send("SET", fmt.Sprintf("wt:%04d", i), val)
			}
			c.flush()
			for i := 0; i < keys; i++ {
				if r, err := c.reply(); err != nil || r != "+OK\r\n" {
					t.Fatalf("SET: %q %v", r, err)
				}
			}
			if tc.crash {
				p.kill()
			} else {
				p.stop()
			}
			tc.damage(t, dir)

			p = launch(t, "--config", conf)
			p.checkNoPanic()
			if tc.refused != "" {
				<-p.exited
				if !strings.Contains(p.log(), tc.refused) || p.err == nil {
					t.Fatalf("start on a %s: exit %v, want a refusal saying %q:\n%s", tc.name, p.err, tc.refused, p.log())
				}
				return
			}
			if !p.running() {
				t.Fatalf("start on a %s refused:\n%s", tc.name, p.log())
			}
			c = dialProc(t, p)
			absent, failed := 0, 0
			for i := 0; i < keys; i++ {
				switch r := c.do("GET", fmt.Sprintf("wt:%04d", i)); {
				case r == bulk(val):
				case r == "$-1\r\n":
					absent++
				case strings.HasPrefix(r, "-ERR disk tier read failed"):
					failed++
				default:
					t.Fatalf("GET wt:%04d: %.60q", i, r)
				}
			}
			if absent > tc.maxLost {
				t.Errorf("%d keys silently absent, want at most %d", absent, tc.maxLost)
			}
			t.Logf("%s: %d of %d keys read back, %d answered with an error, %d absent", tc.name, keys-absent-failed, keys, failed, absent)
			p.stop()
			p.checkNoPanic()
		})
	}
}

// newestSegment returns the write-ahead log segment written last: the
// highest numbered one with a record.
func newestSegment(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	sort.Strings(files)
	for i := len(files) - 1; i >= 0; i-- {
		data, _ := os.ReadFile(files[i])
		for _, b := range data[32:] { // past the header
			if b != 0 {
				return files[i]
			}
		}
	}
	t.Fatalf("no log segment with records in %s", dir)
	return ""
}

// usedSize returns how much of the data file at path its pages use: bbolt
// grows the file ahead of them.
func usedSize(t *testing.T, path string) int64 {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var used int64
	db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	return used
}
