package script

// The redis library of scripts (redis.call, redis.pcall, ...) and the
// conversions between Lua values and RESP replies, as Redis 7.0's
// script_lua.c makes them.
//
// redis.call runs a command through the run's Host, then reads its reply
// back into a Lua value:
//
//	integer -> number, bulk string -> string, null -> false (nil after
//	redis.setresp(3)), array -> table, status -> {ok = s},
//	error -> {err = s} (raised by redis.call, returned by redis.pcall);
//	after redis.setresp(3): map -> {map = t}, set -> {set = t},
//	double -> {double = n}, boolean -> boolean,
//	big number -> {big_number = s}, verbatim -> {verbatim_string = t}.
//
// A script's result goes back the other way: a number is truncated to an
// integer, true is 1 and false null (true and false booleans after
// redis.setresp(3)), a table is an array up to its first nil unless it
// has one of the fields err, ok, double, big_number, map, set or
// verbatim_string.

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/stratakv/strata/internal/resp"
	lua "github.com/yuin/gopher-lua"
)

// Redis's log levels, as redis.LOG_*.
const (
	luaLogDebug = iota
	luaLogVerbose
	luaLogNotice
	luaLogWarning
)

// MaxReplyDepth bounds the nesting of a script's reply; deeper tables
// (one that contains itself, say) end in an error element, as Redis's
// reply ends when Lua's stack runs out.
const MaxReplyDepth = 1000

func (vm *luaVM) newRedisLib() *lua.LTable {
	L := vm.L
	t := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"call":               func(L *lua.LState) int { return vm.redisCall(L, true) },
		"pcall":              func(L *lua.LState) int { return vm.redisCall(L, false) },
		"setresp":            vm.redisSetResp,
		"sha1hex":            redisSha1Hex,
		"error_reply":        redisErrorReply,
		"status_reply":       redisStatusReply,
		"set_repl":           redisSetRepl,
		"acl_check_cmd":      vm.redisACLCheckCmd,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		// No debugger session is ever active (SCRIPT DEBUG supports NO
		// only), and then Redis's breakpoint returns false and debug
		// does nothing.
		"breakpoint": func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":      func(L *lua.LState) int { return 0 },
	} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]int{"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3} {
		t.RawSetString(name, lua.LNumber(v))
	}
	vm.addLogAndVersion(t)
	return t
}

// addLogAndVersion adds what the redis table of scripts and that of a
// loading library share: log, the LOG_* levels and the version.
func (vm *luaVM) addLogAndVersion(t *lua.LTable) {
	t.RawSetString("log", vm.L.NewFunction(vm.redisLog))
	for name, v := range map[string]int{"LOG_DEBUG": luaLogDebug, "LOG_VERBOSE": luaLogVerbose, "LOG_NOTICE": luaLogNotice, "LOG_WARNING": luaLogWarning} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString(vm.version))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(versionNum(vm.version)))
}

// versionNum encodes "7.0.15" as 0x00070f, as REDIS_VERSION_NUM.
func versionNum(v string) int {
	n := 0
	for _, p := range strings.SplitN(v, ".", 3) {
		d, _ := strconv.Atoi(p)
		n = n<<8 | d
	}
	return n
}

// errorTable builds Redis's error table {err = "CODE message"} from
// "-CODE message" (a reply's error) or "message" (which gets ERR), as
// luaPushErrorBuff.
func errorTable(L *lua.LState, msg string) *lua.LTable {
	code := "ERR"
	if rest, ok := strings.CutPrefix(msg, "-"); ok {
		msg = rest
		if c, m, ok := strings.Cut(rest, " "); ok {
			code, msg = c, m
		}
	}
	t := L.NewTable()
	t.RawSetString("err", lua.LString(code+" "+strings.Trim(msg, "\r\n")))
	return t
}

// raise raises Redis's error table for msg.
func raise(L *lua.LState, msg string) {
	L.Error(errorTable(L, msg), 0)
}

// fail ends redis.call with the error msg raised, or redis.pcall with it
// returned.
func fail(L *lua.LState, raising bool, msg string) int {
	if raising {
		raise(L, msg)
	}
	L.Push(errorTable(L, msg))
	return 1
}

// commandArgs converts a redis lib call's arguments: strings, and numbers
// in %.17g form.
func commandArgs(L *lua.LState) ([][]byte, bool) {
	args := make([][]byte, L.GetTop())
	for i := range args {
		switch v := L.Get(i + 1).(type) {
		case lua.LString:
			args[i] = []byte(v)
		case lua.LNumber:
			args[i] = resp.AppendDouble(nil, float64(v))
		default:
			return nil, false
		}
	}
	return args, true
}

