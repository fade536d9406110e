package server

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/stratakv/strata/policy"
)

// corruptEntry overwrites key's entry in the data file under dir (the
// server that wrote it is closed) with bytes that do not decode, and
// returns them.
func corruptEntry(t *testing.T, dir, key string) []byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "strata.db"), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bad := []byte{0xff, 0xfe, 0xfd}
	found := false
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			if b.Get([]byte(key)) != nil {
				found = true
				return b.Put([]byte(key), bad)
			}
			return nil
		})
	})
	if err != nil || !found {
		t.Fatalf("corrupting %s: found %v, %v", key, found, err)
	}
	return bad
}

// entryOf returns key's entry in the data file under dir, nil when absent.
func entryOf(t *testing.T, dir, key string) []byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "strata.db"), 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rec []byte
	db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			if v := b.Get([]byte(key)); v != nil {
				rec = bytes.Clone(v)
			}
			return nil
		})
	})
	return rec
}

// TestDiskReadErrorIsAnError: a key whose disk tier entry cannot be read
// back is never reported absent, nor removed: GET, DEL, an INCR, and the
// tag and pattern invalidations that reach it reply an error with the
// cause, and the entry is still on disk afterwards. Other keys are served.
func TestDiskReadErrorIsAnError(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Namespaces: []policy.Namespace{{Match: "p:", Strategy: policy.WriteThrough}}}
	s := startServer(t, cfg)
	c := dial(t, s)
	c.expect("+OK\r\n", "CACHE.SET", "p:bad", "v", "TAGS", "t")
	c.expect("+OK\r\n", "SET", "p:good", "fine")
	s.Close()
	bad := corruptEntry(t, dir, "p:bad")

	s = startServer(t, cfg) // the warm-up leaves the entry on disk
	c = dial(t, s)
	isDiskError := func(reply string) {
		t.Helper()
		if !strings.HasPrefix(reply, "-ERR disk tier read failed: ") {
			t.Errorf("reply %q, want a disk tier read error", reply)
		}
	}
	isDiskError(c.do("GET", "p:bad"))
	isDiskError(c.do("DEL", "p:bad"))
	isDiskError(c.do("DEL", "p:good", "p:bad")) // fails before it removes p:good
	isDiskError(c.do("INCR", "p:bad"))
	isDiskError(c.do("CACHE.INVALIDATE", "PATTERN", "p:b*"))
	isDiskError(c.do("EXISTS", "p:bad"))
	c.expect("$4\r\nfine\r\n", "GET", "p:good")
	s.Close()

	// Before the warm-up has indexed every key (maxmemory stops it here),
	// a tag invalidation reads the entries' tags from disk.
	cfg.MaxMemory, cfg.MaxMemoryPolicy = 1, "allkeys-lru"
	s = startServer(t, cfg)
	isDiskError(dial(t, s).do("CACHE.INVALIDATE", "TAG", "t"))
	s.Close()
	if got := entryOf(t, dir, "p:bad"); !bytes.Equal(got, bad) {
		t.Fatalf("the unreadable entry is now %q, want it left as it was", got)
	}
}
