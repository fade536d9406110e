package server

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	rd    *reader
	out   reply
	// wmu serializes writes to conn: the connection's own flushes and, for
	// subscribers, messages published by other clients.
	wmu sync.Mutex

	dbIndex int
	// db is dbIndex's DB, valid while a command holds its storage lock.
	db *storage.DB

	authed  atomic.Bool
	name    atomic.Pointer[string]
	libName atomic.Pointer[string]
	libVer  atomic.Pointer[string]
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

	multi      *multiState
	block      *blockState // a blocking command's wait, while execute runs it (blocking.go)
	ps         *subscriber // pub/sub state, from the first subscription
	closeAfter bool        // QUIT: close once the reply is written
	killed     atomic.Bool

	nameBuf [32]byte // lower-cased command names, to look up without allocating
	// recentName (as sent) and recentCmd are the last top-level command
	// looked up: a pipeline usually repeats one, and comparing its name
	// costs less than lower-casing and hashing it.
	recentName []byte
	recentCmd  *command
	shardBuf   [32]int // a command's shards (lockFor); more keys lock the whole store

	// syncSeq and throttle are what the buffered replies wait for before
	// they go out (policy.go): a write-ahead log record of a write_through
	// write, the backlog after write_back writes.
	syncSeq  uint64
	throttle bool

	// script is the run a scripting pseudo-client runs commands for
	// (script.go); nil for connections.
	script *scriptRun
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
	c.out.b = make([]byte, 0, 4096)
	c.authed.Store(s.password() == "")
	c.rd = newReader(nc, s.protoMaxBulkLen(), c.authed.Load)
	c.lastActive.Store(int64(monotonic()))
	return c
}

// serve runs the connection until it closes.
func (c *client) serve() {
	for !c.closeAfter {
		args, err := c.rd.next(c.idle)
		if err != nil {
			var perr protocolError
			if errors.As(err, &perr) {
				c.out.Error(msgProtocolPrefix + string(perr))
				c.flush()
			} else if errors.Is(err, errQueryBufferLimit) {
				c.srv.log.Warn("closing client that reached max query buffer length", "addr", c.addr)
			}
			return
		}
		c.execute(args)
		if len(c.out.b) >= outFlushAt {
			if c.flush() != nil {
				return
			}
		}
	}
	c.flush()
}

// idle runs when no complete request is buffered: it writes the pending
// replies and arms the idle timeout before the connection blocks in Read.
//
// Before writing it yields, so that the other connections with requests
// ready run theirs first and the replies go out back to back, as Redis
// writes all of an event loop round's replies at its end. Writing each
// reply as soon as it is ready wakes a client that has gone back to sleep
// for every reply; pprof of -P 16 SETs had 14% in that wakeup
// (sock_def_readable). Measured against the inline write, pinned, in the
// same run: SET -P 16 372k to 485k/s with p99 4.8 to 3.1 ms (Redis 487k,
// 2.7 ms), GET -P 16 413k to 527k, MSET -P 16 75k to 89k.
func (c *client) idle() error {
	if len(c.out.b) > 0 {
		runtime.Gosched()
	}
	if err := c.flush(); err != nil {
		return err
	}
	if t := c.srv.idleTimeout(); t > 0 && !c.subscribed() { // subscribers never time out, as in Redis
		return c.conn.SetReadDeadline(time.Now().Add(t))
	}
	return nil
}

// flush writes the pending replies.
func (c *client) flush() error {
	c.clockMark = 0 // a write or a wait comes before the next command
	if len(c.out.b) == 0 {
		return nil
	}
	if c.syncSeq != 0 || c.throttle {
		if err := c.awaitDurable(); err != nil { // policy.go
			return err
		}
	}
	c.wmu.Lock()
	_, err := c.conn.Write(c.out.b)
	if c.ps != nil {
		c.ps.flushed()
	}
	c.wmu.Unlock()
	if cap(c.out.b) > outFlushAt*4 {
		c.out.b = make([]byte, 0, 4096) // let a big reply's buffer go
	} else {
		c.out.b = c.out.b[:0]
	}
	return err
}

