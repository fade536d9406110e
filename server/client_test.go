package server

import (
	"fmt"
	"strings"
	"testing"
)

// TestPipelineRunsInOrder: a pipeline sent in one write, whose keys the
// connection prefetches before running it (client.prefetch), still runs
// each command in order against the state the ones before it left: a
// SELECT in the middle, writes then reads of one key, a MULTI block, and
// more requests than one prefetch takes.
func TestPipelineRunsInOrder(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	var req strings.Builder
	var want []string
	cmd := func(reply string, args ...string) {
		fmt.Fprintf(&req, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
		}
		want = append(want, reply)
	}
	cmd("+OK\r\n", "SET", "k", "1")
	cmd(":2\r\n", "INCR", "k")
	cmd("$1\r\n2\r\n", "GET", "k")
	cmd("+OK\r\n", "SELECT", "1")
	cmd("$-1\r\n", "GET", "k")
	cmd("+OK\r\n", "SET", "k", "other")
	cmd("+OK\r\n", "SELECT", "0")
	cmd("$1\r\n2\r\n", "GET", "k")
	cmd("+OK\r\n", "MULTI")
	cmd("+QUEUED\r\n", "INCR", "k")
	cmd("+QUEUED\r\n", "GET", "k")
	cmd("*2\r\n:3\r\n$1\r\n3\r\n", "EXEC")
	for i := range 40 {
		cmd(fmt.Sprintf(":%d\r\n", 4+i), "INCR", "k")
		cmd("+OK\r\n", "SET", fmt.Sprintf("n%d", i), "v")
	}
	cmd(":1\r\n", "DEL", "k")
	cmd("$-1\r\n", "GET", "k")
	c.write(req.String())
	for i, w := range want {
		if got := c.read(); got != w {
			t.Fatalf("reply %d: %q, want %q", i, got, w)
		}
	}
}
