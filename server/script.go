package server

// Lua scripting: the engine behind EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and
// SCRIPT (cmd_script.go).
// https://redis.io/docs/interact/programmability/eval-intro/
//
// Scripts run on github.com/yuin/gopher-lua, a Lua 5.1 VM in pure Go, as
// Redis's scripts run on Lua 5.1. A server has one Lua state, built on the
// first script run. EVAL declares no key positions, so the dispatcher runs
// it under the exclusive storage lock: a script is atomic, and the Lua
// state is only ever used by one goroutine at a time. The commands a script
// calls go through the command table and client.call on a pseudo-client,
// without taking the locks again, so they get the checks, keyspace events,
// WATCH invalidation, statistics, namespace rules and disk tier writes of
// the same command sent by a client (script_redis.go).
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
// lets scripts run without one. SCRIPT KILL stops a running script that
// has not written, as in Redis, at any time.
//
// # Caveats
//
// gopher-lua formats numbers as Go does (tostring(10/3) is
// 3.3333333333333335, where Lua 5.1 prints 3.3333333333333), words some
// runtime errors differently from Lua 5.1 ("attempt to index a non-table
// object(nil) with key 'x'") and reports syntax errors in its own words.
// The script cache keeps every SCRIPT LOAD script until SCRIPT FLUSH, and
// the maxEvalScripts scripts EVAL ran most recently, as Redis 7.4 does
// (7.0 keeps them all); EVALSHA of an evicted one answers NOSCRIPT, which
// clients answer with EVAL.

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// maxEvalScripts bounds the scripts EVAL adds to the cache.
const maxEvalScripts = 500

// scriptChunkName names every script's chunk, so errors read
// "user_script:1: ..." as Redis's.
const scriptChunkName = "user_script"

// scriptFlags are a script's shebang flags (#!lua flags=...).
type scriptFlags uint8

const (
	// scriptShebang marks a script that starts with #!lua: it runs with
	// its declared flags rather than in Redis's compatibility mode.
	scriptShebang scriptFlags = 1 << iota
	scriptNoWrites
	scriptAllowOOM
	// scriptOtherFlag stands for the flags Strata accepts and has no use
	// for: allow-stale, no-cluster, allow-cross-slot-keys.
	scriptOtherFlag
)

var shebangFlags = map[string]scriptFlags{
	"no-writes":             scriptNoWrites,
	"allow-oom":             scriptAllowOOM,
	"allow-stale":           scriptOtherFlag,
	"no-cluster":            scriptOtherFlag,
	"allow-cross-slot-keys": scriptOtherFlag,
}

// luaScript is a compiled script of the cache.
type luaScript struct {
	sha   string // lower-case hex SHA1 of the body
	proto *lua.FunctionProto
	flags scriptFlags
}

// scriptEngine is a server's script cache and Lua state. The cache is safe
// for concurrent use (SCRIPT LOAD runs outside the storage locks); the
// Lua state is used only under the exclusive storage lock.
type scriptEngine struct {
	mu     sync.Mutex
	loaded map[string]*luaScript              // SCRIPT LOAD's, kept until SCRIPT FLUSH
	evals  *simplelru.LRU[string, *luaScript] // EVAL's, the most recent maxEvalScripts

	// running is the script running now, for SCRIPT KILL.
	running atomic.Pointer[scriptRun]

	vm *scriptVM // built on first use, under the exclusive storage lock
}

// lookup returns the cached script with the given lower-case SHA1.
func (e *scriptEngine) lookup(sha string) *luaScript {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.loaded[sha]; s != nil {
		return s
	}
	if e.evals != nil {
		if s, ok := e.evals.Get(sha); ok {
			return s
		}
	}
	return nil
}

// exists reports whether a script is cached, for SCRIPT EXISTS.
func (e *scriptEngine) exists(sha string) bool { return e.lookup(sha) != nil }

