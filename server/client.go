package server

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratakv/strata/acl"
	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/internal/resp"
	"github.com/stratakv/strata/storage"
)

// outFlushAt is the reply buffer size that is written out even while more
// pipelined requests wait, so one client cannot pile up replies in memory.
const outFlushAt = 64 << 10

// client is one connection's state. Its fields are owned by the
// connection's goroutine, except those documented otherwise.
type client struct {
	srv   *Server
	conn  net.Conn
	id    int64
	addr  string
	laddr string
	rd    *resp.Reader
	out   resp.Writer
	// wmu serializes writes to conn: the connection's own flushes and, for
	// subscribers, messages published by other clients.
	wmu sync.Mutex

	dbIndex int
	// tx is the running command's transaction through the write path,
	// over dbIndex (call): txs[0], or txs[1] for a command EXEC runs
	// inside its own. keyBuf holds the keys it names.
	tx     *cache.Tx
	txs    [2]cache.Tx
	keyBuf [][]byte

	// user is who the client runs as, and authed whether it has
	// authenticated (Redis's c->user and c->authenticated; see
	// authRequired). Set by the client's goroutine, and by another when
	// it deletes the user (dropClientsOf).
	user   atomic.Pointer[acl.User]
	authed atomic.Bool
	name   atomic.Pointer[string]
	// listed mirrors what CLIENT LIST shows of this client to other
	// connections (cmd_client.go).
	listed  clientListed
	created time.Time
	// lastActive is when the client last ran a command, as monotonic()
	// (CLIENT LIST idle): the start of the first command after each read
	// or wait, so it costs no clock read of its own and a pipeline one
	// store. lastCmd is the last command's name (CLIENT LIST cmd), stored
	// only when it changes: an atomic store is a full barrier.
	lastActive atomic.Int64
	lastCmd    atomic.Pointer[string]
	// clockMark is when the last command ended, as monotonic(), while the
	// connection has neither written nor waited since: the next pipelined
	// command starts then, so it needs no clock read of its own. 0 when
	// the next command must read the clock.
	clockMark time.Duration

	// idleSince is when the connection went idle waiting for a request, in
	// the server clock's milliseconds; 0 while it runs a command (a
	// blocked one included) or is subscribed, which never time out. The
	// cron closes a client idle longer than timeout (clientsCron).
	idleSince atomic.Int64

	multi *multiState
	// curArgs is the request being run, for CLIENT LIST's argv-mem.
	curArgs [][]byte
	// reply is CLIENT REPLY's state: off silences every reply until ON;
	// skip silences the running command's, skipNext the next one's.
	reply struct{ off, skip, skipNext bool }
	block *blockState // a blocking command's wait, while execute runs it (blocking.go)
	load  *loadState  // a read-through command's loads, while call runs it (readthrough.go)
	loads loadState   // what load points to, reused
	ps    *subscriber // pub/sub state, from the first subscription
	// psShared is ps, for other goroutines: tracking delivers to it.
	psShared atomic.Pointer[subscriber]
	// tracking is CLIENT TRACKING's state, from its first use
	// (tracking.go).
	tracking   *trackState
	closeAfter bool // QUIT: close once the reply is written
	killed     atomic.Bool
	// mem is what the input and reply buffers cost, as trackMemory last
	// counted it (limits.go).
	mem atomic.Int64

	nameBuf [32]byte // lower-cased command names, to look up without allocating
	// recentName (as sent) and recentCmd are the last top-level command
	// looked up: a pipeline usually repeats one, and comparing its name
	// costs less than lower-casing and hashing it.
	recentName []byte
	recentCmd  *command

	// wait is what the buffered replies wait for before they go out: the
	// write-ahead log record of a write_through write, the backlog after
	// write_back writes (see flush).
	wait cache.Wait

	// script is the host whose script a scripting pseudo-client runs
	// commands for (script_host.go); nil for connections.
	script *scriptHost

	cluster clientCluster // ASKING and routing, in cluster mode (cluster.go)

	// ahead counts the buffered requests whose keys the last prefetch
	// read, still to run; pf and pfKeys are its room (see prefetch).
	ahead  int
	pf     storage.Prefetcher
	pfKeys [][]byte
}

