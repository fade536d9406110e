package conformance

import (
	"encoding/binary"
	"fmt"
	"hash/crc64"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// dumpCase is a value TestDumpInterop builds on both servers with the
// same commands ({k} is its key), and how to read it back whole.
type dumpCase struct {
	kind, size string
	build      [][]string
	read       func(k string) [][]string
	unordered  bool // the first read is an array of members in any order, a hash's pairs
}

func readString(k string) [][]string { return [][]string{{"GET", k}} }
func readList(k string) [][]string   { return [][]string{{"LRANGE", k, "0", "-1"}} }
func readSet(k string) [][]string    { return [][]string{{"SMEMBERS", k}} }
func readZSet(k string) [][]string   { return [][]string{{"ZRANGE", k, "0", "-1", "WITHSCORES"}} }
func readHash(k string) [][]string   { return [][]string{{"HGETALL", k}} }
func readStream(k string) [][]string {
	return [][]string{{"XRANGE", k, "-", "+"}, {"XINFO", "STREAM", k}, {"XINFO", "STREAM", k, "FULL", "COUNT", "0"}}
}

// batched returns cmd's command with args added n at a time.
func batched(cmd []string, args []string, n int) [][]string {
	var out [][]string
	for i := 0; i < len(args); i += n {
		out = append(out, append(append([]string(nil), cmd...), args[i:min(i+n, len(args))]...))
	}
	return out
}

// elems returns n list elements or set members of mixed shapes: small
// integers, large ones, short and longer strings.
func elems(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		switch i % 4 {
		case 0:
			out[i] = strconv.Itoa(i)
		case 1:
			out[i] = strconv.Itoa(i * 1000003 * -7919)
		case 2:
			out[i] = prefix + strconv.Itoa(i)
		default:
			out[i] = prefix + strings.Repeat("-", i%300) + strconv.Itoa(i)
		}
	}
	return out
}

func ints(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(from + i*37)
	}
	return out
}

func pairsOf(keys []string, value func(i int) string) []string {
	var out []string
	for i, k := range keys {
		out = append(out, k, value(i))
	}
	return out
}

// scored returns ZADD's arguments for members with varied scores.
func scored(members []string) []string {
	var out []string
	for i, m := range members {
		out = append(out, strconv.FormatFloat(float64(i%50)/3-5, 'g', -1, 64), m)
	}
	return out
}

