package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/acl"
)

const ok = "+OK\r\n"

// noPerm is the reply to a command the user may not run.
func noPerm(cmd string) string { return errReply(fmt.Sprintf(msgNoPermCommand, cmd)) }

// authAs opens a connection authenticated as user.
func authAs(t *testing.T, s *Server, user, pass string) *rawConn {
	t.Helper()
	c := dial(t, s)
	c.expect(ok, "AUTH", user, pass)
	return c
}

// expectClosed fails the test unless the server closes c.
func (c *rawConn) expectClosed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := c.br.ReadByte(); err == nil {
		c.t.Errorf("connection still open: read %q", b)
	}
}

func TestNoAuthGate(t *testing.T) {
	s := startServer(t, Config{RequirePass: "secret"})
	c := dial(t, s)
	c.expect(errReply(msgNoAuth), "GET", "k")
	c.expect(errReply(msgNoAuth), "ACL", "WHOAMI")
	c.expect(errReply(msgWrongPass), "AUTH", "wrong")
	c.expect(errReply(msgNoAuth), "PING")
	c.expect(ok, "AUTH", "secret")
	c.expect("+PONG\r\n", "PING")
	c.expect(bulk("default"), "ACL", "WHOAMI")

	// With no password but the default user off, every new connection
	// must log in as another user first.
	c.expect(ok, "CONFIG", "SET", "requirepass", "")
	c.expect(ok, "ACL", "SETUSER", "admin", "on", ">pw", "+@all", "~*", "&*")
	c.expect(ok, "ACL", "SETUSER", "default", "off")
	d := dial(t, s)
	d.expect(errReply(msgNoAuth), "PING")
	d.expect(errReply(msgWrongPass), "AUTH", "default", "")
	d.expect(ok, "AUTH", "admin", "pw")
	d.expect("+PONG\r\n", "PING")
	// RESET makes the connection the default user's again: locked out.
	d.expect("+RESET\r\n", "RESET")
	d.expect(errReply(msgNoAuth), "PING")
	// QUIT is allowed before AUTH.
	d.expect(ok, "QUIT")
	d.expectClosed()
}

func TestACLPermissions(t *testing.T) {
	s := startServer(t, Config{})
	admin := dial(t, s)
	admin.expect(ok, "ACL", "SETUSER", "alice", "on", ">pw", "-@all", "+@read", "+@string", "-set",
		"+publish", "+subscribe", "+psubscribe", "+acl|whoami", "%R~r:*", "%W~w:*", "~rw:*", "&news.*")
	a := authAs(t, s, "alice", "pw")
	a.expect(bulk("alice"), "ACL", "WHOAMI")
	a.expect("$-1\r\n", "GET", "r:1")
	a.expect(errReply(msgNoPermKey), "GET", "w:1")
	a.expect(noPerm("set"), "SET", "w:1", "v")
	a.expect(ok, "SETEX", "w:1", "100", "v")
	a.expect(errReply(msgNoPermKey), "SETEX", "r:1", "100", "v")
	a.expect(":2\r\n", "APPEND", "w:1", "x") // inserts without reading: %W~ is enough
	a.expect(errReply(msgNoPermKey), "GETDEL", "w:1")
	a.expect(":1\r\n", "APPEND", "rw:1", "x")
	a.expect(bulk("x"), "GETDEL", "rw:1") // ~ grants reading and writing
	a.expect(noPerm("flushall"), "FLUSHALL")
	a.expect(noPerm("config|set"), "CONFIG", "SET", "timeout", "0")
	a.expect(":0\r\n", "PUBLISH", "news.sport", "goal")
	a.expect(errReply(msgNoPermChannel), "PUBLISH", "weather", "rain")
	a.expect(errReply(msgNoPermChannel), "PSUBSCRIBE", "news.s*")

	// Denials are in the ACL log, newest first; a failed AUTH too.
	dial(t, s).expect(errReply(msgWrongPass), "AUTH", "alice", "nope")
	log := admin.do("ACL", "LOG", "3")
	for _, want := range []string{
		"$6\r\nreason\r\n$4\r\nauth\r\n", "$6\r\nobject\r\n$4\r\nAUTH\r\n",
		"$6\r\nreason\r\n$7\r\nchannel\r\n", "$6\r\nobject\r\n$7\r\nnews.s*\r\n",
		"$6\r\nobject\r\n$7\r\nweather\r\n", "user=alice",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("ACL LOG lacks %q:\n%s", want, log)
		}
	}
	admin.expect(ok, "ACL", "LOG", "RESET")
	admin.expect("*0\r\n", "ACL", "LOG")
	admin.expect(ok, "ACL", "DRYRUN", "alice", "get", "r:1")
	admin.expect(bulk("This user has no permissions to access the 'w:1' key"), "ACL", "DRYRUN", "alice", "get", "w:1")
	admin.expect(bulk("This user has no permissions to run the 'set' command"), "ACL", "DRYRUN", "alice", "set", "w:1", "v")
	admin.expect("*0\r\n", "ACL", "LOG") // DRYRUN logs nothing

	// CLIENT LIST names the user, and CLIENT KILL USER finds it.
	if list := admin.do("CLIENT", "LIST"); !strings.Contains(list, "user=alice") {
		t.Errorf("CLIENT LIST: %q", list)
	}
	admin.expect(":1\r\n", "CLIENT", "KILL", "USER", "alice")
	a.expectClosed()
	admin.expect(errReply(fmt.Sprintf(msgNoSuchUser, "nobody")), "CLIENT", "KILL", "USER", "nobody")
}

