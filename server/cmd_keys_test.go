package server

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// bulks renders strings as a RESP array of bulk strings.
func bulks(ss ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(ss))
	for _, s := range ss {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(s), s)
	}
	return b.String()
}

// parseBulks reads a raw RESP array of bulk strings.
func parseBulks(t testing.TB, raw string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "*") {
		t.Fatalf("not an array: %q", raw)
	}
	n, _ := strconv.Atoi(lines[0][1:])
	if len(lines) != 1+2*n {
		t.Fatalf("malformed array: %q", raw)
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, lines[2+2*i])
	}
	return out
}

// parseScan splits a raw SCAN reply into its cursor and keys.
func parseScan(t testing.TB, raw string) (string, []string) {
	t.Helper()
	parts := strings.SplitN(raw, "\r\n", 4) // *2, $n, the cursor, the keys
	if len(parts) < 4 || parts[0] != "*2" {
		t.Fatalf("bad SCAN reply %q", raw)
	}
	return parts[2], parseBulks(t, parts[3])
}

// expectSorted runs a command whose reply is an array in no particular
// order and compares its sorted elements with want.
func (c *rawConn) expectSorted(want []string, args ...string) {
	c.t.Helper()
	got := parseBulks(c.t, c.do(args...))
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		c.t.Errorf("%v: got %q, want %q", args, got, want)
	}
}

// freqErr is OBJECT FREQ's error when the policy does not track access
// frequency.
const freqErr = "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"

// TestObjectPolicies checks the OBJECT subcommands that depend on the
// clock, which the test moves: idle times under LRU, and the lookups that
// touch a key. (OBJECT FREQ under LFU is in conformance/testdata/keys.txt.)
func TestObjectPolicies(t *testing.T) {
	t.Run("lru", func(t *testing.T) {
		clk := newTestClock()
		c := dial(t, startServer(t, Config{MaxMemoryPolicy: "allkeys-lru", MaxMemory: 100 << 20, Clock: clk.Now}))
		c.expect("+OK\r\n", "SET", "a", "1")
		c.expect("+OK\r\n", "SET", "f", "12345")
		c.expect(":1\r\n", "OBJECT", "refcount", "a") // no shared integers under LRU with maxmemory
		c.expect(freqErr, "OBJECT", "freq", "a")
		clk.Advance(10 * time.Second)
		c.expect(":10\r\n", "OBJECT", "idletime", "a")
		c.expect(":1\r\n", "EXISTS", "a")
		c.expect(":10\r\n", "OBJECT", "idletime", "a")
		c.expect("$1\r\n1\r\n", "GET", "a")
		c.expect(":0\r\n", "OBJECT", "idletime", "a")
		c.expect(":10\r\n", "OBJECT", "idletime", "f")
		c.expect(":1\r\n", "TOUCH", "f")
		c.expect(":0\r\n", "OBJECT", "idletime", "f")
	})
	t.Run("copy and move touch what they find", func(t *testing.T) {
		clk := newTestClock()
		c := dial(t, startServer(t, Config{Clock: clk.Now}))
		for _, k := range []string{"c", "d", "n"} {
			c.expect("+OK\r\n", "SET", k, "v")
		}
		c.expect("+OK\r\n", "SELECT", "1")
		c.expect("+OK\r\n", "SET", "n", "v")
		clk.Advance(2 * time.Second)
		c.expect(":2\r\n", "OBJECT", "idletime", "n")
		c.expect(":0\r\n", "MOVE", "n", "0") // taken there, but looked at
		c.expect(":0\r\n", "OBJECT", "idletime", "n")
		c.expect("+OK\r\n", "SELECT", "0")
		c.expect(":0\r\n", "OBJECT", "idletime", "n")
		c.expect(":0\r\n", "COPY", "c", "d")
		c.expect(":0\r\n", "OBJECT", "idletime", "c")
		c.expect(":0\r\n", "OBJECT", "idletime", "d")
	})
}

