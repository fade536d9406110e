package server

import "testing"

func TestGetSetDel(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+PONG\r\n", "PING")
	c.expect("+OK\r\n", "SET", "k", "v")
	c.expect("$1\r\nv\r\n", "GET", "k")
	c.expect(":1\r\n", "DEL", "k", "nope")
	c.expect("$-1\r\n", "GET", "k")
	c.expect("-ERR wrong number of arguments for 'get' command\r\n", "GET")
	c.expect("-ERR unknown command 'NOPE', with args beginning with: 'a' \r\n", "NOPE", "a")
}

func TestPipelineAndInline(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.write("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\nPING\r\nGET a\r\n")
	for _, want := range []string{"+OK\r\n", "+PONG\r\n", "$1\r\n1\r\n"} {
		if got := c.read(); got != want {
			t.Fatalf("got %q want %q", got, want)
		}
	}
}

// TestPipelineRepeatsCommand runs a pipeline that repeats a command name,
// changes its case, and follows it with a near-miss and a wrong arity: the
// remembered last command (client.lookup) must still check each request.
func TestPipelineRepeatsCommand(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.write("PING\r\nPING\r\nping\r\nPINGX\r\nPING a b\r\nECHO x\r\nPING\r\n")
	for _, want := range []string{
		"+PONG\r\n", "+PONG\r\n", "+PONG\r\n",
		"-ERR unknown command 'PINGX', with args beginning with: \r\n",
		"-ERR wrong number of arguments for 'ping' command\r\n",
		"$1\r\nx\r\n", "+PONG\r\n",
	} {
		if got := c.read(); got != want {
			t.Fatalf("got %q want %q", got, want)
		}
	}
}

func TestMultiExec(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "MULTI")
	c.expect("+QUEUED\r\n", "SET", "a", "1")
	c.expect("+QUEUED\r\n", "GET", "a")
	c.expect("*2\r\n+OK\r\n$1\r\n1\r\n", "EXEC")
	c.expect("-ERR EXEC without MULTI\r\n", "EXEC")
	c.expect("+OK\r\n", "MULTI")
	c.expect("-ERR wrong number of arguments for 'get' command\r\n", "GET")
	c.expect("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC")
}

func TestWatch(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	a.expect("+OK\r\n", "WATCH", "w")
	b.expect("+OK\r\n", "SET", "w", "1")
	a.expect("+OK\r\n", "MULTI")
	a.expect("+QUEUED\r\n", "GET", "w")
	a.expect("*-1\r\n", "EXEC")
}

func TestProtocolErrors(t *testing.T) {
	s := startServer(t, Config{})
	for _, tc := range []struct{ name, in, want string }{
		{"bad multibulk", "*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"huge multibulk", "*99999999999\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"bad bulk", "*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"bulk too big", "*1\r\n$600000000\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"no dollar", "*1\r\n+x\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"},
		{"quotes", "SET \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, s)
			c.write(tc.in)
			if got := c.read(); got != tc.want {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
}