// load compiles body unless it is cached and returns it. Scripts of SCRIPT
// LOAD (pin) stay until SCRIPT FLUSH; those of EVAL are evicted beyond
// maxEvalScripts. A script that does not compile gets the reply text.
func (e *scriptEngine) load(body []byte, pin bool) (*luaScript, string) {
	sum := sha1.Sum(body)
	sha := hex.EncodeToString(sum[:])
	s := e.lookup(sha)
	if s == nil {
		var msg string
		if s, msg = compileScript(sha, body); s == nil {
			return nil, msg
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if pin {
		if e.loaded == nil {
			e.loaded = map[string]*luaScript{}
		}
		e.loaded[sha] = s
		if e.evals != nil {
			e.evals.Remove(sha)
		}
		return s, ""
	}
	if e.loaded[sha] != nil {
		return s, ""
	}
	if e.evals == nil {
		e.evals, _ = simplelru.NewLRU[string, *luaScript](maxEvalScripts, nil)
	}
	e.evals.Add(sha, s)
	return s, ""
}

// flush empties the cache (SCRIPT FLUSH).
func (e *scriptEngine) flush() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.loaded, e.evals = nil, nil
}

// compileScript parses the shebang and compiles the script, or returns the
// error reply Redis gives when it does not compile.
func compileScript(sha string, body []byte) (*luaScript, string) {
	flags, skip, msg := parseShebang(body)
	if msg != "" {
		return nil, msg
	}
	// The shebang line is left out but its newline kept, so that line
	// numbers in errors count it, as Redis's.
	src := body[skip:]
	chunk, err := parse.Parse(bytes.NewReader(src), scriptChunkName)
	if err != nil {
		return nil, fmt.Sprintf(msgScriptCompile, syntaxError(err, src))
	}
	proto, err := lua.Compile(chunk, scriptChunkName)
	if err != nil {
		return nil, fmt.Sprintf(msgScriptCompile, scriptChunkName+": "+err.Error())
	}
	return &luaScript{sha: sha, proto: proto, flags: flags}, ""
}

// syntaxError words a parse error as Lua's "user_script:LINE: msg near
// 'token'". gopher-lua reports line -1 for an error at the end of the
// script, which Lua reports at the last line, near '<eof>'.
func syntaxError(err error, src []byte) string {
	var perr *parse.Error
	if !errors.As(err, &perr) {
		return scriptChunkName + ": " + err.Error()
	}
	line, token := perr.Pos.Line, perr.Token
	if line < 1 {
		line, token = bytes.Count(src, []byte("\n"))+1, "<eof>"
	}
	return fmt.Sprintf("%s:%d: %s near '%s'", scriptChunkName, line, perr.Message, token)
}

// parseShebang reads a "#!lua [flags=a,b]" first line: the flags it
// declares, the bytes to skip to the script, or the error reply.
func parseShebang(body []byte) (scriptFlags, int, string) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return 0, 0, ""
	}
	end := bytes.IndexByte(body, '\n')
	if end < 0 {
		return 0, 0, msgShebangInvalid
	}
	parts := strings.Fields(string(body[:end]))
	if parts[0] != "#!lua" {
		return 0, 0, fmt.Sprintf(msgShebangEngine, parts[0])
	}
	flags := scriptShebang
	for _, p := range parts[1:] {
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, 0, fmt.Sprintf(msgShebangOption, p)
		}
		if list == "" {
			continue
		}
		for _, name := range strings.Split(list, ",") {
			f, ok := shebangFlags[name]
			if !ok {
				return 0, 0, fmt.Sprintf(msgShebangFlag, name)
			}
			flags |= f
		}
	}
	return flags, end, ""
}

// Why a run was stopped (the cause of its context).
var (
	errScriptKilled  = errors.New("killed by SCRIPT KILL")
	errScriptTimeout = errors.New("ran past the time limit")
	errScriptClosing = errors.New("server closing")
)

// Run states, for SCRIPT KILL: a script that has written may not be
// killed, and one that was killed may not start writing.
const (
	runReading int32 = iota
	runWrote
	runKilled
)