// TestKeysSkipExpired checks that keys whose TTL has passed are invisible
// to every command over the keyspace, before any expiry cycle runs.
func TestKeysSkipExpired(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "live", "1")
	for i := 0; i < 20; i++ {
		c.expect("+OK\r\n", "SET", "gone"+strconv.Itoa(i), "1", "PX", "100")
	}
	c.expect(":21\r\n", "DBSIZE")
	clk.Advance(time.Second)
	c.expectSorted([]string{"live"}, "KEYS", "*")
	c.expect("*2\r\n$1\r\n0\r\n*1\r\n$4\r\nlive\r\n", "SCAN", "0", "COUNT", "1000")
	for i := 0; i < 5; i++ {
		c.expect("$4\r\nlive\r\n", "RANDOMKEY")
	}
	c.expect(":1\r\n", "EXISTS", "live", "gone0")
	c.expect("+none\r\n", "TYPE", "gone1")
	c.expect("-ERR no such key\r\n", "RENAME", "gone2", "x")
	c.expect(":0\r\n", "COPY", "gone3", "x")
	c.expect(":0\r\n", "MOVE", "gone4", "1")
	c.expect(":0\r\n", "TOUCH", "gone5")
	c.expect("$-1\r\n", "OBJECT", "encoding", "gone6")
	c.expect(":1\r\n", "DBSIZE")
}

// TestRenameCopyMoveKeepTTL checks that the value's expiry travels with it.
func TestRenameCopyMoveKeepTTL(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "k", "v", "PX", "5000")
	c.expect("+OK\r\n", "SET", "plain", "v")
	c.expect("+OK\r\n", "RENAME", "k", "k2")
	c.expect(":5000\r\n", "PTTL", "k2")
	c.expect("+OK\r\n", "RENAME", "plain", "k2") // the destination's TTL goes too
	c.expect(":-1\r\n", "PTTL", "k2")
	c.expect("+OK\r\n", "SET", "k", "v", "PX", "5000")
	c.expect(":1\r\n", "COPY", "k", "k3")
	c.expect(":5000\r\n", "PTTL", "k3")
	c.expect(":1\r\n", "MOVE", "k", "1")
	c.expect("+OK\r\n", "SELECT", "1")
	c.expect(":5000\r\n", "PTTL", "k")
	clk.Advance(5*time.Second + time.Millisecond)
	c.expect(":0\r\n", "EXISTS", "k")
	c.expect("+OK\r\n", "SELECT", "0")
	c.expect(":0\r\n", "EXISTS", "k3")
}

// TestScanFullIteration checks SCAN's guarantee: a full iteration returns
// every key present from its start to its end, while other clients add
// and remove keys concurrently.
func TestScanFullIteration(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	const stable = 2000
	for i := 0; i < stable; i++ {
		c.send("SET", "stable:"+strconv.Itoa(i), "v")
	}
	for i := 0; i < stable; i++ {
		if got := c.read(); got != "+OK\r\n" {
			t.Fatalf("SET: %q", got)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	for w := 0; w < 2; w++ {
		churn := dial(t, s)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("churn:%d:%d", w, i%500)
				if i%2 == 0 {
					churn.do("SET", k, "v")
				} else {
					churn.do("DEL", k)
				}
			}
		}(w)
	}
	seen := map[string]int{}
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 10000 {
			t.Fatal("SCAN did not finish")
		}
		var keys []string
		cursor, keys = parseScan(t, c.do("SCAN", cursor, "COUNT", "20"))
		for _, k := range keys {
			seen[k]++
		}
		if cursor == "0" {
			break
		}
	}
	for i := 0; i < stable; i++ {
		k := "stable:" + strconv.Itoa(i)
		if seen[k] != 1 {
			t.Fatalf("%s returned %d times, want once", k, seen[k])
		}
	}
}

// TestScanOptions checks MATCH, TYPE and COUNT over a full iteration.
func TestScanOptions(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	var users []string
	for i := 0; i < 300; i++ {
		users = append(users, "user:"+strconv.Itoa(i))
		c.expect("+OK\r\n", "SET", users[i], "v")
		c.expect("+OK\r\n", "SET", "other:"+strconv.Itoa(i), "v")
	}
	c.expectSorted(users, "KEYS", "user:*")
	scanAll := func(args ...string) []string {
		var keys []string
		cursor := "0"
		for calls := 0; calls < 1000; calls++ {
			var page []string
			cursor, page = parseScan(t, c.do(append([]string{"SCAN", cursor}, args...)...))
			keys = append(keys, page...)
			if cursor == "0" {
				return keys
			}
		}
		t.Fatal("SCAN did not finish")
		return nil
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"match", []string{"MATCH", "user:*"}, users},
		{"match and type", []string{"MATCH", "user:*", "TYPE", "string", "COUNT", "7"}, users},
		{"type none matches", []string{"TYPE", "hash"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scanAll(tc.args...)
			slices.Sort(got)
			if !slices.Equal(got, slices.Sorted(slices.Values(tc.want))) {
				t.Fatalf("got %d keys, want %d", len(got), len(tc.want))
			}
		})
	}
	if n := len(scanAll("COUNT", "1000")); n != 600 {
		t.Fatalf("full scan returned %d keys, want 600", n)
	}
}
