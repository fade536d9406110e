package script

// Function libraries: FUNCTION LOAD's libraries of named functions, run by
// FCALL, as Redis 7.0's functions.c and function_lua.c keep them.
//
// A library's code starts with "#!lua name=<library>". FUNCTION LOAD
// compiles the rest and runs it once, with a globals table that holds
// nothing but a redis table of register_function, log, the LOG_* levels
// and the version: the code registers its functions and may do nothing
// else. Its functions are closures over that same globals table, which
// shows Lua's libraries and the redis table of scripts once the load is
// over, as Redis swaps the globals' __index. Loading runs for at most
// loadTimeout.
//
// Library names are case-sensitive; function names are not, across
// libraries (FCALL F runs f), as in Redis.

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/stratakv/strata/internal/resp"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// libChunkName names a library's chunk, so errors read
// "user_function:1: ..." as Redis's.
const libChunkName = "user_function"

// loadTimeout bounds the run of a library's code at FUNCTION LOAD, as
// Redis's LOAD_TIMEOUT_MS.
const loadTimeout = 500 * time.Millisecond

// engineName is the one engine libraries may name, as FUNCTION LIST and
// STATS report it.
const engineName = "LUA"

// Library is a loaded function library. It does not change once loaded
// and is safe for concurrent use.
type Library struct {
	name      string
	code      []byte
	functions []*Function // by name
}

// Name returns the library's name.
func (l *Library) Name() string { return l.name }

// Engine returns the engine the library runs on, always "LUA".
func (l *Library) Engine() string { return engineName }

// Code returns the library's code, shebang included. The caller must not
// change it.
func (l *Library) Code() []byte { return l.code }

// Functions returns the library's functions by name. The caller must not
// change the slice.
func (l *Library) Functions() []*Function { return l.functions }

// Function is one function of a library, as FCALL runs it.
type Function struct {
	name    string
	desc    string
	hasDesc bool
	flags   Flags
	fn      *lua.LFunction
	lib     *Library
}

// Name returns the function's name as registered.
func (f *Function) Name() string { return f.name }

// Description returns the function's description; ok is false when it
// has none.
func (f *Function) Description() (desc string, ok bool) { return f.desc, f.hasDesc }

// Flags returns the function's flags, with FlagShebang set: a function
// never runs in EVAL's compatibility mode.
func (f *Function) Flags() Flags { return f.flags }

// registry holds libraries and their functions.
type registry struct {
	libs  map[string]*Library
	funcs map[string]*Function // by lower-case name
}

func newRegistry() registry {
	return registry{libs: map[string]*Library{}, funcs: map[string]*Function{}}
}

func (g *registry) link(l *Library) {
	g.libs[l.name] = l
	for _, f := range l.functions {
		g.funcs[strings.ToLower(f.name)] = f
	}
}

func (g *registry) unlink(l *Library) {
	delete(g.libs, l.name)
	for _, f := range l.functions {
		delete(g.funcs, strings.ToLower(f.name))
	}
}

// collision returns a *ReplyError for a function of l whose name another
// library of g has, nil when there is none.
func (g *registry) collision(l *Library) error {
	for _, f := range l.functions {
		if other := g.funcs[strings.ToLower(f.name)]; other != nil && other.lib.name != l.name {
			return replyError(msgFuncExists, f.name)
		}
	}
	return nil
}

// add links library l, which replaces a library of its name only when
// replace is set, as functionsCreateWithLibraryCtx does: it returns a
// *ReplyError when l's name is taken, or one of its functions' names is
// another library's.
func (g *registry) add(l *Library, replace bool) error {
	old := g.libs[l.name]
	if old != nil && !replace {
		return replyError(msgLibExists, l.name)
	}
	if err := g.collision(l); err != nil {
		return err
	}
	if old != nil {
		g.unlink(old)
	}
	g.link(l)
	return nil
}

// Function returns the function FCALL name runs, in any case; nil when
// there is none.
func (e *Engine) Function(name string) *Function {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fns.funcs[strings.ToLower(name)]
}