// scriptRun is one script execution.
type scriptRun struct {
	script   *luaScript
	readOnly bool // EVAL_RO, EVALSHA_RO or no-writes: write commands are refused
	allowOOM bool
	limit    time.Duration

	ctx    context.Context
	cancel context.CancelCauseFunc

	// state is runReading until the script runs its first write command;
	// SCRIPT KILL, from another goroutine, moves it from runReading to
	// runKilled.
	state atomic.Int32
	// dirty is set after the script's first write: from then on a command
	// is not refused for memory, as Redis does not stop a script that has
	// written half-way (client.call reads it through refusesOOM).
	dirty bool
}

// refusesOOM reports whether a denyoom command run for this script (or
// for a client, when r is nil) is refused when memory is over maxmemory.
func (r *scriptRun) refusesOOM() bool { return r == nil || !r.allowOOM && !r.dirty }

// startWrite moves the run to runWrote before a write command; it reports
// false when SCRIPT KILL got there first.
func (r *scriptRun) startWrite() bool {
	return r.state.CompareAndSwap(runReading, runWrote) || r.state.Load() == runWrote
}

// stopReason returns the error text of a stopped run, "" while it runs.
func (r *scriptRun) stopReason() string {
	if r.ctx.Err() == nil {
		return ""
	}
	switch context.Cause(r.ctx) {
	case errScriptKilled:
		return msgScriptKilled
	case errScriptTimeout:
		return fmt.Sprintf(msgScriptTimedOut, r.limit.Milliseconds())
	case errScriptClosing:
		return msgScriptServerClosing
	}
	return ""
}

// kill is SCRIPT KILL: it stops the running script unless it has written.
func (e *scriptEngine) kill() string {
	r := e.running.Load()
	if r == nil {
		return msgNotBusy
	}
	if !r.state.CompareAndSwap(runReading, runKilled) && r.state.Load() != runKilled {
		return msgUnkillable
	}
	r.cancel(errScriptKilled)
	return ""
}

// closing stops a running script at shutdown.
func (e *scriptEngine) closing() {
	if r := e.running.Load(); r != nil {
		r.cancel(errScriptClosing)
	}
}

// scriptTimeLimit is busy-reply-threshold (lua-time-limit): how long a
// script may run; 0 for no limit.
func (s *Server) scriptTimeLimit() time.Duration {
	return time.Duration(max(0, s.scriptLimit.Load())) * time.Millisecond
}

// run runs script s for client c with KEYS keys and ARGV argv, and writes
// its reply. The caller holds the exclusive storage lock.
func (e *scriptEngine) run(c *client, s *luaScript, keys, argv [][]byte, readOnly bool) {
	if e.vm == nil {
		e.vm = newScriptVM(c.srv)
	}
	vm := e.vm
	r := &scriptRun{
		script:   s,
		readOnly: readOnly || s.flags&scriptNoWrites != 0,
		allowOOM: s.flags&scriptAllowOOM != 0,
		limit:    c.srv.scriptTimeLimit(),
	}
	r.ctx, r.cancel = context.WithCancelCause(context.Background())
	defer r.cancel(nil)
	if r.limit > 0 {
		t := time.AfterFunc(r.limit, func() { r.cancel(errScriptTimeout) })
		defer t.Stop()
	}
	select {
	case <-c.srv.done:
		r.cancel(errScriptClosing)
	default:
	}
	e.running.Store(r)
	defer e.running.Store(nil)

	pc := vm.pc
	pc.dbIndex, pc.script = c.dbIndex, r
	pc.out.SetRESP3(false)
	vm.run = r
	defer func() {
		vm.run, pc.script = nil, nil
		// The durability waits of the script's writes are the caller's.
		c.syncSeq = max(c.syncSeq, pc.syncSeq)
		c.throttle = c.throttle || pc.throttle
		pc.syncSeq, pc.throttle = 0, false
		pc.out.Reset(outFlushAt)
	}()

	L := vm.L
	vm.globals.RawSetString("KEYS", vm.stringTable(keys))
	vm.globals.RawSetString("ARGV", vm.stringTable(argv))
	fn := L.NewFunctionFromProto(s.proto)
	fn.Env = vm.env
	L.SetContext(r.ctx)
	L.Push(fn)
	err := L.PCall(0, 1, vm.handler)
	L.RemoveContext()
	if err != nil {
		vm.writeError(c, r, err)
	} else {
		vm.writeReply(&c.out, L.Get(-1), pc.out.RESP3(), 0)
	}
	L.SetTop(0)
	vm.resetViews()
}

