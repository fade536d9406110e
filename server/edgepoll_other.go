//go:build !linux

package server

import (
	"errors"
	"net"
)

// edgePoller is Linux's epoll; elsewhere connections read through the
// runtime's poller alone.
type edgePoller struct{}

func newEdgePoller() (*edgePoller, error) { return nil, errors.ErrUnsupported }

func (p *edgePoller) close() {}

func (p *edgePoller) wrap(tc *net.TCPConn) net.Conn { return tc }
