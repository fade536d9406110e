package storage

import (
	"bytes"
	"testing"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(Options{Databases: 2, Clock: func() int64 { return 1000 }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCopySharesNothing(t *testing.T) {
	s := newTestStore(t)
	db := heldTx(s, 0)
	db.Set([]byte("src"), StringValue([]byte("abc")).WithFlags(FlagRaw).WithExpireAt(5000))
	if !db.Copy([]byte("src"), 1, []byte("dst"), false, nil) {
		t.Fatal("Copy reported nothing copied")
	}
	src, _ := db.Get([]byte("src"))
	dst, ok := heldTx(s, 1).Get([]byte("dst"))
	switch {
	case !ok:
		t.Fatal("dst missing")
	case !bytes.Equal(dst.Bytes(), []byte("abc")):
		t.Fatalf("dst holds %q", dst.Bytes())
	case &dst.Bytes()[0] == &src.Bytes()[0]:
		t.Fatal("dst shares src's payload")
	case dst.ExpireAt() != 5000 || dst.Flags() != FlagRaw:
		t.Fatalf("dst expiry %d flags %d, want 5000 and raw", dst.ExpireAt(), dst.Flags())
	case s.DB(1).Expires() != 1:
		t.Fatalf("dst db has %d volatile keys, want 1", s.DB(1).Expires())
	}
}

func TestRenameMoveAccounting(t *testing.T) {
	s := newTestStore(t)
	db := heldTx(s, 0)
	db.Set([]byte("a"), StringValue([]byte("value")).WithExpireAt(5000))
	db.Set([]byte("b"), StringValue([]byte("other")))
	used := s.Used()
	if ok, err := db.Rename([]byte("a"), []byte("b"), false, nil); !ok || err != nil {
		t.Fatalf("Rename: %v %v", ok, err)
	}
	if db.Len() != 1 || db.Expires() != 1 {
		t.Fatalf("after rename: %d keys, %d volatile; want 1 and 1", db.Len(), db.Expires())
	}
	if !db.Move([]byte("b"), 1, nil) {
		t.Fatal("Move failed")
	}
	if db.Len() != 0 || db.Expires() != 0 || s.DB(1).Len() != 1 || s.DB(1).Expires() != 1 {
		t.Fatal("Move left the counts wrong")
	}
	heldTx(s, 1).Delete([]byte("b"))
	if s.Used() != 0 {
		t.Fatalf("used %d after deleting everything (was %d with two keys)", s.Used(), used)
	}
	if _, err := db.Rename([]byte("nokey"), []byte("x"), false, nil); err != ErrNoSuchKey {
		t.Fatalf("Rename of a missing key: %v, want ErrNoSuchKey", err)
	}
}
