package server

import (
	"strconv"
	"strings"
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

// TestBlockingWakeUps blocks clients with each blocking command, wakes
// them with another client's write and checks the replies, recorded from
// redis-server 7.0.15.
func TestBlockingWakeUps(t *testing.T) {
	tests := []struct {
		name  string
		block []string // the blocking command
		wake  []string // the write that serves it
		want  string
		after []string // then checked on the waking connection
		then  string
	}{
		{"blpop", []string{"BLPOP", "a", "q", "0"}, []string{"RPUSH", "q", "x", "y"},
			"*2\r\n$1\r\nq\r\n$1\r\nx\r\n", []string{"LRANGE", "q", "0", "-1"}, "*1\r\n$1\r\ny\r\n"},
		{"brpop", []string{"BRPOP", "q", "5"}, []string{"LPUSH", "q", "x", "y"},
			"*2\r\n$1\r\nq\r\n$1\r\nx\r\n", []string{"LRANGE", "q", "0", "-1"}, "*1\r\n$1\r\ny\r\n"},
		{"blmove", []string{"BLMOVE", "q", "d", "RIGHT", "LEFT", "0"}, []string{"RPUSH", "q", "x"},
			"$1\r\nx\r\n", []string{"LRANGE", "d", "0", "-1"}, "*1\r\n$1\r\nx\r\n"},
		{"brpoplpush", []string{"BRPOPLPUSH", "q", "d", "0"}, []string{"RPUSH", "q", "x"},
			"$1\r\nx\r\n", []string{"EXISTS", "q"}, ":0\r\n"},
		{"blmpop", []string{"BLMPOP", "0", "2", "a", "q", "RIGHT", "COUNT", "5"}, []string{"RPUSH", "q", "x", "y"},
			"*2\r\n$1\r\nq\r\n*2\r\n$1\r\ny\r\n$1\r\nx\r\n", []string{"EXISTS", "q"}, ":0\r\n"},
		{"bzpopmin", []string{"BZPOPMIN", "z", "0"}, []string{"ZADD", "z", "2", "b", "1", "a"},
			"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n", []string{"ZCARD", "z"}, ":1\r\n"},
		{"bzpopmax", []string{"BZPOPMAX", "y", "z", "0"}, []string{"ZADD", "z", "2", "b", "1", "a"},
			"*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n", []string{"ZCARD", "z"}, ":1\r\n"},
		{"bzmpop", []string{"BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"}, []string{"ZADD", "z", "2", "b", "1", "a"},
			"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n", []string{"EXISTS", "z"}, ":0\r\n"},
		{"moved into the key", []string{"BLPOP", "q", "0"}, []string{"LMOVE", "src", "q", "LEFT", "LEFT"},
			"*2\r\n$1\r\nq\r\n$1\r\ns\r\n", []string{"EXISTS", "src", "q"}, ":0\r\n"},
		{"renamed onto the key", []string{"BLPOP", "q", "0"}, []string{"RENAME", "src", "q"},
			"*2\r\n$1\r\nq\r\n$1\r\ns\r\n", []string{"EXISTS", "q"}, ":0\r\n"},
		{"sorted into the key", []string{"BLPOP", "q", "0"}, []string{"SORT", "src", "ALPHA", "STORE", "q"},
			"*2\r\n$1\r\nq\r\n$1\r\ns\r\n", []string{"EXISTS", "q"}, ":0\r\n"},
		{"geoadd", []string{"BZPOPMIN", "g", "0"}, []string{"GEOADD", "g", "1", "1", "a"},
			"*3\r\n$1\r\ng\r\n$1\r\na\r\n$16\r\n3377822707026402\r\n", []string{"EXISTS", "g"}, ":0\r\n"},
	}
	s := startServer(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := dial(t, s), dial(t, s)
			b.expect("+OK\r\n", "FLUSHALL")
			b.do("RPUSH", "src", "s")
			a.send(tt.block...)
			waitBlocked(t, s, 1)
			b.do(tt.wake...)
			if got := a.read(); got != tt.want {
				t.Errorf("%v: got %q, want %q", tt.block, got, tt.want)
			}
			b.expect(tt.then, tt.after...)
			waitBlocked(t, s, 0)
		})
	}
}

