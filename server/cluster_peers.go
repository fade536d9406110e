package server

// Connections from a cluster node to the others: the commands a node
// sends them on a client's behalf (keyless cache commands fanned out to
// every node, keys moved to a slot's new owner). A node calls another as
// any client does, over RESP2, as the default user with its own
// requirepass: the nodes of a cluster share it.

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/internal/resp"
)

const (
	peerDialTimeout = 3 * time.Second
	// peerTimeout bounds one exchange with a node: a long invalidation
	// there, or a batch of moved keys made durable.
	peerTimeout = 30 * time.Second
	// peerIdle is how many idle connections are kept per node.
	peerIdle = 4
)

// peerPool holds idle connections to other nodes, by address. It is safe
// for concurrent use.
type peerPool struct {
	srv    *Server
	mu     sync.Mutex
	idle   map[string][]*peerConn
	closed bool
}

// peerConn is one connection to another node.
type peerConn struct {
	nc  net.Conn
	br  *bufio.Reader
	buf []byte
}

func (p *peerPool) init(s *Server) {
	p.srv = s
	p.idle = map[string][]*peerConn{}
}

// do sends cmds to the node at addr in one write and returns their
// replies, in order. An error means the exchange failed; error replies
// are replies. An idle connection that fails is tried again on a new one
// (the node may have restarted since): the commands nodes send each other
// can run twice.
func (p *peerPool) do(addr string, cmds ...[][]byte) ([]resp.Node, error) {
	for {
		pc, reused, err := p.get(addr)
		if err != nil {
			return nil, err
		}
		replies, err := pc.do(cmds...)
		if err == nil {
			p.put(addr, pc)
			return replies, nil
		}
		pc.nc.Close()
		if !reused {
			return nil, err
		}
	}
}

func (pc *peerConn) do(cmds ...[][]byte) ([]resp.Node, error) {
	pc.nc.SetDeadline(time.Now().Add(peerTimeout))
	pc.buf = pc.buf[:0]
	for _, args := range cmds {
		pc.buf = resp.AppendCommand(pc.buf, args...)
	}
	if _, err := pc.nc.Write(pc.buf); err != nil {
		return nil, err
	}
	replies := make([]resp.Node, len(cmds))
	for i := range replies {
		r, err := resp.ReadReply(pc.br)
		if err != nil {
			return nil, err
		}
		replies[i] = r
	}
	return replies, nil
}

// get returns an idle connection to addr (reused), or a new one.
func (p *peerPool) get(addr string) (pc *peerConn, reused bool, err error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, false, net.ErrClosed
	}
	if idle := p.idle[addr]; len(idle) > 0 {
		pc := idle[len(idle)-1]
		p.idle[addr] = idle[:len(idle)-1]
		p.mu.Unlock()
		return pc, true, nil
	}
	p.mu.Unlock()
	pc, err = p.dial(addr)
	return pc, false, err
}

// dial connects to the node at addr, authenticating with this node's
// requirepass.
func (p *peerPool) dial(addr string) (*peerConn, error) {
	nc, err := net.DialTimeout("tcp", addr, peerDialTimeout)
	if err != nil {
		return nil, err
	}
	pc := &peerConn{nc: nc, br: bufio.NewReader(nc)}
	if pass := p.srv.requirePass(); pass != "" {
		r, err := pc.do([][]byte{[]byte("AUTH"), []byte(pass)})
		if err == nil && r[0].Kind == resp.KindError {
			err = fmt.Errorf("AUTH: %s", r[0].Str)
		}
		if err != nil {
			nc.Close()
			return nil, err
		}
	}
	return pc, nil
}

// put keeps pc for the next call to addr, or closes it.
func (p *peerPool) put(addr string, pc *peerConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle[addr]) >= peerIdle {
		pc.nc.Close()
		return
	}
	p.idle[addr] = append(p.idle[addr], pc)
}

// close closes the idle connections; later calls fail.
func (p *peerPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, idle := range p.idle {
		for _, pc := range idle {
			pc.nc.Close()
		}
	}
	p.idle = nil
}

// peerFailure is a node that did not answer a call, or answered it with an
// error reply.
type peerFailure struct {
	node  cluster.Node
	err   error  // why the exchange failed; nil when the node replied
	reply string // the node's error reply
}

// msg words the failure for a client: the node's own error, or that it
// did not answer (whose cause is logged, not sent).
func (f *peerFailure) msg() string {
	if f.err != nil {
		return fmt.Sprintf(msgPeerFailed, f.node.ID, f.node.Addr())
	}
	return fmt.Sprintf(msgPeerError, f.node.ID, f.node.Addr(), f.reply)
}

// broadcast sends args to every node of v but this one, all at once, and
// returns their replies by node index (this node's is left zero). The
// first node that fails makes the whole call fail, after the others have
// answered; it is logged.
func (cs *clusterState) broadcast(v *clusterView, args ...[]byte) ([]resp.Node, *peerFailure) {
	replies := make([]resp.Node, len(v.m.Nodes))
	failures := make([]*peerFailure, len(v.m.Nodes))
	var wg sync.WaitGroup
	for i := range v.m.Nodes {
		if i == v.self {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := v.m.Nodes[i]
			r, err := cs.peers.do(n.Addr(), args)
			switch {
			case err != nil:
				failures[i] = &peerFailure{node: n, err: err}
			case r[0].Kind == resp.KindError:
				failures[i] = &peerFailure{node: n, reply: r[0].Str}
			default:
				replies[i] = r[0]
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		if f != nil {
			cs.srv.log.Warn("a cluster node failed a call", "node", f.node.ID, "addr", f.node.Addr(), "command", string(args[0]), "err", f.err, "reply", f.reply)
			return nil, f
		}
	}
	return replies, nil
}

// requirePass is the default user's password as configured.
func (s *Server) requirePass() string {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg.RequirePass
}
