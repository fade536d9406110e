package server

// The server's side of Lua scripts (package script): the pseudo-client
// their commands run on, which is the script.Host of every run.
//
// EVAL declares no key positions, so the dispatcher runs it under the
// exclusive storage lock: a script is atomic, and the engine's Lua state
// is used by one goroutine at a time. The commands a script calls go
// through the command table and client.call on the pseudo-client, without
// taking the locks again, so they get the checks, keyspace events, WATCH
// invalidation, statistics, namespace rules and disk tier writes of the
// same command sent by a client.

import (
	"bytes"
	"time"

	"github.com/stratakv/strata/acl"
	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/script"
)

// scriptHost is the server's side of script runs, their script.Host: a
// script's commands run on the pseudo-client pc, whose script field
// points here while one runs. A server has one, built by its first
// script, and runs one script at a time.
type scriptHost struct {
	pc *client
	// caller is the client whose script runs: its user's permissions
	// apply to the script's commands, the ACL log names it, and its
	// tracked reads are the script's.
	caller *client
	// refuseOOM is set while a command runs that is refused when memory
	// is over maxmemory (client.call reads it through refusesOOM).
	refuseOOM bool
}

// refusesOOM reports whether a denyoom command run for this script (or
// for a client, when r is nil) is refused when memory is over maxmemory.
func (h *scriptHost) refusesOOM() bool { return h == nil || h.refuseOOM }

// Lookup finds the command a script calls, as script.Host asks.
func (h *scriptHost) Lookup(args [][]byte) (script.Command, error) {
	cmd := h.pc.srv.commands.find(args)
	if cmd == nil {
		return script.Command{}, script.ErrUnknownCommand
	}
	if !cmd.arityOK(len(args)) {
		return script.Command{}, script.ErrWrongArity
	}
	if cmd.flags&flagNoScript != 0 {
		return script.Command{}, script.ErrDenied
	}
	switch d, _ := h.pc.checkACL(cmd, args, acl.ContextLua); d {
	case acl.DeniedCommand:
		return script.Command{}, &script.PermissionError{Reply: msgScriptNoPermCmd}
	case acl.DeniedKey:
		return script.Command{}, &script.PermissionError{Reply: msgScriptNoPermKey}
	case acl.DeniedChannel:
		return script.Command{}, &script.PermissionError{Reply: msgScriptNoPermChan}
	}
	return script.Command{Write: cmd.flags&flagScriptWrite != 0, Handle: cmd}, nil
}

// Call runs a command for a script on the pseudo-client, as script.Host
// asks, and returns the reply it wrote.
func (h *scriptHost) Call(cmd script.Command, args [][]byte, opts script.CallOptions) []byte {
	pc := h.pc
	pc.out.Truncate(0)
	pc.out.SetRESP3(opts.RESP3)
	h.refuseOOM = opts.RefuseOOM
	pc.call(cmd.Handle.(*command), args, false)
	return pc.out.Bytes()
}

// runScript runs ev (an EVAL script or a function) for client c, whose
// command is args, and writes its reply. The caller holds the exclusive
// storage lock.
func (s *Server) runScript(c *client, args [][]byte, ev script.Eval) {
	flags := script.FlagShebang
	if ev.Function != nil {
		flags = ev.Function.Flags()
		// FUNCTION STATS shows the command; the request buffer it came in
		// is the connection's, so it gets a copy.
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = bytes.Clone(a)
		}
		s.fcallArgs.Store(&argv)
		defer s.fcallArgs.Store(nil)
	} else {
		flags = ev.Script.Flags()
	}
	// A script with a shebang, and a function, declares whether it
	// writes: one that may is refused by the read-only variants, and
	// refused up front when memory is over maxmemory unless it allows
	// that.
	if flags&script.FlagShebang != 0 && flags&script.FlagNoWrites == 0 {
		if ev.ReadOnly {
			c.out.Error(msgScriptWriteFlagRO)
			return
		}
		if flags&script.FlagAllowOOM == 0 && s.store.MaxMemory() > 0 && c.tx.MakeRoom(nil) != nil {
			c.out.Error(msgOutOfMemory)
			return
		}
	}
	if s.scriptHost == nil {
		pc := &client{srv: s, id: s.nextClientID.Add(1), created: time.Now()}
		pc.authed.Store(true)
		s.scriptHost = &scriptHost{pc: pc}
	}
	h := s.scriptHost
	pc := h.pc
	pc.dbIndex = c.dbIndex
	pc.cluster.cmdAsking = c.cluster.cmdAsking // the script's commands are checked as asked
	pc.user.Store(c.user.Load())
	pc.script, h.caller = h, c
	defer func() {
		pc.script, h.caller = nil, nil
		// The durability waits of the script's writes are the caller's.
		c.wait, pc.wait = c.wait.Merge(pc.wait), cache.Wait{}
		pc.out.Reset(outFlushAt)
	}()
	ev.Limit = s.scriptTimeLimit()
	s.scripts.Run(&c.out, h, ev)
}

// scriptTimeLimit is busy-reply-threshold (lua-time-limit): how long a
// script runs before other clients are answered BUSY.
func (s *Server) scriptTimeLimit() time.Duration {
	return time.Duration(max(0, s.scriptLimit.Load())) * time.Millisecond
}
