package storage

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// hashPairs returns h's fields and values in order, "field=value".
func hashPairs(h *Hash) []string {
	var out []string
	h.Each(func(f, v string) bool {
		out = append(out, f+"="+v)
		return true
	})
	return out
}

func TestHashOperations(t *testing.T) {
	tests := []struct {
		name string
		do   func(h *Hash)
		want []string
		enc  string
	}{
		{"insertion order", func(h *Hash) {
			h.Set([]byte("b"), []byte("1"))
			h.Set([]byte("a"), []byte("2"))
		}, []string{"b=1", "a=2"}, "listpack"},
		{"update keeps place", func(h *Hash) {
			h.Set([]byte("a"), []byte("1"))
			h.Set([]byte("b"), []byte("2"))
			if h.Set([]byte("a"), []byte("3")) {
				t.Error("update reported as new")
			}
		}, []string{"a=3", "b=2"}, "listpack"},
		{"delete then add goes last", func(h *Hash) {
			h.Set([]byte("a"), []byte("1"))
			h.Set([]byte("b"), []byte("2"))
			h.Delete([]byte("a"))
			h.Set([]byte("a"), []byte("3"))
		}, []string{"b=2", "a=3"}, "listpack"},
		{"value of 64 bytes stays listpack", func(h *Hash) {
			h.Set([]byte("f"), []byte(strings.Repeat("x", 64)))
		}, []string{"f=" + strings.Repeat("x", 64)}, "listpack"},
		{"long value converts for good", func(h *Hash) {
			h.Set([]byte("f"), []byte(strings.Repeat("x", 65)))
			h.Set([]byte("f"), []byte("short"))
		}, []string{"f=short"}, "hashtable"},
		{"long field converts", func(h *Hash) {
			h.Set([]byte(strings.Repeat("f", 65)), []byte("v"))
		}, []string{strings.Repeat("f", 65) + "=v"}, "hashtable"},
		{"empty field and value", func(h *Hash) {
			h.Set(nil, nil)
		}, []string{"="}, "listpack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHash(0)
			tt.do(h)
			if got := hashPairs(h); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if h.Encoding() != tt.enc {
				t.Errorf("encoding %s, want %s", h.Encoding(), tt.enc)
			}
		})
	}
}

func TestHashEntriesThreshold(t *testing.T) {
	h := NewHash(0)
	for i := 0; i < hashListpackEntries; i++ {
		h.Set(fmt.Appendf(nil, "f%d", i), []byte("v"))
	}
	if h.Encoding() != "listpack" {
		t.Fatalf("%d fields: %s", h.Len(), h.Encoding())
	}
	h.Set([]byte("one more"), []byte("v"))
	if h.Encoding() != "hashtable" {
		t.Fatalf("%d fields: %s", h.Len(), h.Encoding())
	}
}

// TestHashScanCursor walks a large hash with a small COUNT while fields
// are deleted and added between steps: every field present throughout is
// returned exactly once, however the table compacts.
func TestHashScanCursor(t *testing.T) {
	h := NewHash(0)
	const n = 2000
	for i := 0; i < n; i++ {
		h.Set(fmt.Appendf(nil, "f%d", i), []byte("v"))
	}
	seen := map[string]int{}
	cursor, steps := uint64(0), 0
	for {
		cursor = h.Scan(cursor, 7, func(f, _ string) { seen[f]++ })
		// Delete two fields of the stable half's complement, add one.
		for j := 0; j < 2; j++ {
			h.Delete(fmt.Appendf(nil, "f%d", n/2+(steps*2+j)%(n/2)))
		}
		h.Set(fmt.Appendf(nil, "new%d", steps), []byte("v"))
		steps++
		if cursor == 0 || steps > n {
			break
		}
	}
	if cursor != 0 {
		t.Fatalf("no end after %d steps", steps)
	}
	for i := 0; i < n/2; i++ {
		if f := fmt.Sprintf("f%d", i); seen[f] != 1 {
			t.Errorf("%s returned %d times", f, seen[f])
		}
	}
}

func TestHashSmallScanIsWhole(t *testing.T) {
	h := NewHash(0)
	h.Set([]byte("a"), []byte("1"))
	h.Set([]byte("b"), []byte("2"))
	var got []string
	if next := h.Scan(12345, 1, func(f, v string) { got = append(got, f+"="+v) }); next != 0 || len(got) != 2 {
		t.Errorf("cursor %d, %q", next, got)
	}
}

