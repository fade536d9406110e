package server

import (
	"fmt"
	"strings"
	"testing"
)

// helloReply is HELLO's reply for client id in RESP2 or RESP3, as Redis
// 7.0.15 sends it.
func helloReply(resp3 bool, id int64) string {
	head, proto := "*14", ":2"
	if resp3 {
		head, proto = "%7", ":3"
	}
	return head + "\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n" + proto +
		"\r\n$2\r\nid\r\n" + fmt.Sprintf(":%d", id) +
		"\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
}

// clientID asks the server for the connection's id.
func (c *rawConn) clientID() int64 {
	c.t.Helper()
	var id int64
	if _, err := fmt.Sscanf(c.do("CLIENT", "ID"), ":%d\r\n", &id); err != nil {
		c.t.Fatalf("CLIENT ID: %v", err)
	}
	return id
}

func TestConnectionCommands(t *testing.T) {
	s := startServer(t, Config{Databases: 4})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"ping", []string{"PING"}, "+PONG\r\n"},
		{"ping message", []string{"PING", "hello"}, "$5\r\nhello\r\n"},
		{"ping arity", []string{"PING", "a", "b"}, "-ERR wrong number of arguments for 'ping' command\r\n"},
		{"echo", []string{"ECHO", "x"}, "$1\r\nx\r\n"},
		{"echo arity", []string{"ECHO"}, "-ERR wrong number of arguments for 'echo' command\r\n"},
		{"select", []string{"SELECT", "3"}, "+OK\r\n"},
		{"select out of range", []string{"SELECT", "4"}, "-ERR DB index is out of range\r\n"},
		{"select negative", []string{"SELECT", "-1"}, "-ERR DB index is out of range\r\n"},
		{"select not integer", []string{"SELECT", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{"select beyond int", []string{"SELECT", "4294967296"}, "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"},
		{"auth without password", []string{"AUTH", "x"}, "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"},
		{"auth default without password", []string{"AUTH", "default", "x"}, "+OK\r\n"},
		{"auth unknown user", []string{"AUTH", "nouser", "x"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"auth syntax", []string{"AUTH", "a", "b", "c"}, "-ERR syntax error\r\n"},
		{"hello bad version", []string{"HELLO", "4"}, "-NOPROTO unsupported protocol version\r\n"},
		{"hello version 1", []string{"HELLO", "1"}, "-NOPROTO unsupported protocol version\r\n"},
		{"hello not integer", []string{"HELLO", "x"}, "-ERR Protocol version is not an integer or out of range\r\n"},
		{"hello auth short", []string{"HELLO", "3", "AUTH"}, "-ERR Syntax error in HELLO option 'AUTH'\r\n"},
		{"hello auth missing pass", []string{"HELLO", "3", "AUTH", "default"}, "-ERR Syntax error in HELLO option 'AUTH'\r\n"},
		{"hello unknown option", []string{"HELLO", "2", "FOO"}, "-ERR Syntax error in HELLO option 'FOO'\r\n"},
		{"hello setname short", []string{"HELLO", "3", "SETNAME"}, "-ERR Syntax error in HELLO option 'SETNAME'\r\n"},
		{"hello bad name", []string{"HELLO", "3", "SETNAME", "a b"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{"hello unknown user", []string{"HELLO", "3", "AUTH", "nouser", "x"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"reset arity", []string{"RESET", "x"}, "-ERR wrong number of arguments for 'reset' command\r\n"},
		{"reset", []string{"RESET"}, "+RESET\r\n"},
	}
	c := dial(t, s)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("%v: got %q, want %q", tc.args, got, tc.want)
			}
		})
	}
}

func TestHello(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	id := c.clientID()
	c.expect(helloReply(false, id), "HELLO")
	c.expect(helloReply(true, id), "HELLO", "3", "SETNAME", "app")
	c.expect("_\r\n", "GET", "missing") // RESP3 from now on
	c.expect("$3\r\napp\r\n", "CLIENT", "GETNAME")
	c.expect(helloReply(true, id), "HELLO")
	c.expect(helloReply(true, id), "HELLO", "3", "AUTH", "default", "anything") // no password: any
	c.expect(helloReply(false, id), "HELLO", "2")
	c.expect("$-1\r\n", "GET", "missing")
}

// TestResetClearsState checks that RESET gives a new connection's state:
// database 0, RESP2, no name, no transaction, no watches.
func TestResetClearsState(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "SELECT", "2")
	c.expect("+OK\r\n", "SET", "k", "in-db-2")
	c.do("HELLO", "3", "SETNAME", "named")
	c.expect("+OK\r\n", "WATCH", "k")
	c.expect("+OK\r\n", "MULTI")
	c.expect("+RESET\r\n", "RESET") // RESET runs at once inside MULTI
	c.expect("-ERR EXEC without MULTI\r\n", "EXEC")
	c.expect("$-1\r\n", "GET", "k") // database 0, in RESP2
	c.expect("$-1\r\n", "CLIENT", "GETNAME")
	if line := c.do("CLIENT", "INFO"); !strings.Contains(line, " db=0 ") || !strings.Contains(line, " resp=2 ") {
		t.Errorf("CLIENT INFO after RESET: %q", line)
	}
}

func TestAuthGating(t *testing.T) {
	s := startServer(t, Config{RequirePass: "secret"})
	c := dial(t, s)
	const noauth = "-NOAUTH Authentication required.\r\n"
	c.expect(noauth, "PING")
	c.expect("-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n", "HELLO", "3")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "wrong")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "default", "wrong")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "HELLO", "3", "AUTH", "default", "wrong")
	c.expect("+RESET\r\n", "RESET")
	c.expect("+OK\r\n", "AUTH", "secret")
	c.expect("+PONG\r\n", "PING")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "wrong")
	c.expect("+PONG\r\n", "PING") // a failed AUTH does not log out
	c.expect("+RESET\r\n", "RESET")
	c.expect(noauth, "PING") // RESET does
	// HELLO authenticates before it checks the name, as Redis 7.0.15.
	c.expect("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "HELLO", "3", "AUTH", "default", "secret", "SETNAME", "a b")
	c.expect("+PONG\r\n", "PING")
	c.expect("+RESET\r\n", "RESET")
	c.expect(helloReply(true, c.clientIDAfterAuth("secret")), "HELLO", "3", "AUTH", "default", "secret")
	c.expect("+OK\r\n", "QUIT")
}

// clientIDAfterAuth authenticates to read the id, then logs out again.
func (c *rawConn) clientIDAfterAuth(pass string) int64 {
	c.t.Helper()
	c.expect("+OK\r\n", "AUTH", pass)
	id := c.clientID()
	c.expect("+RESET\r\n", "RESET")
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

// TestRequirePassAtRunTime sets and clears the password with CONFIG SET:
// connected clients stay in when it is set, and everyone is in once it is
// cleared, as in Redis.
func TestRequirePassAtRunTime(t *testing.T) {
	s := startServer(t, Config{})
	admin := dial(t, s)
	admin.expect("+OK\r\n", "CONFIG", "SET", "requirepass", "pw")
	admin.expect("+PONG\r\n", "PING")
	late := dial(t, s)
	late.expect("-NOAUTH Authentication required.\r\n", "PING")
	admin.expect("+OK\r\n", "CONFIG", "SET", "requirepass", "")
	late.expect("+PONG\r\n", "PING")
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
