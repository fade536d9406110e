package storage

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// frameRecord frames payload as write-ahead log record seq, as wal.append
// does.
func frameRecord(dst []byte, seq uint64, payload []byte) []byte {
	var hdr [walRecHeader]byte
	binary.LittleEndian.PutUint32(hdr[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint64(hdr[8:], seq)
	binary.LittleEndian.PutUint32(hdr[4:], crc32.Update(crc32.Checksum(hdr[8:16], castagnoli), castagnoli, payload))
	return append(append(dst, hdr[:]...), payload...)
}

// segmentHeader is a segment file's header.
func segmentHeader() []byte {
	hdr := make([]byte, walHeaderSize)
	copy(hdr, walMagic)
	return hdr
}

// FuzzWALSegment feeds the log's decoders (scanSegment's framing, then
// decodeWALRecord and parseEntry on each record, as replay does) with
// corrupt segments: an error or a torn record, never a panic. And intact
// records before a corrupt tail are all returned, in order: the tail is
// fuzzed, the records before it are built from the input's head.
func FuzzWALSegment(f *testing.F) {
	put := append([]byte{opPut, 0, 0, 0, 0, 3}, "key"...)
	put, _ = appendEntry(put, StringValue([]byte("value")).WithExpireAt(123), []string{"tag"}, 7)
	del := append([]byte{opDel, 0, 0, 0, 1, 1}, 'k')
	dbmap := append([]byte{opMap}, dbMap{buckets: []uint32{0, 1}, next: 2}.encode()...)
	f.Add(put, []byte{})
	f.Add(del, frameRecord(nil, 9, put))
	f.Add(dbmap, frameRecord(nil, 2, put)[:20])
	f.Add([]byte{}, []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{opMap, 1, 2, 3}, bytes.Repeat([]byte{0}, 64))
	f.Fuzz(func(t *testing.T, head, tail []byte) {
		// The head becomes records: each byte run up to a 0xfe is one
		// payload, so the fuzzer controls their number and content.
		payloads := bytes.Split(head, []byte{0xfe})
		seg := segmentHeader()
		for i, p := range payloads {
			seg = frameRecord(seg, uint64(i+1), p)
		}
		seg = append(seg, tail...)
		var got [][]byte
		expect := uint64(0)
		scanSegment(seg, &expect, func(seq uint64, p []byte) error {
			got = append(got, p)
			r, err := decodeWALRecord(seq, p)
			if err == nil && r.op.rec != nil {
				if e, err := parseEntry(r.op.rec); err == nil {
					e.value()
				}
			}
			return nil
		})
		if len(got) < len(payloads) {
			t.Fatalf("%d intact records before the tail, %d returned", len(payloads), len(got))
		}
		for i, p := range payloads {
			if !bytes.Equal(got[i], p) {
				t.Fatalf("record %d = %q, want %q", i+1, got[i], p)
			}
		}
		// The tail alone, where a segment's records begin.
		expect = 0
		scanSegment(append(segmentHeader(), tail...), &expect, func(seq uint64, p []byte) error {
			decodeWALRecord(seq, p)
			return nil
		})
	})
}

// FuzzEntry feeds the disk entry decoder and the value codecs (each
// kind's KindCodec, zstd for compressed strings) with corrupt entries: an
// error, never a panic. An entry that decodes encodes back to bytes that
// decode to the same entry.
func FuzzEntry(f *testing.F) {
	s, err := New(Options{Databases: 1})
	if err != nil {
		f.Fatal(err)
	}
	list := NewList()
	list.PushBack("a")
	list.PushBack("bc")
	set := NewSet()
	set.Add([]byte("x"))
	for _, v := range []Value{
		StringValue([]byte("plain")),
		StringValue(s.Compress(nil, bytes.Repeat([]byte("compress me "), 20), LevelDefault, 0)).WithFlags(FlagCompressed),
		ListValue(list),
		SetValue(set).WithExpireAt(1 << 40),
	} {
		e, err := appendEntry(nil, v, []string{"t1", "t2"}, 99)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(e)
	}
	f.Add([]byte{entryVersion, byte(KindHash), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseEntry(b)
		if err != nil {
			return
		}
		v, err := e.value()
		if err != nil {
			return
		}
		if v.Kind() == KindString && v.Flags()&FlagCompressed != 0 {
			s.Plain(v) // a corrupt frame is ErrBadCompressed
		}
		again, err := appendEntry(nil, v, e.tags, e.atime)
		if err != nil {
			t.Fatalf("a decoded %v value does not encode: %v", v.Kind(), err)
		}
		e2, err := parseEntry(again)
		if err != nil {
			t.Fatalf("re-encoded entry does not parse: %v", err)
		}
		v2, err := e2.value()
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if third, _ := appendEntry(nil, v2, e2.tags, e2.atime); !bytes.Equal(third, again) {
			t.Fatalf("entry encodes as %q, then as %q", again, third)
		}
	})
}