func TestHashSample(t *testing.T) {
	h := NewHash(0)
	for i := 0; i < 20; i++ {
		h.Set(fmt.Appendf(nil, "f%d", i), fmt.Appendf(nil, "v%d", i))
	}
	for _, count := range []int{1, 5, 19} { // both distinct strategies
		seen := map[string]bool{}
		h.Sample(count, true, func(f, v string) {
			if seen[f] || "v"+f[1:] != v {
				t.Errorf("count %d: %s=%s (seen %v)", count, f, v, seen[f])
			}
			seen[f] = true
		})
		if len(seen) != count {
			t.Errorf("count %d: %d fields", count, len(seen))
		}
	}
	n := 0
	h.Sample(100, false, func(string, string) { n++ })
	if n != 100 {
		t.Errorf("with repetition: %d", n)
	}
}

func TestHashCodecRoundTrip(t *testing.T) {
	for _, large := range []bool{false, true} {
		h := NewHash(0)
		h.Set([]byte("a"), []byte("1"))
		h.Set([]byte(""), []byte("\x00\xff"))
		if large {
			h.Set([]byte("long"), []byte(strings.Repeat("v", 100)))
		}
		b := appendHash(nil, HashValue(h))
		v, err := decodeHash(b)
		if err != nil {
			t.Fatal(err)
		}
		d := Object[Hash](v)
		if !slices.Equal(hashPairs(d), hashPairs(h)) || d.Encoding() != h.Encoding() {
			t.Errorf("decoded %q (%s), want %q (%s)", hashPairs(d), d.Encoding(), hashPairs(h), h.Encoding())
		}
		for _, bad := range [][]byte{nil, {0}, {1, 1, 'a'}, {2, 1, 'a', 0, 1, 'a', 0}, append(b, 0)} {
			if _, err := decodeHash(bad); err == nil {
				t.Errorf("decodeHash(%q) accepted", bad)
			}
		}
	}
}

// TestHashDecodeSettlesEncoding: a hash converted by a long value that was
// later shortened comes back from disk as a listpack, as Redis loads it.
func TestHashDecodeSettlesEncoding(t *testing.T) {
	h := NewHash(0)
	h.Set([]byte("f"), []byte(strings.Repeat("x", 100)))
	h.Set([]byte("f"), []byte("x"))
	v, err := decodeHash(appendHash(nil, HashValue(h)))
	if err != nil || Object[Hash](v).Encoding() != "listpack" {
		t.Errorf("decoded %v, %v", v.Encoding(), err)
	}
}

// TestHashAccounting checks that memory follows a hash through in-place
// changes, and that a copy is independent of its source.
func TestHashAccounting(t *testing.T) {
	s, _ := newClockedStore(t, Options{})
	db := heldTx(s, 0)
	key := []byte("h")
	h := NewHash(0)
	h.Set([]byte("f"), []byte("v"))
	db.Set(key, HashValue(h))
	before := s.Used()
	h, v, err := db.LookupHash(key, LookupWrite)
	if err != nil || h == nil {
		t.Fatal(h, err)
	}
	for i := 0; i < 1000; i++ {
		h.Set(fmt.Appendf(nil, "field%d", i), make([]byte, 100))
	}
	db.StoreObject(key, v, false)
	if grown := s.Used() - before; grown < 1000*100 {
		t.Errorf("used grew by %d after 100 kB of values", grown)
	}
	if !db.Copy(key, 0, []byte("copy"), false, nil) {
		t.Fatal("copy")
	}
	h.Set([]byte("only in source"), nil)
	c, cv, _ := db.LookupHash([]byte("copy"), 0)
	if _, ok := c.Get([]byte("only in source")); ok || c.Len() != 1001 || cv.Encoding() != "hashtable" {
		t.Errorf("copy: %d fields, %s", c.Len(), cv.Encoding())
	}
	db.Delete([]byte("copy"))
	for i := 0; i < 1000; i++ {
		h.Delete(fmt.Appendf(nil, "field%d", i))
	}
	db.StoreObject(key, v, false)
	if shrunk := s.Used() - before; shrunk > 4096 {
		t.Errorf("used still %d over the one-field hash after deleting", shrunk)
	}
	if _, _, err := db.LookupSet(key, 0); err != ErrWrongType {
		t.Errorf("LookupSet of a hash: %v", err)
	}
	db.StoreObject(key, v, true)
	if s.Used() != 0 || db.Len() != 0 {
		t.Errorf("used %d, keys %d after the hash emptied", s.Used(), db.Len())
	}
}
