// Package server is Strata's RESP front: it accepts connections, parses
// requests, dispatches them through the command table and writes replies in
// RESP2 or RESP3.
//
// A Server is built with New, started with Start and stopped with Close;
// Addr tells where it listens. Each connection is served by one goroutine
// that reads a pipeline of requests, runs them in order and writes their
// replies in one write. Each command runs in a transaction of the write
// path (package cache) over the keys the command table says it names; the
// transaction takes the storage locks (package storage), and a disk error
// it meets replaces the command's reply. A panic in a command is recovered
// and answered as an error.
//
// The wire format (redcon's Append functions) comes from
// github.com/tidwall/redcon; the request parser and connection loop are
// Strata's own, because redcon's reader copies every request, has no
// proto-max-bulk-len, and spins on a huge multibulk count.
package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratakv/strata/acl"
	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/scheduler"
	"github.com/stratakv/strata/script"
	"github.com/stratakv/strata/storage"
)

// Server is a Strata server. It is safe for concurrent use.
type Server struct {
	cfgMu sync.RWMutex
	cfg   Config

	log   *slog.Logger
	store *storage.Store

	listenMu  sync.Mutex // guards listeners and bound, which CONFIG SET bind and port replace
	listeners []net.Listener
	bound     []string     // the addresses listeners listen on
	tls       tlsState     // TLS config and listeners (tls.go)
	admin     *http.Server // the admin listener's (admin.go), nil when off
	adminLn   net.Listener
	mu        sync.Mutex // guards clients
	clients   map[int64]*client

	nextClientID atomic.Int64
	stats        serverStats
	errors       errorStats // error replies by code (cmdstats.go)
	slowlog      *slowlog
	timeout      atomic.Int64 // cfg.Timeout, see idleTimeout
	limits       clientLimits // client buffer limits and tcp-keepalive (limits.go)
	scriptLimit  atomic.Int64 // busy-reply-threshold in ms: how long a script may run (0: no limit)
	watches      watchRegistry
	blocking     blockRegistry // clients blocked on keys (blocking.go)
	pubsub       pubsub
	tracking     tracking             // client-side caching (tracking.go)
	pause        pauseState           // CLIENT PAUSE (cmd_pause.go)
	monitors     monitors             // MONITOR (cmd_monitor.go)
	activeExpire atomic.Bool          // DEBUG SET-ACTIVE-EXPIRE (cmd_debug.go)
	latency      latencyMonitor       // LATENCY (cmd_latency.go)
	cache        *cache.Cache         // the write path: namespaces, disk tier, tags, invalidation
	loader       *scheduler.Loader    // read-through from namespaces' origins
	scheduler    *scheduler.Scheduler // warm-up jobs
	commands     commandTable         // what connections dispatch through
	users        *acl.Users           // ACL users (acl.go)
	aclLog       *acl.Log
	scripts      *script.Engine // Lua scripts: their cache and state
	scriptHost   *scriptHost    // scripts' pseudo-client (script_host.go); built by the first script
	cluster      *clusterState  // cluster mode (cluster.go); nil when cluster-enabled is off
	// fcallArgs is the command of the function running, for FUNCTION
	// STATS; functionsMu serializes the writes of the libraries' file
	// (cmd_function.go).
	fcallArgs   atomic.Pointer[[][]byte]
	functionsMu sync.Mutex
	started     time.Time
	// info is INFO's state (info.go); noopConfig holds the values
	// CONFIG SET gave parameters Strata does not use, guarded by cfgMu.
	info       infoState
	noopConfig map[string]string
	// configChanged names the parameters CONFIG SET changed, which
	// CONFIG REWRITE writes; guarded by cfgMu.
	configChanged map[string]bool

	closeOnce sync.Once
	done      chan struct{}
	yield     *netYield   // set by Start; connections that never run dry step aside through it
	poller    *edgePoller // set by Start; plain TCP clients wait for input through it (nil: the runtime's poller)
	wg        sync.WaitGroup
}

// serverStats are the INFO stats section's connection and command counters.
type serverStats struct {
	connections    atomic.Int64    // total_connections_received
	commands       storage.Counter // total_commands_processed; striped: every command counts
	rejected       atomic.Int64    // rejected_connections
	evictedClients atomic.Int64    // evicted_clients: closed by maxmemory-clients
}