// TestACLStrataCommands checks that Strata's own commands are in @cache
// and the categories their flags say, and that CACHE.MSET's keys, which
// follow its options, are checked.
func TestACLStrataCommands(t *testing.T) {
	s := startServer(t, Config{})
	admin := dial(t, s)
	admin.expect(ok, "ACL", "SETUSER", "cacher", "on", "nopass", "-@all", "+@cache", "-@dangerous", "~c:*")
	c := authAs(t, s, "cacher", "x")
	c.expect(ok, "CACHE.SET", "c:1", "v", "TAGS", "t")
	c.expect(noPerm("get"), "GET", "c:1")
	c.expect(ok, "CACHE.MSET", "EX", "100", "c:2", "v", "c:3", "v")
	c.expect(errReply(msgNoPermKey), "CACHE.MSET", "EX", "100", "c:4", "v", "other", "v")
	c.expect(noPerm("cache.invalidate"), "CACHE.INVALIDATE", "TAG", "t")
	if got := admin.do("ACL", "CAT", "cache"); !strings.Contains(got, "cache.set") || !strings.Contains(got, "cl.throttle") ||
		strings.Contains(got, "\r\nget\r\n") {
		t.Errorf("ACL CAT cache: %q", got)
	}
	if got := admin.do("ACL", "CAT"); !strings.HasSuffix(got, "$5\r\ncache\r\n") {
		t.Errorf("ACL CAT does not end with cache: %q", got)
	}
	admin.expect(ok, "ACL", "SETUSER", "reader", "on", "nopass", "+@read", "~*")
	r := authAs(t, s, "reader", "x")
	r.expect(noPerm("cache.set"), "CACHE.SET", "k", "v")
	r.expect(":0\r\n", "EXISTS", "k")
	r.expect("*0\r\n", "CACHE.TAGS", "k")
}

func TestACLDelUserAndLoadDisconnect(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users.acl")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{ACLFile: file})
	admin := dial(t, s)
	admin.expect(ok, "ACL", "SETUSER", "bob", "on", ">pw", "+@all", "~*")
	bob := authAs(t, s, "bob", "pw")
	admin.expect(":1\r\n", "ACL", "DELUSER", "bob", "nobody")
	bob.expectClosed()

	admin.expect(ok, "ACL", "SETUSER", "bob", "on", ">pw", "+@all", "~*")
	admin.expect(ok, "ACL", "SAVE")
	bob = authAs(t, s, "bob", "pw")
	// ACL LOAD replaces every user but the default: bob is a new user,
	// and his connections close, as in Redis.
	admin.expect(ok, "ACL", "LOAD")
	bob.expectClosed()
	admin.expect("+PONG\r\n", "PING")
	authAs(t, s, "bob", "pw").expect(bulk("bob"), "ACL", "WHOAMI")
}

