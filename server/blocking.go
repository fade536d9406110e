package server

// Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
// BZPOPMAX, BZMPOP; and CLIENT UNBLOCK.
// https://redis.io/docs/manual/keyspace/#blocking-operations
//
// Handlers run under the storage locks, so they must never wait. A blocking
// command that finds nothing to pop calls blockFor, which registers the
// client as a waiter on its keys (still under the locks, so no write can
// slip between the look and the registration) and returns without a reply.
// The connection's goroutine, back in callBlocking once the locks are
// released, then waits for the first of:
//   - a wake-up: a write stored one of the keys with a value of the kind
//     waited for (the registry is a storage.Listener). The client runs its
//     command again; when another client took the elements first it blocks
//     again for the time left;
//   - the timeout: a null array, as Redis replies. As in Redis, the
//     server's cron times out the clients whose deadline has passed, by
//     the server's clock, ten times a second (clientsCron);
//   - CLIENT UNBLOCK: a null array (TIMEOUT) or an UNBLOCKED error (ERROR);
//   - the connection closing (the peer hanging up, CLIENT KILL, shutdown):
//     no reply, and the connection ends.
//
// While it waits, a goroutine reads the connection into the request buffer
// (as Redis keeps reading a blocked client's socket), which is how a peer
// hanging up is noticed; pipelined requests wait there for their turn.
//
// The waiters of a key are woken one at a time, in the order they blocked:
// a write wakes the first, and further writes wake no other until it has
// run its command again; then, whether it popped or failed (or gave up at
// the same moment), it passes the wake-up on to the next, while one that
// found nothing blocks again in its place. Waiters compete in queues: the
// first waiter of each queue on a key is woken. Lists and sorted sets
// share one queue, each consumer group of a stream has its own
// (XREADGROUP), and a solo waiter (XREAD, which takes nothing from others)
// is woken by every write. A strict waiter (XREADGROUP) is also woken when
// its key is removed or comes to hold another kind, to fail as Redis
// fails it.
//
// Only execute's call of a command flagged flagBlocking may block: inside
// MULTI the command runs from EXEC, finds c.block nil and replies as on a
// timeout, as Redis's commands do for a client that may not block.

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratakv/strata/storage"
)

// registerClientUnblock adds CLIENT UNBLOCK to the CLIENT container
// (registered before the list commands, which call this).
func registerClientUnblock(t commandTable) {
	t["client"].subcommands["unblock"] = &command{name: "client|unblock", handler: cmdClientUnblock, arity: -3, flags: flagNoData}
}

// cmdClientUnblock is CLIENT UNBLOCK id [TIMEOUT|ERROR]: it parses the
// reason before the id, as Redis, and names the subcommand as sent.
func cmdClientUnblock(c *client, args [][]byte) {
	if len(args) > 4 {
		c.out.Error(fmt.Sprintf(msgSubcommandSyntax, truncate(string(args[1]), 128), "CLIENT"))
		return
	}
	how := unblockTimeout
	if len(args) == 4 {
		switch {
		case is(args[3], "timeout"):
		case is(args[3], "error"):
			how = unblockError
		default:
			c.out.Error(msgUnblockReason)
			return
		}
	}
	id, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if c.srv.blocking.unblock(id, how) {
		c.out.Int(1)
	} else {
		c.out.Int(0)
	}
}

// blockState is one blocking command's wait, from its first run to its
// reply.
type blockState struct {
	c    *client
	wake chan struct{} // buffered: a waker never waits, nor is a wake lost; nil until blockFor

	// Set under the storage locks by the command's runs.
	db       int
	kind     storage.Kind
	keys     []string
	deadline int64  // in the server clock's milliseconds; 0: no timeout
	waiting  bool   // the last run blocked instead of replying
	rerun    bool   // the command runs again after a wake-up
	seq      uint64 // the order it first blocked in: its place in line

	// Set by the command's first run before it blocks (see the file
	// comment); the zero values are the lists' and sorted sets'.
	queue  string
	solo   bool
	strict bool
	// state is what the first run keeps for the re-runs (XREAD's IDs).
	state any
	// wokenBy is the key whose change woke it last: Redis serves a
	// reader from the key that became ready.
	wokenBy string

	// unblocked is how the wait was ended from outside, read once woken:
	// CLIENT UNBLOCK's request, or unblockTimeout from the cron.
	unblocked atomic.Int32
}