// TestBlockingServedBySwapDB: SWAPDB serves a client blocked on a key the
// swap brought into its database, as Redis 7.0 does.
func TestBlockingServedBySwapDB(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	b.expect("+OK\r\n", "SELECT", "1")
	b.expect(":1\r\n", "RPUSH", "q", "x")
	a.send("BLPOP", "q", "other", "0")
	c := dial(t, s)
	c.send("BLPOP", "other", "0")
	waitBlocked(t, s, 2)
	b.expect("+OK\r\n", "SWAPDB", "0", "1")
	a.expect("*2\r\n$1\r\nq\r\n$1\r\nx\r\n")
	waitBlocked(t, s, 1)                      // c found nothing and blocks again
	b.expect(":1\r\n", "RPUSH", "other", "y") // db 1: not c's database
	b.expect("+OK\r\n", "SELECT", "0")
	b.expect(":1\r\n", "RPUSH", "other", "z")
	c.expect("*2\r\n$5\r\nother\r\n$1\r\nz\r\n")
}

// TestBlockedClientsInInfo: INFO counts blocked clients, and those with a
// timeout, as Redis's blocked_clients and clients_in_timeout_table.
func TestBlockedClientsInInfo(t *testing.T) {
	s := startServer(t, Config{})
	a, b, c := dial(t, s), dial(t, s), dial(t, s)
	a.send("BLPOP", "q", "0")
	b.send("BZPOPMIN", "z", "100")
	waitBlocked(t, s, 2)
	f := infoFields(t, c.do("INFO", "clients"))
	if f["blocked_clients"] != "2" || f["clients_in_timeout_table"] != "1" {
		t.Errorf("INFO clients: blocked_clients %s, clients_in_timeout_table %s", f["blocked_clients"], f["clients_in_timeout_table"])
	}
	if list := c.do("CLIENT", "LIST"); strings.Count(list, " flags=b ") != 2 || !strings.Contains(list, "cmd=bzpopmin") {
		t.Errorf("CLIENT LIST does not show the blocked clients: %q", list)
	}
}

// TestBlockingServesInOrder: clients blocked on a key are served in the
// order they blocked, one element each, as in Redis; what is left stays.
func TestBlockingServesInOrder(t *testing.T) {
	s := startServer(t, Config{})
	p := dial(t, s)
	var waiters []*rawConn
	for i := 0; i < 3; i++ {
		c := dial(t, s)
		c.send("BLPOP", "q", "0")
		waitBlocked(t, s, i+1)
		waiters = append(waiters, c)
	}
	p.expect(":4\r\n", "RPUSH", "q", "1", "2", "3", "4")
	for i, c := range waiters {
		want := "*2\r\n$1\r\nq\r\n$1\r\n" + strconv.Itoa(i+1) + "\r\n"
		if got := c.read(); got != want {
			t.Errorf("waiter %d: got %q, want %q", i, got, want)
		}
	}
	p.expect("*1\r\n$1\r\n4\r\n", "LRANGE", "q", "0", "-1")
}

// TestBlockingLostRace: a woken client whose element another client took
// first blocks again, and is served by the next push.
func TestBlockingLostRace(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	a.send("BLPOP", "q", "0")
	waitBlocked(t, s, 1)
	// The push wakes a, but the transaction takes the element before a's
	// command can run again.
	b.expect("+OK\r\n", "MULTI")
	b.expect("+QUEUED\r\n", "RPUSH", "q", "x")
	b.expect("+QUEUED\r\n", "LPOP", "q")
	b.expect("*2\r\n:1\r\n$1\r\nx\r\n", "EXEC")
	waitBlocked(t, s, 1)
	b.expect(":1\r\n", "RPUSH", "q", "y")
	a.expect("*2\r\n$1\r\nq\r\n$1\r\ny\r\n")
}