// lookupMessage words the error of a Host's Lookup as Redis does; a host
// error it does not know reads as an unknown command.
func lookupMessage(err error) string {
	var pe *PermissionError
	switch {
	case errors.As(err, &pe):
		return pe.Reply
	case errors.Is(err, ErrWrongArity):
		return msgWrongArity
	case errors.Is(err, ErrDenied):
		return msgDenied
	}
	return msgUnknownCommand
}

// redisCall is redis.call (raising) and redis.pcall.
func (vm *luaVM) redisCall(L *lua.LState, raising bool) int {
	if L.GetTop() == 0 {
		return fail(L, raising, msgNoArgs)
	}
	args, ok := commandArgs(L)
	if !ok {
		return fail(L, raising, msgArgType)
	}
	r := vm.run
	if reason := r.stopReason(); reason != "" {
		raise(L, reason)
	}
	cmd, err := r.host.Lookup(args)
	if err != nil {
		return fail(L, raising, lookupMessage(err))
	}
	if cmd.Write {
		if r.readOnly {
			return fail(L, raising, msgReadOnly)
		}
		if !r.startWrite() {
			raise(L, r.stopReason())
		}
	}
	reply := r.host.Call(cmd, args, CallOptions{RESP3: r.resp3, RefuseOOM: r.refusesOOM()})
	if cmd.Write {
		r.dirty = true
	}
	v, _, isErr := vm.luaValue(reply)
	if isErr && raising {
		L.Error(v, 0)
	}
	L.Push(v)
	return 1
}

// luaValue reads one RESP reply from b into a Lua value, and returns the
// rest of b and whether the reply was an error. b is a reply a handler
// wrote, so it is well formed.
func (vm *luaVM) luaValue(b []byte) (lua.LValue, []byte, bool) {
	L := vm.L
	line, rest, _ := bytes.Cut(b, []byte("\r\n"))
	if len(line) == 0 {
		return lua.LNil, rest, false
	}
	body := line[1:]
	n, _ := strconv.Atoi(string(body))
	field := func(name string, v lua.LValue) *lua.LTable {
		t := L.CreateTable(0, 1)
		t.RawSetString(name, v)
		return t
	}
	switch line[0] {
	case '+':
		return field("ok", lua.LString(body)), rest, false
	case '-':
		return errorTable(L, string(line)), rest, true
	case '!':
		return errorTable(L, "-"+string(rest[:n])), rest[n+2:], true
	case ':':
		v, _ := strconv.ParseInt(string(body), 10, 64)
		return lua.LNumber(v), rest, false
	case '$':
		if n < 0 {
			return lua.LFalse, rest, false
		}
		return lua.LString(rest[:n]), rest[n+2:], false
	case '*', '>', '~':
		if n < 0 {
			return lua.LFalse, rest, false
		}
		if line[0] == '~' {
			set := L.CreateTable(0, n)
			for range n {
				var k lua.LValue
				k, rest, _ = vm.luaValue(rest)
				if k != lua.LNil {
					set.RawSet(k, lua.LTrue)
				}
			}
			return field("set", set), rest, false
		}
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			var v lua.LValue
			v, rest, _ = vm.luaValue(rest)
			t.RawSetInt(i, v)
		}
		return t, rest, false
	case '%', '|':
		m := L.CreateTable(0, n)
		for range n {
			var k, v lua.LValue
			k, rest, _ = vm.luaValue(rest)
			v, rest, _ = vm.luaValue(rest)
			if k != lua.LNil {
				m.RawSet(k, v)
			}
		}
		if line[0] == '|' { // attributes precede the reply they describe
			return vm.luaValue(rest)
		}
		return field("map", m), rest, false
	case '_':
		return lua.LNil, rest, false
	case ',':
		f, _ := strconv.ParseFloat(string(body), 64)
		return field("double", lua.LNumber(f)), rest, false
	case '#':
		return lua.LBool(string(body) == "t"), rest, false
	case '(':
		return field("big_number", lua.LString(body)), rest, false
	case '=':
		s := rest[:n]
		v := L.CreateTable(0, 2)
		if len(s) >= 4 {
			v.RawSetString("format", lua.LString(s[:3]))
			v.RawSetString("string", lua.LString(s[4:]))
		}
		return field("verbatim_string", v), rest[n+2:], false
	}
	return lua.LNil, rest, false
}

// writeReply writes a script's result v to w. resp3 is the script's
// protocol (redis.setresp), which decides how booleans go out.
func (vm *luaVM) writeReply(w *resp.Writer, v lua.LValue, resp3 bool, depth int) {
	if depth > MaxReplyDepth {
		w.Error(msgStackLimit)
		return
	}
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LNumber:
		w.Int(int64(float64(v)))
	case lua.LBool:
		switch {
		case resp3:
			w.Bool(bool(v))
		case bool(v):
			w.Int(1)
		default:
			w.Null()
		}
	case *lua.LTable:
		vm.writeTable(w, v, resp3, depth)
	default:
		w.Null()
	}
}

