//go:build linux

package server

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// edgePair returns a poller-wrapped server side of a loopback TCP
// connection and its client side.
func edgePair(t *testing.T) (*edgeConn, net.Conn) {
	t.Helper()
	p, err := newEdgePoller()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	ec, ok := p.wrap(nc.(*net.TCPConn)).(*edgeConn)
	if !ok {
		t.Fatal("the connection was not registered with the poller")
	}
	t.Cleanup(func() { ec.Close() })
	return ec, peer
}

// readResult is one Read's outcome, from another goroutine.
type readResult struct {
	n   int
	err error
}

func readAsync(c net.Conn, b []byte) chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		n, err := c.Read(b)
		ch <- readResult{n, err}
	}()
	return ch
}

func awaitRead(t *testing.T, ch chan readResult) readResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return")
		return readResult{}
	}
}

// A short read leaves the connection waiting for the poller, which wakes
// it when the peer writes again; a read that fills the buffer reads again
// at once.
func TestEdgeConnWaitsForThePoller(t *testing.T) {
	ec, peer := edgePair(t)
	buf := make([]byte, 8)
	peer.Write([]byte("PING\r\n"))
	if r := awaitRead(t, readAsync(ec, buf)); r.err != nil || string(buf[:r.n]) != "PING\r\n" {
		t.Fatalf("first read: %q, %v", buf[:r.n], r.err)
	}
	ch := readAsync(ec, buf) // waits for the poller (or reads once more after a stale edge)
	peer.Write([]byte("0123456789abcdef"))
	if r := awaitRead(t, ch); r.err != nil || string(buf[:r.n]) != "01234567" {
		t.Fatalf("read after the poller's signal: %q, %v", buf[:r.n], r.err)
	}
	if !ec.ready.Load() {
		t.Fatal("not ready after a read that filled the buffer")
	}
	if r := awaitRead(t, readAsync(ec, buf)); r.err != nil || string(buf[:r.n]) != "89abcdef" {
		t.Fatalf("read of the rest: %q, %v", buf[:r.n], r.err)
	}
	peer.Close()
	if r := awaitRead(t, readAsync(ec, buf)); r.err != io.EOF {
		t.Fatalf("read after the peer closed: %d, %v; want EOF", r.n, r.err)
	}
}

// Closing the connection from another goroutine (CLIENT KILL, shutdown)
// ends a read that waits for the poller.
func TestEdgeConnCloseEndsWaitingRead(t *testing.T) {
	ec, peer := edgePair(t)
	buf := make([]byte, 8)
	peer.Write([]byte("x"))
	awaitRead(t, readAsync(ec, buf))
	ch := readAsync(ec, buf)
	ec.Close()
	if r := awaitRead(t, ch); !errors.Is(r.err, net.ErrClosed) {
		t.Fatalf("read after Close: %v; want net.ErrClosed", r.err)
	}
	ec.poller.mu.Lock()
	defer ec.poller.mu.Unlock()
	if len(ec.poller.conns) != 0 {
		t.Fatal("the closed connection is still registered")
	}
}

// A past read deadline (how a blocked client's background read is
// stopped) ends a read that waits for the poller, and clearing it brings
// back reads of what arrived meanwhile.
func TestEdgeConnReadDeadline(t *testing.T) {
	ec, peer := edgePair(t)
	buf := make([]byte, 8)
	peer.Write([]byte("x"))
	awaitRead(t, readAsync(ec, buf))
	ch := readAsync(ec, buf)
	ec.SetReadDeadline(time.Unix(1, 0))
	if r := awaitRead(t, ch); !errors.Is(r.err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after a past deadline: %v; want a timeout", r.err)
	}
	peer.Write([]byte("yz"))
	ec.SetReadDeadline(time.Time{})
	if r := awaitRead(t, readAsync(ec, buf)); r.err != nil || string(buf[:r.n]) != "yz" {
		t.Fatalf("read after clearing the deadline: %q, %v", buf[:r.n], r.err)
	}
}

// The server reads its plain TCP clients through the poller.
func TestServerUsesEdgePoller(t *testing.T) {
	s := startServer(t, Config{})
	dial(t, s).expect("+PONG\r\n", "PING")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		if _, ok := c.conn.(*edgeConn); !ok {
			t.Fatalf("client connection is %T, want *edgeConn", c.conn)
		}
	}
}

// A read through the poller allocates nothing (the raw read's callback is
// made once per connection).
func TestEdgeConnReadAllocates(t *testing.T) {
	ec, peer := edgePair(t)
	buf := make([]byte, 8)
	msg := []byte("PING\r\n")
	allocs := testing.AllocsPerRun(100, func() {
		peer.Write(msg)
		for got := 0; got < len(msg); {
			n, err := ec.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations a round, want 0", allocs)
	}
}