// TestBlockingKeepsWaitingOnOtherKinds: as in Redis 7.0, a client blocked
// on a key stays blocked while the key holds another kind, and is served
// once it holds a list.
func TestBlockingKeepsWaitingOnOtherKinds(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	a.send("BLPOP", "k", "0")
	waitBlocked(t, s, 1)
	b.expect("+OK\r\n", "SET", "k", "v")
	b.expect(":1\r\n", "ZADD", "k2", "1", "a")
	b.expect("+OK\r\n", "RENAME", "k2", "k") // a sorted set now: still not a list
	if n := s.blocking.blocked(); n != 1 {
		t.Fatalf("%d blocked after k became a string, want 1", n)
	}
	b.expect(":1\r\n", "DEL", "k")
	b.expect(":1\r\n", "RPUSH", "k", "x")
	a.expect("*2\r\n$1\r\nk\r\n$1\r\nx\r\n")
}

// TestBlockingFailedServePassesOn: a woken BLMOVE whose destination holds
// another kind replies WRONGTYPE without popping, and the next waiter is
// woken instead.
func TestBlockingFailedServePassesOn(t *testing.T) {
	s := startServer(t, Config{})
	a, c, b := dial(t, s), dial(t, s), dial(t, s)
	b.expect("+OK\r\n", "SET", "bad", "v")
	a.send("BLMOVE", "q", "bad", "LEFT", "LEFT", "0")
	waitBlocked(t, s, 1)
	c.send("BLPOP", "q", "0")
	waitBlocked(t, s, 2)
	b.expect(":1\r\n", "RPUSH", "q", "x")
	a.expect("-" + msgWrongType + "\r\n")
	c.expect("*2\r\n$1\r\nq\r\n$1\r\nx\r\n")
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

// TestBlockingInsideMulti: a blocking command from EXEC does not block; it
// replies as on a timeout (BLMOVE as LMOVE on a missing key).
func TestBlockingInsideMulti(t *testing.T) {
	s := startServer(t, Config{})
	a := dial(t, s)
	a.expect("+OK\r\n", "MULTI")
	a.expect("+QUEUED\r\n", "BLPOP", "q", "0")
	a.expect("+QUEUED\r\n", "BLMOVE", "q", "d", "LEFT", "LEFT", "0")
	a.expect("+QUEUED\r\n", "BZPOPMIN", "z", "0")
	a.expect("*3\r\n*-1\r\n$-1\r\n*-1\r\n", "EXEC")
	if n := s.blocking.blocked(); n != 0 {
		t.Errorf("%d blocked after EXEC", n)
	}
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

// TestClientUnblock: CLIENT UNBLOCK ends a wait as a timeout or with
// Redis's UNBLOCKED error, and reports 0 for a client not blocked.
func TestClientUnblock(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	id := strconv.FormatInt(a.clientID(), 10)
	b.expect(":0\r\n", "CLIENT", "UNBLOCK", id)
	a.send("BLPOP", "q", "0")
	waitBlocked(t, s, 1)
	b.expect(":1\r\n", "CLIENT", "UNBLOCK", id)
	a.expect("*-1\r\n")
	a.send("BRPOP", "q", "0")
	waitBlocked(t, s, 1)
	b.expect(":1\r\n", "CLIENT", "UNBLOCK", id, "ERROR")
	a.expect("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
	b.expect("-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n", "CLIENT", "UNBLOCK", id, "foo")
	b.expect("-ERR value is not an integer or out of range\r\n", "CLIENT", "UNBLOCK", "x")
	b.expect("-ERR wrong number of arguments for 'client|unblock' command\r\n", "CLIENT", "UNBLOCK")
	b.expect("-ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.\r\n", "CLIENT", "UNBLOCK", id, "timeout", "x")
}

// TestBlockedClientPipeline: requests a blocked client pipelines run after
// its blocking command's reply, in order.
func TestBlockedClientPipeline(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	a.write("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nLLEN\r\n$1\r\nq\r\n")
	waitBlocked(t, s, 1)
	b.expect(":2\r\n", "RPUSH", "q", "x", "y")
	a.expect("*2\r\n$1\r\nq\r\n$1\r\nx\r\n")
	a.expect("+PONG\r\n")
	a.expect(":1\r\n")
}