// dumpCases covers every type Strata has, in each encoding Redis 7.0
// gives it, small and large.
func dumpCases() []dumpCase {
	rng := rand.New(rand.NewPCG(7, 8))
	random := make([]byte, 10000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	var streamBuild [][]string
	for i := 1; i <= 1000; i++ {
		fields := []string{"f", strconv.Itoa(i), "g", "value " + strconv.Itoa(i)}
		if i%7 == 0 {
			fields = []string{"other", strings.Repeat("x", i%100)}
		}
		streamBuild = append(streamBuild, append([]string{"XADD", "{k}", strconv.Itoa(i) + "-" + strconv.Itoa(i%3)}, fields...))
	}
	streamBuild = append(streamBuild,
		[]string{"XDEL", "{k}", "5-2", "6-0", "150-0", "151-1", "500-2"},
		[]string{"XTRIM", "{k}", "MAXLEN", "950"},
		[]string{"XGROUP", "CREATE", "{k}", "g1", "0"},
		[]string{"XGROUP", "CREATE", "{k}", "g2", "$"},
		[]string{"XGROUP", "CREATE", "{k}", "g3", "300-0"},
		[]string{"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "30", "STREAMS", "{k}", ">"},
		[]string{"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "10", "STREAMS", "{k}", ">"},
		[]string{"XREADGROUP", "GROUP", "g3", "carol", "COUNT", "5", "NOACK", "STREAMS", "{k}", ">"},
		[]string{"XACK", "{k}", "g1", "52-1", "53-2", "54-0"},
		[]string{"XCLAIM", "{k}", "g1", "dave", "0", "55-1", "56-2", "JUSTID"},
		[]string{"XGROUP", "CREATECONSUMER", "{k}", "g2", "idle"},
	)
	return []dumpCase{
		{kind: "string", size: "embstr", build: [][]string{{"SET", "{k}", "hello"}}, read: readString},
		{kind: "string", size: "int", build: [][]string{{"SET", "{k}", "-70000"}}, read: readString},
		{kind: "string", size: "int64", build: [][]string{{"SET", "{k}", "1234567890123"}}, read: readString},
		{kind: "string", size: "empty", build: [][]string{{"SET", "{k}", ""}}, read: readString},
		{kind: "string", size: "large lzf", build: [][]string{{"SET", "{k}", strings.Repeat("compress me, ", 1000)}}, read: readString},
		{kind: "string", size: "large random", build: [][]string{{"SET", "{k}", string(random)}}, read: readString},
		{kind: "string", size: "hll sparse", build: [][]string{{"PFADD", "{k}", "a", "b", "c"}}, read: readString},
		{kind: "string", size: "hll dense", build: batched([]string{"PFADD", "{k}"}, elems(5000, "h"), 500), read: readString},
		{kind: "list", size: "small", build: [][]string{{"RPUSH", "{k}", "a", "1", "-3", "1000000", "b"}}, read: readList},
		{kind: "list", size: "large", build: batched([]string{"RPUSH", "{k}"}, elems(5000, "e"), 500), read: readList},
		{kind: "list", size: "head pushes", build: batched([]string{"LPUSH", "{k}"}, elems(3000, "e"), 500), read: readList},
		{kind: "list", size: "huge elements", build: [][]string{{"RPUSH", "{k}", strings.Repeat("a", 20000), "b", strings.Repeat("c", 9000)}}, read: readList},
		{kind: "set", size: "intset", build: [][]string{{"SADD", "{k}", "5", "-2", "70000", "-5000000000"}}, read: readSet, unordered: true},
		{kind: "set", size: "intset 512", build: batched([]string{"SADD", "{k}"}, ints(-1000, 512), 200), read: readSet, unordered: true},
		{kind: "set", size: "hashtable 513", build: batched([]string{"SADD", "{k}"}, ints(-1000, 513), 200), read: readSet, unordered: true},
		{kind: "set", size: "hashtable", build: [][]string{{"SADD", "{k}", "a", "b", "1"}}, read: readSet, unordered: true},
		{kind: "set", size: "hashtable large", build: batched([]string{"SADD", "{k}"}, elems(3000, "m"), 500), read: readSet, unordered: true},
		{kind: "zset", size: "listpack", build: [][]string{{"ZADD", "{k}", "1", "a", "2.5", "b", "-inf", "c", "inf", "d", "0.1", "e", "-0", "f", "1e17", "g"}}, read: readZSet},
		{kind: "zset", size: "skiplist 200", build: batched([]string{"ZADD", "{k}"}, scored(elems(200, "z")), 100), read: readZSet},
		{kind: "zset", size: "skiplist long member", build: [][]string{{"ZADD", "{k}", "1", "a", "2", strings.Repeat("m", 65)}}, read: readZSet},
		{kind: "hash", size: "listpack", build: [][]string{{"HSET", "{k}", "f", "v", "n", "12", "neg", "-7"}}, read: readHash, unordered: true},
		{kind: "hash", size: "hashtable 600", build: batched([]string{"HSET", "{k}"}, pairsOf(elems(600, "f"), func(i int) string { return "v" + strconv.Itoa(i) }), 400), read: readHash, unordered: true},
		{kind: "hash", size: "hashtable long value", build: [][]string{{"HSET", "{k}", "f", strings.Repeat("v", 65), "g", "1"}}, read: readHash, unordered: true},
		{kind: "stream", size: "small", build: [][]string{
			{"XADD", "{k}", "1-1", "a", "1", "b", "2"}, {"XADD", "{k}", "1-2", "a", "3", "b", "4"}, {"XADD", "{k}", "2-0", "c", "5"},
			{"XDEL", "{k}", "1-2"}, {"XGROUP", "CREATE", "{k}", "g", "0"},
			{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "{k}", ">"},
		}, read: readStream},
		{kind: "stream", size: "large", build: streamBuild, read: readStream},
		{kind: "stream", size: "emptied", build: [][]string{
			{"XADD", "{k}", "1-1", "a", "1"}, {"XGROUP", "CREATE", "{k}", "g", "0"},
			{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "{k}", ">"}, {"XDEL", "{k}", "1-1"},
		}, read: readStream},
	}
}

// TestDumpInterop builds every value of dumpCases with the same commands
// on redis-server and Strata, then RESTOREs each server's DUMP in both:
// Redis's payload in Strata and Strata's in Redis (and each in its own
// server too) must read back as the value at the source, and a payload
// must restore to the same OBJECT ENCODING in Strata as in Redis. It
// needs a live redis-server: skipped without one, a failure under
// STRATA_REQUIRE_REDIS=1.
func TestDumpInterop(t *testing.T) {
	x := newInterop(t)
	x.both("FLUSHALL")
	servers := []struct {
		name string
		c    *conn
	}{{"redis", x.redis}, {"strata", x.strata}}
	for _, dc := range dumpCases() {
		name := dc.kind + "/" + dc.size
		src := "src:" + name
		for _, cmd := range dc.build {
			args := make([]string, len(cmd))
			for i, a := range cmd {
				args[i] = strings.ReplaceAll(a, "{k}", src)
			}
			x.both(args...)
		}
		x.both("OBJECT", "ENCODING", src)
		payloads := make([]string, len(servers))
		for i, from := range servers {
			payloads[i] = bulkValue(t, from.c.roundTrip("DUMP", src))
		}
		for i, from := range servers {
			encodings := make([]string, len(servers))
			for j, to := range servers {
				dst := "from-" + from.name + ":" + name
				t.Run(name+"/"+from.name+"-to-"+to.name, func(t *testing.T) {
					if r := to.c.roundTrip("RESTORE", dst, "0", payloads[i]); r != "+OK\r\n" {
						t.Fatalf("RESTORE: %.200q", r)
					}
					compareReads(t, dc, from.c, src, to.c, dst)
				})
				encodings[j] = to.c.roundTrip("OBJECT", "ENCODING", dst)
			}
			if encodings[0] != encodings[1] {
				t.Errorf("%s: %s's payload restores to OBJECT ENCODING %q in Redis, %q in Strata", name, from.name, encodings[0], encodings[1])
			}
		}
		same := "same bytes"
		if payloads[0] != payloads[1] {
			same = "other bytes"
		}
		t.Logf("%-8s %-22s DUMP payloads: %s (%d bytes from Redis, %d from Strata)", dc.kind, dc.size, same, len(payloads[0]), len(payloads[1]))
	}
}

// compareReads fails t unless key a on server ca and key b on server cb
// read the same with dc's reads, and are of the same type.
func compareReads(t *testing.T, dc dumpCase, ca *conn, a string, cb *conn, b string) {
	t.Helper()
	readsB := dc.read(b)
	for i, cmd := range append(dc.read(a), []string{"TYPE", a}) {
		want := ca.roundTrip(cmd...)
		got := cb.roundTrip(append(readsB, []string{"TYPE", b})[i]...)
		cmp := comparison{}
		if i == 0 && dc.unordered {
			cmp.name = "sorted"
			if dc.kind == "hash" {
				cmp.name = "map"
			}
		}
		if err := cmp.check(want, got, false); err != nil {
			t.Errorf("%v: %v", cmd, err)
		}
	}
}

// newInterop starts a redis-server of the goldens' version and Strata,
// and connects to each.
func newInterop(t *testing.T) interop {
	addr, version := startRedis(t, redisBinary(t))
	requireGoldensVersion(t, version)
	rd, err := dialConn(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rd.close)
	st, err := dialConn(startStrata(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.close)
	return interop{t: t, redis: rd, strata: st}
}

// jonesTable is Redis's CRC64 (see internal/rdb), computed here on its
// own so that the test seals payloads without the code it tests.
var jonesTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// reseal returns a payload's body (all but its 10-byte footer) with a
// footer of RDB version 10 and a right checksum.
func reseal(body []byte) string {
	b := binary.LittleEndian.AppendUint16(body, 10)
	return string(binary.LittleEndian.AppendUint64(b, ^crc64.Update(^uint64(0), jonesTable, b)))
}

// TestDumpCorruptInterop RESTOREs corrupted payloads of every case in
// both servers, Redis checking payloads whole (sanitize-dump-payload yes,
// as Strata always does): a payload Redis refuses, Strata refuses with
// the same error; one Redis accepts, Strata accepts with the same value,
// or refuses as bad data where it checks more than Redis (logged).
func TestDumpCorruptInterop(t *testing.T) {
	x := newInterop(t)
	x.both("FLUSHALL")
	if r := x.redis.roundTrip("CONFIG", "SET", "sanitize-dump-payload", "yes"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET sanitize-dump-payload: %q", r)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	stricter := 0
	for _, dc := range dumpCases() {
		src := "src:" + dc.kind + "/" + dc.size
		for _, cmd := range dc.build {
			args := make([]string, len(cmd))
			for i, a := range cmd {
				args[i] = strings.ReplaceAll(a, "{k}", src)
			}
			x.redis.roundTrip(args...)
		}
		p := bulkValue(t, x.redis.roundTrip("DUMP", src))
		body := p[:len(p)-10]
		bad := []string{
			p[:9],                                // too short for a footer
			p[:len(p)-1] + string(p[len(p)-1]^1), // checksum
			body + "\x0b\x00" + p[len(p)-8:],     // RDB version 11
			reseal([]byte{8}),                    // no such type
			reseal([]byte(body[:len(body)/2])),   // cut short
		}
		for i := 0; i < 40; i++ {
			b := []byte(body)
			for n := 1 + rng.IntN(2); n > 0; n-- {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
			bad = append(bad, reseal(b))
		}
		for i, payload := range bad {
			key := fmt.Sprintf("corrupt:%s:%d", src, i)
			want, got := x.redis.roundTrip("RESTORE", key, "0", payload), x.strata.roundTrip("RESTORE", key, "0", payload)
			switch {
			case want == got && want != "+OK\r\n":
			case want == "+OK\r\n" && got == want:
				compareReads(t, dc, x.redis, key, x.strata, key)
				x.both("OBJECT", "ENCODING", key)
			case want == "+OK\r\n" && got == "-ERR Bad data format\r\n":
				stricter++
			default:
				t.Errorf("%s: RESTORE of %.300q: Redis replied %q, Strata %q", src, payload, want, got)
			}
		}
	}
	t.Logf("payloads Redis accepted and Strata refused as bad data: %d", stricter)
}
