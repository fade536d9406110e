package server

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// clientLine matches a CLIENT LIST line field by field, in Redis 7.0's
// order.
var clientLine = regexp.MustCompile(`^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=-?\d+ name=\S* age=\d+ idle=\d+ ` +
	`flags=[NPxbtRBe]+ db=\d+ sub=\d+ psub=\d+ ssub=\d+ multi=-?\d+ qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 ` +
	`tot-mem=0 events=r cmd=\S+ user=default redir=-?\d+ resp=[23]$`)

// bulkText strips a bulk reply's framing.
func bulkText(t *testing.T, raw string) string {
	t.Helper()
	_, body, ok := strings.Cut(raw, "\r\n")
	if !ok || !strings.HasPrefix(raw, "$") {
		t.Fatalf("not a bulk string: %q", raw)
	}
	return strings.TrimSuffix(body, "\r\n")
}

func TestClientListAndInfo(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	idA, idB := a.clientID(), b.clientID()
	a.expect("+OK\r\n", "CLIENT", "SETNAME", "alpha")
	a.expect("+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "go-redis(,go1.26)")
	a.expect("+OK\r\n", "SELECT", "5")
	a.expect("+OK\r\n", "CLIENT", "NO-EVICT", "on")

	info := bulkText(t, b.do("CLIENT", "INFO"))
	if !clientLine.MatchString(strings.TrimSuffix(info, "\n")) || !strings.Contains(info, fmt.Sprintf("id=%d ", idB)) ||
		!strings.Contains(info, " cmd=client|info ") {
		t.Errorf("CLIENT INFO: %q", info)
	}

	list := bulkText(t, b.do("CLIENT", "LIST"))
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("CLIENT LIST has %d lines: %q", len(lines), list)
	}
	for _, l := range lines {
		if !clientLine.MatchString(l) {
			t.Errorf("CLIENT LIST line not in Redis's format: %q", l)
		}
	}
	for _, want := range []string{fmt.Sprintf("id=%d ", idA), " name=alpha ", " db=5 ", " flags=e ", " qbuf=0 "} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("CLIENT LIST first line lacks %q: %q", want, lines[0])
		}
	}
	// The caller's own line shows its request: CLIENT LIST is 26 bytes,
	// its arguments 10, as in Redis.
	if !strings.Contains(lines[1], " cmd=client|list ") || !strings.Contains(lines[1], " qbuf=26 ") || !strings.Contains(lines[1], " argv-mem=10 ") {
		t.Errorf("CLIENT LIST's own line: %q", lines[1])
	}

	byID := bulkText(t, b.do("CLIENT", "LIST", "ID", fmt.Sprint(idB), "999", fmt.Sprint(idA)))
	if ls := strings.Split(strings.TrimSuffix(byID, "\n"), "\n"); len(ls) != 2 ||
		!strings.HasPrefix(ls[0], fmt.Sprintf("id=%d ", idB)) || !strings.HasPrefix(ls[1], fmt.Sprintf("id=%d ", idA)) {
		t.Errorf("CLIENT LIST ID: %q", byID)
	}
	if got := bulkText(t, b.do("CLIENT", "LIST", "TYPE", "NORMAL")); strings.Count(got, "\n") != 2 {
		t.Errorf("CLIENT LIST TYPE normal: %q", got)
	}

	b.do("HELLO", "3")
	if got := b.do("CLIENT", "INFO"); !strings.HasPrefix(got, "=") || !strings.Contains(got, "txt:id=") || !strings.Contains(got, " resp=3") {
		t.Errorf("CLIENT INFO in RESP3 is not verbatim text: %q", got)
	}
}

// waitClosed reports whether the server closed c's connection.
func (c *rawConn) waitClosed() bool {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.br.ReadByte()
	return err != nil && !isTimeout(err)
}

func isTimeout(err error) bool {
	te, ok := err.(interface{ Timeout() bool })
	return ok && te.Timeout()
}

func TestClientKill(t *testing.T) {
	s := startServer(t, Config{})
	killer := dial(t, s)
	byID, byAddr, byLaddr, self := dial(t, s), dial(t, s), dial(t, s), dial(t, s)

	killer.expect(":1\r\n", "CLIENT", "KILL", "ID", fmt.Sprint(byID.clientID()))
	if !byID.waitClosed() {
		t.Error("CLIENT KILL ID left the client connected")
	}
	killer.expect("+OK\r\n", "CLIENT", "KILL", byAddr.nc.LocalAddr().String())
	if !byAddr.waitClosed() {
		t.Error("CLIENT KILL addr left the client connected")
	}
	killer.expect(":0\r\n", "CLIENT", "KILL", "ID", fmt.Sprint(killer.clientID())) // SKIPME yes
	killer.expect("+PONG\r\n", "PING")

	// LADDR matches every client of the listener but the caller.
	killer.expect(":2\r\n", "CLIENT", "KILL", "LADDR", s.Addr(), "USER", "default", "TYPE", "normal")
	if !byLaddr.waitClosed() || !self.waitClosed() {
		t.Error("CLIENT KILL LADDR left a client connected")
	}
	// A client may kill itself: the reply comes first, then the close.
	killer.expect(":1\r\n", "CLIENT", "KILL", "ID", fmt.Sprint(killer.clientID()), "SKIPME", "no")
	if !killer.waitClosed() {
		t.Error("CLIENT KILL SKIPME no did not close the caller")
	}
}
