package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
)

// entryReply is the raw reply of one stream entry.
func entryReply(id string, kv ...string) string {
	return "*2\r\n" + bulk(id) + bulks(kv...)
}

// xreadReply is the raw reply of XREAD or XREADGROUP (RESP2) from one key.
func xreadReply(key string, entries ...string) string {
	return "*1\r\n*2\r\n" + bulk(key) + fmt.Sprintf("*%d\r\n", len(entries)) + strings.Join(entries, "")
}

// TestStreamBlockTimeouts: BLOCK n gives up once the server's clock is n
// milliseconds past the block, which the cron checks (the test moves the
// clock and runs that check itself), also for a reader woken in between;
// BLOCK 0 waits on. Redis's replies to readers woken by writes, served in
// order, failing and unblocked, are in conformance/testdata/stream.txt.
func TestStreamBlockTimeouts(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	a, w := dial(t, s), dial(t, s)
	w.expect("+OK\r\n", "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
	timesOut := func(want string, cmd ...string) {
		t.Helper()
		a.send(cmd...)
		waitBlocked(t, s, 1)
		clk.Advance(500 * time.Millisecond)
		s.clientsCron()
		if n := s.blocking.blocked(); n != 1 {
			t.Fatalf("%v timed out at its deadline, not after", cmd)
		}
		clk.Advance(time.Millisecond)
		s.clientsCron()
		a.expectRead(want)
	}
	timesOut("*-1\r\n", "XREAD", "BLOCK", "500", "STREAMS", "s", "$")
	timesOut("*-1\r\n", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "500", "STREAMS", "s", ">")
	a.do("HELLO", "3")
	timesOut("_\r\n", "XREAD", "BLOCK", "500", "STREAMS", "nokey", "s", "0", "$")

	// Woken by a write that adds nothing it can read, it waits out the
	// time it had left.
	a.send("XREADGROUP", "GROUP", "g", "c", "BLOCK", "300", "STREAMS", "s", ">")
	waitBlocked(t, s, 1)
	w.expect(":1\r\n", "XGROUP", "CREATECONSUMER", "s", "g", "other")
	waitBlocked(t, s, 1)
	clk.Advance(301 * time.Millisecond)
	s.clientsCron()
	a.expectRead("_\r\n")

	a.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	waitBlocked(t, s, 1)
	clk.Advance(24 * time.Hour)
	s.clientsCron()
	if n := s.blocking.blocked(); n != 1 {
		t.Fatalf("BLOCK 0 stopped waiting: %d blocked", n)
	}
	w.expect("$3\r\n1-0\r\n", "XADD", "s", "1", "f", "v")
	a.expectRead("%1\r\n" + bulk("s") + "*1\r\n" + entryReply("1-0", "f", "v"))
}

// TestStreamBlockedReadCount: a reader woken without COUNT is served at
// most 1000 entries, as Redis serves one (XREAD_BLOCKED_DEFAULT_COUNT).
func TestStreamBlockedReadCount(t *testing.T) {
	s := startServer(t, Config{})
	a, w := dial(t, s), dial(t, s)
	a.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	waitBlocked(t, s, 1)
	w.do("EVAL", "for i = 1, 1500 do redis.call('XADD', 's', i, 'f', 'v') end return 1", "0")
	if got, head := a.read(), "*1\r\n*2\r\n"+bulk("s")+"*1000\r\n"; !strings.HasPrefix(got, head) {
		t.Errorf("reply starts %q, want %q", got[:min(len(got), len(head))], head)
	}
}

// TestStreamTimes checks what streams report of the clock, under a
// controlled one: IDs made by "*", idle and delivery times, seen times.
func TestStreamTimes(t *testing.T) {
	clk := newTestClock()
	clk.ms.Store(1_700_000_000_000)
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.expect(bulk("1700000000000-0"), "XADD", "s", "*", "f", "v")
	c.expect(bulk("1700000000000-1"), "XADD", "s", "*", "f", "w")
	clk.Advance(5 * time.Millisecond)
	c.expect(bulk("1700000000005-0"), "XADD", "s", "*", "f", "x")
	c.expect(bulk("1700000000005-1"), "XADD", "s", "1700000000005-*", "f", "y")
	c.expect("+OK\r\n", "XGROUP", "CREATE", "s", "g", "0")
	c.expect(xreadReply("s", entryReply("1700000000000-0", "f", "v"), entryReply("1700000000000-1", "f", "w")),
		"XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">")
	clk.Advance(1500 * time.Millisecond)
	pending := func(id, consumer string, idle, count int) string {
		return fmt.Sprintf("*4\r\n%s%s:%d\r\n:%d\r\n", bulk(id), bulk(consumer), idle, count)
	}
	c.expect("*2\r\n"+pending("1700000000000-0", "alice", 1500, 1)+pending("1700000000000-1", "alice", 1500, 1),
		"XPENDING", "s", "g", "-", "+", "10")
	c.expect("*1\r\n*6\r\n$4\r\nname\r\n$5\r\nalice\r\n$7\r\npending\r\n:2\r\n$4\r\nidle\r\n:1500\r\n",
		"XINFO", "CONSUMERS", "s", "g")
	// Too recent for a min-idle-time of 2000; old enough for 1000.
	c.expect("*0\r\n", "XCLAIM", "s", "g", "bob", "2000", "1700000000000-0")
	c.expect("*1\r\n"+entryReply("1700000000000-0", "f", "v"), "XCLAIM", "s", "g", "bob", "1000", "1700000000000-0")
	c.expect(bulks("1700000000000-1"), "XCLAIM", "s", "g", "bob", "0", "1700000000000-1", "IDLE", "5000", "JUSTID")
	c.expect("*2\r\n"+pending("1700000000000-0", "bob", 0, 2)+pending("1700000000000-1", "bob", 5000, 1),
		"XPENDING", "s", "g", "-", "+", "10")
	c.expect("*1\r\n"+pending("1700000000000-1", "bob", 5000, 1), "XPENDING", "s", "g", "IDLE", "4000", "-", "+", "10")
	// TIME in the future is taken as now; in the past it sets the idle time.
	c.expect(bulks("1700000000000-0", "1700000000000-1"), "XCLAIM", "s", "g", "carol", "0",
		"1700000000000-0", "1700000000000-1", "TIME", "1800000000000", "RETRYCOUNT", "7", "JUSTID")
	c.expect(bulks("1700000000000-1"), "XCLAIM", "s", "g", "carol", "0", "1700000000000-1", "TIME", "1700000000000", "JUSTID")
	c.expect("*2\r\n"+pending("1700000000000-0", "carol", 0, 7)+pending("1700000000000-1", "carol", 1505, 7),
		"XPENDING", "s", "g", "-", "+", "10")
	clk.Advance(time.Second)
	c.expect("*3\r\n"+bulk("0-0")+bulks("1700000000000-1")+"*0\r\n", "XAUTOCLAIM", "s", "g", "dave", "2000", "0", "JUSTID")
	full := c.do("XINFO", "STREAM", "s", "FULL")
	for _, want := range []string{
		// carol's remaining entry, delivered at the last XCLAIM's time.
		"*4\r\n" + bulk("1700000000000-0") + bulk("carol") + ":1700000001505\r\n:7\r\n",
		// dave's, claimed now, its delivery count kept by JUSTID.
		"*4\r\n" + bulk("1700000000000-1") + bulk("dave") + ":1700000002505\r\n:7\r\n",
		bulk("seen-time") + ":1700000000005\r\n", // alice read once
		bulk("seen-time") + ":1700000002505\r\n", // dave claimed now
	} {
		if !strings.Contains(full, want) {
			t.Errorf("XINFO STREAM FULL lacks %q:\n%q", want, full)
		}
	}
}

// TestStreamGroupSurvivesRestart: in write_through and write_back
// namespaces a stream comes back after a restart with its entries, its
// node layout and its consumer groups, pending entries included, as they
// were; changes after the restart persist too.
func TestStreamGroupSurvivesRestart(t *testing.T) {
	clk := newTestClock()
	cfg := tieredConfig(t.TempDir())
	cfg.Clock = clk.Now
	s := startServer(t, cfg)
	c := dial(t, s)
	for _, p := range []string{"wt:", "wb:"} {
		c.do("EVAL", "for i = 1, 150 do redis.call('XADD', KEYS[1], i, 'f', i) end return 1", "1", p+"s")
		c.expect(":1\r\n", "XDEL", p+"s", "3")
		c.expect("+OK\r\n", "XGROUP", "CREATE", p+"s", "g", "0")
		c.expect("+OK\r\n", "XGROUP", "CREATE", p+"s", "other", "$")
		c.do("XREADGROUP", "GROUP", "g", "alice", "COUNT", "5", "STREAMS", p+"s", ">")
		c.do("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", p+"s", ">")
		c.expect(":1\r\n", "XACK", p+"s", "g", "2")
		clk.Advance(time.Second)
		c.expect(bulks("6-0"), "XCLAIM", p+"s", "g", "carol", "0", "6", "JUSTID")
		c.expect(":1\r\n", "XGROUP", "CREATECONSUMER", p+"s", "g", "idle")
	}
	c.expect("+OK\r\n", "XGROUP", "CREATE", "ca:s", "g", "$", "MKSTREAM")
	before := map[string]string{}
	for _, p := range []string{"wt:", "wb:"} {
		before[p+"full"] = c.do("XINFO", "STREAM", p+"s", "FULL", "COUNT", "0")
		before[p+"pending"] = c.do("XPENDING", p+"s", "g")
		before[p+"info"] = c.do("XINFO", "STREAM", p+"s")
	}
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	for _, p := range []string{"wt:", "wb:"} {
		c.expect(before[p+"full"], "XINFO", "STREAM", p+"s", "FULL", "COUNT", "0")
		c.expect(before[p+"pending"], "XPENDING", p+"s", "g")
		c.expect(before[p+"info"], "XINFO", "STREAM", p+"s")
		// alice read 1, 2, 4 (3 was deleted), 5 and 6; 2 was acknowledged
		// and 6 claimed by carol. bob read 7 and 8.
		c.expect("*4\r\n:6\r\n"+bulk("1-0")+bulk("8-0")+"*3\r\n"+
			"*2\r\n"+bulk("alice")+bulk("3")+"*2\r\n"+bulk("bob")+bulk("2")+"*2\r\n"+bulk("carol")+bulk("1"),
			"XPENDING", p+"s", "g")
		c.expect(xreadReply(p+"s", entryReply("1-0", "f", "1"), entryReply("4-0", "f", "4"), entryReply("5-0", "f", "5")),
			"XREADGROUP", "GROUP", "g", "alice", "STREAMS", p+"s", "0")
		c.expect(":1\r\n", "XACK", p+"s", "g", "1")
		c.expect("$5\r\n151-0\r\n", "XADD", p+"s", "151", "f", "151")
	}
	c.expect(":0\r\n", "EXISTS", "ca:s")
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	for _, p := range []string{"wt:", "wb:"} {
		c.expect(":150\r\n", "XLEN", p+"s")
		if got := c.do("XPENDING", p+"s", "g"); !strings.HasPrefix(got, "*4\r\n:5\r\n"+bulk("4-0")) {
			t.Errorf("%s XPENDING after a second restart: %q", p, got)
		}
	}
}

// TestStreamMemory: a stream's memory is accounted as it grows and
// shrinks, so it counts in maxmemory.
func TestStreamMemory(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	usage := func() int {
		t.Helper()
		n, err := strconv.Atoi(strings.Trim(c.do("MEMORY", "USAGE", "s"), ":\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	c.do("XADD", "s", "1", "f", "v")
	small := usage()
	c.do("EVAL", "for i = 2, 1000 do redis.call('XADD', 's', i, 'field', string.rep('x', 100)) end return 1", "0")
	large := usage()
	if large < small+1000*100 {
		t.Errorf("1000 entries of 100 bytes grew MEMORY USAGE from %d to %d only", small, large)
	}
	c.expect("+OK\r\n", "XGROUP", "CREATE", "s", "g", "0")
	c.do("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
	withPEL := usage()
	if withPEL <= large {
		t.Errorf("1000 pending entries did not grow MEMORY USAGE: %d, then %d", large, withPEL)
	}
	c.expect(":999\r\n", "XTRIM", "s", "MAXLEN", "1")
	if trimmed := usage(); trimmed >= withPEL-900*100 {
		t.Errorf("trimming 999 entries left MEMORY USAGE at %d (was %d)", trimmed, withPEL)
	}
}

// TestStreamMaxMemory: XADD is refused past maxmemory with noeviction,
// as Redis refuses denyoom commands.
func TestStreamMaxMemory(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory-policy", "noeviction")
	c.do("EVAL", "for i = 1, 2000 do redis.call('XADD', 's', i, 'field', string.rep('x', 200)) end return 1", "0")
	c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory", "1")
	c.expect("-"+msgOutOfMemory+"\r\n", "XADD", "s", "*", "f", "v")
	c.expect(":2000\r\n", "XLEN", "s")
	c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory", "0")
}

// TestStreamNamespacePolicy: a stream a write creates in a namespace with
// a TTL gets it; later writes leave it.
func TestStreamNamespacePolicy(t *testing.T) {
	s := startServer(t, Config{Namespaces: []policy.Namespace{{Match: "ttl:*", TTL: 5 * time.Minute}}})
	c := dial(t, s)
	c.expect("$3\r\n1-0\r\n", "XADD", "ttl:s", "1", "f", "v")
	c.expect(":300\r\n", "TTL", "ttl:s")
	c.expect(":1\r\n", "EXPIRE", "ttl:s", "10")
	c.expect("$3\r\n2-0\r\n", "XADD", "ttl:s", "2", "f", "v")
	c.expect(":10\r\n", "TTL", "ttl:s")
	c.expect("+OK\r\n", "XGROUP", "CREATE", "ttl:g", "g", "$", "MKSTREAM")
	c.expect(":300\r\n", "TTL", "ttl:g")
}

// BenchmarkXadd is bench/'s XADD row in process: a 100-byte entry
// appended to one stream.
func BenchmarkXadd(b *testing.B) {
	payload := strings.Repeat("x", 100)
	benchPipeline(b, 1, func(int) []string { return []string{"XADD", "s", "*", "payload", payload} })
}

// BenchmarkXreadgroup is bench/'s XREADGROUP row in process: one entry
// at a time delivered through a group.
func BenchmarkXreadgroup(b *testing.B) {
	s := startServer(b, Config{})
	c := dial(b, s)
	payload := strings.Repeat("x", 100)
	for i := 0; i < b.N+16; i += 1000 {
		c.do("EVAL", fmt.Sprintf("for i = 1, 1000 do redis.call('XADD', 's', '*', 'payload', '%s') end return 1", payload), "0")
	}
	c.expect("+OK\r\n", "XGROUP", "CREATE", "s", "g", "0")
	benchPipelineOn(b, s, 1, func(int) []string {
		return []string{"XREADGROUP", "GROUP", "g", "consumer", "COUNT", "1", "STREAMS", "s", ">"}
	})
}

// commandAllocs runs args on a client of s, the reply dropped, and
// returns its allocations per run, the server's alone.
func commandAllocs(t *testing.T, s *Server, runs int, args ...string) float64 {
	t.Helper()
	nc, peer := net.Pipe()
	t.Cleanup(func() { nc.Close(); peer.Close() })
	c := newClient(s, nc)
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	return testing.AllocsPerRun(runs, func() {
		c.execute(argv)
		c.out.Truncate(0)
	})
}

// TestXreadgroupAllocs: a read of one new entry through a group
// allocates its pending entry, the key's record stored again, and the
// blocking command's state, and nothing else: not the resolved IDs, the
// entries read, or a copy of the reply to put the header first.
func TestXreadgroupAllocs(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.do("EVAL", "for i = 1, 300 do redis.call('XADD', 's', '*', 'payload', string.rep('x', 100)) end return 1", "0")
	c.expect("+OK\r\n", "XGROUP", "CREATE", "s", "g", "0")
	c.do("XREADGROUP", "GROUP", "g", "consumer", "COUNT", "1", "STREAMS", "s", ">") // creates the consumer
	if n := commandAllocs(t, s, 200, "XREADGROUP", "GROUP", "g", "consumer", "COUNT", "1", "STREAMS", "s", ">"); n > 3 {
		t.Errorf("%v allocations per XREADGROUP", n)
	}
	if got := c.do("XPENDING", "s", "g"); !strings.HasPrefix(got, "*4\r\n:202\r\n") {
		t.Errorf("the reads did not each deliver an entry: XPENDING %q", got)
	}
}
