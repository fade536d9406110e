package server

// Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and
// SCRIPT LOAD|EXISTS|FLUSH|KILL|DEBUG|HELP. The engine is package script;
// the pseudo-client its scripts' commands run on is script_host.go, and
// functions (FCALL, FUNCTION) are cmd_function.go.
// https://redis.io/commands/eval/

import (
	"errors"

	"github.com/stratakv/strata/script"
)

func registerScriptCommands(t commandTable) {
	t.add(
		// No key positions: the dispatcher takes the exclusive storage
		// lock, which makes a script atomic.
		&command{name: "eval", handler: cmdEval, arity: -3},
		&command{name: "evalsha", handler: cmdEvalSha, arity: -3},
		&command{name: "eval_ro", handler: cmdEvalRO, arity: -3},
		&command{name: "evalsha_ro", handler: cmdEvalShaRO, arity: -3},
	)
	t.container("script", -2,
		&command{name: "load", handler: cmdScriptLoad, arity: 3, flags: flagNoData},
		&command{name: "exists", handler: cmdScriptExists, arity: -3, flags: flagNoData},
		&command{name: "flush", handler: cmdScriptFlush, arity: -2, flags: flagNoData},
		// KILL runs without storage locks, so that it reaches a script
		// that holds them.
		&command{name: "kill", handler: cmdScriptKill, arity: 2, flags: flagNoData},
		&command{name: "debug", handler: cmdScriptDebug, arity: 3, flags: flagNoData},
		&command{name: "help", handler: cmdScriptHelp, arity: 2, flags: flagNoData},
	)
}

func cmdEval(c *client, args [][]byte)       { eval(c, args, false, false) }
func cmdEvalSha(c *client, args [][]byte)    { eval(c, args, true, false) }
func cmdEvalRO(c *client, args [][]byte)     { eval(c, args, false, true) }
func cmdEvalShaRO(c *client, args [][]byte)  { eval(c, args, true, true) }
func cmdScriptHelp(c *client, args [][]byte) { c.out.Help(scriptHelp) }

// eval is EVAL and its variants: script (or sha) numkeys key... arg...,
// with Redis's checks in Redis's order.
func eval(c *client, args [][]byte, bySHA, readOnly bool) {
	if bySHA && len(args[1]) != 40 {
		c.out.Error(msgNoScript)
		return
	}
	end, ok := scriptKeysEnd(c, args, msgNotInteger)
	if !ok {
		return
	}
	var s *script.Script
	if bySHA {
		if s = c.srv.scripts.Lookup(string(args[1])); s == nil {
			c.out.Error(msgNoScript)
			return
		}
	} else {
		var err error
		if s, err = c.srv.scripts.Load(args[1], false); err != nil {
			c.out.Error(scriptError(err))
			return
		}
	}
	c.srv.runScript(c, args, script.Eval{Script: s, Keys: args[3:end], Argv: args[end:], ReadOnly: readOnly})
}

// scriptKeysEnd checks the numkeys of EVAL and FCALL (args[2]) as Redis
// does, replying notNumber when it is not an integer (EVAL's and FCALL's
// wording differ), and returns the index of the first argument after the
// keys.
func scriptKeysEnd(c *client, args [][]byte, notNumber string) (int, bool) {
	numKeys, ok := argInt(args[2])
	switch {
	case !ok:
		c.out.Error(notNumber)
		return 0, false
	case numKeys > int64(len(args)-3):
		c.out.Error(msgNumKeysTooMany)
		return 0, false
	case numKeys < 0:
		c.out.Error(msgNumKeysNegative)
		return 0, false
	}
	return 3 + int(numKeys), true
}

// scriptError words an error of the script engine as Redis's reply.
func scriptError(err error) string {
	var ce *script.ReplyError
	switch {
	case errors.As(err, &ce):
		return ce.Reply
	case errors.Is(err, script.ErrNotBusy):
		return msgNotBusy
	case errors.Is(err, script.ErrUnkillable):
		return msgUnkillable
	case errors.Is(err, script.ErrKillEval):
		return msgBusyEval
	case errors.Is(err, script.ErrKillFunction):
		return msgBusyFunction
	}
	return msgInternal
}

func cmdScriptLoad(c *client, args [][]byte) {
	s, err := c.srv.scripts.Load(args[2], true)
	if err != nil {
		c.out.Error(scriptError(err))
		return
	}
	c.out.BulkString(s.SHA())
}

func cmdScriptExists(c *client, args [][]byte) {
	c.out.Array(len(args) - 2)
	for _, sha := range args[2:] {
		if c.srv.scripts.Lookup(string(sha)) != nil {
			c.out.Int(1)
		} else {
			c.out.Int(0)
		}
	}
}

// cmdScriptFlush is SCRIPT FLUSH [ASYNC|SYNC]: both empty the cache at
// once (it is only a map to drop).
func cmdScriptFlush(c *client, args [][]byte) {
	if len(args) > 3 || len(args) == 3 && !is(args[2], "async") && !is(args[2], "sync") {
		c.out.Error(msgScriptFlushOption)
		return
	}
	c.srv.scripts.Flush()
	c.out.OK()
}

func cmdScriptKill(c *client, args [][]byte) { killScript(c, false) }

// cmdScriptDebug is SCRIPT DEBUG: Strata has no Lua debugger, so only NO
// (the default) is accepted.
func cmdScriptDebug(c *client, args [][]byte) {
	switch {
	case is(args[2], "no"):
		c.out.OK()
	case is(args[2], "yes"), is(args[2], "sync"):
		c.out.Error(msgScriptDebugger)
	default:
		c.out.Error(msgScriptDebugOption)
	}
}

var scriptHelp = []string{
	"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DEBUG (YES|SYNC|NO)",
	"    Set the debug mode for subsequent scripts executed.",
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
	"HELP",
	"    Prints this help.",
}