// scriptVM is the Lua state scripts run in, with what a run needs. It is
// used only under the exclusive storage lock.
type scriptVM struct {
	srv *Server
	L   *lua.LState
	// globals are the real globals; scripts see them through env.
	globals *lua.LTable
	env     *lua.LTable
	// views maps each read-only view (env included) to the table it
	// shows.
	views map[*lua.LTable]*lua.LTable
	// handler turns a run's error into Redis's error table with the
	// script's line.
	handler *lua.LFunction
	// pc is the pseudo-client the script's commands run on.
	pc  *client
	run *scriptRun // the run in progress, nil between runs
	// rand backs math.random: Go's global source cannot be seeded, and
	// Lua scripts may call math.randomseed.
	rand *rand.Rand
	// null is cjson.null, the value JSON's null decodes to.
	null *lua.LUserData
}

// Lua state sizes: the registry (the value stack) grows to hold about as
// many values as Lua 5.1's C stack limit lets unpack return.
const (
	luaCallStackSize   = 200
	luaRegistrySize    = 1024
	luaRegistryMaxSize = 256 * 1024
)

func newScriptVM(s *Server) *scriptVM {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:    true,
		CallStackSize:   luaCallStackSize,
		RegistrySize:    luaRegistrySize,
		RegistryMaxSize: luaRegistryMaxSize,
	})
	vm := &scriptVM{
		srv:   s,
		L:     L,
		views: map[*lua.LTable]*lua.LTable{},
		rand:  rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		pc:    &client{srv: s, id: s.nextClientID.Add(1), created: time.Now()},
	}
	vm.pc.authed.Store(true)
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	vm.globals = g
	for _, name := range []string{"print", "dofile", "loadfile", "require", "module", "getfenv", "setfenv", "newproxy", "_printregs", "_GOPHER_LUA_VERSION"} {
		g.RawSetString(name, lua.LNil)
	}
	g.RawSetString("_VERSION", lua.LString("Lua 5.1"))
	next := L.NewFunction(vm.luaNext)
	g.RawSetString("next", next)
	g.RawSetString("pairs", L.NewFunction(func(L *lua.LState) int {
		L.Push(next)
		L.Push(L.CheckTable(1))
		L.Push(lua.LNil)
		return 3
	}))
	for name, fn := range map[string]lua.LGFunction{
		"pcall":          luaPcall,
		"error":          luaError,
		"rawget":         vm.luaRawGet,
		"rawset":         vm.luaRawSet,
		"setmetatable":   vm.luaSetMetatable,
		"collectgarbage": luaCollectGarbage,
	} {
		g.RawSetString(name, L.NewFunction(fn))
	}
	math := g.RawGetString("math").(*lua.LTable)
	math.RawSetString("random", L.NewFunction(vm.luaRandom))
	math.RawSetString("randomseed", L.NewFunction(vm.luaRandomSeed))
	g.RawSetString("bit", newBitLib(L))
	g.RawSetString("cjson", vm.newCJSONLib())
	g.RawSetString("cmsgpack", newMsgpackLib(L))
	g.RawSetString("redis", vm.newRedisLib())
	vm.handler = L.NewFunction(vm.errorHandler)

	// The sandbox (see the file comment).
	for _, name := range []string{"string", "table", "math", "coroutine", "bit", "cjson", "cmsgpack", "redis"} {
		g.RawSetString(name, vm.readOnly(g.RawGetString(name).(*lua.LTable)))
	}
	// Strings get a metatable of their own (gopher-lua's is the string
	// library itself, with an __index field), shown read-only to
	// getmetatable.
	vm.seeThrough(g.RawGetString("string").(*lua.LTable)).RawSetString("__index", lua.LNil)
	smt := L.NewTable()
	smt.RawSetString("__index", g.RawGetString("string"))
	smt.RawSetString("__metatable", vm.readOnly(smt))
	L.SetMetatable(lua.LString(""), smt)
	missing := L.NewTable()
	missing.RawSetString("__index", L.NewFunction(luaMissingGlobal))
	L.SetMetatable(g, missing)
	vm.env = vm.readOnly(g)
	g.RawSetString("_G", vm.env)
	return vm
}

