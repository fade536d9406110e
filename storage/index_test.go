package storage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestSortedKeysMatchesSortedSlice(t *testing.T) {
	var s sortedKeys
	model := map[string]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		k := fmt.Sprintf("k%04d", r.IntN(3000))
		if r.IntN(3) == 0 {
			if got := s.remove(k); got != model[k] {
				t.Fatalf("remove %s = %v, want %v", k, got, model[k])
			}
			delete(model, k)
		} else {
			if got := s.insert(k); got == model[k] {
				t.Fatalf("insert %s = %v, present %v", k, got, model[k])
			}
			model[k] = true
		}
	}
	want := make([]string, 0, len(model))
	for k := range model {
		want = append(want, k)
	}
	slices.Sort(want)
	var got []string
	s.ascend("", func(k string) bool { got = append(got, k); return true })
	if !slices.Equal(got, want) || s.n != len(want) {
		t.Fatalf("ascend: %d keys (n %d), want %d", len(got), s.n, len(want))
	}
	for _, b := range s.blocks {
		if len(b) == 0 || len(b) > blockMax {
			t.Fatalf("block of %d keys", len(b))
		}
	}
	var from []string
	s.ascend("k1500", func(k string) bool { from = append(from, k); return len(from) < 3 })
	i, _ := slices.BinarySearch(want, "k1500")
	if !slices.Equal(from, want[i:i+3]) {
		t.Fatalf("ascend from k1500 = %q, want %q", from, want[i:i+3])
	}
}

func TestPrefixIndexRange(t *testing.T) {
	s, _ := newClockedStore(t, Options{})
	x := NewPrefixIndex([]string{"product:", "user:1", ""})
	s.AddListener(x)
	db := heldTx(s, 0)
	base := s.Used()
	for _, k := range []string{"product:2", "product:1:a", "product:1:b", "productx", "user:10", "user:2", "other"} {
		db.Set([]byte(k), StringValue([]byte("v")))
	}
	if n := x.Len(db.DB); n != 4 {
		t.Fatalf("indexed %d keys, want 4", n)
	}
	tests := []struct {
		name, prefix, after string
		max                 int
		want                []string
	}{
		{"all under prefix", "product:", "", 10, []string{"product:1:a", "product:1:b", "product:2"}},
		{"narrower", "product:1:", "", 10, []string{"product:1:a", "product:1:b"}},
		{"bounded", "product:", "", 2, []string{"product:1:a", "product:1:b"}},
		{"after", "product:", "product:1:b", 10, []string{"product:2"}},
		{"other prefix", "user:1", "", 10, []string{"user:10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := x.Range(db.DB, tt.prefix, tt.after, tt.max); !slices.Equal(got, tt.want) {
				t.Fatalf("Range = %q, want %q", got, tt.want)
			}
		})
	}
	for _, c := range []struct {
		prefix string
		want   bool
	}{{"product:", true}, {"product:1", true}, {"produc", false}, {"user:", false}, {"", false}} {
		if got := x.Covers(c.prefix); got != c.want {
			t.Errorf("Covers(%q) = %v", c.prefix, got)
		}
	}
	db.Delete([]byte("product:1:a"))
	db.Set([]byte("product:2"), StringValue([]byte("v2"))) // an overwrite is not a second entry
	if got := x.Range(db.DB, "product:", "", 10); !slices.Equal(got, []string{"product:1:b", "product:2"}) {
		t.Fatalf("after delete: %q", got)
	}
	db.Flush()
	if x.Len(db.DB) != 0 || s.Used() != base {
		t.Fatalf("after flush: %d indexed, used %d want %d", x.Len(db.DB), s.Used(), base)
	}
}

func TestPrefixIndexCopiesKeys(t *testing.T) {
	s, _ := newClockedStore(t, Options{})
	x := NewPrefixIndex([]string{"p:"})
	s.AddListener(x)
	key := []byte("p:abc")
	heldTx(s, 0).Set(key, StringValue([]byte("v")))
	copy(key, "zzzzz")
	if got := x.Range(s.DB(0), "p:", "", 10); len(got) != 1 || !strings.HasPrefix(got[0], "p:") {
		t.Fatalf("index kept the caller's buffer: %q", got)
	}
}