// lookup finds the command named by args[0] (and args[1] for containers)
// without allocating. It returns nil and rejects the request (see reject)
// when there is none, or when the arity is wrong.
func (c *client) lookup(args [][]byte) *command {
	cmd := c.recentCmd
	if cmd == nil || !bytes.Equal(args[0], c.recentName) {
		if cmd = commands[lowerName(c.nameBuf[:0], args[0])]; cmd == nil {
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
		c.multi = nil
		c.srv.watches.unwatchAll(c)
		c.out.Error("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
		return
	}
	if c.multi != nil {
		c.multi.failed = true
	}
	c.out.Error(msg)
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

// execute runs one request: lookup, the checks Redis makes before running
// a command, MULTI queueing, then the command itself.
func (c *client) execute(args [][]byte) {
	if c.ps != nil {
		// Messages published before this request reach the client before
		// its reply, as they do from Redis's single output buffer.
		c.ps.takeQueue()
	}
	cmd := c.lookup(args) // on failure it replied, and flagged MULTI
	if cmd == nil {
		return
	}
	if !c.authed.Load() && cmd.flags&flagNoAuth == 0 {
		c.reject(cmd, msgNoAuth)
		return
	}
	if (c.ps != nil || c.multi != nil) && c.contextRefuses(cmd) {
		return
	}
	if c.multi != nil && cmd.flags&flagNoQueue == 0 {
		// Queueing can grow memory without bound, so Redis refuses it, reads
		// included, once maxmemory is reached and eviction cannot help.
		if c.srv.store.MaxMemory() > 0 && c.makeRoom(nil) != nil {
			c.reject(cmd, msgOutOfMemory)
			return
		}
		c.queue(cmd, args)
		return
	}
	if cmd.flags&flagBlocking != 0 {
		// BLPOP and the like may wait for a key, outside the storage
		// locks; from EXEC they run through call and never wait.
		c.callBlocking(cmd, args) // blocking.go
		return
	}
	c.call(cmd, args, true)
}

// makeRoom evicts by the policy until memory is under maxmemory, holding
// the locks that evicting from key's shard needs.
func (c *client) makeRoom(key []byte) error {
	store := c.srv.store
	l := store.LockShard(c.dbIndex, store.ShardOf(key))
	defer store.Unlock(l)
	return store.DB(c.dbIndex).MakeRoom(key)
}

// call runs cmd, taking the storage locks it needs unless the caller
// (EXEC) already holds them. A panic in the handler is logged and answered
// with an error; the connection and the server carry on.
func (c *client) call(cmd *command, args [][]byte, lock bool) {
	start := c.clockMark
	if start == 0 {
		start = monotonic()
		c.lastActive.Store(int64(start))
	}
	if lock && cmd.flags&flagNoData == 0 {
		l := c.lockFor(cmd, args)
		defer c.srv.store.Unlock(l)
	}
	c.db = c.srv.store.DB(c.dbIndex)
	if name := &cmd.name; c.lastCmd.Load() != name {
		c.lastCmd.Store(name)
	}
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
		if err := c.db.MakeRoom(key); err != nil && c.script.refusesOOM() {
			c.out.Error(msgOutOfMemory)
			return
		}
	}
	if c.srv.policy != nil && cmd.flags&flagWrite != 0 {
		c.policyCall(cmd, args) // policy.go: namespace rules, disk tier
	} else {
		cmd.handler(c, args)
	}
	c.srv.commandDone(c, cmd, args, start)
}

// lockFor takes the storage lock cmd needs: one shard when all its keys
// share one, else the whole store.
func (c *client) lockFor(cmd *command, args [][]byte) storage.Lock {
	store := c.srv.store
	if cmd.firstKey == 0 {
		return store.LockAll()
	}
	if cmd.firstKey == 1 && cmd.lastKey == 1 && cmd.keys == nil && len(args) > 1 { // GET, SET, INCR...: one key
		return store.LockShard(c.dbIndex, store.ShardOf(args[1]))
	}
	shards := c.shardBuf[:0]
	overflow := false
	cmd.keyArgs(args, func(k []byte) {
		if len(shards) == cap(shards) {
			overflow = true
			return
		}
		shards = append(shards, store.ShardOf(k))
	})
	switch {
	case overflow || len(shards) == 0:
		return store.LockAll()
	case len(shards) == 1:
		return store.LockShard(c.dbIndex, shards[0])
	}
	slices.Sort(shards)
	shards = slices.Compact(shards)
	if len(shards) == 1 {
		return store.LockShard(c.dbIndex, shards[0])
	}
	return store.LockShards(c.dbIndex, shards)
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
