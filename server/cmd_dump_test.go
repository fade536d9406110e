package server

import (
	"encoding/binary"
	"hash/crc64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/internal/rdb"
	"github.com/stratakv/strata/policy"
)

// payloadOf returns the bytes of a raw bulk string reply.
func payloadOf(t testing.TB, raw string) string {
	t.Helper()
	head, rest, ok := strings.Cut(raw, "\r\n")
	n, err := strconv.Atoi(strings.TrimPrefix(head, "$"))
	if !ok || err != nil || n < 0 || len(rest) != n+2 {
		t.Fatalf("not a bulk string: %q", raw)
	}
	return rest[:n]
}

// dumpValue builds a value of every type, in both of its encodings where
// it has two, and the command that reads each back whole.
var dumpValues = []struct {
	key   string
	build [][]string
	read  []string // {key} is the key read
}{
	{"str", [][]string{{"SET", "str", "hello"}}, []string{"GET", "{key}"}},
	{"int", [][]string{{"SET", "int", "-12345"}}, []string{"GET", "{key}"}},
	{"raw", [][]string{{"SET", "raw", strings.Repeat("compressible ", 100)}}, []string{"GET", "{key}"}},
	{"list", [][]string{{"RPUSH", "list", "a", "1", strings.Repeat("x", 9000), "b"}}, []string{"LRANGE", "{key}", "0", "-1"}},
	{"intset", [][]string{{"SADD", "intset", "3", "-1", "70000"}}, []string{"SMEMBERS", "{key}"}},
	{"set", [][]string{{"SADD", "set", "a", "b", "3"}}, []string{"SORT", "{key}", "ALPHA"}},
	{"zlist", [][]string{{"ZADD", "zlist", "1", "a", "2.5", "b", "-inf", "c"}}, []string{"ZRANGE", "{key}", "0", "-1", "WITHSCORES"}},
	{"zskip", [][]string{{"ZADD", "zskip", "1", "a", "2", strings.Repeat("m", 65)}}, []string{"ZRANGE", "{key}", "0", "-1", "WITHSCORES"}},
	{"hlist", [][]string{{"HSET", "hlist", "f", "v", "n", "1"}}, []string{"HGETALL", "{key}"}},
	{"htable", [][]string{{"HSET", "htable", "f", strings.Repeat("v", 65)}}, []string{"HGETALL", "{key}"}},
	{"stream", [][]string{
		{"XADD", "stream", "1-1", "a", "1"}, {"XADD", "stream", "1-2", "a", "2"}, {"XADD", "stream", "2-0", "b", "3"},
		{"XDEL", "stream", "1-2"}, {"XGROUP", "CREATE", "stream", "g", "0"},
		{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "stream", ">"},
	}, []string{"XINFO", "STREAM", "{key}", "FULL"}},
}

func readValue(c *rawConn, read []string, key string) string {
	args := make([]string, len(read))
	for i, a := range read {
		args[i] = strings.ReplaceAll(a, "{key}", key)
	}
	return c.do(args...)
}

// TestDumpRestoreRoundTrip restores every type's DUMP under another key:
// the same value, in the same encoding.
func TestDumpRestoreRoundTrip(t *testing.T) {
	c := dial(t, startServer(t, Config{}))
	for _, v := range dumpValues {
		t.Run(v.key, func(t *testing.T) {
			for _, cmd := range v.build {
				c.do(cmd...)
			}
			payload := payloadOf(t, c.do("DUMP", v.key))
			c.expect("+OK\r\n", "RESTORE", v.key+"2", "0", payload)
			if got, want := readValue(c, v.read, v.key+"2"), readValue(c, v.read, v.key); got != want {
				t.Errorf("restored %s = %q, want %q", v.key, got, want)
			}
			if got, want := c.do("OBJECT", "ENCODING", v.key+"2"), c.do("OBJECT", "ENCODING", v.key); got != want {
				t.Errorf("restored encoding %q, want %q", got, want)
			}
		})
	}
	c.expect("$-1\r\n", "DUMP", "nosuch")
}

// TestRestoreTTL checks RESTORE's TTL, relative and ABSTTL, and a TTL
// already past, which stores nothing (and, with REPLACE, deletes).
func TestRestoreTTL(t *testing.T) {
	clk := newTestClock()
	c := dial(t, startServer(t, Config{Clock: clk.Now}))
	c.expect("+OK\r\n", "SET", "k", "v")
	p := payloadOf(t, c.do("DUMP", "k"))
	c.expect("+OK\r\n", "RESTORE", "a", "5000", p)
	c.expect(":5000\r\n", "PTTL", "a")
	at := strconv.FormatInt(clk.Now()+7000, 10)
	c.expect("+OK\r\n", "RESTORE", "b", at, p, "ABSTTL")
	c.expect(":7000\r\n", "PTTL", "b")
	past := strconv.FormatInt(clk.Now()-1, 10)
	c.expect("+OK\r\n", "RESTORE", "c", past, p, "ABSTTL")
	c.expect(":0\r\n", "EXISTS", "c")
	c.expect("+OK\r\n", "RESTORE", "b", past, p, "ABSTTL", "REPLACE")
	c.expect(":0\r\n", "EXISTS", "b")
	c.expect("-BUSYKEY Target key name already exists.\r\n", "RESTORE", "a", "0", p)
	clk.Advance(6 * time.Second) // a expired: no longer in the way
	c.expect("+OK\r\n", "RESTORE", "a", "0", p)
	c.expect(":-1\r\n", "PTTL", "a")
}

