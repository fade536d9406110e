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

// scriptStep is one command of a scripted case and its expected raw reply,
// recorded from redis-server 7.0.15.
type scriptStep struct {
	args []string
	want string
}

func st(want string, args ...string) scriptStep { return scriptStep{args: args, want: want} }

// scriptCase is a named script run on a freshly flushed server.
type scriptCase struct {
	name  string
	steps []scriptStep
}

// runScripts runs each case as a subtest on its own connection, after
// FLUSHALL.
func runScripts(t *testing.T, s *Server, cases []scriptCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, s)
			c.expect("+OK\r\n", "FLUSHALL")
			for _, st := range tc.steps {
				c.expect(st.want, st.args...)
			}
		})
	}
}

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

// OBJECT FREQ's and IDLETIME's errors when the policy does not track what
// they report.
const (
	freqErr = "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
	idleErr = "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
)

func TestKeyCommands(t *testing.T) {
	runScripts(t, startServer(t, Config{}), keyScripts)
}

// keyScripts were recorded from redis-server 7.0.15.
var keyScripts = []scriptCase{
	{"del exists unlink", []scriptStep{
		st("+OK\r\n", "SET", "a", "1"),
		st("+OK\r\n", "SET", "b", "hello"),
		st(":3\r\n", "EXISTS", "a", "a", "b", "c"),
		st("-ERR wrong number of arguments for 'exists' command\r\n", "EXISTS"),
		st(":1\r\n", "DEL", "a", "a", "c"),
		st("-ERR wrong number of arguments for 'del' command\r\n", "DEL"),
		st(":1\r\n", "UNLINK", "b", "x"),
		st(":0\r\n", "EXISTS", "a", "b"),
	}},
	{"type", []scriptStep{
		st("+none\r\n", "TYPE", "b"),
		st("+OK\r\n", "SET", "s", "12"),
		st("+string\r\n", "TYPE", "s"),
		st("-ERR wrong number of arguments for 'type' command\r\n", "TYPE"),
	}},
	{"keys", []scriptStep{
		st("*0\r\n", "KEYS", "*"),
		st("+OK\r\n", "SET", "s", "12"),
		st("*1\r\n$1\r\ns\r\n", "KEYS", "*"),
		st("*1\r\n$1\r\ns\r\n", "KEYS", "[rs]"),
		st("*0\r\n", "KEYS", "s?"),
		st("-ERR wrong number of arguments for 'keys' command\r\n", "KEYS"),
		st("-ERR wrong number of arguments for 'keys' command\r\n", "KEYS", "a", "b"),
	}},
	{"scan arguments", []scriptStep{
		st("+OK\r\n", "SET", "s", "12"),
		st("-ERR wrong number of arguments for 'scan' command\r\n", "SCAN"),
		st("-ERR invalid cursor\r\n", "SCAN", "abc"),
		st("-ERR invalid cursor\r\n", "SCAN", "18446744073709551616"),
		st("-ERR invalid cursor\r\n", "SCAN", "-18446744073709551616"),
		st("-ERR invalid cursor\r\n", "SCAN", " 0"),
		st("-ERR invalid cursor\r\n", "SCAN", "0x1"),
		st("-ERR invalid cursor\r\n", "SCAN", "-"),
		st("-ERR syntax error\r\n", "SCAN", "0", "count", "0"),
		st("-ERR syntax error\r\n", "SCAN", "0", "count", "-1"),
		st("-ERR value is not an integer or out of range\r\n", "SCAN", "0", "count", "x"),
		st("-ERR syntax error\r\n", "SCAN", "0", "match"),
		st("-ERR syntax error\r\n", "SCAN", "0", "foo", "bar"),
		st("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "0", "type", "foo"),
		st("*2\r\n$1\r\n0\r\n*1\r\n$1\r\ns\r\n", "SCAN", "0", "type", "STRING", "count", "1000"),
		st("*2\r\n$1\r\n0\r\n*1\r\n$1\r\ns\r\n", "SCAN", "0", "type", "string", "match", "s*", "count", "1000"),
		st("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "0", "match", "x*", "count", "1000"),
		st("*2\r\n$1\r\n0\r\n*1\r\n$1\r\ns\r\n", "SCAN", "+0", "count", "1", "count", "1000"),
		st("*2\r\n$1\r\n0\r\n*1\r\n$1\r\ns\r\n", "SCAN", "", "count", "1000"),
		st("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "-1"),
		st("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "18446744073709551615"),
	}},
	{"rename", []scriptStep{
		st("+OK\r\n", "SET", "s", "12"),
		st("-ERR no such key\r\n", "RENAME", "nokey", "x"),
		st("+OK\r\n", "RENAME", "s", "s"),
		st(":0\r\n", "RENAMENX", "s", "s"),
		st("-ERR no such key\r\n", "RENAMENX", "nokey", "s"),
		st("+OK\r\n", "RENAME", "s", "t"),
		st("$2\r\n12\r\n", "GET", "t"),
		st(":0\r\n", "EXISTS", "s"),
		st("+OK\r\n", "SET", "u", "1"),
		st(":0\r\n", "RENAMENX", "t", "u"),
		st("+OK\r\n", "RENAME", "t", "u"),
		st("$2\r\n12\r\n", "GET", "u"),
		st(":1\r\n", "RENAMENX", "u", "v"),
		st("$2\r\n12\r\n", "GET", "v"),
		st(":1\r\n", "DBSIZE"),
		st("-ERR wrong number of arguments for 'rename' command\r\n", "RENAME"),
		st("-ERR wrong number of arguments for 'renamenx' command\r\n", "RENAMENX", "a"),
	}},
	{"copy", []scriptStep{
		st("+OK\r\n", "SET", "u", "12"),
		st(":1\r\n", "COPY", "u", "v"),
		st(":0\r\n", "COPY", "u", "v"),
		st(":1\r\n", "COPY", "u", "v", "replace"),
		st("-ERR source and destination objects are the same\r\n", "COPY", "u", "u"),
		st("-ERR source and destination objects are the same\r\n", "COPY", "u", "u", "db", "0"),
		st(":1\r\n", "COPY", "u", "u", "db", "1"),
		st("-ERR DB index is out of range\r\n", "COPY", "u", "v", "db", "16"),
		st("-ERR DB index is out of range\r\n", "COPY", "u", "v", "db", "-1"),
		st("-ERR value is not an integer or out of range\r\n", "COPY", "u", "v", "db", "x"),
		st("-ERR value is out of range, value must between -2147483648 and 2147483647\r\n", "COPY", "u", "v", "db", "9999999999"),
		st("-ERR syntax error\r\n", "COPY", "u", "v", "db"),
		st("-ERR syntax error\r\n", "COPY", "u", "v", "foo"),
		st(":0\r\n", "COPY", "nokey", "v"),
		st("-ERR DB index is out of range\r\n", "COPY", "nokey", "v", "db", "99"),
		st(":1\r\n", "COPY", "u", "v", "replace", "db", "1"),
		st(":1\r\n", "COPY", "u", "w", "db", "1", "db", "2"),
		st(":2\r\n", "DBSIZE"),
		st("+OK\r\n", "SELECT", "1"),
		st(":2\r\n", "DBSIZE"),
		st("$2\r\n12\r\n", "GET", "v"),
		st("+OK\r\n", "SELECT", "2"),
		st("$2\r\n12\r\n", "GET", "w"),
		st("-ERR wrong number of arguments for 'copy' command\r\n", "COPY", "u"),
	}},
	{"move", []scriptStep{
		st("+OK\r\n", "SET", "u", "12"),
		st(":1\r\n", "COPY", "u", "u", "db", "1"),
		st(":0\r\n", "MOVE", "u", "1"),
		st("-ERR source and destination objects are the same\r\n", "MOVE", "u", "0"),
		st("-ERR value is not an integer or out of range\r\n", "MOVE", "u", "x"),
		st("-ERR value is out of range, value must between -2147483648 and 2147483647\r\n", "MOVE", "u", "9999999999"),
		st("-ERR DB index is out of range\r\n", "MOVE", "u", "16"),
		st("-ERR DB index is out of range\r\n", "MOVE", "u", "-1"),
		st(":0\r\n", "MOVE", "nokey", "1"),
		st("-ERR value is not an integer or out of range\r\n", "MOVE", "nokey", "x"),
		st("-ERR source and destination objects are the same\r\n", "MOVE", "nokey", "0"),
		st(":1\r\n", "MOVE", "u", "2"),
		st(":0\r\n", "EXISTS", "u"),
		st("+OK\r\n", "SELECT", "2"),
		st("$2\r\n12\r\n", "GET", "u"),
		st("-ERR wrong number of arguments for 'move' command\r\n", "MOVE", "u"),
	}},
	{"randomkey dbsize flush", []scriptStep{
		st("$-1\r\n", "RANDOMKEY"),
		st(":0\r\n", "DBSIZE"),
		st("+OK\r\n", "SET", "u", "1"),
		st("$1\r\nu\r\n", "RANDOMKEY"),
		st(":1\r\n", "DBSIZE"),
		st("-ERR wrong number of arguments for 'dbsize' command\r\n", "DBSIZE", "x"),
		st("-ERR wrong number of arguments for 'randomkey' command\r\n", "RANDOMKEY", "x"),
		st("-ERR syntax error\r\n", "FLUSHDB", "x"),
		st("-ERR syntax error\r\n", "FLUSHDB", "async", "sync"),
		st("-ERR syntax error\r\n", "FLUSHALL", "x"),
		st("+OK\r\n", "FLUSHDB", "async"),
		st(":0\r\n", "DBSIZE"),
		st("+OK\r\n", "SET", "u", "1"),
		st("+OK\r\n", "SELECT", "1"),
		st("+OK\r\n", "SET", "u", "1"),
		st("+OK\r\n", "FLUSHDB", "SYNC"),
		st(":0\r\n", "DBSIZE"),
		st("+OK\r\n", "SELECT", "0"),
		st(":1\r\n", "DBSIZE"),
		st("+OK\r\n", "FLUSHALL", "ASYNC"),
		st(":0\r\n", "DBSIZE"),
		st("+OK\r\n", "FLUSHALL", "sync"),
	}},
	{"touch", []scriptStep{
		st("+OK\r\n", "SET", "a", "1"),
		st("+OK\r\n", "SET", "b", "2"),
		st(":3\r\n", "TOUCH", "a", "b", "x", "a"),
		st("-ERR wrong number of arguments for 'touch' command\r\n", "TOUCH"),
	}},
	{"swapdb", []scriptStep{
		st("+OK\r\n", "SET", "a", "1"),
		st("-ERR wrong number of arguments for 'swapdb' command\r\n", "SWAPDB"),
		st("-ERR wrong number of arguments for 'swapdb' command\r\n", "SWAPDB", "0"),
		st("-ERR invalid first DB index\r\n", "SWAPDB", "x", "1"),
		st("-ERR invalid second DB index\r\n", "SWAPDB", "0", "x"),
		st("-ERR invalid first DB index\r\n", "SWAPDB", "9999999999", "0"),
		st("-ERR invalid second DB index\r\n", "SWAPDB", "0", "9999999999"),
		st("-ERR DB index is out of range\r\n", "SWAPDB", "0", "16"),
		st("-ERR DB index is out of range\r\n", "SWAPDB", "-1", "0"),
		st("+OK\r\n", "SWAPDB", "0", "0"),
		st(":1\r\n", "DBSIZE"),
		st("+OK\r\n", "SWAPDB", "0", "1"),
		st(":0\r\n", "DBSIZE"),
		st("+OK\r\n", "SELECT", "1"),
		st("$1\r\n1\r\n", "GET", "a"),
		st("+OK\r\n", "SWAPDB", "0", "1"),
		st(":0\r\n", "DBSIZE"),
		st("+OK\r\n", "SELECT", "0"),
		st(":1\r\n", "DBSIZE"),
	}},
	{"object", []scriptStep{
		st("+OK\r\n", "SET", "a", "1"),
		st("+OK\r\n", "SET", "b", "123456789012345678901"),
		st("+OK\r\n", "SET", "c", "abc"),
		st("+OK\r\n", "SET", "d", "01"),
		st("+OK\r\n", "SET", "e", "-5"),
		st("+OK\r\n", "SET", "f", "12345"),
		st("+OK\r\n", "SET", "h", "0"),
		st("-ERR wrong number of arguments for 'object' command\r\n", "OBJECT"),
		st("-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n", "OBJECT", "foo"),
		st("-ERR wrong number of arguments for 'object|help' command\r\n", "OBJECT", "help", "x"),
		st("-ERR wrong number of arguments for 'object|encoding' command\r\n", "OBJECT", "encoding"),
		st("-ERR wrong number of arguments for 'object|encoding' command\r\n", "OBJECT", "encoding", "a", "b"),
		st("$3\r\nint\r\n", "OBJECT", "encoding", "a"),
		st("$6\r\nembstr\r\n", "OBJECT", "ENCODING", "b"),
		st("$6\r\nembstr\r\n", "OBJECT", "encoding", "c"),
		st("$6\r\nembstr\r\n", "OBJECT", "encoding", "d"),
		st("$3\r\nint\r\n", "OBJECT", "encoding", "e"),
		st("$-1\r\n", "OBJECT", "encoding", "nokey"),
		st(":2147483647\r\n", "OBJECT", "refcount", "a"),
		st(":1\r\n", "OBJECT", "refcount", "e"),
		st(":1\r\n", "OBJECT", "refcount", "f"),
		st(":1\r\n", "OBJECT", "refcount", "c"),
		st("$-1\r\n", "OBJECT", "refcount", "nokey"),
		st(":2147483647\r\n", "OBJECT", "refcount", "h"),
		st(":0\r\n", "OBJECT", "idletime", "a"),
		st("$-1\r\n", "OBJECT", "idletime", "nokey"),
		st(freqErr, "OBJECT", "freq", "a"),
		st("$-1\r\n", "OBJECT", "freq", "nokey"),
		st("*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"+
			"+    Return the kind of internal representation used in order to store the value\r\n"+
			"+    associated with a <key>.\r\n+FREQ <key>\r\n"+
			"+    Return the access frequency index of the <key>. The returned integer is\r\n"+
			"+    proportional to the logarithm of the recent access frequency of the key.\r\n"+
			"+IDLETIME <key>\r\n+    Return the idle time of the <key>, that is the approximated number of\r\n"+
			"+    seconds elapsed since the last access to the key.\r\n+REFCOUNT <key>\r\n"+
			"+    Return the number of references of the value associated with the specified\r\n"+
			"+    <key>.\r\n+HELP\r\n+    Prints this help.\r\n", "OBJECT", "help"),
	}},
}

// TestObjectPolicies checks the OBJECT subcommands that depend on the
// eviction policy and on the clock.
func TestObjectPolicies(t *testing.T) {
	t.Run("lfu", func(t *testing.T) {
		for _, policy := range []string{"allkeys-lfu", "volatile-lfu"} {
			c := dial(t, startServer(t, Config{MaxMemoryPolicy: policy}))
			c.expect("+OK\r\n", "SET", "c", "abc")
			c.expect(":5\r\n", "OBJECT", "freq", "c")
			c.expect("$3\r\nabc\r\n", "GET", "c")
			c.expect(":6\r\n", "OBJECT", "freq", "c")
			c.expect(":1\r\n", "EXISTS", "c") // EXISTS does not touch
			c.expect(":6\r\n", "OBJECT", "freq", "c")
			c.expect("$-1\r\n", "OBJECT", "freq", "nokey")
			c.expect(idleErr, "OBJECT", "idletime", "c")
			c.expect("$-1\r\n", "OBJECT", "idletime", "nokey")
		}
	})
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

// TestKeyCommandsMarkWatchers checks which writes the dispatcher cannot
// see key by key (other databases, whole databases) fail a WATCHer's EXEC:
// as in Redis, emptying or swapping a database changes a watched key only
// if it exists on either side.
func TestKeyCommandsMarkWatchers(t *testing.T) {
	const dirty, clean = "*-1\r\n", "*1\r\n+PONG\r\n"
	s := startServer(t, Config{})
	for _, tc := range []struct {
		name  string
		setup [][]string
		cmd   []string
		exec  string
	}{
		{"move", [][]string{{"SET", "k", "1"}}, []string{"MOVE", "k", "1"}, dirty},
		{"move into watched db", [][]string{{"SELECT", "1"}, {"SET", "k", "1"}}, []string{"MOVE", "k", "0"}, dirty},
		{"copy", [][]string{{"SET", "src", "1"}, {"SET", "k", "0"}}, []string{"COPY", "src", "k", "REPLACE"}, dirty},
		{"copy from other db", [][]string{{"SELECT", "1"}, {"SET", "src", "1"}}, []string{"COPY", "src", "k", "DB", "0"}, dirty},
		{"swapdb", [][]string{{"SELECT", "1"}, {"SET", "k", "x"}, {"SELECT", "0"}}, []string{"SWAPDB", "0", "1"}, dirty},
		{"swapdb from watched db", [][]string{{"SET", "k", "1"}}, []string{"SWAPDB", "0", "1"}, dirty},
		{"swapdb missing key", [][]string{{"SELECT", "1"}, {"SET", "other", "1"}, {"SELECT", "0"}}, []string{"SWAPDB", "0", "1"}, clean},
		{"flushdb", [][]string{{"SET", "k", "1"}}, []string{"FLUSHDB"}, dirty},
		{"flushdb missing key", [][]string{{"SET", "other", "1"}}, []string{"FLUSHDB"}, clean},
		{"flushdb other db", [][]string{{"SELECT", "1"}, {"SET", "k", "1"}}, []string{"FLUSHDB"}, clean},
		{"flushall", [][]string{{"SET", "k", "1"}}, []string{"FLUSHALL"}, dirty},
		{"flushall missing key", [][]string{{"SET", "other", "1"}}, []string{"FLUSHALL"}, clean},
		{"rename", [][]string{{"SET", "s", "1"}}, []string{"RENAME", "s", "k"}, dirty},
		{"expire", [][]string{{"SET", "k", "1"}}, []string{"EXPIRE", "k", "100"}, dirty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := dial(t, s), dial(t, s)
			b.expect("+OK\r\n", "FLUSHALL")
			for _, cmd := range tc.setup {
				b.do(cmd...)
			}
			a.expect("+OK\r\n", "WATCH", "k")
			b.do(tc.cmd...)
			a.expect("+OK\r\n", "MULTI")
			a.expect("+QUEUED\r\n", "PING")
			a.expect(tc.exec, "EXEC")
		})
	}
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

// TestKeyspaceEventsKeys checks the events keyspace and expiry commands
// publish, in order and in their databases, against what Redis 7.0.15
// published for the same commands. The pattern leaves out the string
// commands' "set" events; the last DEL shows FLUSHDB and SWAPDB published
// nothing.
func TestKeyspaceEventsKeys(t *testing.T) {
	const pattern = "__keyevent@?__:[^s]*"
	s := startServer(t, Config{NotifyKeyspaceEvents: "KEA", Clock: newTestClock().Now})
	sub, c := dial(t, s), dial(t, s)
	sub.expect("*3\r\n$10\r\npsubscribe\r\n$"+strconv.Itoa(len(pattern))+"\r\n"+pattern+"\r\n:1\r\n", "PSUBSCRIBE", pattern)
	for _, args := range [][]string{
		{"SET", "a", "1"}, {"SET", "b", "1"}, {"DEL", "a", "b", "nokey"}, {"SET", "s", "1"}, {"RENAME", "s", "s"},
		{"RENAME", "s", "t"}, {"SET", "u", "1"}, {"RENAMENX", "t", "u"}, {"RENAME", "t", "u"}, {"COPY", "u", "v"},
		{"COPY", "u", "w", "DB", "1"}, {"SET", "n", "1"}, {"MOVE", "n", "2"}, {"EXPIRE", "u", "100"},
		{"EXPIRE", "u", "100", "GT"}, {"PERSIST", "u"}, {"PERSIST", "u"}, {"PEXPIRE", "u", "-1"}, {"SET", "e", "1"},
		{"EXPIREAT", "e", "1"}, {"UNLINK", "v"}, {"TOUCH", "w"}, {"FLUSHDB"}, {"SWAPDB", "0", "1"}, {"DEL", "w"},
	} {
		c.do(args...)
	}
	for _, ev := range [][3]string{
		{"0", "del", "a"}, {"0", "del", "b"}, {"0", "rename_from", "s"}, {"0", "rename_to", "t"},
		{"0", "rename_from", "t"}, {"0", "rename_to", "u"}, {"0", "copy_to", "v"}, {"1", "copy_to", "w"},
		{"0", "move_from", "n"}, {"2", "move_to", "n"}, {"0", "expire", "u"}, {"0", "persist", "u"},
		{"0", "del", "u"}, {"0", "del", "e"}, {"0", "del", "v"}, {"0", "del", "w"},
	} {
		want := bulks("pmessage", pattern, "__keyevent@"+ev[0]+"__:"+ev[1], ev[2])
		if got := sub.read(); got != want {
			t.Fatalf("event %v: got %q, want %q", ev, got, want)
		}
	}
}
