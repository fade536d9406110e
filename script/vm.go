package script

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/metrics"
	"strings"

	"github.com/stratakv/strata/internal/resp"
	lua "github.com/yuin/gopher-lua"
)

// luaVM is the Lua state scripts run in, with what a run needs. Only Run
// uses it, one run at a time.
type luaVM struct {
	// version and log are the Engine's (Options).
	version string
	log     *slog.Logger
	L       *lua.LState
	// globals are the real globals; scripts see them through env.
	globals *lua.LTable
	env     *lua.LTable
	// views maps each read-only view (env included) to the table it
	// shows.
	views map[*lua.LTable]*lua.LTable
	// handler turns a run's error into Redis's error table with the
	// script's line.
	handler *lua.LFunction
	run     *run // the run in progress, nil between runs
	// loading is the library FUNCTION LOAD is running the code of, nil
	// otherwise (function.go).
	loading *Library
	// fenv is the globals of libraries and their functions: an empty
	// read-only table whose metatable (fenvMeta) reads through to libAPI
	// while a library loads, to the real globals otherwise.
	fenv, fenvMeta *lua.LTable
	// libAPI is what a loading library sees: a redis table of
	// register_function, log and the version, and nothing else.
	libAPI *lua.LTable
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

func newVM(e *Engine) *luaVM {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:    true,
		CallStackSize:   luaCallStackSize,
		RegistrySize:    luaRegistrySize,
		RegistryMaxSize: luaRegistryMaxSize,
	})
	vm := &luaVM{
		version: e.version,
		log:     e.log,
		L:       L,
		views:   map[*lua.LTable]*lua.LTable{},
		rand:    rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
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

	// The sandbox (see the package doc).
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

	redis := L.NewTable()
	redis.RawSetString("register_function", L.NewFunction(vm.luaRegisterFunction))
	vm.addLogAndVersion(redis)
	redis.Metatable = missing
	vm.libAPI = L.NewTable()
	vm.libAPI.RawSetString("redis", vm.readOnly(redis))
	vm.libAPI.Metatable = missing
	vm.fenv = vm.readOnly(g)
	vm.fenvMeta = vm.fenv.Metatable.(*lua.LTable)
	return vm
}

// readOnly returns a view of t that reads through to t and refuses
// writes.
func (vm *luaVM) readOnly(t *lua.LTable) *lua.LTable {
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
func (vm *luaVM) resetViews() {
	for view := range vm.views {
		for k, _ := view.Next(lua.LNil); k != lua.LNil; k, _ = view.Next(lua.LNil) {
			view.RawSet(k, lua.LNil)
		}
	}
}

// seeThrough returns the table a view shows, or t itself.
func (vm *luaVM) seeThrough(t *lua.LTable) *lua.LTable {
	if real, ok := vm.views[t]; ok {
		return real
	}
	return t
}

func luaReadOnlyWrite(L *lua.LState) int {
	L.RaiseError(msgReadonlyTable)
	return 0
}

func luaMissingGlobal(L *lua.LState) int {
	L.RaiseError(msgNoGlobal, L.ToString(2))
	return 0
}

func (vm *luaVM) luaNext(L *lua.LState) int {
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

func (vm *luaVM) luaRawGet(L *lua.LState) int {
	L.Push(vm.seeThrough(L.CheckTable(1)).RawGet(L.CheckAny(2)))
	return 1
}

func (vm *luaVM) luaRawSet(L *lua.LState) int {
	t := L.CheckTable(1)
	if _, ok := vm.views[t]; ok {
		L.Error(lua.LString(msgReadonlyTable), 0)
	}
	L.RawSet(t, L.CheckAny(2), L.CheckAny(3))
	L.SetTop(1)
	return 1
}

func (vm *luaVM) luaSetMetatable(L *lua.LState) int {
	t := L.CheckTable(1)
	if _, ok := vm.views[t]; ok {
		L.Error(lua.LString(msgReadonlyTable), 0)
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
func (vm *luaVM) luaRandom(L *lua.LState) int {
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

func (vm *luaVM) luaRandomSeed(L *lua.LState) int {
	seed := uint64(int64(checkNumber(L, 1, "randomseed")))
	vm.rand = rand.New(rand.NewPCG(seed, seed))
	return 0
}

// stringTable builds a Lua array of strings (KEYS, ARGV).
func (vm *luaVM) stringTable(items [][]byte) *lua.LTable {
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
func (vm *luaVM) errorHandler(L *lua.LState) int {
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
			if source == chunkName || source == libChunkName {
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
func (vm *luaVM) writeError(w *resp.Writer, r *run, err error) {
	var obj lua.LValue = lua.LString(err.Error())
	if aerr, ok := err.(*lua.ApiError); ok {
		obj = aerr.Object
	}
	msg := msgUnknownError
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
		msg += " script: " + r.name + ", on " + source + ":" + line + "."
	}
	w.Error(oneLine(msg))
}

// oneLine replaces CR and LF with spaces, as Redis does in error and
// status replies.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