func newClient(s *Server, nc net.Conn) *client {
	c := &client{
		srv:     s,
		conn:    nc,
		id:      s.nextClientID.Add(1),
		addr:    nc.RemoteAddr().String(),
		laddr:   nc.LocalAddr().String(),
		created: time.Now(),
	}
	c.setDefaultAuth()
	c.rd = resp.NewReader(nc, s.protoMaxBulkLen(), func() bool { return !c.authRequired() })
	c.rd.LimitQueryBuffer(&s.limits.queryBuffer)
	c.lastActive.Store(int64(monotonic()))
	return c
}

// serve runs the connection until it closes.
func (c *client) serve() {
	for !c.closeAfter {
		args, err := c.rd.Next(c.idle)
		if err != nil {
			var perr resp.ProtocolError
			if errors.As(err, &perr) {
				c.out.Error(msgProtocolPrefix + string(perr))
				c.flush()
			} else if errors.Is(err, resp.ErrQueryBufferLimit) {
				c.srv.log.Warn("closing client that reached max query buffer length", "addr", c.addr)
			} else if tc, ok := c.conn.(*tls.Conn); ok && !tc.ConnectionState().HandshakeComplete {
				c.srv.log.Debug("TLS handshake failed", "addr", c.addr, "err", err)
			}
			return
		}
		if c.idleSince.Load() != 0 {
			c.idleSince.Store(0) // busy: clientsCron leaves it alone
		}
		c.prefetch(args)
		c.execute(args)
		if c.overOutputLimit() { // limits.go
			return
		}
		if c.out.Len() >= outFlushAt {
			if c.flush() != nil {
				return
			}
		}
	}
	c.flush()
}

// prefetch reads into the CPU cache, before the first request of a
// pipeline runs, the keys it and the requests buffered behind it name
// (storage.Store.Prefetch): their lookups' cache misses then overlap
// instead of following one another, command after command. The requests
// still run one by one, in order, each under its own locks; the prefetch
// changes nothing they see. perf of GET -P 16 over 100k keys put the
// lookup at ~31% before and ~12%, prefetch included, after.
func (c *client) prefetch(args [][]byte) {
	if c.ahead > 0 {
		c.ahead--
		return
	}
	if !c.rd.Buffered() || c.multi != nil {
		return
	}
	keys := c.hintKeys(c.pfKeys[:0], args)
	c.ahead = c.rd.Ahead(storage.PrefetchMax-1, func(a [][]byte) { keys = c.hintKeys(keys, a) })
	if len(keys) > 1 {
		c.srv.store.Prefetch(&c.pf, c.dbIndex, keys)
	}
	clear(keys) // they point into the read buffer
	c.pfKeys = keys[:0]
}

// hintKeys appends the keys of the request args to keys, up to
// storage.PrefetchMax in all, when it is a command whose keys sit at
// fixed positions and are looked up in memory; others add none.
func (c *client) hintKeys(keys [][]byte, args [][]byte) [][]byte {
	cmd := c.recentCmd
	if cmd == nil || !bytes.Equal(args[0], c.recentName) {
		if len(args[0]) > len(c.nameBuf) {
			return keys
		}
		if cmd = c.srv.commands[lowerName(c.nameBuf[:0], args[0])]; cmd == nil {
			return keys
		}
	}
	if cmd.firstKey == 0 || cmd.keys != nil || cmd.subcommands != nil || cmd.flags&flagNoData != 0 || !cmd.arityOK(len(args)) {
		return keys
	}
	first, last, step := cmd.keyRange(len(args))
	for i := first; i <= last && len(keys) < storage.PrefetchMax; i += step {
		keys = append(keys, args[i])
	}
	return keys
}

// idle runs when no complete request is buffered: it writes the pending
// replies and notes when the client went idle (for the idle timeout)
// before the connection blocks in Read.
//
// Before writing it yields, so that the other connections with requests
// ready run theirs first and the replies go out back to back, as Redis
// writes all of an event loop round's replies at its end. Writing each
// reply as soon as it is ready wakes a client that has gone back to sleep
// for every reply; pprof of -P 16 SETs had 14% in that wakeup
// (sock_def_readable). Measured against the inline write, pinned, in the
// same run: SET -P 16 372k to 485k/s with p99 4.8 to 3.1 ms (Redis 487k,
// 2.7 ms), GET -P 16 413k to 527k, MSET -P 16 75k to 89k.
//
// A client whose last read filled the buffer (it sends faster than it is
// served) steps aside until the network has been polled instead (see
// netYield), so it cannot keep the others' requests waiting.
func (c *client) idle() error {
	switch {
	case c.rd.Backlogged() && c.srv.yield != nil:
		c.srv.yield.wait()
	case c.out.Len() > 0:
		runtime.Gosched()
	}
	if err := c.flush(); err != nil {
		return err
	}
	// The input buffer may have grown for a large request.
	c.trackMemory()
	if !c.subscribed() { // subscribers never time out, as in Redis
		c.idleSince.Store(c.srv.store.Now())
	}
	return nil
}

