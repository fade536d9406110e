package server

// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
// https://redis.io/docs/interact/transactions/

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/stratakv/strata/acl"
	"github.com/stratakv/strata/storage"
)

func registerTxCommands(t commandTable) {
	t.add(
		&command{name: "multi", handler: cmdMulti, arity: 1, flags: flagNoData | flagNoQueue},
		&command{name: "exec", handler: cmdExec, arity: 1, flags: flagNoQueue},
		&command{name: "discard", handler: cmdDiscard, arity: 1, flags: flagNoData | flagNoQueue},
		&command{name: "watch", handler: cmdWatch, arity: -2, flags: flagNoData | flagNoQueue, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "unwatch", handler: cmdUnwatch, arity: 1, flags: flagNoData | flagNoQueue},
	)
}

// multiState is a client's open transaction.
type multiState struct {
	queue  []queuedCommand
	failed bool // a command was refused while queueing: EXEC aborts
}

type queuedCommand struct {
	cmd  *command
	args [][]byte // copies: request buffers are reused
}

func (c *client) queue(cmd *command, args [][]byte) {
	owned := make([][]byte, len(args))
	for i, a := range args {
		owned[i] = append([]byte(nil), a...)
	}
	c.multi.queue = append(c.multi.queue, queuedCommand{cmd: cmd, args: owned})
	c.listed.multi.Add(1)
	c.out.Simple("QUEUED")
}

// setMulti opens (m) or closes (nil) the client's transaction, mirrored
// for CLIENT LIST.
func (c *client) setMulti(m *multiState) {
	c.multi = m
	if m == nil {
		c.listed.multi.Store(0)
	} else {
		c.listed.multi.Store(1)
	}
}

func cmdMulti(c *client, args [][]byte) {
	if c.multi != nil {
		c.out.Error(msgMultiNested)
		return
	}
	c.setMulti(&multiState{})
	c.out.OK()
}

func cmdDiscard(c *client, args [][]byte) {
	if c.multi == nil {
		c.out.Error(msgDiscardNoMulti)
		return
	}
	c.setMulti(nil)
	c.srv.watches.unwatchAll(c)
	c.out.OK()
}

// cmdExec runs the queued commands under the exclusive storage lock (taken
// by the dispatcher: EXEC has no key arguments), so no other client's
// command interleaves.
func cmdExec(c *client, args [][]byte) {
	m := c.multi
	if m == nil {
		c.out.Error(msgExecNoMulti)
		return
	}
	c.setMulti(nil)
	dirty := c.srv.watches.unwatchAll(c)
	if m.failed {
		c.out.Error(msgExecAbort)
		return
	}
	if dirty {
		c.out.NullArray()
		return
	}
	c.out.Array(len(m.queue))
	for _, q := range m.queue {
		// The user's permissions may have changed since the command was
		// queued: they are checked again, as Redis does.
		if d, _ := c.checkACL(q.cmd, q.args, acl.ContextMulti); d != acl.Allowed {
			c.out.Error(fmt.Sprintf(msgExecNoPerm, execDenialReason(d)))
			continue
		}
		c.call(q.cmd, q.args, false)
	}
}

// execDenialReason words why EXEC refuses a queued command.
func execDenialReason(d acl.Denial) string {
	switch d {
	case acl.DeniedKey:
		return msgExecNoPermKey
	case acl.DeniedChannel:
		return msgExecNoPermChannel
	}
	return msgExecNoPermCommand
}

func cmdWatch(c *client, args [][]byte) {
	if c.multi != nil {
		c.out.Error(msgWatchInMulti)
		return
	}
	for _, k := range args[1:] {
		c.srv.watches.watch(c, c.dbIndex, string(k))
	}
	c.out.OK()
}

func cmdUnwatch(c *client, args [][]byte) {
	c.srv.watches.unwatchAll(c)
	c.out.OK()
}

// watchKey names a watched key in a database.
type watchKey struct {
	db  int
	key string
}