// Libraries returns the loaded libraries by name.
func (e *Engine) Libraries() []*Library {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Library, 0, len(e.fns.libs))
	for _, l := range e.fns.libs {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b *Library) int { return strings.Compare(a.name, b.name) })
	return out
}

// FunctionCount returns how many functions the loaded libraries have.
func (e *Engine) FunctionCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.fns.funcs)
}

// DeleteLibrary removes the library name; false when there is none.
func (e *Engine) DeleteLibrary(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.fns.libs[name]
	if l != nil {
		e.fns.unlink(l)
	}
	return l != nil
}

// FlushLibraries removes every library (FUNCTION FLUSH).
func (e *Engine) FlushLibraries() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fns = newRegistry()
}

// LoadLibrary is FUNCTION LOAD [REPLACE]: it compiles code, runs it to
// register its functions and adds the library, replacing one of its name
// only when replace is set. It returns the library's name, or a
// *ReplyError with Redis's reply. Like Run, it runs Lua, so it is not
// safe for concurrent use with Run or itself.
func (e *Engine) LoadLibrary(code []byte, replace bool) (string, error) {
	name, skip, err := parseLibraryHeader(code)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	exists := e.fns.libs[name] != nil
	e.mu.Unlock()
	if exists && !replace {
		return "", replyError(msgLibExists, name)
	}
	l, err := e.compileLibrary(name, code, skip, loadTimeout)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return name, e.fns.add(l, replace)
}

// parseLibraryHeader reads a library's "#!<engine> name=<name>" line, as
// Redis's functionExtractLibMetaData and the checks after it: the
// library's name and the bytes to skip to its code, or a *ReplyError.
func parseLibraryHeader(code []byte) (string, int, error) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return "", 0, replyError(msgLibMissing)
	}
	end := bytes.IndexByte(code, '\n')
	if end < 0 {
		return "", 0, replyError(msgLibInvalid)
	}
	parts, ok := resp.SplitArgs(code[:end])
	if !ok || len(parts) == 0 {
		return "", 0, replyError(msgLibInvalid)
	}
	var name []byte
	for _, p := range parts[1:] {
		if len(p) < 5 || !strings.EqualFold(string(p[:5]), "name=") {
			return "", 0, replyError(msgLibMetaValue, p)
		}
		if name != nil {
			return "", 0, replyError(msgLibNameTwice)
		}
		name = p[5:]
	}
	switch {
	case name == nil:
		return "", 0, replyError(msgLibNoName)
	case !validName(name):
		return "", 0, replyError("ERR " + msgBadName)
	case !strings.EqualFold(string(parts[0][2:]), engineName):
		return "", 0, replyError(msgLibEngine, parts[0][2:])
	}
	return string(name), end, nil
}

