//go:build !linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"time"
)

// pingProbe PINGs over a connection of its own. Without Linux's receive
// timestamps it can time a reply only as the probe reads it, so both of
// ping's durations are that.
type pingProbe struct {
	nc net.Conn
	br *bufio.Reader
}

// dialPingProbe connects a probe to addr.
func dialPingProbe(addr string) (*pingProbe, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &pingProbe{nc: nc, br: bufio.NewReader(nc)}, nil
}

// ping sends PING and returns the time until its reply was read, twice.
func (p *pingProbe) ping() (atSocket, read time.Duration, err error) {
	const pong = "+PONG\r\n"
	sent := time.Now()
	if _, err := io.WriteString(p.nc, "*1\r\n$4\r\nPING\r\n"); err != nil {
		return 0, 0, err
	}
	got := make([]byte, len(pong))
	if _, err := io.ReadFull(p.br, got); err != nil {
		return 0, 0, err
	}
	read = time.Since(sent)
	if string(got) != pong {
		return 0, 0, fmt.Errorf("probe: PING replied %q", got)
	}
	return read, read, nil
}

// Close closes the probe's connection.
func (p *pingProbe) Close() error { return p.nc.Close() }