// CLIENT UNBLOCK's requests.
const (
	unblockTimeout int32 = iota + 1
	unblockError
)

// blockRegistry maps keys to the clients blocked on them. It is a
// storage.Listener: a write of a key wakes its first waiter.
type blockRegistry struct {
	count   atomic.Int64 // waiters: writes skip the registry when 0
	mu      sync.Mutex
	waiters map[watchKey][]*blockState // in the order they blocked (seq)
	byID    map[int64]*blockState
	seq     uint64
	// awake holds, for a queue of a key, the waiter woken and not yet
	// done with its re-run: until it passes the wake-up on, the queue's
	// others sleep, so that they are served in order.
	awake map[queueKey]*blockState
}

// queueKey names a queue of waiters on a key.
type queueKey struct {
	watchKey
	queue string
}

// add registers b as a waiter on its keys: at the end of the line, or
// back in its place when it blocks again.
func (r *blockRegistry) add(b *blockState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waiters == nil {
		r.waiters = map[watchKey][]*blockState{}
		r.byID = map[int64]*blockState{}
		r.awake = map[queueKey]*blockState{}
	}
	r.settle(b)
	if b.seq == 0 {
		r.seq++
		b.seq = r.seq
	}
	for _, k := range b.keys {
		wk := watchKey{b.db, k}
		list := r.waiters[wk]
		i := len(list)
		for i > 0 && list[i-1].seq > b.seq {
			i--
		}
		r.waiters[wk] = slices.Insert(list, i, b)
	}
	r.byID[b.c.id] = b
	r.count.Add(1)
}

// detach unregisters b; the caller holds r.mu. It reports whether b was
// registered.
func (r *blockRegistry) detach(b *blockState) bool {
	if r.byID[b.c.id] != b {
		return false
	}
	delete(r.byID, b.c.id)
	for _, k := range b.keys {
		wk := watchKey{b.db, k}
		list := r.waiters[wk]
		for i, w := range list {
			if w == b {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(r.waiters, wk)
		} else {
			r.waiters[wk] = list
		}
	}
	r.count.Add(-1)
	return true
}

// remove unregisters b and reports whether it was still registered: false
// means a wake-up was sent to it meanwhile.
func (r *blockRegistry) remove(b *blockState) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.detach(b)
}

// wake unregisters b and signals it; the caller holds r.mu. A waiter is
// signalled at most once per registration, so the buffered send never
// waits; it would rather drop than stall every writer behind r.mu.
func (r *blockRegistry) wake(b *blockState) {
	r.detach(b)
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// wakeFirst wakes, among the waiters on k for values of kind, the first
// of each queue and every solo one; and the strict waiters for another
// kind, whose key no longer holds it. The caller holds r.mu.
func (r *blockRegistry) wakeFirst(k watchKey, kind storage.Kind) {
	list := r.waiters[k]
	if len(list) > 1 {
		list = slices.Clone(list) // wake removes b from r.waiters[k]
	}
	var served []string
	for _, b := range list {
		switch {
		case b.kind != kind:
			if b.strict {
				r.wakeBy(b, k.key)
			}
		case b.solo:
			r.wakeBy(b, k.key)
		case !slices.Contains(served, b.queue):
			served = append(served, b.queue)
			if qk := (queueKey{k, b.queue}); r.awake[qk] == nil {
				r.awake[qk] = b
				r.wakeBy(b, k.key)
			}
		}
	}
}

// settle ends b's turn as the awake waiter of its queues; the caller
// holds r.mu.
func (r *blockRegistry) settle(b *blockState) {
	for _, k := range b.keys {
		if qk := (queueKey{watchKey{b.db, k}, b.queue}); r.awake[qk] == b {
			delete(r.awake, qk)
		}
	}
}

// wakeBy wakes b for a change of key; the caller holds r.mu.
func (r *blockRegistry) wakeBy(b *blockState, key string) {
	b.wokenBy = key
	r.wake(b)
}

// passOn wakes the next waiter of each of b's keys, for a client that was
// woken and is done: it popped, failed, or gave up.
func (r *blockRegistry) passOn(b *blockState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.settle(b)
	for _, k := range b.keys {
		r.wakeFirst(watchKey{b.db, k}, b.kind)
	}
}

// wakeDB wakes every client blocked on a key of database db, whose keys
// may hold values now (SWAPDB swapped it): those that find nothing block
// again.
func (r *blockRegistry) wakeDB(db int) {
	if r.count.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.byID {
		if b.db == db {
			r.wake(b)
		}
	}
}

// unblock wakes client id with CLIENT UNBLOCK's request how, reporting
// whether it was blocked.
func (r *blockRegistry) unblock(id int64, how int32) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.byID[id]
	if b == nil {
		return false
	}
	b.unblocked.Store(how)
	r.wake(b)
	return true
}