// writeTable writes a table: one of Redis's typed tables, else an array.
func (vm *luaVM) writeTable(w *resp.Writer, t *lua.LTable, resp3 bool, depth int) {
	if s, ok := t.RawGetString("err").(lua.LString); ok {
		w.Error(oneLine(string(s)))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Simple(oneLine(string(s)))
		return
	}
	if f, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(f))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		w.BigNumber(oneLine(string(s)))
		return
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		for k, _ := m.Next(lua.LNil); k != lua.LNil; k, _ = m.Next(k) {
			n++
		}
		w.Map(n)
		for k, v := m.Next(lua.LNil); k != lua.LNil; k, v = m.Next(k) {
			vm.writeReply(w, k, resp3, depth+1)
			vm.writeReply(w, v, resp3, depth+1)
		}
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		for k, _ := s.Next(lua.LNil); k != lua.LNil; k, _ = s.Next(k) {
			n++
		}
		w.Set(n)
		for k, _ := s.Next(lua.LNil); k != lua.LNil; k, _ = s.Next(k) {
			vm.writeReply(w, k, resp3, depth+1)
		}
		return
	}
	if v, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		format, fok := v.RawGetString("format").(lua.LString)
		str, sok := v.RawGetString("string").(lua.LString)
		if fok && sok {
			w.Verbatim(string(format), string(str))
			return
		}
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.Array(n)
	for i := 1; i <= n; i++ {
		vm.writeReply(w, t.RawGetInt(i), resp3, depth+1)
	}
}

// redisLog is redis.log(level, message...), written to the Engine's
// Logger.
func (vm *luaVM) redisLog(L *lua.LState) int {
	if L.GetTop() < 2 {
		raise(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		if s, isStr := L.Get(1).(lua.LString); isStr {
			f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
			lv, ok = lua.LNumber(f), err == nil
		}
	}
	if !ok {
		raise(L, "First argument must be a number (log level).")
	}
	if lv < luaLogDebug || lv > luaLogWarning {
		raise(L, "Invalid debug level.")
	}
	var parts []string
	for i := 2; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LString, lua.LNumber:
			parts = append(parts, v.String())
		}
	}
	level := [...]slog.Level{slog.LevelDebug, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn}[int(lv)]
	vm.log.Log(vm.run.ctx, level, strings.Join(parts, " "), "script", vm.run.name)
	return 0
}

// redisSetResp is redis.setresp(2|3): the protocol the script's commands
// reply in.
func (vm *luaVM) redisSetResp(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "redis.setresp() requires one argument.")
	}
	v := L.ToNumber(1)
	if v != 2 && v != 3 {
		raise(L, "RESP version must be 2 or 3.")
	}
	vm.run.resp3 = v == 3
	return 0
}

// redisSha1Hex is redis.sha1hex(s).
func redisSha1Hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "wrong number of arguments")
	}
	sum := sha1.Sum([]byte(L.ToString(1)))
	L.Push(lua.LString(hex.EncodeToString(sum[:])))
	return 1
}

// redisErrorReply is redis.error_reply(s): {err = s}, with ERR unless s
// starts with a code ("-CODE" or "CODE message").
func redisErrorReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, "wrong number or type of arguments"))
		return 1
	}
	msg := string(s)
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	L.Push(errorTable(L, msg))
	return 1
}

// redisStatusReply is redis.status_reply(s): {ok = s}.
func redisStatusReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, "wrong number or type of arguments"))
		return 1
	}
	t := L.CreateTable(0, 1)
	t.RawSetString("ok", s)
	L.Push(t)
	return 1
}

// redisSetRepl is redis.set_repl(flags). Strata has no replicas nor AOF,
// so the flags are checked and have nothing to select.
func redisSetRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "redis.set_repl() requires two arguments.")
	}
	if f := int64(L.ToNumber(1)); f&^3 != 0 {
		raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

// redisACLCheckCmd is redis.acl_check_cmd(command, args...): Strata's
// one user may run every command.
func (vm *luaVM) redisACLCheckCmd(L *lua.LState) int {
	if L.GetTop() == 0 {
		raise(L, msgNoArgs)
	}
	args, ok := commandArgs(L)
	if !ok {
		raise(L, msgArgType)
	}
	if _, err := vm.run.host.Lookup(args); errors.Is(err, ErrUnknownCommand) {
		raise(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	L.Push(lua.LTrue)
	return 1
}
