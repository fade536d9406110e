package rdb

import (
	"reflect"
	"strings"
	"testing"
)

// Payloads redis-server 7.0.15 gave DUMP for the values built by:
//
//	SET i 12345; SET neg -70000; SET big 12345678901
//	RPUSH l a b 1 2 -3 1000000
//	SADD si 1 2 3 -5 100000; SADD sh a b c
//	ZADD zl 1 a 2.5 b -inf c
//	HSET hl f v n 1
//	XADD x 1-1 a 1 b 2; XADD x 1-2 a 3 b 4; XADD x 2-0 c 5; XDEL x 1-2
//	XGROUP CREATE x g 0; XREADGROUP GROUP g alice COUNT 1 STREAMS x >
var redisDumps = map[string]string{
	"hello": "\x00\x05hello\n\x00cr\xdfve4 \n",
	"lzf":   "\x00\xc3\x12@d\nabcdefghija\xe0N\t\x01ij\n\x00\xd4\x85)*\x1f.\xfff",
	"i":     "\x00\xc190\n\x00\x9d\x94\xea'\x93\xfc\b\xb9",
	"neg":   "\x00\xc2\x90\xee\xfe\xff\n\x00(u\xde{\x13\xeb(\x00",
	"big":   "\x00\v12345678901\n\x000NR\xd7'\x17e\x10",
	"l":     "\x12\x01\x02\x19\x19\x00\x00\x00\x06\x00\x81a\x02\x81b\x02\x01\x01\x02\x01\xdf\xfd\x02\xf2@B\x0f\x04\xff\n\x00I\x91\xde\x8b\xbb\xb4dl",
	"si":    "\v\x1c\x04\x00\x00\x00\x05\x00\x00\x00\xfb\xff\xff\xff\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\xa0\x86\x01\x00\n\x00\xd3e\xf8\xd8\xaf\x87R\xac",
	"sh":    "\x02\x03\x01a\x01c\x01b\n\x00\r~\x8a\x01L\xfe2l",
	"zl":    "\x11\x1d\x1d\x00\x00\x00\x06\x00\x81c\x02\x84-inf\x05\x81a\x02\x01\x01\x81b\x02\x832.5\x04\xff\n\x009\x923\x9b\xe1\x1f2=",
	"hl":    "\x10\x12\x12\x00\x00\x00\x04\x00\x81f\x02\x81v\x02\x81n\x02\x01\x01\xff\n\x00\xfc\xe4\b\xf1y\"\xe0\x16",
	"x":     "\x13\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\xc38=\x12=\x00\x00\x00\x19\x00\x02\x01\x01\x01\x02\x01\x81a\x02\x81b\x02\x00 \t\x00\x00 \x01@\x11\x02\x05\x01\x03`\t\x02\x03\x01\x04 \v@\x13\x01\xdf\xff +\a\x81c\x02\x05\x01\x06\x01\xff\x02\x02\x00\x01\x01\x01\x02\x03\x01\x01g\x01\x01\x81\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x13\xb2B;\xa2\x01\x00\x00\x01\x01\x05alice\x13\xb2B;\xa2\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\n\x00L\x13\xa1{gF\x88=",
}

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// TestRedisDumps loads each of Redis's payloads to the value it holds,
// and dumps that value back to Redis's very bytes.
func TestRedisDumps(t *testing.T) {
	x := &Stream{
		Nodes: []StreamNode{{
			Master: StreamID{1, 1},
			Fields: bs("a", "b"),
			Entries: []StreamEntry{
				{ID: StreamID{1, 1}, Pairs: bs("a", "1", "b", "2")},
				{ID: StreamID{1, 2}, Deleted: true, Pairs: bs("a", "3", "b", "4")},
				{ID: StreamID{2, 0}, Pairs: bs("c", "5")},
			},
		}},
		Length: 2, LastID: StreamID{2, 0}, FirstID: StreamID{1, 1}, MaxDeletedID: StreamID{1, 2}, EntriesAdded: 3,
		Groups: []StreamGroup{{
			Name: []byte("g"), LastID: StreamID{1, 1}, EntriesRead: -1, // 1-2 deleted: unknown
			Pending:   []StreamPending{{ID: StreamID{1, 1}, DeliveryTime: 1779000000000, DeliveryCount: 1}},
			Consumers: []StreamConsumer{{Name: []byte("alice"), SeenTime: 1779000000000, Pending: []StreamID{{1, 1}}}},
		}},
	}
	want := map[string]*Object{
		"hello": {Type: TypeString, String: []byte("hello")},
		"lzf":   {Type: TypeString, String: []byte(strings.Repeat("abcdefghij", 10))},
		"i":     {Type: TypeString, String: []byte("12345")},
		"neg":   {Type: TypeString, String: []byte("-70000")},
		"big":   {Type: TypeString, String: []byte("12345678901")},
		"l":     {Type: TypeListQuicklist2, List: bs("a", "b", "1", "2", "-3", "1000000")},
		"si":    {Type: TypeSetIntset, Set: bs("-5", "1", "2", "3", "100000")},
		"sh":    {Type: TypeSet, Set: bs("a", "c", "b")},
		"zl":    {Type: TypeZSetListpack, ZSet: []ZMember{{[]byte("c"), negInf}, {[]byte("a"), 1}, {[]byte("b"), 2.5}}},
		"hl":    {Type: TypeHashListpack, Hash: []HashField{{[]byte("f"), []byte("v")}, {[]byte("n"), []byte("1")}}},
		"x":     {Type: TypeStreamListpacks2, Stream: x},
	}
	for name, payload := range redisDumps {
		t.Run(name, func(t *testing.T) {
			o, err := Load([]byte(payload))
			if err != nil {
				t.Fatal(err)
			}
			w := want[name]
			if o.Type == TypeStreamListpacks2 {
				// The times are Redis's clock's: take them from the payload.
				g := &o.Stream.Groups[0]
				w.Stream.Groups[0].Pending[0].DeliveryTime = g.Pending[0].DeliveryTime
				w.Stream.Groups[0].Consumers[0].SeenTime = g.Consumers[0].SeenTime
			}
			if !reflect.DeepEqual(o, w) {
				t.Errorf("Load = %+v\nwant   %+v", o, w)
			}
			got, err := Dump(o)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != payload {
				t.Errorf("Dump = %q\nRedis's %q", got, payload)
			}
		})
	}
}