// watchRegistry maps watched keys to the clients watching them. A write to
// a watched key marks its watchers dirty, which makes their EXEC fail.
type watchRegistry struct {
	count    atomic.Int64 // watched keys: writes skip the registry when 0
	mu       sync.Mutex
	watchers map[watchKey]map[*client]bool // the bool: dirty
	byClient map[*client][]watchKey
}

func (w *watchRegistry) watch(c *client, db int, key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watchers == nil {
		w.watchers = map[watchKey]map[*client]bool{}
		w.byClient = map[*client][]watchKey{}
	}
	k := watchKey{db, key}
	set := w.watchers[k]
	if set == nil {
		set = map[*client]bool{}
		w.watchers[k] = set
	}
	if _, ok := set[c]; ok {
		return
	}
	set[c] = false
	w.byClient[c] = append(w.byClient[c], k)
	w.count.Add(1)
}

// unwatchAll forgets c's watches and reports whether any was dirty.
func (w *watchRegistry) unwatchAll(c *client) bool {
	if w.count.Load() == 0 {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	dirty := false
	for _, k := range w.byClient[c] {
		if w.watchers[k][c] {
			dirty = true
		}
		delete(w.watchers[k], c)
		if len(w.watchers[k]) == 0 {
			delete(w.watchers, k)
		}
		w.count.Add(-1)
	}
	delete(w.byClient, c)
	return dirty
}

// touch marks the watchers of key in db dirty.
func (w *watchRegistry) touch(db int, key []byte) {
	if w.count.Load() == 0 {
		return
	}
	w.touchKey(db, string(key))
}

// touchKey is touch for a key as a string. Every write calls it (as a
// storage.Listener), so the check for no watches is small enough to be
// inlined into its callers.
func (w *watchRegistry) touchKey(db int, key string) {
	if w.count.Load() != 0 {
		w.dirty(db, key)
	}
}

func (w *watchRegistry) dirty(db int, key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for c := range w.watchers[watchKey{db, key}] {
		w.watchers[watchKey{db, key}][c] = true
	}
}

// quietly runs fn, a store of key that Redis does not count as a
// modification (a change to a stream's consumer groups), and leaves the
// key's watchers as fn found them. The caller holds key's lock, so no
// other write can dirty them meanwhile.
func (w *watchRegistry) quietly(db int, key []byte, fn func()) {
	if w.count.Load() == 0 {
		fn()
		return
	}
	k := watchKey{db, string(key)}
	w.mu.Lock()
	var clean []*client
	for c, dirty := range w.watchers[k] {
		if !dirty {
			clean = append(clean, c)
		}
	}
	w.mu.Unlock()
	fn()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range clean {
		if _, ok := w.watchers[k][c]; ok {
			w.watchers[k][c] = false
		}
	}
}

// KeyStored dirties the watchers of a key that was written (a
// storage.Listener): only real changes reach the store, so a write that
// changed nothing (a failed SETNX, say) leaves EXEC running, as in Redis.
func (w *watchRegistry) KeyStored(db *storage.DB, key string, _ storage.Value) {
	w.touchKey(db.Index(), key)
}

// KeyRemoved dirties the watchers of a key that was deleted, expired,
// evicted or flushed (a storage.Listener).
func (w *watchRegistry) KeyRemoved(db *storage.DB, key string, _ storage.Value, _ storage.Reason) {
	w.touchKey(db.Index(), key)
}

// touchDB marks dirty the watchers of the keys watched in db for which
// changed reports true (FLUSHDB, SWAPDB); db < 0 means every database
// (FLUSHALL). Redis dirties only the watched keys that exist in the
// database emptied or swapped in. changed runs without the registry's lock.
func (w *watchRegistry) touchDB(db int, changed func(db int, key string) bool) {
	if w.count.Load() == 0 {
		return
	}
	var keys []watchKey
	w.mu.Lock()
	for k := range w.watchers {
		if db < 0 || k.db == db {
			keys = append(keys, k)
		}
	}
	w.mu.Unlock()
	for _, k := range keys {
		if changed(k.db, k.key) {
			w.touch(k.db, []byte(k.key))
		}
	}
}