// New builds a Server from cfg; it does not listen until Start. It returns
// an error naming the setting when cfg is invalid.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	policy, ok := storage.ParseEvictionPolicy(cfg.MaxMemoryPolicy)
	if !ok {
		return nil, fmt.Errorf("server: invalid maxmemory-policy %q", cfg.MaxMemoryPolicy)
	}
	if cfg.Databases < 1 {
		return nil, fmt.Errorf("server: invalid databases %d: must be at least 1", cfg.Databases)
	}
	switch cfg.EnableDebugCommand {
	case "no", "yes", "local":
	default:
		return nil, fmt.Errorf("server: invalid enable-debug-command %q: want no, yes or local", cfg.EnableDebugCommand)
	}
	if cfg.Port < -1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("server: invalid port %d", cfg.Port)
	}
	if cfg.ProtectedMode != "yes" && cfg.ProtectedMode != "no" {
		return nil, fmt.Errorf("server: invalid protected-mode %q: want yes or no", cfg.ProtectedMode)
	}
	if cfg.ACLPubSubDefault != "allchannels" && cfg.ACLPubSubDefault != "resetchannels" {
		return nil, fmt.Errorf("server: invalid acl-pubsub-default %q: want allchannels or resetchannels", cfg.ACLPubSubDefault)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, clients: map[int64]*client{}, done: make(chan struct{}), slowlog: newSlowlog(), commands: newCommandTable()}
	if err := s.initACL(); err != nil {
		return nil, err
	}
	if err := s.commands.rename(cfg.RenameCommands); err != nil {
		return nil, err
	}
	if err := s.initTLS(); err != nil {
		return nil, err
	}
	store, err := storage.New(storage.Options{
		Databases: cfg.Databases,
		MaxMemory: cfg.MaxMemory,
		Policy:    policy,
		Clock:     cfg.Clock,
	})
	if err != nil {
		return nil, err
	}
	s.store = store
	s.timeout.Store(int64(cfg.Timeout))
	s.activeExpire.Store(true)
	s.scriptLimit.Store(5000) // Redis's default busy-reply-threshold
	s.scripts = script.New(script.Options{Version: RedisVersion, Logger: s.log})
	if err := s.loadFunctions(); err != nil {
		return nil, err
	}
	store.AddListener(&s.watches)
	s.tracking.init(s, cfg.Databases)
	store.AddListener(&s.tracking)
	store.AddListener(&s.blocking)
	if err := s.initCache(); err != nil {
		return nil, err
	}
	if err := s.initLimits(cfg); err != nil {
		s.cache.Close()
		return nil, err
	}
	if cfg.ClusterEnabled {
		if s.cluster, err = newClusterState(s, cfg); err != nil {
			s.cache.Close()
			return nil, err
		}
	}
	if err := s.initWarmup(); err != nil { // after the cluster, which it runs jobs in
		s.cache.Close()
		return nil, err
	}
	return s, nil
}

// Start listens on every bind address and serves in the background.
func (s *Server) Start() error {
	var err error
	// Before any listener (TLS's too) starts a connection that reads it.
	if s.yield, err = newNetYield(); err != nil {
		s.log.Warn("connections that never run dry will not step aside for others", "err", err)
	}
	if s.poller, err = newEdgePoller(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		s.log.Warn("clients will wait for input through Go's poller", "err", err)
	}
	port := s.cfg.Port
	if port == -1 {
		port = 0
	}
	lns, err := listen(s.cfg.Bind, port)
	if err != nil {
		return err
	}
	if s.cfg.TLS.Port != 0 {
		s.tls.mu.Lock()
		err := s.listenTLS(s.cfg.TLS.Port)
		s.tls.mu.Unlock()
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("server: tls-port: %w", err)
		}
	}
	s.started = time.Now()
	if err := s.startAdmin(); err != nil {
		for _, l := range lns {
			l.Close()
		}
		s.closeTLS()
		return err
	}
	s.listenMu.Lock()
	s.serveListeners(lns, s.cfg.Bind)
	s.listenMu.Unlock()
	s.wg.Add(1)
	go s.cron()
	s.scheduler.Start()
	if addr := s.TLSAddr(); addr != "" {
		s.log.Info("ready to accept TLS connections", "addr", addr)
	}
	s.log.Info("ready to accept connections", "addr", s.Addr(), "version", Version)
	return nil
}

