package server

import (
	"strconv"
	"testing"
	"time"
)

// waitBlocked waits until n clients are blocked on keys.
func waitBlocked(t *testing.T, s *Server, n int) {
	t.Helper()
	waitFor(t, strconv.Itoa(n)+" blocked clients", func() bool { return s.blocking.blocked() == n })
}

// clientCount returns the number of connected clients.
func clientCount(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// TestBlockingTimeouts: a blocked client times out once the server's clock
// is past its deadline, which the cron checks as Redis's clientsCron does
// (the test moves the clock and runs that check itself): a null array, or
// a null in RESP3, also after a lost race. Redis's replies are in
// conformance/testdata (list.txt, zset.txt, blocking.txt).
func TestBlockingTimeouts(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	a, b := dial(t, s), dial(t, s)
	// timesOut blocks a with cmd, whose timeout is 500ms, and moves the
	// clock to its deadline and past it.
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
	timesOut("*-1\r\n", "BLPOP", "q", "0.5")
	timesOut("*-1\r\n", "BLMOVE", "q", "d", "LEFT", "LEFT", "0.5")
	timesOut("*-1\r\n", "BZPOPMIN", "z", "0.5")
	a.do("HELLO", "3")
	timesOut("_\r\n", "BRPOPLPUSH", "q", "d", "0.5")
	timesOut("_\r\n", "BLMPOP", "0.5", "1", "q", "LEFT")

	// Woken, it finds nothing and waits out the time it had left.
	a.send("BLPOP", "q", "0.3")
	waitBlocked(t, s, 1)
	b.expect("+OK\r\n", "MULTI")
	b.expect("+QUEUED\r\n", "RPUSH", "q", "x")
	b.expect("+QUEUED\r\n", "DEL", "q")
	b.expect("*2\r\n:1\r\n:1\r\n", "EXEC")
	waitBlocked(t, s, 1)
	clk.Advance(301 * time.Millisecond)
	s.clientsCron()
	a.expectRead("_\r\n")
}

// TestBlockedClientIgnoresIdleTimeout: a client blocked past the idle
// timeout stays, as in Redis.
func TestBlockedClientIgnoresIdleTimeout(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Timeout: time.Second, Clock: clk.Now})
	a := dial(t, s)
	a.send("BLPOP", "q", "0")
	waitBlocked(t, s, 1)
	clk.Advance(2 * time.Second)
	s.clientsCron()
	b := dial(t, s)
	b.expect(":1\r\n", "RPUSH", "q", "x")
	a.expectRead("*2\r\n$1\r\nq\r\n$1\r\nx\r\n")
}

// TestBlockedClientGoneLeavesNothing: a blocked client that hangs up, is
// killed, or is unblocked leaves no waiter and no goroutine behind; the
// server shuts down with a client blocked.
func TestBlockedClientGoneLeavesNothing(t *testing.T) {
	s := startServer(t, Config{})
	admin := dial(t, s)

	a := dial(t, s)
	a.send("BLPOP", "q", "0")
	waitBlocked(t, s, 1)
	a.nc.Close()
	waitBlocked(t, s, 0)
	waitFor(t, "the hung-up client gone", func() bool { return clientCount(s) == 1 })

	k := dial(t, s)
	id := k.clientID()
	k.send("BZPOPMIN", "z", "0")
	waitBlocked(t, s, 1)
	admin.expect(":1\r\n", "CLIENT", "KILL", "ID", strconv.FormatInt(id, 10))
	if !k.waitClosed() {
		t.Error("killed blocked client not closed")
	}
	waitBlocked(t, s, 0)

	// Nobody is served by a push once the waiters are gone.
	admin.expect(":1\r\n", "RPUSH", "q", "x")
	admin.expect(":1\r\n", "LLEN", "q")

	last := dial(t, s)
	last.send("BLPOP", "other", "0")
	waitBlocked(t, s, 1)
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs with a blocked client")
	}
	if !last.waitClosed() {
		t.Error("blocked client not closed by shutdown")
	}
}
