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

// TestBlockingTimeouts: a timeout replies a null array (RESP3: null), also
// after a lost race, and a blocked client is exempt from the idle
// timeout, as in Redis.
func TestBlockingTimeouts(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	a.expect("*-1\r\n", "BLPOP", "q", "0.01")
	a.expect("*-1\r\n", "BLMOVE", "q", "d", "LEFT", "LEFT", "0.01")
	a.expect("*-1\r\n", "BZPOPMIN", "z", "0.01")
	a.do("HELLO", "3")
	a.expect("_\r\n", "BRPOPLPUSH", "q", "d", "0.01")
	a.expect("_\r\n", "BLMPOP", "0.01", "1", "q", "LEFT")

	a.send("BLPOP", "q", "0.3")
	waitBlocked(t, s, 1)
	b.expect("+OK\r\n", "MULTI")
	b.expect("+QUEUED\r\n", "RPUSH", "q", "x")
	b.expect("+QUEUED\r\n", "DEL", "q")
	b.expect("*2\r\n:1\r\n:1\r\n", "EXEC")
	a.expect("_\r\n") // woken, found nothing, waited out its time
}

func TestBlockedClientIgnoresIdleTimeout(t *testing.T) {
	s := startServer(t, Config{Timeout: time.Second})
	a := dial(t, s)
	a.send("BLPOP", "q", "0")
	waitBlocked(t, s, 1)
	time.Sleep(1500 * time.Millisecond) // past the idle timeout
	b := dial(t, s)
	b.expect(":1\r\n", "RPUSH", "q", "x")
	a.expect("*2\r\n$1\r\nq\r\n$1\r\nx\r\n")
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
