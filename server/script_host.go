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
	"sync"
	"time"

	"github.com/stratakv/strata/script"
)

// scriptHost is the server's side of script runs, their script.Host: a
// script's commands run on the pseudo-client pc, whose script field
// points here while one runs. A server has one, built by its first
// script, and runs one script at a time.
type scriptHost struct {
	pc *client
	// refuseOOM is set while a command runs that is refused when memory
	// is over maxmemory (client.call reads it through refusesOOM).
	refuseOOM bool
}

// refusesOOM reports whether a denyoom command run for this script (or
// for a client, when r is nil) is refused when memory is over maxmemory.
func (h *scriptHost) refusesOOM() bool { return h == nil || h.refuseOOM }

// Lookup finds the command a script calls, as script.Host asks.
func (h *scriptHost) Lookup(args [][]byte) (script.Command, error) {
	cmd := scriptLookup(args)
	if cmd == nil {
		return script.Command{}, script.ErrUnknownCommand
	}
	if !cmd.arityOK(len(args)) {
		return script.Command{}, script.ErrWrongArity
	}
	flags := scriptCommands()[cmd]
	if flags.denied {
		return script.Command{}, script.ErrDenied
	}
	return script.Command{Write: flags.writes, Handle: cmd}, nil
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

// runScript runs script sc for client c with KEYS keys and ARGV argv, and
// writes its reply. The caller holds the exclusive storage lock.
func (s *Server) runScript(c *client, sc *script.Script, keys, argv [][]byte, readOnly bool) {
	if s.scriptHost == nil {
		pc := &client{srv: s, id: s.nextClientID.Add(1), created: time.Now()}
		pc.authed.Store(true)
		s.scriptHost = &scriptHost{pc: pc}
	}
	h := s.scriptHost
	pc := h.pc
	pc.dbIndex = c.dbIndex
	pc.script = h
	defer func() {
		pc.script = nil
		// The durability waits of the script's writes are the caller's.
		c.syncSeq = max(c.syncSeq, pc.syncSeq)
		c.throttle = c.throttle || pc.throttle
		pc.syncSeq, pc.throttle = 0, false
		pc.out.Reset(outFlushAt)
	}()
	s.scripts.Run(&c.out, h, script.Eval{
		Script:   sc,
		Keys:     keys,
		Argv:     argv,
		ReadOnly: readOnly,
		Limit:    s.scriptTimeLimit(),
	})
}

// scriptTimeLimit is busy-reply-threshold (lua-time-limit): how long a
// script may run; 0 for no limit.
func (s *Server) scriptTimeLimit() time.Duration {
	return time.Duration(max(0, s.scriptLimit.Load())) * time.Millisecond
}

// scriptLookup finds the command args name, with its subcommand; nil
// when there is none.
func scriptLookup(args [][]byte) *command {
	cmd := commands[string(toLower(args[0]))]
	if cmd != nil && cmd.subcommands != nil && len(args) > 1 {
		cmd = cmd.subcommands[string(toLower(args[1]))]
	}
	return cmd
}

// scriptCommandFlags says, for each command, what scripts may do with it.
type scriptCommandFlags struct {
	// denied: Redis's noscript commands (MULTI, SUBSCRIBE, BLPOP,
	// CLIENT...), and Strata's flagNoMulti ones, which take the storage
	// locks themselves and so cannot run under a script's.
	denied bool
	writes bool // refused by read-only scripts: write and may_replicate commands
}

// mayReplicate lists the commands scripts may call that Redis 7.0 flags
// may_replicate, a flag its COMMAND INFO does not show: read-only scripts
// refuse them as writes.
var mayReplicate = map[string]bool{"publish": true, "spublish": true, "pfcount": true}

// scriptCommands holds the flags of every command, derived from the
// COMMAND INFO Redis gives for its commands (cmd_command.go) and from the
// table for Strata's own.
var scriptCommands = sync.OnceValue(func() map[*command]scriptCommandFlags {
	m := map[*command]scriptCommandFlags{}
	add := func(cmd *command) {
		f := scriptCommandFlags{
			denied: cmd.flags&flagNoMulti != 0,
			writes: cmd.flags&flagWrite != 0 || mayReplicate[cmd.name],
		}
		if e, ok := recorded().info[cmd.name]; ok {
			f.denied = f.denied || hasFlag(e, "noscript")
			f.writes = f.writes || hasFlag(e, "write")
		}
		m[cmd] = f
	}
	for _, cmd := range commands {
		add(cmd)
		for _, sub := range cmd.subcommands {
			add(sub)
		}
	}
	return m
})
