package cache

import (
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// testClock is a settable clock in unix milliseconds.
type testClock struct{ ms int64 }

func (c *testClock) now() int64 { return c.ms }

// openCache returns a Cache over a fresh one-database store with the
// namespaces given, its clock, and a jitter draw fixed at 0.75.
func openCache(t *testing.T, spaces ...policy.Namespace) (*Cache, *testClock) {
	t.Helper()
	clk := &testClock{ms: 1_000_000_000}
	store, err := storage.New(storage.Options{Databases: 2, Clock: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(store, Config{Namespaces: spaces, Dir: t.TempDir(), FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetJitterSource(func() float64 { return 0.75 })
	return c, clk
}

// write runs fn in a write transaction of kind over key.
func write(t *testing.T, c *Cache, key string, kind WriteKind, fn func(tx *Tx)) Wait {
	t.Helper()
	var tx Tx
	c.Begin(&tx, 0, [][]byte{[]byte(key)}, kind, storage.TxWrite)
	fn(&tx)
	wait, err := tx.End()
	if err != nil {
		t.Fatal(err)
	}
	return wait
}

// ttlOf returns key's remaining TTL in ms (0: none, -1: absent).
func ttlOf(t *testing.T, c *Cache, clk *testClock, key string) int64 {
	t.Helper()
	var v storage.Value
	var ok bool
	c.Store().View(0, [][]byte{[]byte(key)}, func(tx *storage.Tx) error {
		v, ok = tx.Lookup([]byte(key), storage.LookupWrite|storage.LookupRaw)
		return nil
	})
	switch {
	case !ok:
		return -1
	case v.ExpireAt() == 0:
		return 0
	}
	return v.ExpireAt() - clk.ms
}

func str(s string) storage.Value { return storage.StringValue([]byte(s)) }

// TestWriteKindsShapeTTLs: each kind of write gets the TTL the namespace
// rules give it, resolved before the one store.
func TestWriteKindsShapeTTLs(t *testing.T) {
	c, clk := openCache(t,
		policy.Namespace{Match: "d:*", TTL: 5 * time.Minute, MaxTTL: time.Hour},
		policy.Namespace{Match: "j:*", TTL: 100 * time.Second, Jitter: 0.2},
	)
	const minute = 60_000
	at := func(ms int64) int64 { return clk.ms + ms }
	cases := []struct {
		name, key string
		kind      WriteKind
		run       func(tx *Tx, key []byte)
		want      int64 // remaining TTL in ms
	}{
		{"replace without a TTL gets the default", "d:1", WriteReplace,
			func(tx *Tx, k []byte) { tx.Set(k, str("v")) }, 5 * minute},
		{"replace with a TTL over max_ttl is capped", "d:2", WriteReplace,
			func(tx *Tx, k []byte) { tx.Set(k, str("v").WithExpireAt(at(120*minute))) }, 60 * minute},
		{"replace with a TTL is jittered", "j:1", WriteReplace,
			func(tx *Tx, k []byte) { tx.Set(k, str("v").WithExpireAt(at(10_000))) }, 11_000},
		{"an in-place write creating the key gets the default", "d:3", WriteInPlace,
			func(tx *Tx, k []byte) { tx.Set(k, str("1")) }, 5 * minute},
		{"an in-place write keeps an existing key's TTL", "d:3", WriteInPlace,
			func(tx *Tx, k []byte) { tx.Set(k, str("2").WithExpireAt(at(7_000))) }, 7_000},
		{"KEEPTTL is only capped", "d:4", WriteReplace,
			func(tx *Tx, k []byte) { tx.SetKeepTTL(k, str("v").WithExpireAt(at(3_000))) }, 3_000},
		{"EXPIRE is jittered", "j:1", WriteExpire,
			func(tx *Tx, k []byte) { tx.SetExpireAt(k, at(20_000)) }, 22_000},
		{"PERSIST under max_ttl gets max_ttl", "d:1", WriteExpire,
			func(tx *Tx, k []byte) { tx.SetExpireAt(k, 0) }, 60 * minute},
		{"a rate window is left exact", "j:2", WriteOwnTTL,
			func(tx *Tx, k []byte) { tx.Set(k, str("v").WithExpireAt(at(1_000))) }, 1_000},
	}
	for _, tc := range cases {
		write(t, c, tc.key, tc.kind, func(tx *Tx) { tc.run(tx, []byte(tc.key)) })
		if got := ttlOf(t, c, clk, tc.key); got != tc.want {
			t.Errorf("%s: TTL %d ms, want %d", tc.name, got, tc.want)
		}
	}

	// RENAME carries the TTL into the destination's namespace: capped
	// there, or its default when the value had none.
	write(t, c, "plain", WriteReplace, func(tx *Tx) { tx.Set([]byte("plain"), str("v")) })
	var tx Tx
	c.Begin(&tx, 0, [][]byte{[]byte("plain"), []byte("d:moved")}, WriteMove, storage.TxWrite)
	if ok, err := tx.Rename([]byte("plain"), []byte("d:moved"), false); !ok || err != nil {
		t.Fatalf("Rename: %v %v", ok, err)
	}
	if _, err := tx.End(); err != nil {
		t.Fatal(err)
	}
	if got := ttlOf(t, c, clk, "d:moved"); got != 5*minute {
		t.Errorf("RENAME into d:* without a TTL: %d ms, want the default", got)
	}
}

// TestCompressedOnce: a value of a compressing namespace is stored once,
// compressed, and reads back as written; the bytes saved are counted.
func TestCompressedOnce(t *testing.T) {
	c, _ := openCache(t, policy.Namespace{Name: "z", Match: "z:*", Compress: &policy.Compress{MinSize: 64}})
	stores := 0
	c.Store().AddListener(countStores{&stores})
	val := strings.Repeat("abcdefgh", 64)
	write(t, c, "z:1", WriteReplace, func(tx *Tx) { tx.Set([]byte("z:1"), str(val)) })
	if stores != 1 {
		t.Fatalf("%d stores, want 1", stores)
	}
	c.Store().View(0, [][]byte{[]byte("z:1")}, func(tx *storage.Tx) error {
		raw, _ := tx.Lookup([]byte("z:1"), storage.LookupWrite|storage.LookupRaw)
		plain, _ := tx.Lookup([]byte("z:1"), storage.LookupWrite)
		if raw.Flags()&storage.FlagCompressed == 0 || string(plain.Bytes()) != val {
			t.Errorf("stored flags %d, reads back %d bytes", raw.Flags(), plain.Len())
		}
		return nil
	})
	sp, _ := c.Rules().ByName("z")
	if ctr := c.NamespaceCounters(sp); ctr.RawBytes.Load() != int64(len(val)) || ctr.StoredBytes.Load() >= ctr.RawBytes.Load() {
		t.Errorf("counted %d raw, %d stored bytes", ctr.RawBytes.Load(), ctr.StoredBytes.Load())
	}
}

type countStores struct{ n *int }

func (c countStores) KeyStored(*storage.DB, string, storage.Value)                  { *c.n++ }
func (c countStores) KeyRemoved(*storage.DB, string, storage.Value, storage.Reason) {}

// TestWaits: a write_through write's reply waits for its log record, a
// write_back write's for the backlog, a cache_aside write's for nothing;
// Await returns once the record is durable.
func TestWaits(t *testing.T) {
	c, _ := openCache(t,
		policy.Namespace{Match: "wt:*", Strategy: policy.WriteThrough},
		policy.Namespace{Match: "wb:*", Strategy: policy.WriteBack},
	)
	set := func(key string) Wait {
		return write(t, c, key, WriteReplace, func(tx *Tx) { tx.Set([]byte(key), str("v")) })
	}
	if w := set("wt:1"); w.Seq == 0 || w.Backlog {
		t.Errorf("write_through wait %+v", w)
	} else if err := c.Await(w); err != nil {
		t.Fatal(err)
	}
	if w := set("wb:1"); w.Seq != 0 || !w.Backlog {
		t.Errorf("write_back wait %+v", w)
	}
	if w := set("other"); w.Pending() {
		t.Errorf("cache_aside wait %+v", w)
	}
}

// TestInvalidation: tag, pattern and event invalidation remove the keys
// they name, count them, and report them to the caller's RemovedFunc.
func TestInvalidation(t *testing.T) {
	store, err := storage.New(storage.Options{Databases: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(store, Config{Events: map[string][]string{"changed": {"p:{id}:*"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"p:1:a", "p:1:b", "p:2:a", "q:1"} {
		write(t, c, k, WriteReplace, func(tx *Tx) { tx.Set([]byte(k), str("v")) })
	}
	c.Tags().Replace(store.DB(0), "q:1", []string{"t"})
	var removed []string
	note := func(keys []string) { removed = append(removed, keys...) }
	if n, err := c.InvalidateEvent(0, "changed", map[string]string{"id": "1"}, note); n != 2 || err != nil {
		t.Errorf("EVENT removed %d, %v; want 2", n, err)
	}
	if n, err := c.InvalidatePattern(0, "p:2:*", storage.InvalidatePattern, note); n != 1 || err != nil {
		t.Errorf("PATTERN removed %d, %v; want 1", n, err)
	}
	if n, err := c.InvalidateTags(0, []string{"t"}, note); n != 1 || err != nil {
		t.Errorf("TAG removed %d, %v; want 1", n, err)
	}
	if len(removed) != 4 || store.DB(0).Len() != 0 {
		t.Errorf("reported %v; %d keys left", removed, store.DB(0).Len())
	}
	if _, err := c.InvalidateEvent(0, "nosuch", nil, note); err == nil {
		t.Error("an unknown event was accepted")
	}
}

// TestEditThroughNamespaces: a string whose namespace would compress it is
// not handed out for an edit (Set compresses a copy instead); a shorter
// one is, and its edit, stored with Set, is the key's new value.
func TestEditThroughNamespaces(t *testing.T) {
	c, _ := openCache(t, policy.Namespace{Name: "z", Match: "z:*", Compress: &policy.Compress{MinSize: 64}})
	long, short := strings.Repeat("x", 100), "0123456789"
	write(t, c, "z:long", WriteReplace, func(tx *Tx) { tx.Set([]byte("z:long"), str(long)) })
	write(t, c, "z:short", WriteReplace, func(tx *Tx) { tx.Set([]byte("z:short"), str(short)) })
	write(t, c, "z:long", WriteInPlace, func(tx *Tx) {
		if b, ok := tx.Edit([]byte("z:long")); ok {
			t.Errorf("Edit of a compressed string = %q, true", b)
		}
	})
	write(t, c, "z:short", WriteInPlace, func(tx *Tx) {
		b, ok := tx.Edit([]byte("z:short"))
		if !ok {
			t.Fatal("Edit of an uncompressed string refused")
		}
		b[0] = 'x'
		tx.Set([]byte("z:short"), storage.StringValue(b))
	})
	write(t, c, "z:short", WriteInPlace, func(tx *Tx) {
		if v, _ := tx.Get([]byte("z:short")); string(v.Bytes()) != "x123456789" {
			t.Errorf("z:short = %q after the edit", v.Bytes())
		}
	})
}
