package server

// Client limits, with Redis's names and defaults:
//
//   - client-query-buffer-limit (1gb): a client whose input not yet parsed
//     grows past it is closed, without a reply (internal/resp's Reader
//     checks it at each read).
//   - client-output-buffer-limit, normal class (0 0 0: off): a client
//     whose replies not yet written pass the hard limit, or stay past the
//     soft limit for its seconds, is closed. As in Redis, the first 16kb
//     (Redis's static reply buffer) do not count, so small replies never
//     trip it. The pubsub class (32mb 8mb 60) bounds a subscriber's queue
//     of messages (pubsub.go); the slave class is kept and reported, as
//     Strata has no replicas.
//   - maxmemory-clients (0: off), bytes or a percentage of maxmemory: past
//     it, the clients whose buffers (input, replies, pub/sub queue) cost
//     the most are closed, biggest first, until the rest fit; those with
//     CLIENT NO-EVICT on are spared.
//   - tcp-keepalive (300): new connections send keepalive probes after
//     that many idle seconds (0: none), as Redis's anetKeepAlive.
//
// timeout, maxclients and proto-max-bulk-len live with the other settings
// in cmd_config.go.

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The classes of client-output-buffer-limit, in bufferClasses' order.
const (
	classNormal = iota
	classSlave
	classPubSub
	numBufferClasses
)

// replyBufferBytes is Redis's static reply buffer (PROTO_REPLY_CHUNK_BYTES):
// replies up to this size do not count against the output buffer limit.
const replyBufferBytes = 16 << 10

// bufferLimit is one class of client-output-buffer-limit.
type bufferLimit struct{ hard, soft, seconds int64 }

// defaultOutputLimits are Redis's client-output-buffer-limit defaults.
var defaultOutputLimits = [numBufferClasses]bufferLimit{
	classNormal: {0, 0, 0},
	classSlave:  {256 << 20, 64 << 20, 60},
	classPubSub: {pubsubHardLimit, pubsubSoftLimit, pubsubSoftSeconds},
}

// defaultOutputBufferLimit is defaultOutputLimits as Redis writes it.
const defaultOutputBufferLimit = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

// clientLimits are the limits connections read on their own goroutines,
// kept in atomics so that no command takes cfgMu for them.
type clientLimits struct {
	queryBuffer                           atomic.Int64 // client-query-buffer-limit
	normalHard, normalSoft, normalSeconds atomic.Int64 // client-output-buffer-limit normal
	keepAlive                             atomic.Int64 // tcp-keepalive as a time.Duration; 0: off
	// maxmemory-clients: memBytes, or memPercent of maxmemory when that
	// is set (0: none).
	memBytes, memPercent atomic.Int64
	// clientsMem is what every client's buffers cost, as each last
	// counted them (client.trackMemory).
	clientsMem atomic.Int64
	// output is client-output-buffer-limit as set, for CONFIG GET; the
	// atomics above and the pubsub hub's hold what is enforced. Guarded
	// by cfgMu.
	output [numBufferClasses]bufferLimit
}

// limitConfigParams are the client limits' CONFIG parameters.
var limitConfigParams = []configParam{
	{name: "client-query-buffer-limit", kind: paramMemory, min: 1 << 20, max: math.MaxInt64,
		get: func(s *Server) string { return strconv.FormatInt(s.limits.queryBuffer.Load(), 10) },
		set: func(s *Server, v string) {
			n, _ := strconv.ParseInt(v, 10, 64)
			s.limits.queryBuffer.Store(n)
		}},
	{name: "client-output-buffer-limit", kind: paramBufferLimit,
		get: func(s *Server) string {
			var out []string
			for class, l := range s.limits.output {
				out = append(out, fmt.Sprintf("%s %d %d %d", bufferClasses[class], l.hard, l.soft, l.seconds))
			}
			return strings.Join(out, " ")
		},
		set: (*Server).setOutputLimits},
	{name: "maxmemory-clients", kind: paramMemoryOrPercent, max: math.MaxInt64,
		get: func(s *Server) string {
			if pct := s.limits.memPercent.Load(); pct > 0 {
				return strconv.FormatInt(pct, 10) + "%"
			}
			return strconv.FormatInt(s.limits.memBytes.Load(), 10)
		},
		set: func(s *Server, v string) {
			pct, isPct := strings.CutSuffix(v, "%")
			n, _ := strconv.ParseInt(pct, 10, 64)
			if isPct {
				s.limits.memBytes.Store(0)
				s.limits.memPercent.Store(n)
			} else {
				s.limits.memBytes.Store(n)
				s.limits.memPercent.Store(0)
			}
		}},
	// tcp-keepalive applies to connections made after the change, as in
	// Redis.
	{name: "tcp-keepalive", kind: paramInt, max: math.MaxInt32,
		get: func(s *Server) string {
			return strconv.FormatInt(s.limits.keepAlive.Load()/int64(time.Second), 10)
		},
		set: func(s *Server, v string) {
			n, _ := strconv.ParseInt(v, 10, 64)
			s.limits.keepAlive.Store(n * int64(time.Second))
		}},
}

// setOutputLimits applies a normalized client-output-buffer-limit: the
// classes it names change, the others stay. cfgMu is held.
func (s *Server) setOutputLimits(v string) {
	fields := strings.Fields(v)
	for i := 0; i+3 < len(fields); i += 4 {
		class := slices.Index(bufferClasses[:], fields[i])
		var l bufferLimit
		l.hard, _ = strconv.ParseInt(fields[i+1], 10, 64)
		l.soft, _ = strconv.ParseInt(fields[i+2], 10, 64)
		l.seconds, _ = strconv.ParseInt(fields[i+3], 10, 64)
		s.limits.output[class] = l
		switch class {
		case classNormal:
			s.limits.normalHard.Store(l.hard)
			s.limits.normalSoft.Store(l.soft)
			s.limits.normalSeconds.Store(l.seconds)
		case classPubSub:
			s.pubsub.hardLimit.Store(l.hard)
			s.pubsub.softLimit.Store(l.soft)
			s.pubsub.softSeconds.Store(l.seconds)
		}
	}
}

