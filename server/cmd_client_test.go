package server

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestClientCommands(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"CLIENT"}, "-ERR wrong number of arguments for 'client' command\r\n"},
		{"unknown subcommand", []string{"CLIENT", "FOO"}, "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"},
		{"getname unset", []string{"CLIENT", "GETNAME"}, "$-1\r\n"},
		{"getname arity", []string{"CLIENT", "GETNAME", "x"}, "-ERR wrong number of arguments for 'client|getname' command\r\n"},
		{"setname space", []string{"CLIENT", "SETNAME", "a b"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{"setname newline", []string{"CLIENT", "SETNAME", "a\nb"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{"setname", []string{"CLIENT", "SETNAME", "foo"}, "+OK\r\n"},
		{"getname", []string{"CLIENT", "GETNAME"}, "$3\r\nfoo\r\n"},
		{"setname empty clears", []string{"CLIENT", "SETNAME", ""}, "+OK\r\n"},
		{"getname cleared", []string{"CLIENT", "GETNAME"}, "$-1\r\n"},
		{"list bad type", []string{"CLIENT", "LIST", "TYPE", "bad"}, "-ERR Unknown client type 'bad'\r\n"},
		{"list pubsub", []string{"CLIENT", "LIST", "TYPE", "pubsub"}, "$0\r\n\r\n"},
		{"list master", []string{"CLIENT", "LIST", "TYPE", "master"}, "$0\r\n\r\n"},
		{"list replica", []string{"CLIENT", "LIST", "TYPE", "replica"}, "$0\r\n\r\n"},
		{"list slave", []string{"CLIENT", "LIST", "TYPE", "slave"}, "$0\r\n\r\n"},
		{"list bad id", []string{"CLIENT", "LIST", "ID", "1", "2", "abc"}, "-ERR Invalid client ID\r\n"},
		{"list no such id", []string{"CLIENT", "LIST", "ID", "0"}, "$0\r\n\r\n"},
		{"list id without ids", []string{"CLIENT", "LIST", "ID"}, "-ERR syntax error\r\n"},
		{"list syntax", []string{"CLIENT", "LIST", "FOO"}, "-ERR syntax error\r\n"},
		{"kill old form", []string{"CLIENT", "KILL", "1.2.3.4:5"}, "-ERR No such client\r\n"},
		{"kill old form id word", []string{"CLIENT", "KILL", "ID"}, "-ERR No such client\r\n"},
		{"kill no such id", []string{"CLIENT", "KILL", "ID", "999"}, ":0\r\n"},
		{"kill bad id", []string{"CLIENT", "KILL", "ID", "abc"}, "-ERR client-id should be greater than 0\r\n"},
		{"kill zero id", []string{"CLIENT", "KILL", "ID", "0"}, "-ERR client-id should be greater than 0\r\n"},
		{"kill addr", []string{"CLIENT", "KILL", "ADDR", "1.2.3.4:5"}, ":0\r\n"},
		{"kill laddr", []string{"CLIENT", "KILL", "LADDR", "1.2.3.4:5"}, ":0\r\n"},
		{"kill unknown user", []string{"CLIENT", "KILL", "USER", "nosuch"}, "-ERR No such user 'nosuch'\r\n"},
		{"kill skipme syntax", []string{"CLIENT", "KILL", "USER", "default", "SKIPME", "maybe"}, "-ERR syntax error\r\n"},
		{"kill bad type", []string{"CLIENT", "KILL", "TYPE", "bad"}, "-ERR Unknown client type 'bad'\r\n"},
		{"kill unknown filter", []string{"CLIENT", "KILL", "FOO", "bar"}, "-ERR syntax error\r\n"},
		{"kill dangling filter", []string{"CLIENT", "KILL", "ID", "1", "TYPE"}, "-ERR syntax error\r\n"},
		{"kill arity", []string{"CLIENT", "KILL"}, "-ERR wrong number of arguments for 'client|kill' command\r\n"},
		{"no-evict on", []string{"CLIENT", "NO-EVICT", "on"}, "+OK\r\n"},
		{"no-evict syntax", []string{"CLIENT", "NO-EVICT", "maybe"}, "-ERR syntax error\r\n"},
		{"no-evict off", []string{"CLIENT", "NO-EVICT", "OFF"}, "+OK\r\n"},
		{"setinfo lib-name", []string{"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}, "+OK\r\n"},
		{"setinfo lib-ver", []string{"CLIENT", "SETINFO", "lib-ver", "5.0.1"}, "+OK\r\n"},
		{"setinfo unknown", []string{"CLIENT", "SETINFO", "FOO", "bar"}, "-ERR Unrecognized option 'FOO'\r\n"},
		{"setinfo space", []string{"CLIENT", "SETINFO", "LIB-NAME", "a b"}, "-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n"},
		{"setinfo arity", []string{"CLIENT", "SETINFO", "LIB-NAME"}, "-ERR wrong number of arguments for 'client|setinfo' command\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("%v: got %q, want %q", tc.args, got, tc.want)
			}
		})
	}
}

// clientLine matches a CLIENT LIST line field by field, in Redis 7.0's
// order.
var clientLine = regexp.MustCompile(`^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=-?\d+ name=\S* age=\d+ idle=\d+ ` +
	`flags=[NPe]+ db=\d+ sub=\d+ psub=\d+ ssub=\d+ multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 ` +
	`tot-mem=0 events=r cmd=\S+ user=default redir=-1 resp=[23] lib-name=\S* lib-ver=\S*$`)

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
	for _, want := range []string{fmt.Sprintf("id=%d ", idA), " name=alpha ", " db=5 ", " flags=e ", " lib-name=go-redis(,go1.26) "} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("CLIENT LIST first line lacks %q: %q", want, lines[0])
		}
	}
	if !strings.Contains(lines[1], " cmd=client|list ") {
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

// TestClientListSubscribers checks the pub/sub fields: a subscriber is a
// pubsub client (flag P) with its subscription counts.
func TestClientListSubscribers(t *testing.T) {
	s := startServer(t, Config{})
	admin, sub := dial(t, s), dial(t, s)
	sub.expect("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", "SUBSCRIBE", "a")
	sub.expect("*3\r\n$10\r\npsubscribe\r\n$2\r\nb*\r\n:2\r\n", "PSUBSCRIBE", "b*")
	line := bulkText(t, admin.do("CLIENT", "LIST", "TYPE", "pubsub"))
	if !strings.Contains(line, " flags=P db=0 sub=1 psub=1 ssub=0 ") || strings.Count(line, "\n") != 1 {
		t.Errorf("CLIENT LIST TYPE pubsub: %q", line)
	}
	if line := bulkText(t, admin.do("CLIENT", "LIST", "TYPE", "normal")); strings.Count(line, "\n") != 1 || !strings.Contains(line, " cmd=client|list ") {
		t.Errorf("CLIENT LIST TYPE normal: %q", line)
	}
	admin.expect(":1\r\n", "CLIENT", "KILL", "TYPE", "pubsub")
	if !sub.waitClosed() {
		t.Error("CLIENT KILL TYPE pubsub left the subscriber connected")
	}
}