func TestACLSetUserRevokesSubscribers(t *testing.T) {
	s := startServer(t, Config{})
	admin := dial(t, s)
	admin.expect(ok, "ACL", "SETUSER", "sub", "on", "nopass", "+@all", "&a*", "&b")
	keep, lose := authAs(t, s, "sub", "x"), authAs(t, s, "sub", "x")
	keep.do("SUBSCRIBE", "a1")
	lose.do("SUBSCRIBE", "b")
	admin.expect(ok, "ACL", "SETUSER", "sub", "resetchannels", "&a*")
	lose.expectClosed()
	keep.expect("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING")
}

func TestACLFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users.acl")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("user default on >secret ~* &* +@all\nuser app on >pw ~app:* resetchannels -@all +@read +@write\n")
	s := startServer(t, Config{ACLFile: file, RequirePass: "ignored"})
	dial(t, s).expect(errReply(msgNoAuth), "PING")
	dial(t, s).expect(errReply(msgWrongPass), "AUTH", "ignored")
	app := authAs(t, s, "app", "pw")
	app.expect(ok, "SET", "app:1", "v")
	app.expect(errReply(msgNoPermKey), "SET", "other", "v")
	admin := authAs(t, s, "default", "secret")
	admin.expect("*2\r\n$7\r\naclfile\r\n"+bulk(file), "CONFIG", "GET", "aclfile")

	// A file with an error is refused whole, and names each problem.
	write("user app on >pw2\nuser bad +nosuch\nnonsense\n")
	want := fmt.Sprintf("-ERR %s:2: Unknown command or category name in ACL. %s:3 should start with user keyword followed by the username. %s\r\n",
		file, file, msgACLLoadAbort)
	admin.expect(want, "ACL", "LOAD")
	authAs(t, s, "app", "pw")

	// ACL SAVE writes what ACL LIST shows.
	admin.expect(ok, "ACL", "SETUSER", "new", "on", "nopass")
	admin.expect(ok, "ACL", "SAVE")
	saved, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	list := parseBulks(t, admin.do("ACL", "LIST"))
	if got := strings.TrimSuffix(string(saved), "\n"); got != strings.Join(list, "\n") {
		t.Errorf("saved\n%s\nACL LIST\n%s", got, strings.Join(list, "\n"))
	}

	// At start, a bad file stops the server, as Redis aborts.
	write("user x +nosuch\n")
	if _, err := New(Config{Port: -1, Dir: t.TempDir(), ACLFile: file}); err == nil || !strings.Contains(err.Error(), "Unknown command or category name in ACL") {
		t.Errorf("New with a bad aclfile: %v", err)
	}
	if _, err := New(Config{Port: -1, Dir: t.TempDir(), ACLFile: filepath.Join(dir, "missing")}); err == nil ||
		!strings.Contains(err.Error(), "No such file or directory") {
		t.Errorf("New with a missing aclfile: %v", err)
	}
	// Without an aclfile, ACL SAVE and LOAD are refused.
	dial(t, startServer(t, Config{})).expect(errReply(msgACLNoFile), "ACL", "SAVE")
}

func TestRenameCommand(t *testing.T) {
	s := startServer(t, Config{RenameCommands: map[string]string{"FLUSHALL": "", "config": "cfg-7f3a"}})
	c := dial(t, s)
	c.expect(errReply(fmt.Sprintf(msgUnknownCommand, "FLUSHALL", "")), "FLUSHALL")
	c.expect(errReply(fmt.Sprintf(msgUnknownCommand, "CONFIG", "'GET' 'timeout' ")), "CONFIG", "GET", "timeout")
	c.expect("*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n", "CFG-7F3A", "GET", "timeout")
	// ACL rules name commands by their own names.
	c.expect(ok, "ACL", "SETUSER", "u", "on", "nopass", "-@all", "+config|get", "+flushall")
	for _, bad := range []map[string]string{{"nosuch": "x"}, {"get": "set"}} {
		if _, err := New(Config{Port: -1, Dir: t.TempDir(), RenameCommands: bad}); err == nil {
			t.Errorf("rename-command %v accepted", bad)
		}
	}
}

