package resp

import (
	"bytes"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// TestReaderQueryBufferLimit: the connection fails once the input not yet
// parsed passes client-query-buffer-limit, whether it is one big bulk or
// an endless multibulk, while a pipeline of complete requests of any total
// length passes; a bulk over the limit never gets a buffer of its size.
func TestReaderQueryBufferLimit(t *testing.T) {
	cases := []struct {
		name  string
		input string
		fail  bool
	}{
		{"bulk over the limit", "*2\r\n$3\r\nGET\r\n$100000\r\n" + strings.Repeat("x", 70000), true},
		{"endless multibulk", "*1000000\r\n" + strings.Repeat("$1\r\nx\r\n", 10000), true},
		{"bulk under the limit", "*2\r\n$3\r\nGET\r\n$60000\r\n" + strings.Repeat("x", 60000) + "\r\n", false},
		{"long pipeline", strings.Repeat("*1\r\n$4\r\nPING\r\n", 20000), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var limit atomic.Int64
			limit.Store(64 << 10)
			r := NewReader(&chunkReader{data: []byte(tc.input)}, DefaultMaxBulk, func() bool { return true })
			r.LimitQueryBuffer(&limit)
			var err error
			for n := 0; n < 100000 && err == nil; n++ {
				_, err = r.Next(func() error { return nil })
			}
			if got := errors.Is(err, ErrQueryBufferLimit); got != tc.fail {
				t.Errorf("error %v, want the query buffer limit: %v", err, tc.fail)
			}
			if r.Cap() > 4*int(limit.Load()) {
				t.Errorf("buffer grew to %d bytes, limit %d", r.Cap(), limit.Load())
			}
		})
	}
	// The default limit lets a 1 MB bulk through whole.
	big := "*2\r\n$3\r\nGET\r\n$1048576\r\n" + strings.Repeat("x", 1<<20) + "\r\n"
	r := NewReader(&chunkReader{data: []byte(big)}, DefaultMaxBulk, func() bool { return true })
	if args, err := r.Next(func() error { return nil }); err != nil || !bytes.Equal(args[1], bytes.Repeat([]byte("x"), 1<<20)) {
		t.Errorf("1 MB bulk: %v", err)
	}
}

// TestReaderBacklogged: Backlogged is true while reads fill the buffer (a
// client sending faster than it is served) and false after a short read.
func TestReaderBacklogged(t *testing.T) {
	ping := "*1\r\n$4\r\nPING\r\n"
	input := strings.Repeat(ping, 3*readChunk/len(ping)) // several full buffers
	r := NewReader(bytes.NewReader([]byte(input)), DefaultMaxBulk, func() bool { return true })
	var seen []bool
	for n := 0; n < 3*readChunk; n++ {
		if _, err := r.Next(func() error { seen = append(seen, r.Backlogged()); return nil }); err != nil {
			break
		}
	}
	// The first idle comes before any read; the next ones follow full reads
	// until the input runs short.
	if len(seen) < 3 || seen[0] || !seen[1] || !seen[2] {
		t.Fatalf("Backlogged at each idle: %v", seen)
	}
	if last := seen[len(seen)-1]; last {
		t.Errorf("Backlogged after the input ran short: %v", seen)
	}
}

// TestReaderBigRequestsReuseBuffer: big requests sent back to back are
// read into one buffer, not one each; after the last, the buffer is let
// go for a small one.
func TestReaderBigRequestsReuseBuffer(t *testing.T) {
	publish := "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$65536\r\n" + strings.Repeat("m", 64<<10) + "\r\n"
	const n = 16
	input := []byte(strings.Repeat(publish, n))
	allocs := testing.AllocsPerRun(10, func() {
		r := NewReader(bytes.NewReader(input), DefaultMaxBulk, func() bool { return true })
		for i := 0; i < n; i++ {
			if args, err := r.Next(func() error { return nil }); err != nil || len(args[2]) != 64<<10 {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		if _, err := r.Next(func() error { return nil }); err == nil {
			t.Fatal("read past the input")
		}
		if r.Cap() > 4*readChunk {
			t.Errorf("the big buffer (%d bytes) was kept after the last request", r.Cap())
		}
	})
	// A buffer for each request would be 2n allocations (the big one, and
	// a small one after it); shared, a handful: the Reader, its buffers,
	// the arguments' slice.
	if allocs >= n {
		t.Errorf("%v allocations for %d big requests back to back", allocs, n)
	}
}

// TestReaderAhead: Ahead shows the complete multibulk requests buffered
// after the current one, up to its limit and the first it cannot take
// (incomplete, inline, empty, malformed), without consuming them: Next
// then returns every request, in order, as without it.
func TestReaderAhead(t *testing.T) {
	get := func(k string) string { return "*2\r\n$3\r\nGET\r\n$" + string(rune('0'+len(k))) + "\r\n" + k + "\r\n" }
	cases := []struct {
		name  string
		input string
		limit int
		want  []string // the first argument after the command name, of each request Ahead shows
	}{
		{"pipeline", get("a") + get("b") + get("c"), 15, []string{"b", "c"}},
		{"up to the limit", get("a") + get("b") + get("c"), 1, []string{"b"}},
		{"incomplete tail", get("a") + get("b") + "*2\r\n$3\r\nGET\r\n$1\r\n", 15, []string{"b"}},
		{"inline", get("a") + get("b") + "GET c\r\n" + get("d"), 15, []string{"b"}},
		{"empty", get("a") + "*0\r\n" + get("b"), 15, nil},
		{"malformed", get("a") + "*1\r\n+OK\r\n" + get("b"), 15, nil},
		{"nothing after", get("a"), 15, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader([]byte(tc.input)), DefaultMaxBulk, func() bool { return true })
			first, err := r.Next(func() error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			n := r.Ahead(tc.limit, func(args [][]byte) { got = append(got, string(args[1])) })
			if n != len(got) || strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("Ahead saw %d: %q, want %q", n, got, tc.want)
			}
			if string(first[1]) != "a" {
				t.Errorf("Ahead changed the current request: %q", first)
			}
			for _, k := range tc.want {
				if args, err := r.Next(func() error { return nil }); err != nil || string(args[1]) != k {
					t.Errorf("Next after Ahead: %q, %v; want %s", args, err, k)
				}
			}
		})
	}
}