// flush writes the pending replies.
func (c *client) flush() error {
	c.clockMark = 0 // a write or a wait comes before the next command
	if c.out.Len() == 0 {
		return nil
	}
	if c.wait.Pending() {
		if err := c.awaitDurable(); err != nil {
			return err
		}
	}
	c.trackMemory()
	c.wmu.Lock()
	deadline := c.softOutputDeadline() // limits.go
	_, err := c.conn.Write(c.out.Bytes())
	if deadline {
		c.conn.SetWriteDeadline(time.Time{})
		c.logOutputTimeout(err)
	}
	if c.ps != nil {
		c.ps.flushed()
	}
	c.wmu.Unlock()
	c.out.Reset(outFlushAt * 4)
	return err
}

// awaitDurable waits until the client's write_through writes are durable
// and, after write_back writes, while the backlog is over its bound. It
// runs before the client's replies are written, with no lock held, so
// that clients writing at the same time share one fsync. An error means a
// write may not be durable: the connection is closed without its replies,
// so that no client is told a write succeeded that a crash could lose.
func (c *client) awaitDurable() error {
	w := c.wait
	c.wait = cache.Wait{}
	if err := c.srv.cache.Await(w); err != nil {
		c.srv.log.Error("closing a client: its write_through writes may not be durable", "addr", c.addr, "err", err)
		return err
	}
	return nil
}

// lookup finds the command named by args[0] (and args[1] for containers)
// without allocating. It returns nil and rejects the request (see reject)
// when there is none, or when the arity is wrong.
func (c *client) lookup(args [][]byte) *command {
	cmd := c.recentCmd
	if cmd == nil || !bytes.Equal(args[0], c.recentName) {
		if cmd = c.srv.commands[lowerName(c.nameBuf[:0], args[0])]; cmd == nil {
			c.reject(nil, unknownCommandError(args))
			return nil
		}
		if len(args[0]) <= len(c.nameBuf) {
			c.recentName, c.recentCmd = append(c.recentName[:0], args[0]...), cmd
		}
	}
	if cmd.subcommands != nil && (len(args) > 1 || cmd.handler == nil) {
		if len(args) < 2 {
			c.reject(cmd, wrongArity(cmd.name))
			return nil
		}
		sub := cmd.subcommands[lowerName(c.nameBuf[:0], args[1])]
		if sub == nil {
			c.reject(cmd, fmt.Sprintf(msgUnknownSubcommand, truncate(string(args[1]), 128), upper(cmd.name)))
			return nil
		}
		cmd = sub
	}
	if !cmd.arityOK(len(args)) {
		c.reject(cmd, wrongArity(cmd.name))
		return nil
	}
	return cmd
}

// reject refuses a command before it runs, as Redis's rejectCommand: an
// open transaction is flagged to abort, and a refused EXEC aborts it at
// once with the reason.
func (c *client) reject(cmd *command, msg string) {
	if cmd != nil && cmd.name == "exec" {
		c.setMulti(nil)
		c.srv.watches.unwatchAll(c)
		c.refuse(cmd, "EXECABORT Transaction discarded because of: "+strings.TrimPrefix(msg, "ERR "))
		return
	}
	if c.multi != nil {
		c.multi.failed = true
	}
	c.refuse(cmd, msg)
}

// lowerName lower-cases an ASCII command name into buf; Go's map lookup of
// string(b) does not allocate.
func lowerName(buf []byte, name []byte) string {
	if len(name) > cap(buf) {
		return string(toLower(name))
	}
	for _, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf = append(buf, ch)
	}
	return string(buf)
}

func toLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		out[i] = ch
	}
	return out
}

func upper(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if ch >= 'a' && ch <= 'z' {
			b[i] = ch - ('a' - 'A')
		}
	}
	return string(b)
}

