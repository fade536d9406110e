// Package script runs Redis's Lua scripts and functions: the engine behind
// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FCALL, FCALL_RO and FUNCTION,
// as redis-server 7.0 runs them.
// https://redis.io/docs/interact/programmability/eval-intro/
//
// # Basics
//
// An Engine holds a server's script cache and its Lua state. Load compiles
// a script (and its "#!lua flags=..." shebang) into a Script kept by its
// SHA1; Run runs one with its KEYS and ARGV and writes its reply to a
// resp.Writer. A script's redis.call and redis.pcall reach commands
// through a Host, which the server implements with the pseudo-client its
// scripts' commands run on: the package knows no command and never
// imports the server.
//
// Scripts run on github.com/yuin/gopher-lua, a Lua 5.1 VM in pure Go, as
// Redis's scripts run on Lua 5.1. An Engine has one Lua state, built on
// the first Run, and runs one script at a time: Strata runs EVAL under the
// exclusive storage lock, so a script is atomic and the commands it calls
// take no locks of their own.
//
// Functions (function.go) run on the same Lua state: LoadLibrary runs a
// library's code once to register its functions, which Run then calls
// with KEYS and ARGV as their two arguments; DumpLibraries and
// RestoreLibraries read and write FUNCTION DUMP's payload in Redis's
// format (dump.go).
//
// The libraries scripts see are Lua's base, string, table, math and
// coroutine libraries, redis (redis.go), cjson (cjson.go), cmsgpack
// (cmsgpack.go) and bit (bit.go).
//
// # Sandbox
//
// As in Redis 7.0, scripts see the globals and every library table
// (string, table, math, coroutine, bit, cjson, cmsgpack, redis) read-only:
// writing a global or a library field fails with "Attempt to modify a
// readonly table", and reading a global that does not exist fails too.
// gopher-lua has no read-only tables, so scripts see each of them through
// an empty view table whose metatable reads through to the real one and
// refuses writes; next, pairs, rawget, rawset and setmetatable see through
// the views. print, dofile, loadfile, require, module, getfenv, setfenv and
// newproxy are not there, as in Redis.
//
// # Time limit
//
// As in Redis, a script that runs past busy-reply-threshold
// (lua-time-limit, 5000 ms by default) goes on: Busy tells the server,
// which then answers other clients BUSY, and SCRIPT KILL or FUNCTION KILL
// (Engine.Kill) stops it while it has not written. Close stops it in any
// case. FUNCTION LOAD runs a library's code for at most 500 ms.
//
// # Caveats
//
// gopher-lua formats numbers as Go does (tostring(10/3) is
// 3.3333333333333335, where Lua 5.1 prints 3.3333333333333), words some
// runtime errors differently from Lua 5.1 ("attempt to index a non-table
// object(nil) with key 'x'") and reports syntax errors in its own words.
// The script cache keeps every SCRIPT LOAD script until SCRIPT FLUSH, and
// the MaxEvalScripts scripts EVAL ran most recently, as Redis 7.4 does
// (7.0 keeps them all); EVALSHA of an evicted one answers NOSCRIPT, which
// clients answer with EVAL.
package script
