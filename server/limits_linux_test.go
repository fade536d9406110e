package server

import (
	"syscall"
	"testing"
)

// TestTCPKeepAlive: new connections get tcp-keepalive's idle time, as
// Redis sets it, and none with 0 (Go's listener would enable 15s).
func TestTCPKeepAlive(t *testing.T) {
	s := startServer(t, Config{TCPKeepAlive: 60e9})
	admin := dial(t, s)
	admin.expect("*2\r\n$13\r\ntcp-keepalive\r\n$2\r\n60\r\n", "CONFIG", "GET", "tcp-keepalive")
	keepAlive := func() (on, idle int) {
		t.Helper()
		c := dial(t, s)
		c.expect("+PONG\r\n", "PING")
		s.mu.Lock()
		defer s.mu.Unlock()
		var newest *client
		for _, cl := range s.clients {
			if newest == nil || cl.id > newest.id {
				newest = cl
			}
		}
		raw, err := newest.conn.(syscall.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		raw.Control(func(fd uintptr) {
			on, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
			idle, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
		})
		return on, idle
	}
	if on, idle := keepAlive(); on != 1 || idle != 60 {
		t.Errorf("tcp-keepalive 60: SO_KEEPALIVE %d, TCP_KEEPIDLE %d", on, idle)
	}
	admin.expect("+OK\r\n", "CONFIG", "SET", "tcp-keepalive", "0")
	if on, _ := keepAlive(); on != 0 {
		t.Errorf("tcp-keepalive 0: SO_KEEPALIVE %d, want 0", on)
	}
}
