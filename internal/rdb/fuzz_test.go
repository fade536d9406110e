package rdb

import (
	"bytes"
	"testing"
)

// FuzzLoad feeds Load arbitrary payloads, and arbitrary bodies behind a
// right footer (so the fuzzer reaches the decoders past the checksum):
// Load must fail cleanly or return an Object that dumps, in the types
// Dump writes, to a payload that loads and dumps to itself again.
func FuzzLoad(f *testing.F) {
	for _, p := range redisDumps {
		f.Add([]byte(p))
		f.Add([]byte(p[:len(p)-footerLen]))
	}
	f.Add([]byte{byte(TypeListZiplist)})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range [][]byte{data, appendFooter(bytes.Clone(data))} {
			o, err := Load(p)
			if err != nil {
				if err != ErrChecksum && err != ErrFormat {
					t.Fatalf("Load: unexpected error %v", err)
				}
				continue
			}
			p1, err := Dump(writable(o))
			if err != nil {
				t.Fatalf("Dump(%+v): %v", o, err)
			}
			back, err := Load(p1)
			if err != nil {
				t.Fatalf("Load(Dump(%+v)): %v", o, err)
			}
			if p2, err := Dump(back); err != nil || !bytes.Equal(p1, p2) {
				t.Fatalf("Dump(Load(p)) = %q, %v; want p = %q", p2, err, p1)
			}
		}
	})
}

// FuzzLZF checks that compression round-trips and that decompressing
// anything fails cleanly.
func FuzzLZF(f *testing.F) {
	f.Add([]byte("abcabcabcabcabcabcabcabc"), 30)
	f.Add([]byte{0x1f, 'a'}, 5)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if out := lzfCompress(nil, data, len(data)+len(data)/32+16); len(data) >= 3 {
			back, err := lzfDecompress(nil, out, len(data))
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("round trip: %q, %v", back, err)
			}
		}
		if n >= 0 && n < 1<<20 {
			lzfDecompress(nil, data, n)
		}
	})
}
