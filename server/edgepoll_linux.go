//go:build linux

package server

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// edgePoller tells client connections when their sockets have input, so
// that a connection whose last read drained its socket waits for the next
// request without first reading the socket to learn it is empty.
//
// The Go runtime's poller parks a reader only after a read has returned
// EAGAIN, so a request-reply client costs three syscalls a request (read,
// write, and the empty read), where Redis's event loop spends two and a
// share of one epoll_wait. perf counted 197,224 reads and 100,001 writes
// for 100,000 GETs at -P 1 against Redis's 100,132 and 100,001; an empty
// read costs 0.7-1.5 µs on this VM, against about 10 µs of server CPU
// a request.
//
// The poller is an epoll instance of its own, edge-triggered, holding
// every plain TCP client socket. The instance itself is watched by the
// runtime's poller, so the goroutine that drains it parks like any other
// reader and nothing blocks a P. A socket's edge marks its connection
// ready and wakes it; a read shorter than the buffer means the socket was
// empty at that moment, so any later input brings a new edge.
type edgePoller struct {
	epfd int
	file *os.File // epfd, as the runtime's poller watches it
	raw  syscall.RawConn

	mu    sync.Mutex // a leaf: nothing else is locked while it is held
	conns map[int32]*edgeConn
	next  int32

	events [128]syscall.EpollEvent // used by run only
}

// epollET is EPOLLET as the uint32 an EpollEvent holds (the syscall
// package declares it as a negative int).
const epollET = 1 << 31

// newEdgePoller creates the epoll instance and starts the goroutine that
// drains it; close stops it.
func newEdgePoller() (*edgePoller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	// Non-blocking, so that os.NewFile registers it with the runtime's
	// poller.
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	file := os.NewFile(uintptr(epfd), "epoll")
	raw, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, err
	}
	p := &edgePoller{epfd: epfd, file: file, raw: raw, conns: make(map[int32]*edgeConn)}
	go p.run()
	return p, nil
}

// close stops the poller's goroutine. Connections still registered fall
// back to waking on their own reads failing, which close guarantees: the
// server closes them all before it closes the poller.
func (p *edgePoller) close() { p.file.Close() }

// run drains the epoll instance until it is closed. A round that finds no
// event parks in the runtime's poller until the instance has one.
func (p *edgePoller) run() {
	harvest := p.harvest // one func value for every round
	for p.raw.Read(harvest) == nil {
	}
}

// harvest reads the ready sockets off the instance epfd and wakes their
// connections. It returns false, to wait for the instance's next edge,
// when it found none or a short batch drained it.
func (p *edgePoller) harvest(epfd uintptr) bool {
	n, err := syscall.EpollWait(int(epfd), p.events[:], 0)
	if err == syscall.EINTR {
		return true // try again
	}
	if n <= 0 {
		return false
	}
	p.mu.Lock()
	for _, ev := range p.events[:n] {
		if c := p.conns[ev.Fd]; c != nil {
			c.signal()
		}
	}
	p.mu.Unlock()
	return n == len(p.events)
}

// wrap registers tc with the poller and returns the connection to serve
// it through; tc itself when it cannot be registered.
func (p *edgePoller) wrap(tc *net.TCPConn) net.Conn {
	raw, err := tc.SyscallConn()
	if err != nil {
		return tc
	}
	c := &edgeConn{TCPConn: tc, poller: p, raw: raw, wake: make(chan struct{}, 1)}
	c.readFn = func(fd uintptr) bool {
		c.n, c.errno = syscall.Read(int(fd), c.buf)
		return true
	}
	c.ready.Store(true) // input may have come before the registration
	p.mu.Lock()
	p.next++
	for p.next == 0 || p.conns[p.next] != nil {
		p.next++
	}
	c.id = p.next
	p.conns[c.id] = c
	p.mu.Unlock()
	var ctlErr error
	if err := raw.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET, Fd: c.id}
		ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
	}); err != nil || ctlErr != nil {
		p.forget(c.id)
		return tc
	}
	return c
}

// forget drops the connection registered as id.
func (p *edgePoller) forget(id int32) {
	p.mu.Lock()
	delete(p.conns, id)
	p.mu.Unlock()
}

// edgeConn is a client's TCP connection read through the edgePoller.
// It embeds *net.TCPConn, so everything but Read, Close and the read
// deadlines is the TCP connection's own (writev for net.Buffers
// included).
type edgeConn struct {
	*net.TCPConn
	poller *edgePoller
	raw    syscall.RawConn
	id     int32

	ready     atomic.Bool   // the socket may have input
	wake      chan struct{} // a token after ready is set
	deadline  atomic.Bool   // a read deadline is set: reads go through TCPConn.Read, which keeps it
	closeOnce sync.Once

	// readFn is the raw read, made once so that a Read allocates no
	// closure; it reads into buf and sets n and errno.
	readFn func(fd uintptr) bool
	buf    []byte
	n      int
	errno  error
}

// signal marks the connection ready and wakes its reader if it waits.
func (c *edgeConn) signal() {
	c.ready.Store(true)
	select {
	case c.wake <- struct{}{}:
	default: // a token is already there
	}
}

// Read reads from the socket once the poller has said it has input, or at
// once when the last read filled the buffer.
func (c *edgeConn) Read(b []byte) (int, error) {
	for {
		if c.deadline.Load() {
			return c.TCPConn.Read(b)
		}
		if !c.ready.Load() {
			<-c.wake // a stale token just costs one more turn
			continue
		}
		c.ready.Store(false) // before the read: an edge after it sets it again
		c.buf = b
		err := c.raw.Read(c.readFn)
		n, errno := c.n, c.errno
		c.buf, c.errno = nil, nil
		if err != nil {
			return 0, err // closed
		}
		switch {
		case errno == syscall.EAGAIN:
			continue
		case errno == syscall.EINTR:
			c.ready.Store(true)
			continue
		case errno != nil:
			return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", errno)}
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		if n == len(b) {
			c.ready.Store(true) // there may be more
		}
		return n, nil
	}
}

// SetReadDeadline sets the TCP connection's read deadline. While one is
// set, reads go through TCPConn.Read, which keeps it; a reader waiting for
// the poller is woken to do so.
func (c *edgeConn) SetReadDeadline(t time.Time) error {
	err := c.TCPConn.SetReadDeadline(t)
	c.deadline.Store(!t.IsZero())
	c.signal() // after a deadline's reads the socket state is unknown
	return err
}

// SetDeadline sets both deadlines, the read one as SetReadDeadline.
func (c *edgeConn) SetDeadline(t time.Time) error {
	if err := c.TCPConn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

// Close removes the socket from the poller, closes it and wakes a
// waiting reader, whose read then fails.
func (c *edgeConn) Close() error {
	c.closeOnce.Do(func() {
		c.raw.Control(func(fd uintptr) {
			syscall.EpollCtl(c.poller.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
		})
		c.poller.forget(c.id)
	})
	err := c.TCPConn.Close()
	c.signal()
	return err
}
