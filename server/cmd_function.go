package server

// Functions: FCALL, FCALL_RO and FUNCTION LOAD|LIST|DELETE|FLUSH|DUMP|
// RESTORE|STATS|KILL|HELP. The libraries live in package script; they
// persist in the data dir as FUNCTION DUMP's payload (functionsFile),
// rewritten after every change and restored at start, as Redis keeps them
// in its RDB.
// https://redis.io/docs/interact/programmability/functions-intro/

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/script"
)

func registerFunctionCommands(t commandTable) {
	t.add(
		// No key positions: like EVAL, a function runs under the
		// exclusive storage lock.
		&command{name: "fcall", handler: cmdFcall, arity: -3},
		&command{name: "fcall_ro", handler: cmdFcallRO, arity: -3},
	)
	t.container("function", -2,
		// LOAD and RESTORE run Lua, so they hold the exclusive lock too.
		&command{name: "load", handler: cmdFunctionLoad, arity: -3, flags: flagWrite | flagDenyOOM},
		&command{name: "restore", handler: cmdFunctionRestore, arity: -3, flags: flagWrite | flagDenyOOM},
		&command{name: "list", handler: cmdFunctionList, arity: -2, flags: flagNoData},
		&command{name: "delete", handler: cmdFunctionDelete, arity: 3, flags: flagWrite | flagNoData},
		&command{name: "flush", handler: cmdFunctionFlush, arity: -2, flags: flagWrite | flagNoData},
		&command{name: "dump", handler: cmdFunctionDump, arity: 2, flags: flagNoData},
		// STATS and KILL run without storage locks, so that they reach a
		// function that holds them.
		&command{name: "stats", handler: cmdFunctionStats, arity: 2, flags: flagNoData},
		&command{name: "kill", handler: cmdFunctionKill, arity: 2, flags: flagNoData},
		&command{name: "help", handler: cmdFunctionHelp, arity: 2, flags: flagNoData},
	)
}

func cmdFcall(c *client, args [][]byte)        { fcall(c, args, false) }
func cmdFcallRO(c *client, args [][]byte)      { fcall(c, args, true) }
func cmdFunctionHelp(c *client, args [][]byte) { c.out.Help(functionHelp) }
func cmdFunctionDump(c *client, args [][]byte) { c.out.Bulk(c.srv.scripts.DumpLibraries()) }
func cmdFunctionKill(c *client, args [][]byte) { killScript(c, true) }

// fcall is FCALL and FCALL_RO: function numkeys key... arg..., with
// Redis's checks in Redis's order.
func fcall(c *client, args [][]byte, readOnly bool) {
	f := c.srv.scripts.Function(string(args[1]))
	if f == nil {
		c.out.Error(msgFunctionNotFound)
		return
	}
	end, ok := scriptKeysEnd(c, args, msgBadNumKeys)
	if !ok {
		return
	}
	c.srv.runScript(c, args, script.Eval{Function: f, Keys: args[3:end], Argv: args[end:], ReadOnly: readOnly})
}

// cmdFunctionLoad is FUNCTION LOAD [REPLACE] code.
func cmdFunctionLoad(c *client, args [][]byte) {
	replace := false
	for _, a := range args[2 : len(args)-1] {
		if !is(a, "replace") {
			c.out.Error(fmt.Sprintf(msgFunctionOption, a))
			return
		}
		replace = true
	}
	name, err := c.srv.scripts.LoadLibrary(args[len(args)-1], replace)
	if err != nil {
		c.out.Error(scriptError(err))
		return
	}
	if c.srv.saveFunctions(c) {
		c.out.BulkString(name)
	}
}