// expire times out the clients whose deadline is before now, as Redis's
// clientsCron does: each is woken to reply as on a timeout.
func (r *blockRegistry) expire(now int64) {
	if r.count.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.byID {
		if b.deadline != 0 && b.deadline < now {
			b.unblocked.Store(unblockTimeout)
			r.wake(b)
		}
	}
}

// blocked returns the number of clients blocked (INFO's blocked_clients).
func (r *blockRegistry) blocked() int { return int(r.count.Load()) }

// isBlocked reports whether client id is blocked (CLIENT LIST's flag b).
func (r *blockRegistry) isBlocked(id int64) bool {
	if r.count.Load() == 0 {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id] != nil
}

// timed returns the number of clients blocked with a timeout (INFO's
// clients_in_timeout_table).
func (r *blockRegistry) timed() int {
	if r.count.Load() == 0 {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, b := range r.byID {
		if b.deadline != 0 {
			n++
		}
	}
	return n
}

// KeyStored wakes the first client blocked on key for a value of its kind
// (a storage.Listener). It costs one atomic load while nobody waits.
func (r *blockRegistry) KeyStored(db *storage.DB, key string, v storage.Value) {
	if r.count.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wakeFirst(watchKey{db.Index(), key}, v.Kind())
}

// KeyRemoved wakes the strict waiters on key, which fail now that it is
// gone; others wait on, since a removed key has nothing to pop (a
// storage.Listener).
func (r *blockRegistry) KeyRemoved(db *storage.DB, key string, _ storage.Value, _ storage.Reason) {
	if r.count.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range slices.Clone(r.waiters[watchKey{db.Index(), key}]) {
		if b.strict {
			r.wakeBy(b, key)
		}
	}
}

// blockFor blocks the running command on keys for values of kind, for
// timeout (0: forever). It reports false when the client may not block
// (the command runs from EXEC): the handler then replies as on a timeout.
// Called again in a re-run, it keeps the first run's deadline.
func (c *client) blockFor(kind storage.Kind, keys [][]byte, timeout time.Duration) bool {
	b := c.block
	if b == nil {
		return false
	}
	if !b.rerun {
		b.wake = make(chan struct{}, 1)
		b.db, b.kind = c.dbIndex, kind
		b.keys = make([]string, len(keys))
		for i, k := range keys {
			b.keys[i] = string(k)
		}
		if timeout > 0 {
			b.deadline = c.srv.store.Now() + timeout.Milliseconds()
		}
	}
	b.waiting = true
	c.srv.blocking.add(b)
	return true
}

// rerun reports whether the running command is a blocked command's run
// after a wake-up.
func (c *client) rerun() bool { return c.block != nil && c.block.rerun }

// callBlocking runs a blocking command from execute: it may wait, outside
// the storage locks, until the command can pop, times out, is unblocked or
// the connection closes.
func (c *client) callBlocking(cmd *command, args [][]byte) {
	b := &blockState{c: c} // wake is made by blockFor: most runs do not block
	c.block = b
	defer func() { c.block = nil }()
	c.call(cmd, args, true)
	if !b.waiting {
		return
	}
	// The request buffer takes what the client sends while it waits.
	owned := make([][]byte, len(args))
	for i, a := range args {
		owned[i] = append([]byte(nil), a...)
	}
	w := c.watchConn()
	defer w.stop()
	for {
		switch c.await(b, w) {
		case waitWoken:
			b.waiting, b.rerun = false, true
			c.call(cmd, owned, true)
			if b.waiting {
				continue // another client popped first
			}
			// Served or failed: the next in line may find something.
			c.srv.blocking.passOn(b)
			return
		case waitTimeout:
			c.giveUp(b)
			c.out.NullArray()
			return
		case waitUnblockError:
			c.giveUp(b)
			c.out.Error(msgUnblocked)
			return
		case waitGone:
			c.giveUp(b)
			c.closeAfter = true
			return
		}
	}
}

// giveUp unregisters a client that stops waiting without popping, passing
// on a wake-up sent to it meanwhile.
func (c *client) giveUp(b *blockState) {
	if !c.srv.blocking.remove(b) {
		c.srv.blocking.passOn(b)
	}
}

// How a wait ends.
const (
	waitWoken = iota
	waitTimeout
	waitUnblockError
	waitGone
)

// await waits for b's wake-up (by a write, CLIENT UNBLOCK or the cron
// at its deadline), or the end of the connection or the server. Replies
// written so far go out first.
func (c *client) await(b *blockState, w *connWatch) int {
	if c.flush() != nil {
		return waitGone
	}
	select {
	case <-b.wake:
		switch b.unblocked.Load() {
		case unblockTimeout:
			return waitTimeout
		case unblockError:
			return waitUnblockError
		}
		return waitWoken
	case <-w.gone:
		return waitGone
	case <-c.srv.done:
		return waitGone
	}
}

// connWatch reads a blocked client's connection in the background: into
// the request buffer, which the connection's goroutine leaves alone while
// it waits, until the connection fails (gone closes) or stop.
type connWatch struct {
	c        *client
	stopping atomic.Bool
	gone     chan struct{}
	done     chan struct{}
}

func (c *client) watchConn() *connWatch {
	w := &connWatch{c: c, gone: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			if err := c.rd.Fill(); err != nil {
				if !w.stopping.Load() {
					close(w.gone)
				}
				return
			}
		}
	}()
	return w
}