// TestRestoreAccess checks IDLETIME under an LRU policy and FREQ under
// an LFU one; each is accepted and ignored under the other, as in Redis.
func TestRestoreAccess(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "k", "v")
	p := payloadOf(t, c.do("DUMP", "k"))
	c.expect("+OK\r\n", "RESTORE", "idle", "0", p, "IDLETIME", "300")
	c.expect(":300\r\n", "OBJECT", "IDLETIME", "idle")
	c.expect("+OK\r\n", "RESTORE", "freq", "0", p, "FREQ", "100")
	c.expect(":0\r\n", "OBJECT", "IDLETIME", "freq")
	c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
	c.expect("+OK\r\n", "RESTORE", "freq", "0", p, "FREQ", "100", "REPLACE")
	c.expect(":100\r\n", "OBJECT", "FREQ", "freq")
	c.expect("+OK\r\n", "RESTORE", "idle", "0", p, "IDLETIME", "300", "REPLACE")
	c.expect(":5\r\n", "OBJECT", "FREQ", "idle") // a new key's counter
}

// TestRestoreWakesBlocked checks that a restored list serves a client
// blocked on its key, as any write that fills it does.
func TestRestoreWakesBlocked(t *testing.T) {
	s := startServer(t, Config{})
	c, blocked := dial(t, s), dial(t, s)
	c.expect(":2\r\n", "RPUSH", "src", "a", "b")
	p := payloadOf(t, c.do("DUMP", "src"))
	blocked.send("BLPOP", "q", "5")
	waitBlocked(t, s, 1)
	c.expect("+OK\r\n", "RESTORE", "q", "0", p)
	blocked.expectRead(bulks("q", "a"))
	c.expect(bulks("b"), "LRANGE", "q", "0", "-1")
}

// TestRestoreThroughNamespaces checks that RESTORE writes through the
// namespace rules (a default TTL, compression, the disk tier) and that
// DUMP reads a compressed value back plain, and that a restored stream's
// group survives a restart in a write_through namespace.
func TestRestoreThroughNamespaces(t *testing.T) {
	cfg := Config{Dir: t.TempDir(), Namespaces: []policy.Namespace{
		{Match: "wt:*", Strategy: policy.WriteThrough, TTL: time.Hour, Compress: &policy.Compress{MinSize: 100}},
	}}
	s := startServer(t, cfg)
	c := dial(t, s)
	big := strings.Repeat("compress me ", 50)
	c.expect("+OK\r\n", "SET", "plain", big)
	c.expect("+OK\r\n", "RESTORE", "wt:s", "0", payloadOf(t, c.do("DUMP", "plain")))
	if ttl := c.do("TTL", "wt:s"); ttl != ":3600\r\n" && ttl != ":3599\r\n" {
		t.Errorf("TTL of a RESTORE without one = %q, want the namespace's", ttl)
	}
	c.expect("$3\r\nraw\r\n", "OBJECT", "ENCODING", "wt:s")
	if got := payloadOf(t, c.do("DUMP", "wt:s")); got != payloadOf(t, c.do("DUMP", "plain")) {
		t.Errorf("DUMP of a compressed value differs from the plain one's")
	}
	for _, cmd := range dumpValues[len(dumpValues)-1].build {
		c.do(cmd...)
	}
	c.expect("+OK\r\n", "RESTORE", "wt:x", "0", payloadOf(t, c.do("DUMP", "stream")))
	before := c.do("XINFO", "STREAM", "wt:x", "FULL")
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	c.expect(before, "XINFO", "STREAM", "wt:x", "FULL")
	c.expect("$"+strconv.Itoa(len(big))+"\r\n"+big+"\r\n", "GET", "wt:s")
}

// seal frames a payload body with the footer RESTORE checks: RDB version
// 10 and Redis's CRC64 (the Jones polynomial, reflected, uninverted).
func seal(body []byte) []byte {
	b := binary.LittleEndian.AppendUint16(body, 10)
	return binary.LittleEndian.AppendUint64(b, ^crc64.Update(^uint64(0), crc64.MakeTable(0x95ac9329ac4bc9b5), b))
}

// FuzzRestoredValue builds storage values from whatever payload bodies
// decode, as RESTORE does, and dumps them again: nothing may panic, and
// the new payload must load.
func FuzzRestoredValue(f *testing.F) {
	for _, body := range []string{
		"\x00\x05hello",
		"\x12\x01\x02\x0f\x0f\x00\x00\x00\x03\x00\x81a\x02\x01\x01\x81b\x02\xff",
		"\x05\x02\x01m\x00\x00\x00\x00\x00\x00\x00@\x01a\x00\x00\x00\x00\x00\x00\xf0?",
		"\x13\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01--\x00\x00\x00\x11\x00\x02\x01\x00\x01\x01\x01\x81f\x02\x00\x01\x02\x01\x00\x01\x00\x01\x81v\x02\x04\x01\x00\x01\x01\x01\x01\x01\x01\x01\x81g\x02\x81w\x02\x06\x01\xff\x02\x02\x02\x01\x01\x00\x00\x02\x01\x03grp\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01$\x8dU;\xa2\x01\x00\x00\x01\x01\x01c$\x8dU;\xa2\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01",
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := rdb.Load(seal(body))
		if err != nil {
			return
		}
		v, err := restoredValue(o)
		if err != nil {
			return
		}
		p, err := rdb.Dump(dumpObject(v))
		if err != nil {
			t.Fatalf("Dump of a restored %v: %v", v.Kind(), err)
		}
		if _, err := rdb.Load(p); err != nil {
			t.Fatalf("a restored %v dumps to %q, which does not load: %v", v.Kind(), p, err)
		}
	})
}
