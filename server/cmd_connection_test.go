package server

import (
	"fmt"
	"strings"
	"testing"
)

// clientID asks the server for the connection's id.
func (c *rawConn) clientID() int64 {
	c.t.Helper()
	var id int64
	if _, err := fmt.Sscanf(c.do("CLIENT", "ID"), ":%d\r\n", &id); err != nil {
		c.t.Fatalf("CLIENT ID: %v", err)
	}
	return id
}

// TestAuthGatingEveryCommand sends every command in the table, and every
// subcommand, with as many arguments as its arity asks (arity errors come
// before NOAUTH, as in Redis) to an unauthenticated connection: only AUTH,
// HELLO, QUIT and RESET (Redis 7.0's no_auth commands) may run.
func TestAuthGatingEveryCommand(t *testing.T) {
	s := startServer(t, Config{RequirePass: "secret"})
	c := dial(t, s)
	allowed := map[string]bool{"auth": true, "hello": true, "quit": true, "reset": true}
	fill := func(cmd *command) []string {
		args := strings.Split(cmd.name, "|")
		for len(args) < max(cmd.arity, -cmd.arity) {
			args = append(args, "a")
		}
		return args
	}
	for _, cmd := range newCommandTable().sorted() {
		if allowed[cmd.name] {
			if cmd.flags&flagNoAuth == 0 {
				t.Errorf("%s lacks flagNoAuth", cmd.name)
			}
			continue
		}
		lines := [][]string{}
		if cmd.subcommands == nil || cmd.handler != nil {
			lines = append(lines, fill(cmd))
		}
		for _, sub := range sortedSubcommands(cmd) {
			lines = append(lines, fill(sub))
		}
		want := "-NOAUTH Authentication required.\r\n"
		if cmd.name == "exec" { // EXEC reports any refusal as an abort
			want = "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n"
		}
		for _, args := range lines {
			if got := c.do(args...); got != want {
				t.Errorf("%v before AUTH: got %q", args, got)
			}
		}
	}
	c.expect("+OK\r\n", "AUTH", "secret")
	c.expect("+PONG\r\n", "PING")
}

// TestAuthRedactedInSlowlog checks that passwords never reach the slow
// log.
func TestAuthRedactedInSlowlog(t *testing.T) {
	s := startServer(t, Config{RequirePass: "secret"})
	c := dial(t, s)
	c.expect("+OK\r\n", "AUTH", "default", "secret")
	c.expect("+OK\r\n", "CONFIG", "SET", "slowlog-log-slower-than", "0")
	c.expect("+OK\r\n", "AUTH", "secret")
	c.do("HELLO", "2", "AUTH", "default", "secret")
	c.expect("+OK\r\n", "CONFIG", "SET", "requirepass", "secret", "masterauth", "other")
	got := c.do("SLOWLOG", "GET", "-1")
	if strings.Contains(got, "secret") || strings.Contains(got, "other") {
		t.Errorf("a password reached the slow log: %q", got)
	}
	if !strings.Contains(got, "(redacted)") {
		t.Errorf("no redacted argument in %q", got)
	}
}