// execute runs one request (process), then what follows every request:
// CLIENT REPLY's silence, and the invalidations a tracking client gets
// after its reply.
func (c *client) execute(args [][]byte) {
	if c.ps != nil {
		// Messages published before this request reach the client before
		// its reply, as they do from Redis's single output buffer.
		c.ps.takeQueue()
	}
	mark := c.out.Len()
	cmd := c.process(args)
	if c.reply.off || c.reply.skip {
		c.out.Truncate(mark)
	}
	c.reply.skip, c.reply.skipNext = c.reply.skipNext, false
	if cmd != nil {
		c.srv.tracking.afterCommand(c, cmd)
	}
}

// process runs one request: lookup, the checks Redis makes before running
// a command, MULTI queueing, then the command itself. It returns the
// command, nil when it was refused.
func (c *client) process(args [][]byte) *command {
	c.curArgs = args
	cmd := c.lookup(args) // on failure it replied, and flagged MULTI
	if cmd == nil {
		return nil
	}
	if c.authRequired() && cmd.flags&flagNoAuth == 0 {
		c.reject(cmd, msgNoAuth)
		return nil
	}
	if c.multi != nil && cmd.flags&flagNoMulti != 0 {
		c.reject(cmd, msgNoMulti)
		return nil
	}
	if d, _ := c.checkACL(cmd, args, c.aclContext()); d != acl.Allowed {
		c.reject(cmd, denialReply(cmd, d))
		return nil
	}
	if c.srv.cluster != nil && c.redirected(cmd, args) { // MOVED, ASK, CROSSSLOT
		return nil
	}
	if c.ps != nil && c.contextRefuses(cmd) {
		return nil
	}
	if cmd.name == "debug" && !c.debugAllowed() { // cmd_debug.go
		c.reject(cmd, msgDebugNotAllowed)
		return nil
	}
	if c.busyGate(cmd) { // cmd_function.go
		return nil
	}
	c.srv.pause.wait(c, cmd) // CLIENT PAUSE (cmd_pause.go)
	if c.srv.tracking.active.Load() > 0 {
		c.srv.tracking.limit(c) // tracking-table-max-keys, before each command as in Redis
	}
	if c.multi != nil && cmd.flags&flagNoQueue == 0 {
		// Queueing can grow memory without bound, so Redis refuses it, reads
		// included, once maxmemory is reached and eviction cannot help.
		if c.srv.store.MaxMemory() > 0 && c.makeRoom(nil) != nil {
			c.reject(cmd, msgOutOfMemory)
			return nil
		}
		c.queue(cmd, args)
		return cmd
	}
	if cmd.flags&flagBlocking != 0 {
		// BLPOP and the like may wait for a key, outside the storage
		// locks; from EXEC they run through call and never wait.
		c.callBlocking(cmd, args) // blocking.go
		return cmd
	}
	c.call(cmd, args, true)
	return cmd
}

// makeRoom evicts by the policy until memory is under maxmemory, holding
// the locks that evicting from key's shard needs.
func (c *client) makeRoom(key []byte) error {
	return c.srv.store.Update(c.dbIndex, [][]byte{key}, func(tx *storage.Tx) error { return tx.MakeRoom(key) })
}

// call runs cmd in a transaction through the write path, over the keys
// it names, unless the caller (EXEC, a script) already holds the whole
// store. A disk error met on the way replaces the command's reply. A
// panic in the handler is logged and answered with an error; the
// connection and the server carry on.
func (c *client) call(cmd *command, args [][]byte, lock bool) {
	start := c.clockMark
	if start == 0 {
		start = monotonic()
		c.lastActive.Store(int64(start))
	}
	if name := &cmd.name; c.lastCmd.Load() != name {
		c.lastCmd.Store(name)
	}
	mark := c.out.Len()
	monitored := c.srv.monitors.active.Load() > 0 && !c.rerun()
	if monitored && scriptRunner(cmd) {
		c.srv.monitors.feed(c, args) // before the commands of its script
	}
	if cmd.flags&flagNoData != 0 {
		c.run(cmd, args)
	} else {
		c.load = c.readThrough(cmd, lock) // nil unless misses are loaded (readthrough.go)
		if c.runTx(cmd, args, lock, mark) && c.load.missed() {
			// Load outside the locks, then run again with what was loaded.
			c.out.Truncate(mark)
			c.load.fetch(c)
			c.runTx(cmd, args, lock, mark)
		}
		c.load = nil
	}
	if cmd.flags&(flagWrite|flagNoData) == flagWrite|flagNoData {
		// A write outside a transaction (an invalidation) may have
		// changed write_through keys anywhere.
		c.wait = c.wait.Merge(c.srv.cache.WaitAll())
	}
	if cmd.flags&flagTrackRead != 0 && c.srv.tracking.active.Load() > 0 {
		reader := c
		if c.script != nil {
			reader = c.script.caller // a script's reads are its caller's, as in Redis
		}
		var keys [][]byte
		cmd.keyArgs(args, func(k []byte) { keys = append(keys, k) })
		c.srv.tracking.remember(reader, keys)
	}
	if monitored && cmd.flags&flagNoMonitor == 0 && !scriptRunner(cmd) {
		c.srv.monitors.feed(c, args)
	}
	c.srv.commandDone(c, cmd, args, start, mark)
}

