package storage

import (
	"fmt"
	"slices"
	"testing"
)

func newTaggedStore(t *testing.T, opts Options) (*Store, *Tags, *fakeClock) {
	t.Helper()
	s, clk := newClockedStore(t, opts)
	tags := NewTags()
	s.AddListener(tags)
	return s, tags, clk
}

func taggedKeys(t *Tags, db *DB, tag string) []string {
	keys := t.Keys(db, tag)
	slices.Sort(keys)
	return keys
}

func TestTagsFollowKeys(t *testing.T) {
	s, tags, clk := newTaggedStore(t, Options{})
	db := heldTx(s, 0)
	set := func(k string, exp int64) { db.Set([]byte(k), StringValue([]byte("v")).WithExpireAt(exp)) }

	base := s.Used()
	set("a", 0)
	set("b", 0)
	set("c", clk.ms+10)
	used := s.Used()
	if n := tags.Add(db.DB, "a", []string{"x", "y", "x"}); n != 2 {
		t.Fatalf("Add a = %d, want 2", n)
	}
	tags.Add(db.DB, "b", []string{"x"})
	tags.Add(db.DB, "c", []string{"y"})
	if n := tags.Add(db.DB, "a", []string{"y"}); n != 0 {
		t.Fatalf("Add again = %d, want 0", n)
	}
	if got := tags.Of(db.DB, "a"); !slices.Equal(got, []string{"x", "y"}) {
		t.Fatalf("Of a = %q", got)
	}
	if got := taggedKeys(tags, db.DB, "x"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Keys x = %q", got)
	}
	if s.Used() <= used {
		t.Fatalf("tags cost nothing: used %d, before %d", s.Used(), used)
	}

	set("a", 0) // an overwrite keeps the tags
	if got := tags.Of(db.DB, "a"); len(got) != 2 {
		t.Fatalf("Of a after overwrite = %q", got)
	}
	db.Delete([]byte("a"))
	if got := taggedKeys(tags, db.DB, "x"); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("Keys x after delete = %q", got)
	}
	clk.ms += 11    // a key lives through its expiry millisecond
	get(t, db, "c") // lazy expiry
	if got := tags.Keys(db.DB, "y"); len(got) != 0 {
		t.Fatalf("Keys y after expiry = %q", got)
	}
	tags.Replace(db.DB, "b", nil)
	if k, n := tags.Len(db.DB); k != 0 || n != 0 {
		t.Fatalf("Len after untagging all = %d keys, %d tags: leaked", k, n)
	}
	db.Delete([]byte("b"))
	if s.Used() != base {
		t.Fatalf("used %d, want %d: the index's bytes leaked", s.Used(), base)
	}
}

func TestTagsShrinkOnEvictionAndFlush(t *testing.T) {
	s, tags, _ := newTaggedStore(t, Options{Policy: AllKeysLRU})
	db := heldTx(s, 0)
	for i := 0; i < 1000; i++ {
		k := fmt.Sprintf("k%d", i)
		db.Set([]byte(k), StringValue([]byte("v")))
		tags.Add(db.DB, k, []string{"all", fmt.Sprintf("t%d", i%10)})
	}
	s.SetMaxMemory(s.Used() / 2)
	if err := db.MakeRoom(nil); err != nil {
		t.Fatal(err)
	}
	keys, _ := tags.Len(db.DB)
	if keys != db.Len() || len(tags.Keys(db.DB, "all")) != db.Len() {
		t.Fatalf("after eviction: %d tagged keys, %d in 'all', %d keys", keys, len(tags.Keys(db.DB, "all")), db.Len())
	}
	s.SetMaxMemory(0)
	heldTx(s, 0).FlushAll()
	if k, n := tags.Len(db.DB); k != 0 || n != 0 || s.Used() != 0 {
		t.Fatalf("after flush: %d tagged keys, %d tags, used %d", k, n, s.Used())
	}
}

func TestTagsReplaceAndDatabases(t *testing.T) {
	s, tags, _ := newTaggedStore(t, Options{})
	db0, db1 := heldTx(s, 0), heldTx(s, 1)
	db0.Set([]byte("k"), StringValue([]byte("v")))
	db1.Set([]byte("k"), StringValue([]byte("v")))
	tags.Replace(db0.DB, "k", []string{"a", "b"})
	tags.Replace(db1.DB, "k", []string{"c"})
	tags.Replace(db0.DB, "k", []string{"b", "d"})
	if got := tags.Of(db0.DB, "k"); !slices.Equal(got, []string{"b", "d"}) {
		t.Fatalf("Of db0 = %q", got)
	}
	if got := tags.Keys(db0.DB, "a"); len(got) != 0 {
		t.Fatalf("replaced tag kept: %q", got)
	}
	if got := tags.Of(db1.DB, "k"); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("Of db1 = %q", got)
	}
	heldTx(s, 0).SwapDB(0, 1) // tags travel with their database
	if got := tags.Of(s.DB(0), "k"); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("Of db0 after SWAPDB = %q", got)
	}
}
