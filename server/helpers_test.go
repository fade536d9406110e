package server

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratakv/strata/storage"
)

// testClock is an injectable clock in unix milliseconds.
type testClock struct{ ms atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ms.Store(time.Now().UnixMilli())
	return c
}

func (c *testClock) Now() int64              { return c.ms.Load() }
func (c *testClock) Advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// startServer runs a Server on a free loopback port for the test's
// lifetime. cfg.Port and cfg.Dir are set for the caller.
func startServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	cfg.Port = -1
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawConn speaks RESP to a server and returns replies as raw protocol
// text, so tests check the exact bytes a Redis client would see.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dial(t testing.TB, s *Server) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// do sends one command and returns its reply in raw RESP.
func (c *rawConn) do(args ...string) string {
	c.t.Helper()
	c.send(args...)
	return c.read()
}

// send writes one command without reading its reply.
func (c *rawConn) send(args ...string) {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.write(b.String())
}

// write sends raw bytes.
func (c *rawConn) write(raw string) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.nc, raw); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read reads one complete reply and returns it in raw RESP.
func (c *rawConn) read() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	if err := readReply(c.br, &b); err != nil {
		c.t.Fatalf("read reply: %v (so far %q)", err, b.String())
	}
	return b.String()
}

func readReply(br *bufio.Reader, b *strings.Builder) error {
	line, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	b.WriteString(line)
	if len(line) < 3 {
		return fmt.Errorf("short line %q", line)
	}
	body := strings.TrimSuffix(line[1:], "\r\n")
	switch line[0] {
	case '$', '=', '!':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return err
		}
		b.Write(buf)
	case '*', '~', '>':
		n, _ := strconv.Atoi(body)
		for i := 0; i < n; i++ {
			if err := readReply(br, b); err != nil {
				return err
			}
		}
	case '%', '|':
		n, _ := strconv.Atoi(body)
		for i := 0; i < 2*n; i++ {
			if err := readReply(br, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// expectRead reads one reply the connection did not just ask for (a
// blocked command's) and fails the test unless it is want.
func (c *rawConn) expectRead(want string) {
	c.t.Helper()
	if got := c.read(); got != want {
		c.t.Errorf("got %q, want %q", got, want)
	}
}

// expect runs a command and fails the test unless the raw reply is want.
func (c *rawConn) expect(want string, args ...string) {
	c.t.Helper()
	if got := c.do(args...); got != want {
		c.t.Errorf("%v: got %q, want %q", args, got, want)
	}
}

// peek returns key's value in database 0 as the store holds it, through
// a transaction of its own, without counting a read.
func peek(t *testing.T, s *Server, key string, flags storage.LookupFlags) (v storage.Value, ok bool) {
	t.Helper()
	k := []byte(key)
	if err := s.store.View(0, [][]byte{k}, func(tx *storage.Tx) error {
		v, ok = tx.Lookup(k, flags|storage.LookupWrite)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v, ok
}

// put stores v under key in database 0 straight into the store, under
// the key's lock: for values no command writes.
func put(t *testing.T, s *Server, key string, v storage.Value) {
	t.Helper()
	k := []byte(key)
	if err := s.store.Update(0, [][]byte{k}, func(tx *storage.Tx) error {
		tx.Set(k, v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
