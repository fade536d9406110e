package storage

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// setMembers returns s's members in its order.
func setMembers(s *Set) []string {
	var out []string
	s.Each(func(m []byte) bool {
		out = append(out, string(m))
		return true
	})
	return out
}

func TestIntMember(t *testing.T) {
	tests := []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true},
		{"-1", -1, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false},
		{"01", 0, false},
		{"+1", 0, false},
		{"-0", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"", 0, false},
		{"1.0", 0, false},
		{"11111111111111111111", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, ok := intMember([]byte(tt.in))
			if ok != tt.ok || ok && n != tt.n {
				t.Errorf("intMember(%q) = %d, %v", tt.in, n, ok)
			}
		})
	}
}

func TestSetOperations(t *testing.T) {
	tests := []struct {
		name    string
		members []string
		remove  []string
		want    []string
		enc     string
	}{
		{"intset is sorted", []string{"3", "-1", "2", "3"}, nil, []string{"-1", "2", "3"}, "intset"},
		{"intset removal", []string{"3", "1", "2"}, []string{"2", "x", "02"}, []string{"1", "3"}, "intset"},
		{"non-integer converts", []string{"3", "1", "a"}, nil, []string{"1", "3", "a"}, "hashtable"},
		{"conversion is for good", []string{"1", "a"}, []string{"a"}, []string{"1"}, "hashtable"},
		{"non-canonical integer", []string{"01"}, nil, []string{"01"}, "hashtable"},
		{"hashtable keeps insertion order", []string{"b", "a", "c"}, []string{"a"}, []string{"b", "c"}, "hashtable"},
		{"empty member", []string{""}, nil, []string{""}, "hashtable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSet()
			for _, m := range tt.members {
				s.Add([]byte(m))
			}
			for _, m := range tt.remove {
				s.Remove([]byte(m))
			}
			if got := setMembers(s); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if s.Encoding() != tt.enc {
				t.Errorf("encoding %s, want %s", s.Encoding(), tt.enc)
			}
			for _, m := range tt.want {
				if !s.Has([]byte(m)) {
					t.Errorf("Has(%q) false", m)
				}
			}
			if s.Has([]byte("absent")) || s.Len() != len(tt.want) {
				t.Errorf("Has(absent) or Len %d", s.Len())
			}
		})
	}
}

func TestSetIntsetThreshold(t *testing.T) {
	s := NewSet()
	for i := 0; i < setIntsetEntries; i++ {
		if !s.Add([]byte(strconv.Itoa(i))) {
			t.Fatalf("add %d", i)
		}
	}
	if s.Encoding() != "intset" {
		t.Fatalf("%d members: %s", s.Len(), s.Encoding())
	}
	s.Add([]byte("1000"))
	if s.Encoding() != "hashtable" || s.Len() != setIntsetEntries+1 || !s.Has([]byte("511")) {
		t.Fatalf("%d members: %s", s.Len(), s.Encoding())
	}
}

func TestSetPopAndSample(t *testing.T) {
	for _, members := range [][]string{
		{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"},
		{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
	} {
		s := NewSet()
		for _, m := range members {
			s.Add([]byte(m))
		}
		seen := map[string]bool{}
		s.Sample(7, true, func(m string) { seen[m] = true })
		if len(seen) != 7 {
			t.Errorf("sample: %v", seen)
		}
		popped := map[string]bool{}
		s.Pop(1, func(m string) { popped[m] = true })
		s.Pop(6, func(m string) { popped[m] = true })
		if len(popped) != 7 || s.Len() != 3 {
			t.Errorf("popped %v, left %d", popped, s.Len())
		}
		for m := range popped {
			if s.Has([]byte(m)) || !slices.Contains(members, m) {
				t.Errorf("popped %q still there or unknown", m)
			}
		}
	}
}

func TestSetScanCursor(t *testing.T) {
	s := NewSet()
	const n = 1000
	for i := 0; i < n; i++ {
		s.Add(fmt.Appendf(nil, "m%d", i))
	}
	seen := map[string]int{}
	cursor, steps := uint64(0), 0
	for {
		cursor = s.Scan(cursor, 10, func(m []byte) { seen[string(m)]++ })
		s.Remove(fmt.Appendf(nil, "m%d", n-1-steps)) // from the end, not yet seen
		steps++
		if cursor == 0 || steps > n {
			break
		}
	}
	for i := 0; i < n/2; i++ {
		if m := fmt.Sprintf("m%d", i); seen[m] != 1 {
			t.Errorf("%s returned %d times", m, seen[m])
		}
	}
}

func TestSetCodecRoundTrip(t *testing.T) {
	for _, members := range [][]string{{"3", "1", "-7"}, {"b", "", "\x00\xff", "1"}} {
		s := NewSet()
		for _, m := range members {
			s.Add([]byte(m))
		}
		b := appendSet(nil, SetValue(s))
		v, err := decodeSet(b)
		if err != nil {
			t.Fatal(err)
		}
		d := Object[Set](v)
		if !slices.Equal(setMembers(d), setMembers(s)) || d.Encoding() != s.Encoding() {
			t.Errorf("decoded %q (%s)", setMembers(d), d.Encoding())
		}
		for _, bad := range [][]byte{nil, {0}, {1, 2, 'a'}, {2, 1, 'a', 1, 'a'}, append(b, 0)} {
			if _, err := decodeSet(bad); err == nil {
				t.Errorf("decodeSet(%q) accepted", bad)
			}
		}
	}
}

func TestSetAccountingAndCopy(t *testing.T) {
	st, _ := newClockedStore(t, Options{})
	db := heldTx(st, 0)
	key := []byte("s")
	s := NewSet()
	s.Add([]byte("1"))
	db.Set(key, SetValue(s))
	before := st.Used()
	s, v, err := db.LookupSet(key, LookupWrite)
	if err != nil || s == nil {
		t.Fatal(s, err)
	}
	for i := 0; i < 1000; i++ {
		s.Add(fmt.Appendf(nil, "member-%d-%0100d", i, 0))
	}
	db.StoreObject(key, v, false)
	if grown := st.Used() - before; grown < 1000*100 {
		t.Errorf("used grew by %d after 100 kB of members", grown)
	}
	if !db.Copy(key, 0, []byte("c"), false, nil) {
		t.Fatal("copy")
	}
	s.Add([]byte("only in source"))
	c, cv, _ := db.LookupSet([]byte("c"), 0)
	if c.Has([]byte("only in source")) || c.Len() != 1001 || cv.Encoding() != "hashtable" {
		t.Errorf("copy: %d members, %s", c.Len(), cv.Encoding())
	}
}
