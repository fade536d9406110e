package storage

import (
	"slices"
	"testing"
)

// listElems returns l's elements head first.
func listElems(l *List) []string {
	out := make([]string, l.Len())
	for i := range out {
		out[i] = l.At(i)
	}
	return out
}

func TestListOperations(t *testing.T) {
	tests := []struct {
		name string
		do   func(l *List)
		want []string
	}{
		{"push both ends", func(l *List) {
			l.PushBack("b")
			l.PushFront("a")
			l.PushBack("c")
		}, []string{"a", "b", "c"}},
		{"pop both ends", func(l *List) {
			for _, e := range []string{"a", "b", "c", "d"} {
				l.PushBack(e)
			}
			if l.PopFront() != "a" || l.PopBack() != "d" {
				t.Error("pop")
			}
		}, []string{"b", "c"}},
		{"insert front half and back half", func(l *List) {
			for _, e := range []string{"a", "c", "e"} {
				l.PushBack(e)
			}
			l.Insert(1, "b")
			l.Insert(3, "d")
			l.Insert(5, "f")
			l.Insert(0, "0")
		}, []string{"0", "a", "b", "c", "d", "e", "f"}},
		{"remove from head", func(l *List) {
			for _, e := range []string{"x", "a", "x", "b", "x"} {
				l.PushBack(e)
			}
			if n := l.Remove(2, []byte("x")); n != 2 {
				t.Errorf("removed %d", n)
			}
		}, []string{"a", "b", "x"}},
		{"remove from tail", func(l *List) {
			for _, e := range []string{"x", "a", "x", "b", "x"} {
				l.PushBack(e)
			}
			l.Remove(-2, []byte("x"))
		}, []string{"x", "a", "b"}},
		{"remove all", func(l *List) {
			for _, e := range []string{"x", "a", "x"} {
				l.PushBack(e)
			}
			l.Remove(0, []byte("x"))
		}, []string{"a"}},
		{"trim", func(l *List) {
			for _, e := range []string{"a", "b", "c", "d", "e"} {
				l.PushBack(e)
			}
			l.Trim(1, 3)
		}, []string{"b", "c", "d"}},
		{"trim to nothing", func(l *List) {
			l.PushBack("a")
			l.Trim(1, 0)
		}, []string{}},
		{"set", func(l *List) {
			l.PushBack("a")
			l.PushBack("b")
			l.SetAt(1, "z")
		}, []string{"a", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewList()
			tt.do(l)
			if got := listElems(l); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestListRingWrapsAndShrinks pushes and pops across the ring's end many
// times, against a slice, and checks that a drained list gives its ring
// back and that its accounted bytes return to an empty list's.
func TestListRingWrapsAndShrinks(t *testing.T) {
	l := NewList()
	empty := l.size()
	var ref []string
	for i := 0; i < 5000; i++ {
		e := string(rune('a' + i%26))
		switch i % 7 {
		case 0, 1, 2:
			l.PushBack(e)
			ref = append(ref, e)
		case 3, 4:
			l.PushFront(e)
			ref = append([]string{e}, ref...)
		case 5:
			if len(ref) > 0 {
				if got := l.PopFront(); got != ref[0] {
					t.Fatalf("step %d: PopFront %q, want %q", i, got, ref[0])
				}
				ref = ref[1:]
			}
		case 6:
			if len(ref) > 0 {
				l.Insert(len(ref)/3, e)
				ref = slices.Insert(ref, len(ref)/3, e)
			}
		}
	}
	if got := listElems(l); !slices.Equal(got, ref) {
		t.Fatalf("list diverged from the reference")
	}
	for l.Len() > 0 {
		l.PopBack()
	}
	if len(l.ring) > listMinRing || l.size() > empty+int64(allocSize(listMinRing*16)) {
		t.Errorf("drained list keeps ring %d, size %d (empty %d)", len(l.ring), l.size(), empty)
	}
}

func TestListCodecRoundTrip(t *testing.T) {
	l := NewList()
	for _, e := range []string{"a", "", "\x00\xff", "long element"} {
		l.PushBack(e)
	}
	b := appendList(nil, ListValue(l))
	v, err := decodeList(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := listElems(Object[List](v)); !slices.Equal(got, listElems(l)) {
		t.Errorf("decoded %q", got)
	}
	for _, bad := range [][]byte{nil, {0}, {2, 1, 'a'}, append(b, 0)} {
		if _, err := decodeList(bad); err == nil {
			t.Errorf("decodeList(%q) accepted", bad)
		}
	}
}

// TestObjectAccounting checks that memory follows in-place changes of an
// object through StoreObject, and that deleting the key gives it all back.
func TestObjectAccounting(t *testing.T) {
	s, _ := newClockedStore(t, Options{})
	db := heldTx(s, 0)
	key := []byte("l")
	l := NewList()
	l.PushBack("x")
	db.Set(key, ListValue(l))
	before := s.Used()
	l, v, err := db.LookupList(key, LookupWrite)
	if err != nil || l == nil {
		t.Fatal(l, err)
	}
	for i := 0; i < 1000; i++ {
		l.PushBack(string(make([]byte, 100)))
	}
	db.StoreObject(key, v, false)
	if grown := s.Used() - before; grown < 1000*100 {
		t.Errorf("used grew by %d after pushing 100 kB", grown)
	}
	if n, _ := db.MemoryUsage(key); n < 1000*100 {
		t.Errorf("MEMORY USAGE %d", n)
	}
	if enc := v.Encoding(); enc != "quicklist" {
		t.Errorf("encoding %q", enc)
	}
	db.StoreObject(key, v, true)
	if s.Used() != 0 || db.Len() != 0 {
		t.Errorf("used %d, keys %d after the list emptied", s.Used(), db.Len())
	}
}

func TestObjectCopyIsIndependent(t *testing.T) {
	s, _ := newClockedStore(t, Options{})
	db := heldTx(s, 0)
	l := NewList()
	l.PushBack("a")
	db.Set([]byte("src"), ListValue(l).WithExpireAt(5_000_000))
	if !db.Copy([]byte("src"), 0, []byte("dst"), false, nil) {
		t.Fatal("copy")
	}
	l.PushBack("b")
	c, v, _ := db.LookupList([]byte("dst"), 0)
	if got := listElems(c); !slices.Equal(got, []string{"a"}) || v.ExpireAt() != 5_000_000 {
		t.Errorf("copy %q exp %d", got, v.ExpireAt())
	}
}
