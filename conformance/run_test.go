package conformance

// Running cases against a server, and starting the servers: Strata in
// process, redis-server as a child process.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stratakv/strata/server"
)

// waitTimeout bounds the wait for one reply. Every reply in the suite is
// immediate, so reaching it means the server hung or never answered.
const waitTimeout = 2 * time.Second

// Pseudo replies for what is not a RESP reply (see doc.go).
const (
	replyClosed   = "<closed>\r\n"
	replyOpen     = "<open>\r\n"
	replyTimedOut = "<timeout>\r\n"
	replyBroken   = "<broken>\r\n"
)

// conn is one connection of a case, or the harness's own.
type conn struct {
	nc net.Conn
	br *bufio.Reader
	// dead, when not "", is the pseudo reply every later step gets: the
	// server closed the connection or a reply timed out.
	dead string
}

func dialConn(addr string) (*conn, error) { return dialConnFrom(addr, "") }

// dialConnFrom connects to addr from the local IP address from, or from
// the one the system picks for "".
func dialConnFrom(addr, from string) (*conn, error) {
	d := net.Dialer{Timeout: waitTimeout}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, br: bufio.NewReader(nc)}, nil
}

func (c *conn) close() { c.nc.Close() }

// write sends raw bytes; a failure marks the connection closed.
func (c *conn) write(b string) {
	if c.dead != "" {
		return
	}
	c.nc.SetWriteDeadline(time.Now().Add(waitTimeout))
	if _, err := io.WriteString(c.nc, b); err != nil {
		c.dead = replyClosed
	}
}

// read reads n replies and returns them raw, ending with a pseudo reply
// when the connection closes or a reply does not come.
func (c *conn) read(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if c.dead != "" {
			b.WriteString(c.dead)
			break
		}
		c.nc.SetReadDeadline(time.Now().Add(waitTimeout))
		if err := readReply(c.br, &b); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				b.WriteString(replyTimedOut)
				c.dead = replyBroken
				c.nc.Close()
			} else {
				b.WriteString(replyClosed)
				c.dead = replyClosed
			}
			break
		}
	}
	return b.String()
}

// roundTrip sends one command and reads its reply.
func (c *conn) roundTrip(args ...string) string {
	c.write(encodeCommand(args))
	return c.read(1)
}

// waitEOF reports whether the server closes the connection: <closed>, or
// <open> when nothing comes, or the reply that came instead.
func (c *conn) waitEOF() string {
	if c.dead != "" {
		return c.dead
	}
	c.nc.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, err := c.br.Peek(1); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return replyOpen
		}
		c.dead = replyClosed
		return replyClosed
	}
	return c.read(1)
}

// maxScanCalls bounds a full SCAN iteration, so a cursor that never returns
// to 0 fails the case instead of hanging the suite.
const maxScanCalls = 10000

// scan runs a full SCAN iteration and returns the keys seen, sorted and
// without duplicates, as a RESP array; or the first malformed reply.
func (c *conn) scan(opts []string) string {
	seen := map[string]bool{}
	cursor := "0"
	for i := 0; i < maxScanCalls; i++ {
		raw := c.roundTrip(append([]string{"SCAN", cursor}, opts...)...)
		n, err := parseReply(raw)
		if err != nil || n.typ != '*' || len(n.kids) != 2 || n.kids[0].typ != '$' || n.kids[1].typ != '*' {
			return raw
		}
		for _, k := range n.kids[1].kids {
			seen[k.str] = true
		}
		if cursor = n.kids[0].str; cursor == "0" {
			keys := make([]string, 0, len(seen))
			for k := range seen {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			var b strings.Builder
			fmt.Fprintf(&b, "*%d\r\n", len(keys))
			for _, k := range keys {
				fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(k), k)
			}
			return b.String()
		}
	}
	return "<scan did not end>\r\n"
}

// target is a server the cases run against.
type target struct {
	name   string // "strata" or "redis", for messages
	addr   string
	strata bool // Strata, not Redis: selects ~strata's reply
}

// session runs cases on one target, with a connection of its own for
// FLUSHALL and cleanups.
type session struct {
	tg    target
	admin *conn
}

func newSession(tg target) (*session, error) {
	c, err := dialConn(tg.addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", tg.name, err)
	}
	return &session{tg: tg, admin: c}, nil
}

func (s *session) close() { s.admin.close() }

// adminDo runs a command on the harness's connection, redialling once when
// a case closed it (CLIENT KILL, say).
func (s *session) adminDo(args ...string) string {
	if s.admin.dead != "" {
		if c, err := dialConn(s.tg.addr); err == nil {
			s.admin.close()
			s.admin = c
		}
	}
	return s.admin.roundTrip(args...)
}