// dialFrom connects to s from the local address ip: a loopback address
// other than 127.0.0.1 is, for protected mode as for Redis, not loopback.
func dialFrom(t *testing.T, s *Server, ip string) *rawConn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	nc, err := d.Dial("tcp", s.Addr())
	if err != nil {
		t.Skipf("cannot connect from %s: %v", ip, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func TestProtectedMode(t *testing.T) {
	s := startServer(t, Config{})
	far := dialFrom(t, s, "127.0.0.2")
	far.expect(errReply(msgDenied), "PING")
	far.expectClosed()
	dial(t, s).expect("+PONG\r\n", "PING") // 127.0.0.1 is served
	if info := dial(t, s).do("INFO", "stats"); !strings.Contains(info, "rejected_connections:1\r\n") {
		t.Errorf("the refusal is not counted: %s", info)
	}

	// With a password, the client is served (and must AUTH).
	admin := dial(t, s)
	admin.expect(ok, "CONFIG", "SET", "requirepass", "pw")
	dialFrom(t, s, "127.0.0.2").expect(errReply(msgNoAuth), "PING")
	admin.expect(ok, "CONFIG", "SET", "requirepass", "")
	// A disabled default user still has no password: refused.
	admin.expect(ok, "ACL", "SETUSER", "default", "off")
	dialFrom(t, s, "127.0.0.2").expect(errReply(msgDenied), "PING")
	admin.expect(ok, "ACL", "SETUSER", "default", "on")

	admin.expect(ok, "CONFIG", "SET", "protected-mode", "no")
	dialFrom(t, s, "127.0.0.2").expect("+PONG\r\n", "PING")
	admin.expect("*2\r\n$14\r\nprotected-mode\r\n$2\r\nno\r\n", "CONFIG", "GET", "protected-mode")

	off := startServer(t, Config{ProtectedMode: "no"})
	dialFrom(t, off, "127.0.0.2").expect("+PONG\r\n", "PING")
	if _, err := New(Config{Port: -1, Dir: t.TempDir(), ProtectedMode: "maybe"}); err == nil {
		t.Error("protected-mode maybe accepted")
	}
}

// TestACLCheckDoesNotAllocate keeps the permission check of a user with
// every permission (the default user) free on the hot path.
func TestACLCheckDoesNotAllocate(t *testing.T) {
	s := startServer(t, Config{})
	c := &client{srv: s}
	c.setDefaultAuth()
	cmd := s.commands["get"]
	args := [][]byte{[]byte("get"), []byte("k")}
	if n := testing.AllocsPerRun(100, func() { c.checkACL(cmd, args, acl.ContextTopLevel) }); n != 0 {
		t.Errorf("%v allocations per check", n)
	}
}

// TestAdminACL checks the admin listener's credentials against ACL users:
// a user allowed INFO may read it, another is forbidden.
func TestAdminACL(t *testing.T) {
	s := startServer(t, Config{AdminAddr: "127.0.0.1:0", RequirePass: "secret"})
	admin := authAs(t, s, "default", "secret")
	admin.expect(ok, "ACL", "SETUSER", "ops", "on", ">pw", "+info")
	admin.expect(ok, "ACL", "SETUSER", "app", "on", ">pw", "+get", "~*")
	admin.expect(ok, "ACL", "SETUSER", "runner", "on", ">pw", "+cache.warmup|run")
	get := func(user, pass string) int { return adminStatus(t, s, "GET", "/metrics", user, pass) }
	for _, tc := range []struct {
		user, pass string
		want       int
	}{
		{"ops", "pw", http.StatusOK},
		{"", "secret", http.StatusOK},
		{"ops", "wrong", http.StatusUnauthorized},
		{"app", "pw", http.StatusForbidden},
	} {
		if got := get(tc.user, tc.pass); got != tc.want {
			t.Errorf("%s/%s: %d, want %d", tc.user, tc.pass, got, tc.want)
		}
	}
	// Running a warm-up job takes CACHE.WARMUP RUN (404: there is no
	// such job, once allowed to ask).
	if got := adminStatus(t, s, "POST", "/warmup/nosuch", "ops", "pw"); got != http.StatusForbidden {
		t.Errorf("POST /warmup as a user without CACHE.WARMUP RUN: %d", got)
	}
	if got := adminStatus(t, s, "POST", "/warmup/nosuch", "runner", "pw"); got != http.StatusNotFound {
		t.Errorf("POST /warmup as a user with CACHE.WARMUP RUN: %d", got)
	}
}

// adminStatus sends a request to the admin listener with Basic
// credentials and returns the status.
func adminStatus(t *testing.T, s *Server, method, path, user, pass string) int {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.AdminAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
