package server

// CLIENT PAUSE|UNPAUSE and CLIENT REPLY: the commands that hold back or
// silence clients.
// https://redis.io/commands/client-pause/

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// pauseState is CLIENT PAUSE's: while it lasts, the commands it covers
// wait before they run (every command for ALL, writes for WRITE), as
// Redis postpones them. The deadline is by the server's clock, checked by
// the cron.
type pauseState struct {
	active atomic.Bool // a pause is on: commands look at the rest

	mu    sync.Mutex
	all   bool          // ALL, else WRITE
	until int64         // unix ms the pause ends at
	done  chan struct{} // closed when the pause ends
}

// start begins a pause until unix ms until, or extends the one on: as
// Redis's pauseClients, the later end and the stricter mode win.
func (p *pauseState) start(until int64, all bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active.Load() {
		p.done, p.all, p.until = make(chan struct{}), false, 0
		p.active.Store(true)
	}
	p.all = p.all || all
	p.until = max(p.until, until)
}

// end ends the pause, if one is on, and lets its waiters run.
func (p *pauseState) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active.Load() {
		p.active.Store(false)
		close(p.done)
	}
}

// expire ends the pause once the server's clock reaches its end (cron).
func (p *pauseState) expire(now int64) {
	if !p.active.Load() {
		return
	}
	p.mu.Lock()
	over := now >= p.until
	p.mu.Unlock()
	if over {
		p.end()
	}
}

// wait holds c's command cmd while a pause covers it; it returns when the
// pause ends or the server closes.
func (p *pauseState) wait(c *client, cmd *command) {
	for p.active.Load() {
		p.mu.Lock()
		covered := p.active.Load() && (p.all || pausedWrite(c, cmd))
		done := p.done
		p.mu.Unlock()
		if !covered {
			return
		}
		select {
		case <-done:
		case <-c.srv.done:
			return
		}
	}
}

// pausedWrite reports whether CLIENT PAUSE WRITE holds cmd: Redis's write
// and may-replicate commands (scripts, PUBLISH...), and an EXEC whose
// transaction has one.
func pausedWrite(c *client, cmd *command) bool {
	switch {
	case cmd.flags&flagScriptWrite != 0:
		return true
	case cmd.name == "eval", cmd.name == "evalsha", cmd.name == "fcall":
		return true
	case cmd.name == "exec" && c.multi != nil:
		for _, q := range c.multi.queue {
			if pausedWrite(c, q.cmd) {
				return true
			}
		}
	}
	return false
}

// cmdClientPause is CLIENT PAUSE timeout [WRITE|ALL].
func cmdClientPause(c *client, args [][]byte) {
	ms, ok := argInt(args[2])
	switch {
	case len(args) > 4:
		c.out.Error(fmt.Sprintf(msgSubcommandSyntax, "PAUSE", "CLIENT"))
		return
	case !ok:
		c.out.Error(msgPauseTimeout)
		return
	case ms < 0:
		c.out.Error(msgTimeoutNegative)
		return
	}
	all := true
	if len(args) == 4 {
		switch {
		case is(args[3], "write"):
			all = false
		case is(args[3], "all"):
		default:
			c.out.Error(msgPauseMode)
			return
		}
	}
	now := c.srv.store.Now()
	until := int64(math.MaxInt64)
	if ms < math.MaxInt64-now {
		until = now + ms
	}
	c.srv.pause.start(until, all)
	c.out.OK()
}

func cmdClientUnpause(c *client, args [][]byte) {
	c.srv.pause.end()
	c.out.OK()
}

// cmdClientReply is CLIENT REPLY ON|OFF|SKIP; execute silences the
// replies.
func cmdClientReply(c *client, args [][]byte) {
	switch {
	case is(args[2], "on"):
		c.reply.off, c.reply.skip, c.reply.skipNext = false, false, false
		c.out.OK()
	case is(args[2], "off"):
		c.reply.off = true
	case is(args[2], "skip"):
		c.reply.skipNext = !c.reply.off
	default:
		c.out.Error(msgSyntax)
	}
}