// validName reports whether a library or function name has only
// letters, digits and underscores, and at least one of them.
func validName(name []byte) bool {
	for _, ch := range name {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return len(name) > 0
}

// compileLibrary compiles a library's code (from skip, the shebang's
// newline, so that line numbers count the shebang) and runs it for at
// most timeout (0: no limit) to collect its functions.
func (e *Engine) compileLibrary(name string, code []byte, skip int, timeout time.Duration) (*Library, error) {
	src := code[skip:]
	chunk, err := parse.Parse(bytes.NewReader(src), libChunkName)
	if err != nil {
		return nil, replyError(msgLibCompile, syntaxError(err, src, libChunkName))
	}
	proto, err := lua.Compile(chunk, libChunkName)
	if err != nil {
		return nil, replyError(msgLibCompile, libChunkName+": "+err.Error())
	}
	vm := e.machine()
	l := &Library{name: name, code: bytes.Clone(code)}
	r := &run{name: name, started: time.Now()}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	if timeout > 0 {
		t := time.AfterFunc(timeout, func() { cancel(errLoadTimeout) })
		defer t.Stop()
	}
	r.ctx, r.cancel = ctx, cancel
	vm.run, vm.loading = r, l
	vm.fenvMeta.RawSetString("__index", vm.libAPI)
	defer func() {
		vm.fenvMeta.RawSetString("__index", vm.globals)
		vm.run, vm.loading = nil, nil
		vm.L.SetTop(0)
		vm.resetViews()
	}()
	fn := vm.L.NewFunctionFromProto(proto)
	fn.Env = vm.fenv
	vm.L.SetContext(ctx)
	vm.L.Push(fn)
	err = vm.L.PCall(0, 0, nil)
	vm.L.RemoveContext()
	if err != nil {
		msg := errorText(err)
		if reason := r.stopReason(); reason != "" {
			msg = "ERR " + reason
		}
		return nil, replyError(msgLibRegister, oneLine(msg))
	}
	if len(l.functions) == 0 {
		return nil, replyError(msgLibNoFunctions)
	}
	slices.SortFunc(l.functions, func(a, b *Function) int { return strings.Compare(a.name, b.name) })
	return l, nil
}

// errorText returns the text of a Lua error as Redis's
// luaExtractErrorInformation reads it: an error table's err field, or
// "ERR " and the error's string.
func errorText(err error) string {
	var obj lua.LValue = lua.LString(err.Error())
	if aerr, ok := err.(*lua.ApiError); ok {
		obj = aerr.Object
	}
	if t, ok := obj.(*lua.LTable); ok {
		if s, ok := t.RawGetString("err").(lua.LString); ok {
			return string(s)
		}
		return msgUnknownError
	}
	return "ERR " + lua.LVAsString(obj)
}

// luaRegisterFunction is redis.register_function(name, callback) or
// redis.register_function{function_name=..., callback=..., flags=...,
// description=...}, as Redis's luaRegisterFunction.
func (vm *luaVM) luaRegisterFunction(L *lua.LState) int {
	l := vm.loading
	if l == nil {
		raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	f := &Function{lib: l, flags: FlagShebang}
	switch L.GetTop() {
	case 1:
		vm.registerNamedArgs(L, f)
	case 2:
		name, ok := luaString(L.Get(1))
		if !ok {
			raise(L, msgRegFirstArg)
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			raise(L, msgRegSecondArg)
		}
		f.name, f.fn = name, fn
	default:
		raise(L, msgRegArgs)
	}
	if !validName([]byte(f.name)) {
		raise(L, msgBadName)
	}
	for _, other := range l.functions {
		if other.name == f.name {
			raise(L, msgFuncExistsInLib)
		}
	}
	l.functions = append(l.functions, f)
	return 0
}

// registerNamedArgs reads register_function's one table argument into f.
func (vm *luaVM) registerNamedArgs(L *lua.LState, f *Function) {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		raise(L, msgRegNamedTable)
	}
	hasName := false
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		key, ok := luaString(k)
		if !ok {
			raise(L, msgRegKeyType)
		}
		switch strings.ToLower(key) {
		case "function_name":
			if f.name, hasName = luaString(v); !hasName {
				raise(L, msgRegName)
			}
		case "description":
			if f.desc, f.hasDesc = luaString(v); !f.hasDesc {
				raise(L, msgRegDescription)
			}
		case "callback":
			if f.fn, ok = v.(*lua.LFunction); !ok {
				raise(L, msgRegCallback)
			}
		case "flags":
			flags, ok := v.(*lua.LTable)
			if !ok {
				raise(L, msgRegFlags)
			}
			f.flags |= readFlags(L, flags)
		default:
			raise(L, msgRegUnknownArg)
		}
	}
	if !hasName {
		raise(L, msgRegNoName)
	}
	if f.fn == nil {
		raise(L, msgRegNoCallback)
	}
}

// readFlags reads a flags table, an array of flag names up to its first
// nil, as luaRegisterFunctionReadFlags.
func readFlags(L *lua.LState, t *lua.LTable) Flags {
	var flags Flags
	for i := 1; ; i++ {
		v := t.RawGetInt(i)
		if v == lua.LNil {
			return flags
		}
		name, ok := luaString(v)
		f, known := flagByName(name, true)
		if !ok || !known {
			raise(L, msgRegUnknownFlag)
		}
		flags |= f
	}
}

// luaString reads a string argument as Lua's lua_tostring does: numbers
// are strings too.
func luaString(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return v.String(), true
	}
	return "", false
}