// run runs a case on fresh connections after FLUSHALL and returns each
// step's reply ("" for steps without one). An error means the case could
// not be set up.
func (s *session) run(tc *testCase) ([]string, error) {
	// The connections of the case before are closed, but the server may
	// not have seen it yet: their subscriptions and waits must not show in
	// this case.
	if r := s.awaitInfo("clients", "connected_clients", "1"); r != "" {
		return nil, fmt.Errorf("setup: the last case's connections linger: %q", r)
	}
	if r := s.adminDo("FLUSHALL"); r != "+OK\r\n" {
		return nil, fmt.Errorf("setup: FLUSHALL replied %q", r)
	}
	conns := map[int]*conn{}
	defer func() {
		for _, c := range conns {
			c.close()
		}
		for _, st := range tc.steps {
			if st.kind == stepCleanup {
				s.adminDo(st.args...)
			}
		}
	}()
	vars := map[string]string{}
	replies := make([]string, len(tc.steps))
	var pending []int // steps written but not yet flushed
	var buf strings.Builder
	for i, st := range tc.steps {
		switch st.kind {
		case stepCleanup:
			continue
		case stepBlocked:
			replies[i] = s.awaitInfo("clients", "blocked_clients", strconv.Itoa(st.blocked))
			continue
		case stepBusy:
			replies[i] = s.awaitBusy()
			continue
		case stepDial:
			if conns[st.conn] != nil {
				return nil, fmt.Errorf("setup: line %d: !dial on a connection already open", st.line)
			}
			c, err := s.dial(tc.resp3, st.from)
			if err != nil {
				return nil, err
			}
			conns[st.conn] = c
			continue
		}
		c := conns[st.conn]
		if c == nil {
			var err error
			if c, err = s.dial(tc.resp3, ""); err != nil {
				return nil, err
			}
			conns[st.conn] = c
		}
		switch st.kind {
		case stepEOF:
			replies[i] = c.waitEOF()
			continue
		case stepScan:
			replies[i] = c.scan(st.args)
			continue
		case stepSend:
			c.write(encodeCommand(substitute(st.args, vars)))
			continue
		case stepRecv:
			replies[i] = c.read(st.replies)
			continue
		case stepCommand:
			buf.WriteString(encodeCommand(substitute(st.args, vars)))
		default:
			buf.WriteString(st.raw)
		}
		pending = append(pending, i)
		if st.pipe {
			continue
		}
		c.write(buf.String())
		buf.Reset()
		for _, j := range pending {
			sj := tc.steps[j]
			n := 1
			if sj.kind == stepRaw {
				n = sj.replies
			}
			replies[j] = c.read(n)
			if sj.cmp.name == "save" {
				if r, err := parseReply(replies[j]); err == nil {
					vars[sj.cmp.args[0]] = r.text()
				}
			}
		}
		pending = pending[:0]
	}
	return replies, nil
}

// infoPoll is how often awaitInfo asks again.
const infoPoll = 5 * time.Millisecond

// awaitInfo waits, for up to waitTimeout, until an INFO section's field
// has the value want, asking on the harness's connection. It returns ""
// then, or a pseudo reply naming the value it saw last.
func (s *session) awaitInfo(section, field, want string) string {
	var got string
	for i := 0; i < int(waitTimeout/infoPoll); i++ {
		if got = infoField(s.adminDo("INFO", section), field); got == want {
			return ""
		}
		time.Sleep(infoPoll)
	}
	return fmt.Sprintf("<timeout: %s:%s>\r\n", field, got)
}

// awaitBusy waits, on the harness's connection, until PING is answered
// BUSY: a script a !send started has run past busy-reply-threshold. It
// returns "" then, or a pseudo reply when that does not happen in time.
func (s *session) awaitBusy() string {
	var got string
	for i := 0; i < int(waitTimeout/infoPoll); i++ {
		if got = s.adminDo("PING"); strings.HasPrefix(got, "-BUSY ") {
			return ""
		}
		time.Sleep(infoPoll)
	}
	return fmt.Sprintf("<timeout: not busy: %q>\r\n", got)
}

// dial opens a case connection, from the local address from unless it is
// "", switched to RESP3 when the case says so.
func (s *session) dial(resp3 bool, from string) (*conn, error) {
	c, err := dialConnFrom(s.tg.addr, from)
	if err != nil {
		return nil, fmt.Errorf("setup: dial: %v", err)
	}
	if resp3 {
		if r := c.roundTrip("HELLO", "3"); !strings.HasPrefix(r, "%") {
			c.close()
			return nil, fmt.Errorf("setup: HELLO 3 replied %q", r)
		}
	}
	return c, nil
}