// initLimits applies cfg's client limits through their CONFIG parameters,
// so that a start-up setting is checked and read as CONFIG SET reads it.
func (s *Server) initLimits(cfg Config) error {
	s.limits.output = defaultOutputLimits
	for _, setting := range [...]struct{ name, value string }{
		{"client-query-buffer-limit", strconv.FormatInt(cfg.ClientQueryBufferLimit, 10)},
		{"client-output-buffer-limit", cfg.ClientOutputBufferLimit},
		{"maxmemory-clients", cfg.MaxMemoryClients},
		{"tcp-keepalive", strconv.FormatInt(int64(max(cfg.TCPKeepAlive, 0)/time.Second), 10)},
	} {
		p := configParams[setting.name]
		v, perr := p.normalize(setting.value)
		if perr != "" {
			return fmt.Errorf("server: invalid %s %q: %s", setting.name, setting.value, perr)
		}
		p.set(s, v)
	}
	return nil
}

// keepAlive applies tcp-keepalive to a new connection as Redis's
// anetKeepAlive does: probes after that long idle, a third of it apart,
// three of them; none at 0 (Go's listener enables them by default).
func (s *Server) keepAlive(tc *net.TCPConn) {
	idle := time.Duration(s.limits.keepAlive.Load())
	if idle <= 0 {
		tc.SetKeepAlive(false)
		return
	}
	tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: idle, Interval: max(idle/3, time.Second), Count: 3})
}

// overOutputLimit reports, having logged it, whether c's replies not yet
// written are past the normal class's hard limit: c must then be closed.
// Subscribers are the pubsub class, whose queue pubsub.go bounds.
func (c *client) overOutputLimit() bool {
	hard := c.srv.limits.normalHard.Load()
	if hard == 0 || int64(c.out.Len()-replyBufferBytes) < hard || c.subscribed() {
		return false
	}
	c.srv.log.Warn("closing client over the output buffer limit", "addr", c.addr, "id", c.id, "class", "normal", "bytes", c.out.Len())
	return true
}

// softOutputDeadline sets a write deadline when c's replies are past the
// normal class's soft limit, so that a client that does not read them
// within the limit's seconds (at least one) is closed, as Redis closes one
// that stays past the soft limit that long. It reports whether it set one;
// the caller holds wmu and clears it after the write.
func (c *client) softOutputDeadline() bool {
	soft := c.srv.limits.normalSoft.Load()
	if soft == 0 || int64(c.out.Len()-replyBufferBytes) < soft || c.subscribed() {
		return false
	}
	secs := max(c.srv.limits.normalSeconds.Load(), 1)
	c.conn.SetWriteDeadline(time.Now().Add(time.Duration(secs) * time.Second))
	return true
}

// logOutputTimeout logs err when it is the timeout of a deadline
// softOutputDeadline set: the write failed, and c is closed.
func (c *client) logOutputTimeout(err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.srv.log.Warn("closing client over the output buffer soft limit for too long", "addr", c.addr, "id", c.id, "class", "normal")
	}
}

// trackMemory brings the count of client memory up to date with what c's
// input and reply buffers cost, and closes the biggest clients when that
// takes it past maxmemory-clients. It runs on c's goroutine; it costs a
// comparison when the buffers did not change.
func (c *client) trackMemory() {
	m := int64(c.rd.Cap() + c.out.Cap())
	prev := c.mem.Load()
	if m == prev {
		return
	}
	c.mem.Store(m)
	total := c.srv.limits.clientsMem.Add(m - prev)
	if limit := c.srv.clientsMemLimit(); m > prev && limit > 0 && total > limit {
		c.srv.evictClients()
	}
}

// clientsMemLimit is maxmemory-clients in bytes, 0 for none.
func (s *Server) clientsMemLimit() int64 {
	if pct := s.limits.memPercent.Load(); pct > 0 {
		return s.store.MaxMemory() * pct / 100
	}
	return s.limits.memBytes.Load()
}

// evictClients closes clients, those whose buffers cost the most first,
// until what all cost is under maxmemory-clients, as Redis's
// evictClients; clients with CLIENT NO-EVICT on are spared. It runs after
// a client's buffers grew, and from the cron for pub/sub queues.
func (s *Server) evictClients() {
	limit := s.clientsMemLimit()
	if limit <= 0 {
		return
	}
	type usage struct {
		c   *client
		mem int64
	}
	s.mu.Lock()
	clients := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	var all []usage
	total := int64(0)
	for _, c := range clients {
		if c.killed.Load() {
			continue
		}
		m := c.mem.Load() + c.queuedBytes()
		total += m
		if !c.listed.noEvict.Load() {
			all = append(all, usage{c, m})
		}
	}
	if total <= limit {
		return
	}
	slices.SortFunc(all, func(a, b usage) int { return cmp.Compare(b.mem, a.mem) })
	for _, u := range all {
		if total <= limit {
			break
		}
		s.log.Warn("closing client over maxmemory-clients", "addr", u.c.addr, "id", u.c.id, "client_memory", u.mem,
			"clients_memory", total, "maxmemory_clients", limit)
		s.stats.evictedClients.Add(1)
		u.c.close()
		total -= u.mem
	}
}