// listen opens a listener on each address (a "*" is every IPv4 address,
// "::*" every IPv6 one, and one written "-addr" is skipped when it cannot
// listen), all on one port: port, or the one the first picks when it is
// 0. On an error it closes what it opened.
func listen(addrs []string, port int) ([]net.Listener, error) {
	var lns []net.Listener
	for _, addr := range addrs {
		addr, optional := strings.CutPrefix(addr, "-")
		switch addr {
		case "*":
			addr = "0.0.0.0"
		case "::*":
			addr = "::"
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
		if err != nil {
			if optional {
				continue
			}
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("server: listen on %s port %d: %w", addr, port, err)
		}
		if port == 0 {
			port = ln.Addr().(*net.TCPAddr).Port // every address gets the same port
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		return nil, fmt.Errorf("server: no address to listen on")
	}
	return lns, nil
}

// serveListeners starts accepting on lns, the server's listeners from
// now, bound to addrs. The caller holds listenMu.
func (s *Server) serveListeners(lns []net.Listener, addrs []string) {
	s.listeners, s.bound = lns, addrs
	for _, ln := range lns {
		s.wg.Add(1)
		go s.acceptLoop(ln)
	}
}

// applyListen puts CONFIG SET bind and port in force, as Redis's
// changeBindAddr and changeListenPort: when they differ from what the
// server listens on, it closes the listeners (their connections stay) and
// listens on the new ones, or, when it cannot, on the old ones again, and
// returns Redis's reason. CONFIG SET then restores the old values.
func (s *Server) applyListen() paramError {
	s.cfgMu.RLock()
	addrs, port := s.cfg.Bind, s.cfg.Port
	s.cfgMu.RUnlock()
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	select {
	case <-s.done:
		return errParamListen
	default:
	}
	if len(s.listeners) == 0 {
		return "" // not started: Start listens where the settings say
	}
	oldAddrs, oldPort := s.bound, s.listeners[0].Addr().(*net.TCPAddr).Port
	if port == -1 {
		port = oldPort // a test's free port stays as picked
	}
	sameAddrs := strings.Join(addrs, " ") == strings.Join(oldAddrs, " ")
	switch {
	case sameAddrs && port == oldPort:
		return ""
	case len(addrs) > maxBindAddrs:
		return errParamBindN
	case port == 0: // no TCP listener: Strata listens on TCP only (see the README)
		return errParamListen
	}
	for _, ln := range s.listeners {
		ln.Close()
	}
	lns, err := listen(addrs, port)
	if err == nil {
		s.serveListeners(lns, addrs)
		return ""
	}
	s.log.Warn("CONFIG SET could not listen", "bind", strings.Join(addrs, " "), "port", port, "err", err)
	lns, errOld := listen(oldAddrs, oldPort)
	if errOld != nil {
		s.log.Error("could not listen again where the server listened", "bind", strings.Join(oldAddrs, " "), "port", oldPort, "err", errOld)
	}
	s.serveListeners(lns, oldAddrs)
	if sameAddrs {
		return errParamListen
	}
	return errParamBind
}

// Addr returns the address of the first listener, "" before Start.
func (s *Server) Addr() string {
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	if len(s.listeners) == 0 {
		return ""
	}
	return s.listeners[0].Addr().String()
}

// Store returns the server's keyspace, for embedding programs and tests.
func (s *Server) Store() *storage.Store { return s.store }

// Close stops accepting connections, closes every client and waits for the
// server's goroutines. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.scripts.Close() // a running script stops, so its client can close
		if s.cluster != nil {
			s.cluster.peers.close()
		}
		s.listenMu.Lock()
		for _, ln := range s.listeners {
			ln.Close()
		}
		s.listenMu.Unlock()
		s.closeTLS()
		if s.admin != nil {
			s.admin.Close()
		}
		s.mu.Lock()
		for _, c := range s.clients {
			c.close()
		}
		s.mu.Unlock()
		if s.yield != nil {
			s.yield.close() // releases connections waiting in it
		}
		if s.poller != nil {
			s.poller.close() // after the clients, which close their sockets themselves
		}
		// Runs and loads end at their next request, so that clients
		// waiting for them return.
		s.scheduler.Stop()
		s.loader.Close()
	})
	s.wg.Wait()
	return s.cache.Close() // flush and close the disk tier, last
}

// Done is closed when the server starts shutting down (SHUTDOWN or Close).
func (s *Server) Done() <-chan struct{} { return s.done }

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("accept failed", "err", err)
			select {
			case <-s.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		if tc, ok := netConn(nc).(*net.TCPConn); ok {
			tc.SetNoDelay(true)
			s.keepAlive(tc) // limits.go
			if s.poller != nil && nc == net.Conn(tc) {
				nc = s.poller.wrap(tc)
			}
		}
		s.stats.connections.Add(1)
		c := newClient(s, nc)
		if !s.register(c) {
			s.stats.rejected.Add(1)
			go refuse(nc, msgMaxClients)
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.unregister(c)
			if s.protectedModeRefuses(nc) {
				s.stats.rejected.Add(1)
				refuse(nc, msgDenied)
				return
			}
			c.serve()
		}()
	}
}