// readOnly returns a view of t that reads through to t and refuses
// writes.
func (vm *scriptVM) readOnly(t *lua.LTable) *lua.LTable {
	L := vm.L
	view, mt := L.NewTable(), L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(luaReadOnlyWrite))
	mt.RawSetString("__metatable", lua.LFalse)
	view.Metatable = mt
	vm.views[view] = t
	return view
}

// resetViews empties any view a script filled raw (table.insert writes
// past __newindex), so that nothing a script stores outlives its run.
func (vm *scriptVM) resetViews() {
	for view := range vm.views {
		for k, _ := view.Next(lua.LNil); k != lua.LNil; k, _ = view.Next(lua.LNil) {
			view.RawSet(k, lua.LNil)
		}
	}
}

// seeThrough returns the table a view shows, or t itself.
func (vm *scriptVM) seeThrough(t *lua.LTable) *lua.LTable {
	if real, ok := vm.views[t]; ok {
		return real
	}
	return t
}

func luaReadOnlyWrite(L *lua.LState) int {
	L.RaiseError(msgScriptReadonlyTable)
	return 0
}

func luaMissingGlobal(L *lua.LState) int {
	L.RaiseError(msgScriptNoGlobal, L.ToString(2))
	return 0
}

func (vm *scriptVM) luaNext(L *lua.LState) int {
	t := vm.seeThrough(L.CheckTable(1))
	k, v := t.Next(L.Get(2))
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

func (vm *scriptVM) luaRawGet(L *lua.LState) int {
	L.Push(vm.seeThrough(L.CheckTable(1)).RawGet(L.CheckAny(2)))
	return 1
}

func (vm *scriptVM) luaRawSet(L *lua.LState) int {
	t := L.CheckTable(1)
	if _, ok := vm.views[t]; ok {
		L.Error(lua.LString(msgScriptReadonlyTable), 0)
	}
	L.RawSet(t, L.CheckAny(2), L.CheckAny(3))
	L.SetTop(1)
	return 1
}

func (vm *scriptVM) luaSetMetatable(L *lua.LState) int {
	t := L.CheckTable(1)
	if _, ok := vm.views[t]; ok {
		L.Error(lua.LString(msgScriptReadonlyTable), 0)
	}
	mt := L.Get(2)
	if mt != lua.LNil {
		mt = L.CheckTable(2)
	}
	if cur, ok := t.Metatable.(*lua.LTable); ok && cur.RawGetString("__metatable") != lua.LNil {
		L.RaiseError("cannot change a protected metatable")
	}
	t.Metatable = mt
	L.SetTop(1)
	return 1
}

// luaError is Lua 5.1's error(message [, level]): a string or number
// message gets the position of the function at level (1, the default, is
// the caller of error), and none when that is a Go function such as
// pcall. gopher-lua's own always takes the innermost Lua function's.
func luaError(L *lua.LState) int {
	obj := L.Get(1)
	switch obj.(type) {
	case lua.LString, lua.LNumber:
		if level := L.OptInt(2, 1); level > 0 {
			if dbg, ok := L.GetStack(level); ok {
				if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.CurrentLine > 0 {
					obj = lua.LString(fmt.Sprintf("%s:%d: %s", dbg.Source, dbg.CurrentLine, obj.String()))
				}
			}
		}
	}
	L.Error(obj, 0)
	return 0
}

// luaPcall is Redis's pcall: a caught error that is an error table (as
// redis.call raises) is returned as its err string.
func luaPcall(L *lua.LState) int {
	L.CheckAny(1)
	top := L.GetTop()
	err := L.PCall(top-1, lua.MultRet, nil)
	if err != nil {
		var obj lua.LValue = lua.LString(err.Error())
		if aerr, ok := err.(*lua.ApiError); ok {
			obj = aerr.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			if msg, ok := t.RawGetString("err").(lua.LString); ok {
				obj = msg
			}
		}
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// luaCollectGarbage is collectgarbage: Go's collector is the whole
// server's and runs on its own, so the script cannot drive it; "count"
// reports the server's live heap in kilobytes.
func luaCollectGarbage(L *lua.LState) int {
	if L.OptString(1, "collect") != "count" {
		L.Push(lua.LNumber(0))
		return 1
	}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	var kb float64
	if sample[0].Value.Kind() == metrics.KindUint64 {
		kb = float64(sample[0].Value.Uint64()) / 1024
	}
	L.Push(lua.LNumber(kb))
	return 1
}

// luaRandom is Lua 5.1's math.random: [0,1), [1,m] or [m,n].
func (vm *scriptVM) luaRandom(L *lua.LState) int {
	r := vm.rand.Float64()
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		m := int64(checkNumber(L, 1, "random"))
		if m < 1 {
			argError(L, 1, "random", "interval is empty")
		}
		L.Push(lua.LNumber(float64(int64(r*float64(m)) + 1)))
	case 2:
		lo, hi := int64(checkNumber(L, 1, "random")), int64(checkNumber(L, 2, "random"))
		if lo > hi {
			argError(L, 2, "random", "interval is empty")
		}
		L.Push(lua.LNumber(float64(int64(r*float64(hi-lo+1)) + lo)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (vm *scriptVM) luaRandomSeed(L *lua.LState) int {
	seed := uint64(int64(checkNumber(L, 1, "randomseed")))
	vm.rand = rand.New(rand.NewPCG(seed, seed))
	return 0
}

// stringTable builds a Lua array of strings (KEYS, ARGV).
func (vm *scriptVM) stringTable(items [][]byte) *lua.LTable {
	t := vm.L.CreateTable(len(items), 0)
	for _, it := range items {
		t.Append(lua.LString(it))
	}
	return t
}

// errorHandler is the message handler of a run, as Redis's
// __redis__err__handler: an error that is not an error table becomes
// one, {err = "ERR " .. tostring(err)}, and the table gets the source and
// line of the script code that failed.
func (vm *scriptVM) errorHandler(L *lua.LState) int {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		t = L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+L.ToStringMeta(L.Get(1)).String()))
	}
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What != "G" { // the Lua code that called a failing Go function
			source := dbg.Source
			if source == scriptChunkName {
				source = "@" + source
			}
			t.RawSetString("source", lua.LString(source))
			t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
			break
		}
	}
	L.Push(t)
	return 1
}

// writeError writes the reply to a script that failed: its error text
// and where it failed, as Redis 7.0's "... script: <sha>, on
// @user_script:<line>.".
func (vm *scriptVM) writeError(c *client, r *scriptRun, err error) {
	var obj lua.LValue = lua.LString(err.Error())
	if aerr, ok := err.(*lua.ApiError); ok {
		obj = aerr.Object
	}
	msg := msgScriptUnknownError
	var source, line string
	if t, ok := obj.(*lua.LTable); ok {
		switch v := t.RawGetString("err").(type) {
		case lua.LString, lua.LNumber:
			msg = v.String()
		}
		source = lua.LVAsString(t.RawGetString("source"))
		line = lua.LVAsString(t.RawGetString("line"))
	} else if s, ok := obj.(lua.LString); ok {
		msg = "ERR " + string(s)
	}
	if reason := r.stopReason(); reason != "" {
		msg = "ERR " + reason
	}
	if source != "" && line != "" {
		msg += " script: " + r.script.sha + ", on " + source + ":" + line + "."
	}
	c.out.Error(oneLine(msg))
}

// oneLine replaces CR and LF with spaces, as Redis does in error and
// status replies.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
