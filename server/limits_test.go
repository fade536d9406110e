package server

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestClientQueryBufferLimit: a client whose request grows past
// client-query-buffer-limit is closed without a reply, connected before
// the limit was set or after; others are served.
func TestClientQueryBufferLimit(t *testing.T) {
	s := startServer(t, Config{})
	admin, before := dial(t, s), dial(t, s)
	before.expect("+PONG\r\n", "PING")
	admin.expect("+OK\r\n", "CONFIG", "SET", "client-query-buffer-limit", "1mb")
	admin.expect("*2\r\n$25\r\nclient-query-buffer-limit\r\n$7\r\n1048576\r\n", "CONFIG", "GET", "client-query-buffer-limit")
	for name, c := range map[string]*rawConn{"connected before": before, "connected after": dial(t, s)} {
		// A bulk bigger than the limit, sent up to just past it.
		c.write("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n" + strings.Repeat("x", 1<<20+100))
		if !c.waitClosed() {
			t.Errorf("%s: a client past client-query-buffer-limit stayed connected", name)
		}
	}
	admin.expect("+PONG\r\n", "PING")
	admin.expect(":0\r\n", "EXISTS", "k")
	// Under the limit, a big request is read whole.
	admin.expect("+OK\r\n", "SET", "k", strings.Repeat("x", 900<<10))
}

// TestClientOutputBufferLimitNormal: a normal client whose replies pass
// the hard limit is closed; small replies (Redis's 16kb static buffer)
// never count; and one that does not read a reply past the soft limit is
// closed after its seconds, while others are served.
func TestClientOutputBufferLimitNormal(t *testing.T) {
	s := startServer(t, Config{})
	admin := dial(t, s)
	admin.expect("+OK\r\n", "SET", "big", strings.Repeat("x", 2<<20))
	admin.expect("+OK\r\n", "CONFIG", "SET", "client-output-buffer-limit", "normal 1 1 1")
	admin.expect("+PONG\r\n", "PING") // a 7-byte reply is in the static buffer
	admin.expect("+OK\r\n", "CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")
	c := dial(t, s)
	c.send("GET", "big")
	if !c.waitClosed() {
		t.Error("a client whose reply passed the hard limit stayed connected")
	}
	admin.expect("$1\r\nx\r\n", "GETRANGE", "big", "0", "0")

	admin.expect("+OK\r\n", "SET", "huge", strings.Repeat("x", 32<<20))
	admin.expect("+OK\r\n", "CONFIG", "SET", "client-output-buffer-limit", "normal 0 256kb 1")
	slow := dial(t, s)
	slow.nc.(*net.TCPConn).SetReadBuffer(4096)
	slow.expect("+PONG\r\n", "PING") // registered, for shrinkBuffers and the count
	shrinkBuffers(s)
	slow.send("GET", "huge") // and never read
	deadline := time.Now().Add(10 * time.Second)
	for clientCount(s) > 1 && time.Now().Before(deadline) {
		admin.expect("+PONG\r\n", "PING")
		time.Sleep(50 * time.Millisecond)
	}
	if n := clientCount(s); n != 1 {
		t.Errorf("%d clients: the one not reading past the soft limit stayed connected", n)
	}
}

// TestClientOutputBufferLimitConfig: CONFIG SET changes the classes it
// names and keeps the others; the pubsub class is what subscribers are
// held to (TestSlowSubscriberHardLimit and TestSlowSubscriberSoftLimit
// test that limit itself).
func TestClientOutputBufferLimitConfig(t *testing.T) {
	s := startServer(t, Config{ClientOutputBufferLimit: "pubsub 64mb 16mb 30"})
	c := dial(t, s)
	c.expect("*2\r\n$26\r\nclient-output-buffer-limit\r\n$68\r\nnormal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 30\r\n",
		"CONFIG", "GET", "client-output-buffer-limit")
	c.expect("+OK\r\n", "CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 10 normal 4mb 2mb 5")
	c.expect("*2\r\n$26\r\nclient-output-buffer-limit\r\n$77\r\nnormal 4194304 2097152 5 slave 268435456 67108864 60 pubsub 1048576 524288 10\r\n",
		"CONFIG", "GET", "client-output-buffer-limit")
	if h, so, sec := s.pubsub.hardLimit.Load(), s.pubsub.softLimit.Load(), s.pubsub.softSeconds.Load(); h != 1<<20 || so != 512<<10 || sec != 10 {
		t.Errorf("pubsub limits %d %d %d, want 1mb 512kb 10", h, so, sec)
	}
	if _, err := New(Config{ClientOutputBufferLimit: "normal 1mb"}); err == nil ||
		err.Error() != `server: invalid client-output-buffer-limit "normal 1mb": Wrong number of arguments in buffer limit configuration.` {
		t.Errorf("a bad limit at start-up: %v", err)
	}
}

// TestMaxMemoryClients: past maxmemory-clients, the client whose buffers
// cost the most (here one sending a 4mb value slowly) is closed and
// counted; a client with CLIENT NO-EVICT on is spared, and others are
// closed in its stead.
func TestMaxMemoryClients(t *testing.T) {
	s := startServer(t, Config{})
	admin := dial(t, s)
	admin.expect("+OK\r\n", "CONFIG", "SET", "maxmemory-clients", "1mb")
	admin.expect("*2\r\n$17\r\nmaxmemory-clients\r\n$7\r\n1048576\r\n", "CONFIG", "GET", "maxmemory-clients")
	big := dial(t, s)
	big.write("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000\r\n" + strings.Repeat("x", 1000))
	if !big.waitClosed() {
		t.Fatal("a client past maxmemory-clients stayed connected")
	}
	admin.expect("+PONG\r\n", "PING")
	if got := infoField(t, admin, "stats", "evicted_clients"); got != "1" {
		t.Errorf("evicted_clients %s, want 1", got)
	}
	spared := dial(t, s)
	spared.expect("+OK\r\n", "CLIENT", "NO-EVICT", "on")
	spared.write("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000\r\n" + strings.Repeat("x", 1000))
	spared.write(strings.Repeat("x", 4000000-1000) + "\r\n")
	spared.expectRead("+OK\r\n")
	spared.expect("+OK\r\n", "CONFIG", "SET", "maxmemory-clients", "0")
	spared.expect(":4000000\r\n", "STRLEN", "k")
}

// TestMaxMemoryClientsCountsMonitorQueue: a MONITOR client that does not
// read queues its lines where subscribers queue messages, and
// maxmemory-clients counts them, so it is closed though it has no
// subscription (and the pubsub limit is off).
func TestMaxMemoryClientsCountsMonitorQueue(t *testing.T) {
	s := startServer(t, Config{ClientOutputBufferLimit: "pubsub 0 0 0"})
	admin := dial(t, s)
	mon := dial(t, s)
	mon.nc.(*net.TCPConn).SetReadBuffer(4096)
	mon.expect("+OK\r\n", "MONITOR")
	admin.expect("+OK\r\n", "CONFIG", "SET", "maxmemory-clients", "1mb")
	value := strings.Repeat("x", 64<<10)
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < 2000 && clientCount(s) > 1 && time.Now().Before(deadline); i++ {
		admin.expect("+OK\r\n", "SET", "k", value)
	}
	if n := clientCount(s); n != 1 {
		t.Errorf("%d clients: a MONITOR client whose queue passed maxmemory-clients stayed connected", n)
	}
}
