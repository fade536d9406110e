package server

import (
	"os"
	"sync"
)

// netYield lets a connection that always has input ready step aside until
// the Go scheduler has polled the network, so the other connections' new
// requests run between its batches, as Redis serves every ready socket
// once per event-loop round.
//
// runtime.Gosched is not enough: the scheduler polls the network only when
// its run queues are empty, or from sysmon every 10 ms, so a client
// pipelining without pause (redis-cli --pipe, a bulk import) stays
// runnable and delays every other client's reply by up to 10 ms per turn
// (measured: PING p50 10 ms beside such a flood, against 0.7 ms on
// redis-server). A yielding connection parks on a channel that a goroutine
// reading a pipe closes; the byte written to the pipe makes that goroutine
// ready only through the network poll, which readies the other
// connections in the same pass.
type netYield struct {
	r, w *os.File

	mu      sync.Mutex
	waiters []chan struct{}
	pending bool // a byte is in the pipe for the current waiters
	closed  bool
}

// newNetYield starts the goroutine that wakes yielding connections; close
// stops it.
func newNetYield() (*netYield, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	y := &netYield{r: r, w: w}
	go y.run()
	return y, nil
}

// wait returns once the scheduler has polled the network (or at once after
// close).
func (y *netYield) wait() {
	ch := make(chan struct{})
	y.mu.Lock()
	if y.closed {
		y.mu.Unlock()
		return
	}
	y.waiters = append(y.waiters, ch)
	if !y.pending {
		y.pending = true
		if _, err := y.w.Write([]byte{0}); err != nil {
			y.waiters = y.waiters[:len(y.waiters)-1]
			y.pending = false
			y.mu.Unlock()
			return
		}
	}
	y.mu.Unlock()
	<-ch
}

// run reads the pipe and releases the connections waiting for the byte it
// read, until the pipe is closed; then it releases all for good.
func (y *netYield) run() {
	buf := make([]byte, 64)
	for {
		_, err := y.r.Read(buf)
		y.mu.Lock()
		for _, ch := range y.waiters {
			close(ch)
		}
		y.waiters, y.pending = y.waiters[:0], false
		if err != nil {
			y.closed = true
			y.mu.Unlock()
			y.r.Close()
			return
		}
		y.mu.Unlock()
	}
}

// close stops the waking goroutine; waiting connections are released.
func (y *netYield) close() { y.w.Close() }