// cmdFunctionRestore is FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
func cmdFunctionRestore(c *client, args [][]byte) {
	if len(args) > 4 {
		c.out.Error(fmt.Sprintf(msgSubcommandSyntax, "RESTORE", "FUNCTION"))
		return
	}
	policy := script.RestoreAppend
	if len(args) == 4 {
		switch {
		case is(args[3], "append"):
		case is(args[3], "replace"):
			policy = script.RestoreReplace
		case is(args[3], "flush"):
			policy = script.RestoreFlush
		default:
			c.out.Error(msgRestorePolicy)
			return
		}
	}
	if err := c.srv.scripts.RestoreLibraries(args[2], policy); err != nil {
		c.out.Error(scriptError(err))
		return
	}
	if c.srv.saveFunctions(c) {
		c.out.OK()
	}
}

func cmdFunctionDelete(c *client, args [][]byte) {
	if !c.srv.scripts.DeleteLibrary(string(args[2])) {
		c.out.Error(msgLibraryNotFound)
		return
	}
	if c.srv.saveFunctions(c) {
		c.out.OK()
	}
}

// cmdFunctionFlush is FUNCTION FLUSH [ASYNC|SYNC]: both drop the
// libraries at once (they are only maps to drop).
func cmdFunctionFlush(c *client, args [][]byte) {
	if len(args) > 3 {
		c.out.Error(fmt.Sprintf(msgSubcommandSyntax, "FLUSH", "FUNCTION"))
		return
	}
	if len(args) == 3 && !is(args[2], "async") && !is(args[2], "sync") {
		c.out.Error(msgFunctionFlushOption)
		return
	}
	c.srv.scripts.FlushLibraries()
	if c.srv.saveFunctions(c) {
		c.out.OK()
	}
}

// cmdFunctionList is FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
func cmdFunctionList(c *client, args [][]byte) {
	withCode, pattern := false, []byte(nil)
	for i := 2; i < len(args); i++ {
		switch {
		case !withCode && is(args[i], "withcode"):
			withCode = true
		case pattern == nil && is(args[i], "libraryname"):
			if i == len(args)-1 {
				c.out.Error(msgLibraryNameMissing)
				return
			}
			i++
			pattern = args[i]
		default:
			c.out.Error(fmt.Sprintf(msgFunctionListArg, args[i]))
			return
		}
	}
	var libs []*script.Library
	for _, l := range c.srv.scripts.Libraries() {
		if pattern == nil || policy.Match(string(pattern), l.Name()) {
			libs = append(libs, l)
		}
	}
	c.out.Array(len(libs))
	for _, l := range libs {
		if withCode {
			c.out.Map(4)
		} else {
			c.out.Map(3)
		}
		c.out.BulkString("library_name")
		c.out.BulkString(l.Name())
		c.out.BulkString("engine")
		c.out.BulkString(l.Engine())
		c.out.BulkString("functions")
		c.out.Array(len(l.Functions()))
		for _, f := range l.Functions() {
			c.out.Map(3)
			c.out.BulkString("name")
			c.out.BulkString(f.Name())
			c.out.BulkString("description")
			if d, ok := f.Description(); ok {
				c.out.BulkString(d)
			} else {
				c.out.Null()
			}
			c.out.BulkString("flags")
			names := f.Flags().Names()
			c.out.Set(len(names))
			for _, n := range names {
				c.out.Simple(n)
			}
		}
		if withCode {
			c.out.BulkString("library_code")
			c.out.Bulk(l.Code())
		}
	}
}

// cmdFunctionStats is FUNCTION STATS: the function running, if any, and
// the engine's counts. Redis refuses it while an EVAL script runs.
func cmdFunctionStats(c *client, args [][]byte) {
	name, function, elapsed, running := c.srv.scripts.Running()
	if running && !function {
		c.out.Error(msgBusyEval)
		return
	}
	c.out.Map(2)
	c.out.BulkString("running_script")
	if argv := c.srv.fcallArgs.Load(); running && argv != nil {
		c.out.Map(3)
		c.out.BulkString("name")
		c.out.BulkString(name)
		c.out.BulkString("command")
		c.out.Array(len(*argv))
		for _, a := range *argv {
			c.out.Bulk(a)
		}
		c.out.BulkString("duration_ms")
		c.out.Int(elapsed.Milliseconds())
	} else {
		c.out.Null()
	}
	c.out.BulkString("engines")
	c.out.Map(1)
	c.out.BulkString("LUA")
	c.out.Map(2)
	c.out.BulkString("libraries_count")
	c.out.Int(int64(len(c.srv.scripts.Libraries())))
	c.out.BulkString("functions_count")
	c.out.Int(int64(c.srv.scripts.FunctionCount()))
}