// netConn returns the connection under a TLS one.
func netConn(nc net.Conn) net.Conn {
	if tc, ok := nc.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return nc
}

// refuse answers a connection with msg and closes it. It shuts the write
// side first and reads what the client already sent (for up to a second),
// because closing a socket with unread input sends a reset that can destroy
// the error before the client reads it.
func refuse(nc net.Conn, msg string) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(time.Second))
	if _, err := nc.Write([]byte("-" + msg + "\r\n")); err != nil {
		return
	}
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(nc, 1<<20))
}

// protectedModeRefuses reports whether protected mode turns a new
// connection away, as Redis's does: it is on, the default user has no
// password, and the peer is not the loopback address. Redis's loopback is
// exactly 127.0.0.1 or ::1, so a client from 127.0.0.2 is turned away
// too.
func (s *Server) protectedModeRefuses(nc net.Conn) bool {
	s.cfgMu.RLock()
	on := s.cfg.ProtectedMode == "yes"
	s.cfgMu.RUnlock()
	if !on || !s.users.Default().NoPass() {
		return false
	}
	peer, ok := nc.RemoteAddr().(*net.TCPAddr)
	return ok && !peer.IP.Equal(net.IPv4(127, 0, 0, 1)) && !peer.IP.Equal(net.IPv6loopback)
}

// register adds c to the client registry unless maxclients is reached or
// the server is closing.
func (s *Server) register(c *client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return false
	default:
	}
	if len(s.clients) >= s.maxClients() {
		return false
	}
	s.clients[c.id] = c
	return true
}

func (s *Server) unregister(c *client) {
	c.conn.Close()
	s.limits.clientsMem.Add(-c.mem.Swap(0))
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
	s.clientClosed(c)
}

// cron runs the server's periodic work ten times a second, as Redis's hz
// 10: active expiry, with a quarter of each tick as its budget, and the
// clients' timeouts.
func (s *Server) cron() {
	defer s.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			budget := 25 * time.Millisecond
			if !s.activeExpire.Load() {
				budget = 0 // the clocks still advance
			}
			s.store.ExpireCycle(budget)
			s.tracking.limit(nil)
			s.tracking.broadcast(nil)
			s.clientsCron()
			s.evictClients() // pub/sub queues grow without their clients' goroutines
		}
	}
}

// clientsCron does with time what Redis's clientsCron does, by the
// server's clock: it times out the blocked clients whose deadline has
// passed and closes the clients idle longer than timeout (blocked and
// subscribed clients are never idle: see client.idleSince).
func (s *Server) clientsCron() {
	now := s.store.Now()
	s.blocking.expire(now)
	s.pause.expire(now)
	timeout := s.idleTimeout().Milliseconds()
	if timeout <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		if since := c.idleSince.Load(); since != 0 && now-since > timeout {
			s.log.Debug("closing idle client", "addr", c.addr)
			c.close()
		}
	}
}

// commandDone records a finished command, whose reply starts at mark in
// c.out, in the stats and the slow log. Its clock reading starts the
// connection's next pipelined command (see client.clockMark); a script's
// commands are timed each on its own, as Lua runs between them.
func (s *Server) commandDone(c *client, cmd *command, args [][]byte, start time.Duration, mark int) {
	s.stats.commands.Add(uint(c.id), 1)
	end := monotonic()
	s.commandRan(c, cmd, mark, end-start)
	s.slowlog.record(c, args, end-start)
	s.latency.record(cmd, end-start, s.store)
	if c.script == nil {
		c.clockMark = end
	}
}

// processStart anchors monotonic.
var processStart = time.Now()

// monotonic returns the time since the process started: one monotonic
// clock read, where time.Now costs two (it showed in pipelined profiles).
func monotonic() time.Duration { return time.Since(processStart) }

// protoMaxBulkLen is the bulk length limit for new connections.
func (s *Server) protoMaxBulkLen() int64 {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg.ProtoMaxBulkLen
}

// idleTimeout is the timeout setting, read by clientsCron ten times a
// second: an atomic mirror of cfg.Timeout, so that it is not one more
// shared reader count.
func (s *Server) idleTimeout() time.Duration { return time.Duration(s.timeout.Load()) }

func (s *Server) maxClients() int {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg.MaxClients
}

// clientClosed releases what a closed client held.
func (s *Server) clientClosed(c *client) {
	s.watches.unwatchAll(c)
	s.pubsub.clientClosed(c)
	s.tracking.disable(c)
	s.monitors.remove(c)
}
