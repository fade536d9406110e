// Package script runs Redis's Lua scripts: the engine behind EVAL,
// EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, as redis-server 7.0 runs them.
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
// Redis lets a script run past lua-time-limit (busy-reply-threshold,
// 5000 ms by default), answers BUSY to other clients meanwhile and lets
// SCRIPT KILL stop it while it has not written. Strata's other clients
// wait for the storage lock instead of answering BUSY, so a script that
// runs past the limit is stopped with an error: the writes it already made
// stay, as those of a script that fails half-way do in Redis. A limit of 0
// lets scripts run without one. SCRIPT KILL (Engine.Kill) stops a running
// script that has not written, as in Redis, at any time.
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
