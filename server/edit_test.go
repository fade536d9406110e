package server

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// Bitmap and HyperLogLog writes change a stored string in place when they
// can (cache.Tx.Edit). These tests check that no reply written before such
// a change shows it, and that the change copies nothing.

// unbulk returns the string of a RESP bulk reply.
func unbulk(reply string) string { return reply[strings.IndexByte(reply, '\n')+1 : len(reply)-2] }

// TestEditedStringRepliesBefore: replies to reads of a 12.5 KB bitmap and a
// dense HyperLogLog, made before a SETBIT, PFADD or PFCOUNT changed them in
// place, keep the bytes they read: in a pipeline, in MULTI, in a script,
// and in a DUMP restored afterwards.
func TestEditedStringRepliesBefore(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	old := strings.Repeat("\x00", 12500)
	c.expect(":0\r\n", "setbit", "bm", "99999", "0")

	// A pipeline: the GET and GETRANGE replies are written before the
	// SETBIT runs; the reads after it see the change.
	c.send("get", "bm")
	c.send("getrange", "bm", "0", "1")
	c.send("setbit", "bm", "7", "1")
	c.send("get", "bm")
	c.expectRead(bulk(old))
	c.expectRead(bulk("\x00\x00"))
	c.expectRead(":0\r\n")
	c.expectRead(bulk("\x01" + old[1:]))

	c.expect("+OK\r\n", "multi")
	c.expect("+QUEUED\r\n", "get", "bm")
	c.expect("+QUEUED\r\n", "setbit", "bm", "6", "1")
	c.expect("+QUEUED\r\n", "get", "bm")
	c.expect("*3\r\n"+bulk("\x01"+old[1:])+":0\r\n"+bulk("\x03"+old[1:]), "exec")

	script := "local v = redis.call('get', KEYS[1]) redis.call(ARGV[1], KEYS[1], unpack(ARGV, 2)) return v"
	c.expect(bulk("\x03"+old[1:]), "eval", script, "1", "bm", "setbit", "5", "1")

	dump := unbulk(c.do("dump", "bm"))
	c.expect(":0\r\n", "setbit", "bm", "0", "1")
	c.expect("+OK\r\n", "restore", "copy", "0", dump)
	c.expect(bulk("\x07"+old[1:]), "get", "copy")

	c.expect(":1\r\n", "pfadd", "hll", "a")
	c.expect(":1\r\n", "pfdebug", "todense", "hll")
	before := c.do("get", "hll")
	c.expect(before, "eval", script, "1", "hll", "pfadd", "b", "c", "d")
	added := c.do("get", "hll")
	if added == before {
		t.Fatal("PFADD changed no register")
	}
	// PFCOUNT caches the count it computes in the string.
	c.send("get", "hll")
	c.send("pfcount", "hll")
	c.send("get", "hll")
	c.expectRead(added)
	c.expectRead(":4\r\n")
	if cached := c.read(); cached == added {
		t.Error("PFCOUNT cached no count")
	}
}

// TestEditedStringIsAWrite: a SETBIT changing a bitmap in place aborts a
// transaction WATCHing it and publishes its keyspace event, as any write.
func TestEditedStringIsAWrite(t *testing.T) {
	s := startServer(t, Config{NotifyKeyspaceEvents: "K$"})
	c, other, sub := dial(t, s), dial(t, s), dial(t, s)
	c.expect(":0\r\n", "setbit", "bm", "99999", "0")
	sub.expect("*3\r\n$9\r\nsubscribe\r\n$17\r\n__keyspace@0__:bm\r\n:1\r\n", "subscribe", "__keyspace@0__:bm")
	c.expect("+OK\r\n", "watch", "bm")
	other.expect(":0\r\n", "setbit", "bm", "1", "1")
	c.expect("+OK\r\n", "multi")
	c.expect("+QUEUED\r\n", "get", "bm")
	c.expect("*-1\r\n", "exec")
	sub.expectRead("*3\r\n$7\r\nmessage\r\n$17\r\n__keyspace@0__:bm\r\n$6\r\nsetbit\r\n")
}

// TestEditCopiesNothing: a SETBIT that flips a bit of a 12.5 KB bitmap, a
// PFADD that raises a register of a dense HyperLogLog, and a SETRANGE
// inside the string allocate well under the string's size: the stored
// bytes change in place, where they were copied twice (into a scratch or
// new buffer, then into a new record).
func TestEditCopiesNothing(t *testing.T) {
	s := startServer(t, Config{})
	c := &client{srv: s, id: s.nextClientID.Add(1)}
	c.setDefaultAuth()
	run := func(args ...string) {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		c.execute(b)
	}
	run("setbit", "bm", "99999", "0")
	run("pfadd", "hll", "a")
	run("pfdebug", "todense", "hll")
	const n = 200
	reqs := make([][][]byte, n)
	for i := range reqs {
		reqs[i] = [][]byte{[]byte("setbit"), []byte("bm"), []byte(fmt.Sprint(i % 64)), []byte(fmt.Sprint((i/64 + 1) % 2))} // each flips its bit
	}
	pfadds := make([][][]byte, n)
	for i := range pfadds {
		pfadds[i] = [][]byte{[]byte("pfadd"), []byte("hll"), []byte(fmt.Sprint("e", i))}
	}
	setranges := make([][][]byte, n)
	for i := range setranges {
		setranges[i] = [][]byte{[]byte("setrange"), []byte("bm"), []byte(fmt.Sprint(i * 50)), []byte("patch")}
	}
	for _, tc := range []struct {
		name string
		reqs [][][]byte
	}{{"SETBIT", reqs}, {"PFADD", pfadds}, {"SETRANGE", setranges}} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, r := range tc.reqs {
			c.execute(r)
			c.out.Reset(outFlushAt)
		}
		runtime.ReadMemStats(&after)
		if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 1024 {
			t.Errorf("%s allocates %d bytes per call", tc.name, per)
		}
	}
	// A PFADD of elements already counted, the commonest on a busy
	// HyperLogLog, changes nothing and allocates nothing.
	counted := pfadds[0]
	if allocs := testing.AllocsPerRun(100, func() {
		c.execute(counted)
		c.out.Reset(outFlushAt)
	}); allocs != 0 {
		t.Errorf("a PFADD that changes nothing allocates %v times", allocs)
	}
}
