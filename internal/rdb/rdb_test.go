package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var negInf = math.Inf(-1)

func TestChecksum(t *testing.T) {
	// CRC-64/Jones's check value, as Redis's crc64.c tests it.
	if got := checksum([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("checksum = %#x", got)
	}
}

// writable returns o as Dump writes its kind: the types only older
// Redis versions write become the ones 7.0 writes.
func writable(o *Object) *Object {
	c := *o
	switch o.Type {
	case TypeList, TypeListZiplist, TypeListQuicklist:
		c.Type = TypeListQuicklist2
	case TypeZSet:
		c.Type = TypeZSet2
	case TypeZSetZiplist:
		c.Type = TypeZSetListpack
	case TypeHashZipmap, TypeHashZiplist:
		c.Type = TypeHashListpack
	case TypeStreamListpacks:
		c.Type = TypeStreamListpacks2
	}
	return &c
}

// roundTrip dumps o and loads it back, which must give o again.
func roundTrip(t testing.TB, o *Object) {
	t.Helper()
	p, err := Dump(o)
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	back, err := Load(p)
	if err != nil {
		t.Fatalf("Load(Dump(%+v)): %v (payload %q)", o, err, p)
	}
	if !reflect.DeepEqual(back, o) {
		t.Fatalf("Load(Dump(o)) = %+v\nwant %+v", back, o)
	}
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// randElem returns an element of one of the shapes encodings treat apart:
// small and large integers, short, medium and long strings, repetitive
// text that compresses.
func randElem(r *rand.Rand) []byte {
	switch k := r.IntN(100); {
	case k < 20:
		return strconv.AppendInt(nil, r.Int64N(256)-128, 10)
	case k < 40:
		return strconv.AppendInt(nil, r.Int64()-r.Int64(), 10)
	case k < 65:
		return randBytes(r, r.IntN(64))
	case k < 80:
		return randBytes(r, 64+r.IntN(4096))
	case k < 95:
		return bytes.Repeat([]byte("ab"), r.IntN(40))
	case k < 99:
		return []byte("007") // not canonical: a string
	}
	return bytes.Repeat([]byte{'x'}, 4096+r.IntN(70000))
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 80; i++ {
		n := 1 + r.IntN(50)
		if i%20 == 0 {
			n = 2000 // several quicklist nodes
		}
		var elems [][]byte
		seen := map[string]bool{}
		for len(elems) < n {
			if e := randElem(r); !seen[string(e)] {
				seen[string(e)] = true
				elems = append(elems, e)
			}
		}
		roundTrip(t, &Object{Type: TypeString, String: elems[0]})
		roundTrip(t, &Object{Type: TypeListQuicklist2, List: elems})
		roundTrip(t, &Object{Type: TypeSet, Set: elems})
		var zs []ZMember
		var hs []HashField
		for j, e := range elems {
			score := []float64{r.Float64() * 1e6, float64(r.IntN(1000)), math.Inf(1), -1e300, 0.1}[j%5]
			zs = append(zs, ZMember{e, score})
			hs = append(hs, HashField{e, elems[(j+1)%len(elems)]})
		}
		roundTrip(t, &Object{Type: TypeZSet2, ZSet: zs})
		roundTrip(t, &Object{Type: TypeZSetListpack, ZSet: zs})
		roundTrip(t, &Object{Type: TypeHash, Hash: hs})
		roundTrip(t, &Object{Type: TypeHashListpack, Hash: hs})
	}
	for _, set := range [][]string{{"-5", "1"}, {"-40000", "7"}, {"1", "5000000000"}, {"-9223372036854775808", "9223372036854775807"}} {
		roundTrip(t, &Object{Type: TypeSetIntset, Set: bs(set...)})
	}
}

func TestStreamRoundTrip(t *testing.T) {
	s := &Stream{
		Nodes: []StreamNode{
			{Master: StreamID{5, 0}, Fields: bs("f"), Entries: []StreamEntry{
				{ID: StreamID{5, 0}, Deleted: true, Pairs: bs("f", "1")},
				{ID: StreamID{5, 1}, Pairs: bs("f", "2")},
				{ID: StreamID{6, 0}, Pairs: bs("g", "3", "h", "400000")},
				{ID: StreamID{1 << 40, 0}, Pairs: nil},
			}},
			{Master: StreamID{1<<40 + 1, 7}, Fields: bs("x", "12"), Entries: []StreamEntry{
				{ID: StreamID{1<<40 + 1, 7}, Pairs: bs("x", strings.Repeat("v", 5000), "12", "-1")},
			}},
		},
		Length: 4, LastID: StreamID{1<<40 + 2, 0}, FirstID: StreamID{5, 1}, MaxDeletedID: StreamID{5, 0}, EntriesAdded: 9,
		Groups: []StreamGroup{
			{Name: []byte("a"), LastID: StreamID{6, 0}, EntriesRead: -1},
			{Name: []byte("b"), LastID: StreamID{5, 1}, EntriesRead: 3,
				Pending: []StreamPending{{StreamID{5, 0}, 1000, 2}, {StreamID{5, 1}, 2000, 1 << 40}},
				Consumers: []StreamConsumer{
					{Name: []byte("c1"), SeenTime: 5, Pending: []StreamID{{5, 1}}},
					{Name: []byte("c2"), SeenTime: -1, Pending: []StreamID{{5, 0}}},
					{Name: []byte("idle"), SeenTime: 7},
				}},
		},
	}
	roundTrip(t, &Object{Type: TypeStreamListpacks2, Stream: s})
	roundTrip(t, &Object{Type: TypeStreamListpacks2, Stream: &Stream{LastID: StreamID{3, 3}, EntriesAdded: 2}})
}

// TestQuicklistNodes checks where Dump splits a list: as Redis's pushes
// to the tail do, a node takes elements until the estimate passes 8 KB
// (TestDumpInterop compares whole lists with Redis's).
func TestQuicklistNodes(t *testing.T) {
	elems := make([][]byte, 300)
	for i := range elems {
		elems[i] = bytes.Repeat([]byte{'a' + byte(i%26)}, 100) // 100 + 2 + 1 bytes each
	}
	p, err := Dump(&Object{Type: TypeListQuicklist2, List: elems})
	if err != nil {
		t.Fatal(err)
	}
	r := &reader{b: p[1:]}
	var sizes []int
	for n := r.length(); n > 0; n-- {
		r.length()
		lp, err := readListpack(r.string())
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(lp))
	}
	// 7 + 79*103 = 8144 bytes; an 80th would estimate 8144+100+8 > 8192.
	if want := []int{79, 79, 79, 63}; !reflect.DeepEqual(sizes, want) {
		t.Errorf("node sizes %v, want %v", sizes, want)
	}
}

// ziplist builds a ziplist of strings and small integers, for the older
// encodings Load reads.
func ziplist(elems ...string) []byte {
	b := make([]byte, ziplistHeaderSize)
	prev, tail := 0, ziplistHeaderSize
	for _, e := range elems {
		start := len(b)
		b = append(b, byte(prev))
		if v, err := strconv.Atoi(e); err == nil && v >= 0 && v <= 12 {
			b = append(b, 0xF1+byte(v))
		} else if err == nil {
			b = binary.LittleEndian.AppendUint16(append(b, 0xC0), uint16(v))
		} else {
			b = append(append(b, byte(len(e))), e...)
		}
		prev, tail = len(b)-start, start
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(tail))
	binary.LittleEndian.PutUint16(b[8:], uint16(len(elems)))
	return b
}

// payload frames a body written by fn.
func payload(t Type, fn func(w *writer)) []byte {
	w := &writer{b: []byte{byte(t)}}
	fn(w)
	return appendFooter(w.b)
}

func TestLoadOlderEncodings(t *testing.T) {
	zipmap := []byte{2, 1, 'f', 1, 0, 'v', 1, 'g', 2, 1, 'a', 'b', 0, 0xFF} // "ab" and a free byte
	tests := []struct {
		name    string
		payload []byte
		want    *Object
	}{
		{"plain list", payload(TypeList, func(w *writer) { w.length(2); w.string([]byte("a")); w.string([]byte("7")) }),
			&Object{Type: TypeList, List: bs("a", "7")}},
		{"ziplist list", payload(TypeListZiplist, func(w *writer) { w.string(ziplist("a", "12", "300", "bb")) }),
			&Object{Type: TypeListZiplist, List: bs("a", "12", "300", "bb")}},
		{"quicklist of ziplists", payload(TypeListQuicklist, func(w *writer) {
			w.length(2)
			w.string(ziplist("a"))
			w.string(ziplist("b", "c"))
		}), &Object{Type: TypeListQuicklist, List: bs("a", "b", "c")}},
		{"zset with text scores", payload(TypeZSet, func(w *writer) {
			w.length(2)
			w.string([]byte("m"))
			w.b = append(w.b, 3, '1', '.', '5')
			w.string([]byte("n"))
			w.b = append(w.b, 255)
		}), &Object{Type: TypeZSet, ZSet: []ZMember{{[]byte("m"), 1.5}, {[]byte("n"), negInf}}}},
		{"zset ziplist", payload(TypeZSetZiplist, func(w *writer) { w.string(ziplist("a", "1", "b", "2.5")) }),
			&Object{Type: TypeZSetZiplist, ZSet: []ZMember{{[]byte("a"), 1}, {[]byte("b"), 2.5}}}},
		{"hash ziplist", payload(TypeHashZiplist, func(w *writer) { w.string(ziplist("f", "1")) }),
			&Object{Type: TypeHashZiplist, Hash: []HashField{{[]byte("f"), []byte("1")}}}},
		{"hash zipmap", payload(TypeHashZipmap, func(w *writer) { w.string(zipmap) }),
			&Object{Type: TypeHashZipmap, Hash: []HashField{{[]byte("f"), []byte("v")}, {[]byte("g"), []byte("ab")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Load(tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(o, tt.want) {
				t.Fatalf("Load = %+v, want %+v", o, tt.want)
			}
			roundTrip(t, writable(o))
		})
	}
}

func TestLoadStreamVersion1(t *testing.T) {
	s := &Stream{
		Nodes:  []StreamNode{{Master: StreamID{1, 0}, Fields: bs("f"), Entries: []StreamEntry{{ID: StreamID{1, 0}, Pairs: bs("f", "v")}, {ID: StreamID{2, 0}, Pairs: bs("f", "w")}}}},
		Length: 2, LastID: StreamID{2, 0},
		Groups: []StreamGroup{{Name: []byte("g"), LastID: StreamID{1, 0}}},
	}
	p := payload(TypeStreamListpacks, func(w *writer) {
		w.length(1)
		w.string(appendRawID(nil, s.Nodes[0].Master))
		w.string(nodeListpack(&s.Nodes[0]))
		w.length(2)
		w.length(2)
		w.length(0)
		w.length(1) // one group, without entries-read
		w.string([]byte("g"))
		w.length(1)
		w.length(0)
		w.length(0)
		w.length(0)
	})
	o, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	s.FirstID, s.EntriesAdded, s.Groups[0].EntriesRead = StreamID{1, 0}, 2, -1
	if !reflect.DeepEqual(o.Stream, s) {
		t.Fatalf("Load = %+v, want %+v", o.Stream, s)
	}
}

// corrupt returns p with its body changed by fn and the footer made
// right again, so that only the value is wrong.
func corrupt(p []byte, fn func(b []byte) []byte) []byte {
	return appendFooter(fn(bytes.Clone(p[:len(p)-footerLen])))
}

func TestLoadErrors(t *testing.T) {
	hello := []byte(redisDumps["hello"])
	list := []byte(redisDumps["l"])
	stream := []byte(redisDumps["x"])
	tests := []struct {
		name    string
		payload []byte
		want    error
	}{
		{"empty", nil, ErrChecksum},
		{"too short", hello[:9], ErrChecksum},
		{"checksum", append(bytes.Clone(hello[:len(hello)-1]), hello[len(hello)-1]^1), ErrChecksum},
		{"newer version", func() []byte {
			b := bytes.Clone(hello[:len(hello)-footerLen])
			b = binary.LittleEndian.AppendUint16(b, 11)
			return binary.LittleEndian.AppendUint64(b, checksum(b))
		}(), ErrChecksum},
		{"unknown type", corrupt(hello, func(b []byte) []byte { b[0] = 8; return b }), ErrFormat},
		{"module", corrupt(hello, func(b []byte) []byte { b[0] = byte(TypeModule2); return b }), ErrFormat},
		{"truncated string", corrupt(hello, func(b []byte) []byte { return b[:1] }), ErrFormat}, // its length reads a footer byte
		{"bad length byte", corrupt(hello, func(b []byte) []byte { b[1] = 0x85; return b }), ErrFormat},
		{"bad listpack", corrupt(list, func(b []byte) []byte { b[len(b)-1] = 0; return b }), ErrFormat},
		{"listpack count", corrupt(list, func(b []byte) []byte { b[8]++; return b }), ErrFormat},
		{"empty list", payload(TypeList, func(w *writer) { w.length(0) }), ErrFormat},
		{"empty listpack node", payload(TypeListQuicklist2, func(w *writer) {
			w.length(1)
			w.length(quicklistPacked)
			var lp listpack
			w.string(lp.bytes())
		}), ErrFormat},
		{"bad container", payload(TypeListQuicklist2, func(w *writer) { w.length(1); w.length(3); w.string([]byte("x")) }), ErrFormat},
		{"set duplicate", payload(TypeSet, func(w *writer) { w.length(2); w.string([]byte("a")); w.string([]byte("a")) }), ErrFormat},
		{"intset unsorted", payload(TypeSetIntset, func(w *writer) { w.string([]byte{2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0}) }), ErrFormat},
		{"zset NaN", payload(TypeZSet2, func(w *writer) {
			w.length(1)
			w.string([]byte("a"))
			w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(math.NaN()))
		}), ErrFormat},
		{"zset bad score", payload(TypeZSetListpack, func(w *writer) {
			var lp listpack
			lp.append([]byte("a"))
			lp.append([]byte("abc"))
			w.string(lp.bytes())
		}), ErrFormat},
		{"hash duplicate", payload(TypeHashListpack, func(w *writer) {
			var lp listpack
			for _, s := range []string{"f", "1", "f", "2"} {
				lp.append([]byte(s))
			}
			w.string(lp.bytes())
		}), ErrFormat},
		{"hash odd", payload(TypeHashListpack, func(w *writer) {
			var lp listpack
			lp.append([]byte("f"))
			w.string(lp.bytes())
		}), ErrFormat},
		{"lzf length", corrupt([]byte(redisDumps["lzf"]), func(b []byte) []byte { b[3] = 99; return b }), ErrFormat},
		{"stream length", corrupt(stream, func(b []byte) []byte { return replaceOnce(b, "\xff\x02\x02\x00\x01", "\xff\x03\x02\x00\x01") }), ErrFormat},
		{"stream past last ID", corrupt(stream, func(b []byte) []byte { return replaceOnce(b, "\xff\x02\x02\x00\x01", "\xff\x02\x01\x00\x01") }), ErrFormat},
		// The body ends with alice's PEL: one raw ID; make it empty.
		{"pending without consumer", corrupt(stream, func(b []byte) []byte { return append(b[:len(b)-17], 0) }), ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if o, err := Load(tt.payload); !errors.Is(err, tt.want) {
				t.Fatalf("Load = %+v, %v; want %v", o, err, tt.want)
			}
		})
	}
}

// replaceOnce replaces the one occurrence of old in b.
func replaceOnce(b []byte, old, new string) []byte {
	if bytes.Count(b, []byte(old)) != 1 {
		panic("replaceOnce: " + strconv.Quote(old) + " is not in the payload once")
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func TestLZF(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 300; i++ {
		in := randElem(r)
		if len(in) < 3 {
			continue
		}
		out := lzfCompress(nil, in, len(in)+len(in)/32+16)
		if out == nil {
			t.Fatalf("%q does not compress into its worst case", in)
		}
		back, err := lzfDecompress(nil, out, len(in))
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("round trip of %q: %q, %v", in, back, err)
		}
	}
}
