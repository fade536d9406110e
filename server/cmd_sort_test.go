package server

import (
	"math"
	"slices"
	"testing"
)

// TestSortKeys checks SORT's key finder, which locks and COMMAND GETKEYS
// use (conformance/testdata/sort.txt checks GETKEYS against Redis).
func TestSortKeys(t *testing.T) {
	table := newCommandTable()
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"sort l", []string{"l"}},
		{"sort l STORE d", []string{"l", "d"}},
		{"sort l store a STORE b", []string{"l", "b"}},
		{"sort l BY store STORE d", []string{"l", "d"}},
		{"sort l GET store", []string{"l"}},
		{"sort l LIMIT store d", []string{"l"}},
		{"sort l STORE", []string{"l"}},
		{"sort_ro l STORE d", []string{"l"}},
	} {
		args := argsOf(tc.line)
		var got []string
		table[string(args[0])].keyArgs(args, func(k []byte) { got = append(got, string(k)) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: keys %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestSortRange(t *testing.T) {
	for _, tc := range []struct {
		name          string
		offset, count int64
		length        int
		start, end    int
	}{
		{"all", 0, -1, 5, 0, 4},
		{"window", 1, 2, 5, 1, 2},
		{"past the end", 3, 10, 5, 3, 4},
		{"offset beyond", 7, 2, 5, 4, 3},
		{"negative offset", -3, 2, 5, 0, 1},
		{"count zero", 2, 0, 5, 2, 1},
		{"empty", 0, -1, 0, -1, -2},
		{"huge count", 2, math.MaxInt64, 5, 2, 4},
	} {
		start, end := sortRange(tc.offset, tc.count, tc.length)
		if start != tc.start || end != tc.end {
			t.Errorf("%s: %d..%d, want %d..%d", tc.name, start, end, tc.start, tc.end)
		}
	}
}

func TestSortScore(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"3", 3, true},
		{"", 0, true},
		{" 5", 5, true},
		{"5 ", 0, false},
		{"   ", 0, false},
		{"0x10", 16, true},
		{"-inf", math.Inf(-1), true},
		{"nan", 0, false},
		{"1e309", 0, false},
		{"1e-310", 0, false},
		{"1e-400", 0, false},
		{"0e-400", 0, true},
		{"12\x00abc", 12, true},
		{"abc", 0, false},
	} {
		got, ok := sortScore(tc.in)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("sortScore(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestSortStoreNamespaceTTL checks that SORT ... STORE is a write like any
// other (its namespace's TTL applies) and that SORT without STORE leaves
// its source alone.
func TestSortStoreNamespaceTTL(t *testing.T) {
	_, c := ttlServer(t, 0.5)
	c.expect(":2\r\n", "RPUSH", "ttl:src", "2", "1")
	c.expect(":1\r\n", "PERSIST", "ttl:src")
	c.expect(bulks("1", "2"), "SORT", "ttl:src")
	c.expect(":-1\r\n", "PTTL", "ttl:src")
	c.expect(":2\r\n", "SORT", "ttl:src", "STORE", "ttl:dst")
	c.expect(":300000\r\n", "PTTL", "ttl:dst")
	c.expect(":2\r\n", "SORT", "ttl:src", "STORE", "plain")
	c.expect(":-1\r\n", "PTTL", "plain")
}
