package conformance

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// hllSizes are the cardinalities TestHLLInterop builds: sparse ones, one
// that turns dense on the way (past hll-sparse-max-bytes, about 2,000
// elements) and dense ones.
var hllSizes = []int{1, 10, 300, 1500, 5000, 40000}

// hllBatch is how many elements one PFADD adds.
const hllBatch = 500

// hllElement is the i-th element TestHLLInterop adds: decimal numbers and
// longer words, of every length up to 24 bytes, so that every tail of
// MurmurHash64A's 8-byte blocks is hashed.
func hllElement(i int) string {
	if i%2 == 0 {
		return strconv.Itoa(i)
	}
	return "element-" + strconv.Itoa(i) + strings.Repeat("z", i%9)
}

// interop sends the same commands to Redis and Strata.
type interop struct {
	t             *testing.T
	redis, strata *conn
}

// both sends args to each server and fails the test unless the replies
// are the same bytes; it returns Redis's reply.
func (x interop) both(args ...string) string {
	x.t.Helper()
	want, got := x.redis.roundTrip(args...), x.strata.roundTrip(args...)
	if want != got {
		x.t.Fatalf("%.80q: Redis replied %.200q, Strata %.200q", args, want, got)
	}
	return want
}

// bulkValue returns the value of a bulk reply.
func bulkValue(t *testing.T, raw string) string {
	t.Helper()
	n, err := parseReply(raw)
	if err != nil || n.typ != '$' || n.null {
		t.Fatalf("not a bulk string: %.200q (%v)", raw, err)
	}
	return n.str
}

// TestHLLInterop checks that Strata's HyperLogLogs are Redis's byte for
// byte: the same elements PFADDed into both give the same strings, sparse
// and dense, batch after batch; PFCOUNT gives the same counts and caches
// them in the same bytes; a HyperLogLog copied from either server to the
// other with GET and SET counts the same there and keeps growing the
// same; PFMERGE, PFCOUNT of several keys and PFDEBUG GETREG agree; and
// corrupted strings get the same replies. It needs a live redis-server: it is skipped
// without one, and fails under STRATA_REQUIRE_REDIS=1.
func TestHLLInterop(t *testing.T) {
	addr, version := startRedis(t, redisBinary(t))
	requireGoldensVersion(t, version)
	rd, err := dialConn(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.close()
	st, err := dialConn(startStrata(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	x := interop{t: t, redis: rd, strata: st}
	x.both("FLUSHALL")

	encodings := map[string]bool{}
	var keys []string
	for _, n := range hllSizes {
		key := "hll:" + strconv.Itoa(n)
		keys = append(keys, key)
		for from := 0; from < n; from += hllBatch {
			args := []string{"PFADD", key}
			for i := from; i < min(from+hllBatch, n); i++ {
				args = append(args, hllElement(i))
			}
			x.both(args...)
			x.both("GET", key)
		}
		x.both("PFADD", key, hllElement(0)) // already counted: 0
		encodings[x.both("PFDEBUG", "ENCODING", key)] = true
		x.both("PFCOUNT", key)
		x.both("GET", key) // the count now cached in the string

		// Copies each way count the same and keep growing the same.
		fromRedis := bulkValue(t, rd.roundTrip("GET", key))
		fromStrata := bulkValue(t, st.roundTrip("GET", key))
		copyKey := "copy:" + key
		if r := st.roundTrip("SET", copyKey, fromRedis); r != "+OK\r\n" {
			t.Fatalf("SET in Strata: %q", r)
		}
		if r := rd.roundTrip("SET", copyKey, fromStrata); r != "+OK\r\n" {
			t.Fatalf("SET in Redis: %q", r)
		}
		x.both("PFCOUNT", copyKey)
		x.both("PFADD", copyKey, "one more", "and another", hllElement(n+1))
		x.both("GET", copyKey)
		x.both("PFCOUNT", copyKey)
	}
	for _, enc := range []string{"+sparse\r\n", "+dense\r\n"} {
		if !encodings[enc] {
			t.Errorf("no HyperLogLog was %s", strings.TrimSpace(enc[1:]))
		}
	}
	x.both("PFDEBUG", "GETREG", "copy:hll:300") // every register, and dense now
	x.both("GET", "copy:hll:300")
	x.both(append([]string{"PFCOUNT"}, keys...)...)
	x.both(append([]string{"PFMERGE", "merged:sparse"}, keys[:3]...)...)
	x.both("GET", "merged:sparse")
	x.both(append([]string{"PFMERGE", "merged:all"}, keys...)...)
	x.both("GET", "merged:all")
	x.both("PFCOUNT", "merged:all")

	// Corrupt strings: the same errors, counts and bytes as Redis's.
	sparse := bulkValue(t, rd.roundTrip("GET", "hll:300"))
	dense := bulkValue(t, rd.roundTrip("GET", "hll:40000"))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		b := []byte(sparse)
		if i%3 == 0 {
			b = []byte(dense)
		}
		for range 1 + rng.IntN(3) {
			b[16+rng.IntN(len(b)-16)] = byte(rng.IntN(256))
		}
		if i%5 == 0 {
			b = b[:16+rng.IntN(len(b)-16)]
		}
		x.both("SET", "bad", string(b))
		x.both("PFCOUNT", "bad")
		x.both("PFCOUNT", "bad", "hll:10")
		x.both("PFADD", "bad", hllElement(i), hllElement(i+1))
		x.both("GET", "bad")
		x.both("PFMERGE", "bad2", "hll:10", "bad")
	}
}