// killScript is SCRIPT KILL (function false) and FUNCTION KILL.
func killScript(c *client, function bool) {
	if err := c.srv.scripts.Kill(function); err != nil {
		c.out.Error(scriptError(err))
		return
	}
	c.out.OK()
}

// functionsFile is where the libraries persist, in the data dir.
const functionsFile = "functions.dump"

// saveFunctions writes the libraries to the data dir after a change and
// reports whether it did; when it did not, it replied with the error (the
// change stays in memory, as a Redis whose RDB save fails keeps it).
// Writers are serialized, so the file always holds the latest dump.
func (s *Server) saveFunctions(c *client) bool {
	s.functionsMu.Lock()
	defer s.functionsMu.Unlock()
	if err := writeFileAtomic(filepath.Join(s.cfg.Dir, functionsFile), s.scripts.DumpLibraries()); err != nil {
		s.log.Error("saving the function libraries failed", "dir", s.cfg.Dir, "err", err)
		c.out.Error(msgFunctionsNotSaved)
		return false
	}
	return true
}

// loadFunctions restores the libraries the data dir holds, at start.
func (s *Server) loadFunctions() error {
	payload, err := os.ReadFile(filepath.Join(s.cfg.Dir, functionsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = s.scripts.RestoreLibraries(payload, script.RestoreFlush)
	}
	if err != nil {
		return fmt.Errorf("server: function libraries in %s: %w", s.cfg.Dir, err)
	}
	return nil
}

// writeFileAtomic replaces path with data: a crash leaves the old file
// or the new one, never a torn one.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// busyGate refuses cmd with Redis's BUSY reply, and reports that it did,
// when a script has run past busy-reply-threshold and cmd may not run
// meanwhile; while a script runs within it, it waits. Scripts hold the
// storage lock, so a command that passed the gate would wait for it
// anyway; at the threshold Redis starts answering BUSY, and so does the
// gate.
func (c *client) busyGate(cmd *command) bool {
	if cmd.flags&flagAllowBusy != 0 || c.srv.scripts.State() == script.Idle {
		return false
	}
	busy, function := c.srv.scripts.Busy()
	if !busy {
		return false
	}
	if function {
		c.reject(cmd, msgBusyFunction)
	} else {
		c.reject(cmd, msgBusyEval)
	}
	return true
}

var functionHelp = []string{
	"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"LOAD [REPLACE] <FUNCTION CODE>",
	"    Create a new library with the given library name and code.",
	"DELETE <LIBRARY NAME>",
	"    Delete the given library.",
	"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
	"    Return general information on all the libraries:",
	"    * Library name",
	"    * The engine used to run the Library",
	"    * Library description",
	"    * Functions list",
	"    * Library code (if WITHCODE is given)",
	"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
	"STATS",
	"    Return information about the current function running:",
	"    * Function name",
	"    * Command used to run the function",
	"    * Duration in MS that the function is running",
	"    If no function is running, return nil",
	"    In addition, returns a list of available engines.",
	"KILL",
	"    Kill the current running function.",
	"FLUSH [ASYNC|SYNC]",
	"    Delete all the libraries.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the libraries.",
	"    * SYNC: Synchronously flush the libraries.",
	"DUMP",
	"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
	"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
	"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
	"    control how to handle existing libraries (default APPEND):",
	"    * FLUSH: delete all existing libraries.",
	"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
	"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
	"      libraries with the new libraries (notice that even on this option there is a chance of failure",
	"      in case of functions name collision with another library).",
	"HELP",
	"    Prints this help.",
}
