package server

// A native fuzz test of an argument parser. Plain `go test` runs only its
// seeds; to fuzz it, run
//
//	go test ./server -run '^$' -fuzz '^FuzzArgFloat$' -fuzztime 5m
//
// A failing input is saved under testdata/fuzz/FuzzArgFloat/ and then runs
// as a regression test in every `go test`. The request parser's fuzz tests
// are in internal/resp.

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// FuzzArgFloat checks argFloat: never NaN, no leading space, agreement
// with strtod's syntax on plain decimal text, and formatted floats read
// back exactly.
func FuzzArgFloat(f *testing.F) {
	for _, s := range []string{
		"0", "1.5", "-1.5", ".5", "5.", "1e10", "1E-5", "+3", "inf", "-inf", "+inf", "Infinity", "-INFINITY",
		"nan", "NaN", "0x1p3", "1_000", " 1", "1 ", "", ".", "-", "e5", "1e", "1e400", "-1e400", "1e-400",
		"17976931348623157e292", "4.9e-324",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := argFloat(b)
		s := string(b)
		if s != "" && strings.Trim(s, "0123456789.eE+-") == "" {
			// Plain decimal text: Go's syntax and strtod's agree here.
			want, err := strconv.ParseFloat(s, 64)
			wantOK := err == nil && !math.IsInf(want, 0)
			if ok != wantOK || ok && got != want {
				t.Fatalf("argFloat(%q) = %v, %v; strtod reads %v, %v", s, got, ok, want, wantOK)
			}
		}
		if !ok {
			return
		}
		if math.IsNaN(got) {
			t.Fatalf("argFloat(%q) = NaN", s)
		}
		if unicode.IsSpace(rune(s[0])) {
			t.Fatalf("argFloat(%q) accepted a leading space", s)
		}
		if !math.IsInf(got, 0) {
			text := strconv.FormatFloat(got, 'g', -1, 64)
			if back, ok := argFloat([]byte(text)); !ok || back != got {
				t.Fatalf("argFloat(%q) = %v, but %q reads back as %v, %v", s, got, text, back, ok)
			}
		}
	})
}