// substitute replaces {{NAME}} in args with values saved by ~save.
func substitute(args []string, vars map[string]string) []string {
	if len(vars) == 0 {
		return args
	}
	out := make([]string, len(args))
	for i, a := range args {
		for k, v := range vars {
			a = strings.ReplaceAll(a, "{{"+k+"}}", v)
		}
		out[i] = a
	}
	return out
}

// checkCase compares a case's replies with its goldens and returns one
// message per mismatching step.
func checkCase(tc *testCase, replies []string, strata bool) []string {
	var msgs []string
	for i, st := range tc.steps {
		if !st.expectsReply() {
			if replies[i] != "" {
				msgs = append(msgs, fmt.Sprintf("line %d: %s: unexpected reply %q", st.line, st.text, replies[i]))
			}
			continue
		}
		if !st.recorded {
			msgs = append(msgs, fmt.Sprintf("line %d: %s: no golden reply; record with -record", st.line, st.text))
			continue
		}
		if err := st.cmp.check(st.golden, replies[i], strata); err != nil {
			msgs = append(msgs, fmt.Sprintf("line %d: %s: %v", st.line, st.text, err))
		}
	}
	return msgs
}

// startStrata runs Strata in process on a free port for the test's life,
// configured as startRedis configures redis-server.
func startStrata(t *testing.T) string {
	t.Helper()
	s, err := server.New(server.Config{
		Port:               -1,
		Dir:                t.TempDir(),
		EnableDebugCommand: "local",
		ACLFile:            emptyACLFile(t),
		Logger:             slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}

// redisPorts are the ports tried for redis-server, in order; a busy port
// is skipped.
var redisPorts = [2]int{7400, 7499}

// emptyACLFile returns a new empty ACL file: the suite's servers start
// with one, so that cases can run ACL SAVE and ACL LOAD (and put back
// what they changed).
func emptyACLFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.acl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startRedis runs redis-server (bin) on a free port of redisPorts for the
// test's life, configured as the goldens were recorded: no persistence,
// loopback only, DEBUG allowed to local clients, an empty ACL file. It
// returns the address and the server's version.
func startRedis(t *testing.T, bin string) (addr, version string) {
	t.Helper()
	return startRedisIn(t, bin, t.TempDir(), nil)
}

// startRedisIn is startRedis with dir as the server's directory and more
// arguments, made for the port it tries (a cluster node's bus port).
func startRedisIn(t *testing.T, bin, dir string, more func(port int) []string) (addr, version string) {
	t.Helper()
	for port := redisPorts[0]; port <= redisPorts[1]; port++ {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // busy
		}
		ln.Close()
		var extra []string
		if more != nil {
			extra = more(port)
		}
		addr, version, err := tryRedis(t, bin, dir, port, extra...)
		if err == nil {
			return addr, version
		}
		t.Logf("redis-server on port %d: %v", port, err)
	}
	t.Fatalf("no redis-server could start on ports %d-%d", redisPorts[0], redisPorts[1])
	return "", ""
}

func tryRedis(t *testing.T, bin, dir string, port int, extra ...string) (addr, version string, err error) {
	aclFile := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(aclFile, nil, 0o644); err != nil {
		return "", "", err
	}
	cmd := exec.Command(bin, append([]string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--enable-debug-command", "local",
		"--aclfile", aclFile, "--daemonize", "no"}, extra...)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	addr = "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return "", "", fmt.Errorf("exited: %s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
		c, err := dialConn(addr)
		if err != nil {
			continue
		}
		info := c.roundTrip("INFO", "server")
		c.close()
		// The port may have been taken by another server in between: only
		// ours has our process id.
		if !strings.Contains(info, "\r\nprocess_id:"+strconv.Itoa(cmd.Process.Pid)+"\r\n") {
			continue
		}
		t.Cleanup(stop)
		return addr, infoField(info, "redis_version"), nil
	}
	stop()
	return "", "", fmt.Errorf("not ready in time: %s", out.String())
}

// infoField returns an INFO field's value, "" when absent.
func infoField(info, field string) string {
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	return ""
}

// redisBinary finds redis-server for a live check: a missing binary skips
// the test, or fails it when STRATA_REQUIRE_REDIS=1 (as in CI).
func redisBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		skipOrFail(t, "redis-server not on PATH: live check against Redis skipped")
	}
	return bin
}

func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("STRATA_REQUIRE_REDIS") == "1" {
		t.Fatal(msg + " (STRATA_REQUIRE_REDIS=1)")
	}
	t.Skip(msg)
}