// runTx runs cmd in a transaction through the write path: its own, or
// with lock false inside the caller's. A disk error met on the way
// replaces what the command wrote from mark on; runTx then returns false.
// While it holds its locks, the client is their writer for tracking.
func (c *client) runTx(cmd *command, args [][]byte, lock bool, mark int) bool {
	outer := c.tx
	c.tx = &c.txs[0]
	if !lock {
		c.tx = &c.txs[1]
	}
	keys := c.begin(cmd, args, lock)
	held := lock && c.srv.tracking.active.Load() > 0
	if held {
		c.srv.tracking.holding(c, c.dbIndex, keys)
	}
	if c.tx.Err() == nil && c.clusterServes(cmd, args) {
		c.run(cmd, args)
	}
	if held {
		c.srv.tracking.release(c.dbIndex, keys)
	}
	wait, err := c.tx.End()
	c.tx = outer
	c.wait = c.wait.Merge(wait)
	if err != nil {
		c.out.Truncate(mark)
		c.out.Error(storageError(err))
		return false
	}
	return true
}

// begin starts c.tx for cmd: over the keys it names, or the whole store
// when it names none it can list; with lock false inside the caller's. It
// returns the keys it locked (nil: the whole store), valid until the next
// begin.
func (c *client) begin(cmd *command, args [][]byte, lock bool) [][]byte {
	mode := storage.TxRead
	if cmd.flags&(flagWrite|flagScriptWrite) != 0 { // and reads that may write (PFCOUNT)
		mode = storage.TxWrite
	}
	var keys [][]byte
	switch {
	case !lock:
		mode |= storage.TxHeld
	case cmd.firstKey == 1 && cmd.lastKey == 1 && cmd.keys == nil && len(args) > 1: // GET, SET, INCR...: one key
		c.keyBuf = append(c.keyBuf[:0], args[1])
		keys = c.keyBuf
	case cmd.firstKey != 0:
		// appendKeys, not keyArgs: keyArgs's closure would move keys to
		// the heap, an allocation for every command, the one-key ones
		// above included.
		keys = cmd.appendKeys(c.keyBuf[:0], args)
		if len(keys) == 0 {
			keys = nil
		}
		c.keyBuf = keys[:0]
	}
	c.srv.cache.Begin(c.tx, c.dbIndex, keys, cmd.write, mode)
	return keys
}

// run runs cmd's handler after the checks that need its locks.
func (c *client) run(cmd *command, args [][]byte) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("command panicked", "command", cmd.name, "panic", r, "stack", string(debug.Stack()))
			c.out.Error(msgInternal + " while running '" + cmd.name + "'")
		}
	}()
	if cmd.flags&flagDenyOOM != 0 && c.srv.store.MaxMemory() > 0 {
		var key []byte
		cmd.keyArgs(args, func(k []byte) {
			if key == nil {
				key = k
			}
		})
		if err := c.tx.MakeRoom(key); err != nil && c.script.refusesOOM() {
			c.out.Error(msgOutOfMemory)
			return
		}
	}
	cmd.handler(c, args)
}

// clientName returns the CLIENT SETNAME name, "" when none.
func (c *client) clientName() string {
	if p := c.name.Load(); p != nil {
		return *p
	}
	return ""
}

// close closes the connection from another goroutine (CLIENT KILL,
// shutdown); the connection's goroutine then exits.
func (c *client) close() {
	c.killed.Store(true)
	c.conn.Close()
}