// stop ends the background read (interrupting a Read in flight with a
// past deadline) and waits for it, so the request buffer is the
// connection goroutine's again.
func (w *connWatch) stop() {
	w.stopping.Store(true)
	w.c.conn.SetReadDeadline(time.Unix(1, 0))
	<-w.done
	w.c.conn.SetReadDeadline(time.Time{})
}

// Long double limits, for timeouts: Redis parses them with strtold.
var (
	ldMax, _, _     = big.ParseFloat("1.18973149535723176502e+4932", 10, 64, big.ToNearestEven)
	ldTrueMin, _, _ = big.ParseFloat("3.64519953188247460253e-4951", 10, 64, big.ToNearestEven)
	maxMillis       = new(big.Float).SetInt64(math.MaxInt64)
	minMillis       = new(big.Float).SetInt64(math.MinInt64)
)

// parseBlockTimeout parses a blocking command's timeout, in seconds, as
// Redis 7.0's getTimeoutFromObjectOrReply: a long double (strtold's
// syntax, no spaces), times 1000 rounded up to whole milliseconds; a value
// whose milliseconds do not fit in 64 bits converts to the smallest
// integer, so it is reported negative, as on x86. It returns 0 for no
// timeout, or replies with the error.
func parseBlockTimeout(c *client, arg []byte) (time.Duration, bool) {
	s := string(arg)
	norm, ok := cFloatSyntax(s, false)
	if !ok || isNaNText(norm) || len(s) >= 5*1024 {
		c.out.Error(msgTimeoutNotFloat)
		return 0, false
	}
	var ms int64
	if isInfText(norm) {
		ms = math.MinInt64
	} else {
		f, _, err := big.ParseFloat(norm, 0, 64, big.ToNearestEven)
		if err != nil {
			c.out.Error(msgTimeoutNotFloat)
			return 0, false
		}
		abs := new(big.Float).Abs(f)
		if abs.Cmp(ldMax) > 0 || f.Sign() != 0 && abs.Cmp(ldTrueMin) < 0 {
			c.out.Error(msgTimeoutNotFloat) // ERANGE
			return 0, false
		}
		f.Mul(f, big.NewFloat(1000))
		i, acc := f.Int(nil)
		if acc == big.Below {
			i.Add(i, big.NewInt(1)) // ceil
		}
		fi := new(big.Float).SetInt(i)
		if fi.Cmp(maxMillis) > 0 || fi.Cmp(minMillis) < 0 {
			ms = math.MinInt64
		} else {
			ms = i.Int64()
		}
	}
	if ms < 0 {
		c.out.Error(msgTimeoutNegative)
		return 0, false
	}
	// Redis adds the time now to a timeout without checking for overflow,
	// and an absolute time past the 64-bit range never comes.
	if ms > math.MaxInt64/int64(time.Millisecond) {
		return 0, true
	}
	return time.Duration(ms) * time.Millisecond, true
}
