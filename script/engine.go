package script

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/stratakv/strata/internal/resp"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// MaxEvalScripts bounds the scripts EVAL adds to the cache: an Engine
// keeps the ones run most recently.
const MaxEvalScripts = 500

// chunkName names every script's chunk, so errors read
// "user_script:1: ..." as Redis's.
const chunkName = "user_script"

// Flags are a script's shebang flags (#!lua flags=...) or a function's
// (redis.register_function's flags).
type Flags uint8

const (
	// FlagShebang marks a script that starts with #!lua: it runs with its
	// declared flags rather than in Redis's compatibility mode, so it may
	// write only if it does not declare no-writes. Every function has it.
	FlagShebang Flags = 1 << iota
	// FlagNoWrites is no-writes: the script runs read-only.
	FlagNoWrites
	// FlagAllowOOM is allow-oom: the script may write while memory is
	// over maxmemory.
	FlagAllowOOM
	// The flags Strata accepts and reports, and has no use for: it has
	// neither replicas nor a cluster of its own.
	flagAllowStale
	flagNoCluster
	flagCrossSlot
)

// flagNames are the flags' names, in the order Redis lists them.
var flagNames = []struct {
	name string
	flag Flags
}{
	{"no-writes", FlagNoWrites},
	{"allow-oom", FlagAllowOOM},
	{"allow-stale", flagAllowStale},
	{"no-cluster", flagNoCluster},
	{"allow-cross-slot-keys", flagCrossSlot},
}

// flagByName returns the flag a name stands for; false when there is
// none. Redis compares a function's flags in any case (fold) and a
// shebang's exactly.
func flagByName(name string, fold bool) (Flags, bool) {
	for _, f := range flagNames {
		if f.name == name || fold && strings.EqualFold(f.name, name) {
			return f.flag, true
		}
	}
	return 0, false
}

// Names returns the names of the flags set in f, in Redis's order
// (FUNCTION LIST).
func (f Flags) Names() []string {
	var out []string
	for _, n := range flagNames {
		if f&n.flag != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Script is a compiled script of an Engine's cache. It does not change
// once compiled and is safe for concurrent use.
type Script struct {
	sha   string // lower-case hex SHA1 of the body
	proto *lua.FunctionProto
	flags Flags
}

// SHA returns the script's SHA1 in lower-case hex, the name EVALSHA
// runs it by.
func (s *Script) SHA() string { return s.sha }

// Flags returns the flags of the script's shebang, 0 when it has none.
func (s *Script) Flags() Flags { return s.flags }

// Options configure an Engine.
type Options struct {
	// Version is the Redis version scripts see in redis.REDIS_VERSION and
	// redis.REDIS_VERSION_NUM, such as "7.0.15".
	Version string
	// Logger receives the messages of redis.log, with the script's SHA1;
	// nil discards them.
	Logger *slog.Logger
}

// Engine is a server's script cache, function libraries and Lua state.
// Its methods are safe for concurrent use, except those that run Lua:
// Run, LoadLibrary and RestoreLibraries. The caller runs one of those at
// a time (Strata runs them under its exclusive storage lock); Kill, Busy,
// Running, State and Close may be called from other goroutines meanwhile.
type Engine struct {
	version string
	log     *slog.Logger

	mu     sync.Mutex
	loaded map[string]*Script              // SCRIPT LOAD's, kept until SCRIPT FLUSH
	evals  *simplelru.LRU[string, *Script] // EVAL's, the most recent MaxEvalScripts
	fns    registry                        // function libraries (function.go)

	// running is the run in progress, for Kill and State.
	running atomic.Pointer[run]
	// closed is set by Close: a run that starts after it stops at once.
	closed atomic.Bool

	vm *luaVM // built by the first Run
}

// New returns an Engine with an empty cache; its Lua state is built by
// the first Run.
func New(opts Options) *Engine {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{version: opts.Version, log: log, fns: newRegistry()}
}

// Lookup returns the cached script whose SHA1 is sha, in hex of either
// case; nil when there is none.
func (e *Engine) Lookup(sha string) *Script {
	sha = strings.ToLower(sha)
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

// Load compiles body unless it is cached, caches it and returns it.
// Scripts pinned (SCRIPT LOAD's) stay until Flush; others (EVAL's) are
// evicted beyond MaxEvalScripts. A script that does not compile, or whose
// shebang is invalid, returns a *ReplyError.
func (e *Engine) Load(body []byte, pin bool) (*Script, error) {
	sum := sha1.Sum(body)
	sha := hex.EncodeToString(sum[:])
	s := e.Lookup(sha)
	if s == nil {
		var err error
		if s, err = compile(sha, body); err != nil {
			return nil, err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if pin {
		if e.loaded == nil {
			e.loaded = map[string]*Script{}
		}
		e.loaded[sha] = s
		if e.evals != nil {
			e.evals.Remove(sha)
		}
		return s, nil
	}
	if e.loaded[sha] != nil {
		return s, nil
	}
	if e.evals == nil {
		e.evals, _ = simplelru.NewLRU[string, *Script](MaxEvalScripts, nil)
	}
	e.evals.Add(sha, s)
	return s, nil
}

// Flush empties the cache (SCRIPT FLUSH).
func (e *Engine) Flush() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.loaded, e.evals = nil, nil
}

// compile parses the shebang and compiles the script, or returns the
// *ReplyError with the reply Redis gives when it does not compile.
func compile(sha string, body []byte) (*Script, error) {
	flags, skip, err := parseShebang(body)
	if err != nil {
		return nil, err
	}
	// The shebang line is left out but its newline kept, so that line
	// numbers in errors count it, as Redis's.
	src := body[skip:]
	chunk, err := parse.Parse(bytes.NewReader(src), chunkName)
	if err != nil {
		return nil, replyError(msgCompile, syntaxError(err, src, chunkName))
	}
	proto, err := lua.Compile(chunk, chunkName)
	if err != nil {
		return nil, replyError(msgCompile, chunkName+": "+err.Error())
	}
	return &Script{sha: sha, proto: proto, flags: flags}, nil
}

// syntaxError words a parse error of chunk name as Lua's
// "user_script:LINE: msg near 'token'". gopher-lua reports line -1 for an
// error at the end of the script, which Lua reports at the last line,
// near '<eof>'.
func syntaxError(err error, src []byte, name string) string {
	var perr *parse.Error
	if !errors.As(err, &perr) {
		return name + ": " + err.Error()
	}
	line, token := perr.Pos.Line, perr.Token
	if line < 1 {
		line, token = bytes.Count(src, []byte("\n"))+1, "<eof>"
	}
	return fmt.Sprintf("%s:%d: %s near '%s'", name, line, perr.Message, token)
}

// parseShebang reads a "#!lua [flags=a,b]" first line: the flags it
// declares and the bytes to skip to the script, or a *ReplyError.
func parseShebang(body []byte) (Flags, int, error) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return 0, 0, nil
	}
	end := bytes.IndexByte(body, '\n')
	if end < 0 {
		return 0, 0, replyError(msgShebangInvalid)
	}
	parts := strings.Fields(string(body[:end]))
	if parts[0] != "#!lua" {
		return 0, 0, replyError(msgShebangEngine, parts[0])
	}
	flags := FlagShebang
	for _, p := range parts[1:] {
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, 0, replyError(msgShebangOption, p)
		}
		if list == "" {
			continue
		}
		for _, name := range strings.Split(list, ",") {
			f, ok := flagByName(name, false)
			if !ok {
				return 0, 0, replyError(msgShebangFlag, name)
			}
			flags |= f
		}
	}
	return flags, end, nil
}

// State is what an Engine is doing, as SCRIPT KILL sees it.
type State int32

const (
	// Idle: no script is running.
	Idle State = iota
	// Reading: a script runs and has not written, so Kill stops it.
	Reading
	// Wrote: a script runs and has run a write command, so Kill refuses
	// to stop it.
	Wrote
	// Killed: a script runs and Kill has stopped it; it may not start
	// writing, and ends at its next instruction.
	Killed
)

// State returns what the Engine is doing now.
func (e *Engine) State() State {
	if r := e.running.Load(); r != nil {
		return State(r.state.Load())
	}
	return Idle
}

// Eval is one run, as EVAL, FCALL and their variants ask for it: of a
// Script (with KEYS and ARGV as globals) or of a Function (with them as
// its two arguments). Exactly one of Script and Function is set.
type Eval struct {
	Script   *Script
	Function *Function
	// Keys and Argv are KEYS and ARGV.
	Keys, Argv [][]byte
	// ReadOnly refuses write commands (EVAL_RO, FCALL_RO...); a script
	// flagged no-writes runs read-only anyway.
	ReadOnly bool
	// Limit is busy-reply-threshold: a run that lasts longer becomes busy
	// (see Busy) and goes on until it ends or Kill stops it.
	Limit time.Duration
}

// run is one script execution.
type run struct {
	// name is the script's SHA1, or the function's name: errors and logs
	// name it.
	name     string
	function bool
	host     Host
	readOnly bool
	allowOOM bool
	started  time.Time
	// resp3 is the protocol of the script's commands' replies
	// (redis.setresp); a run starts in RESP2.
	resp3 bool

	ctx    context.Context
	cancel context.CancelCauseFunc
	// busy is closed once the run has lasted longer than its limit; done
	// when it ends.
	busy, done chan struct{}

	// state is Reading until the script runs its first write command;
	// Kill, from another goroutine, moves it from Reading to Killed.
	state atomic.Int32
	// dirty is set after the script's first write: from then on a command
	// is not refused for memory, as Redis does not stop a script that has
	// written half-way.
	dirty bool
}

// refusesOOM reports whether the run's next command, if it is deny-oom,
// is refused when memory is over maxmemory.
func (r *run) refusesOOM() bool { return !r.allowOOM && !r.dirty }

// startWrite moves the run to Wrote before a write command; it reports
// false when Kill got there first.
func (r *run) startWrite() bool {
	return r.state.CompareAndSwap(int32(Reading), int32(Wrote)) || State(r.state.Load()) == Wrote
}

// stopReason returns the error text of a stopped run, "" while it runs.
func (r *run) stopReason() string {
	if r.ctx.Err() == nil {
		return ""
	}
	switch context.Cause(r.ctx) {
	case errKilled:
		return msgKilled
	case errClosing:
		return msgServerClosing
	case errLoadTimeout:
		return msgLoadTimeout
	}
	return ""
}

// Kill is SCRIPT KILL (function false) and FUNCTION KILL (true): it stops
// the running script unless it has written. It returns ErrNotBusy when no
// script runs, ErrUnkillable when the running one has written, and
// ErrKillEval or ErrKillFunction when the running one is of the other
// kind.
func (e *Engine) Kill(function bool) error {
	r := e.running.Load()
	switch {
	case r == nil:
		return ErrNotBusy
	case State(r.state.Load()) == Wrote:
		return ErrUnkillable
	case r.function && !function:
		return ErrKillFunction
	case !r.function && function:
		return ErrKillEval
	}
	if !r.state.CompareAndSwap(int32(Reading), int32(Killed)) && State(r.state.Load()) != Killed {
		return ErrUnkillable
	}
	r.cancel(errKilled)
	return nil
}

// Close stops the running script, written or not, with an error, and
// every later run as soon as it starts: the server is shutting down. It
// is safe to call more than once.
func (e *Engine) Close() {
	e.closed.Store(true)
	if r := e.running.Load(); r != nil {
		r.cancel(errClosing)
	}
}

// Busy waits while a script runs within its limit. It returns busy
// false when none runs or the one running ended; true when the one
// running has lasted past its limit, with function telling whether it is
// a function: Redis then refuses other clients' commands with BUSY, and
// names the KILL that stops it.
func (e *Engine) Busy() (busy, function bool) {
	r := e.running.Load()
	if r == nil {
		return false, false
	}
	select {
	case <-r.done:
		return false, false
	case <-r.busy:
		return true, r.function
	}
}

// Running describes the run in progress for FUNCTION STATS: the script's
// SHA1 or the function's name, whether it is a function, and how long it
// has run. ok is false when none runs.
func (e *Engine) Running() (name string, function bool, elapsed time.Duration, ok bool) {
	r := e.running.Load()
	if r == nil {
		return "", false, 0, false
	}
	return r.name, r.function, time.Since(r.started), true
}

// Run runs ev, reaching commands through h, and writes its reply, or its
// error, to w. Run is not safe for concurrent use (see Engine).
func (e *Engine) Run(w *resp.Writer, h Host, ev Eval) {
	vm := e.machine()
	r := &run{host: h, readOnly: ev.ReadOnly, started: time.Now()}
	flags := FlagShebang
	if f := ev.Function; f != nil {
		r.name, r.function, flags = f.name, true, f.flags
	} else {
		r.name, flags = ev.Script.sha, ev.Script.flags
	}
	r.readOnly = r.readOnly || flags&FlagNoWrites != 0
	r.allowOOM = flags&FlagAllowOOM != 0
	r.state.Store(int32(Reading))
	r.ctx, r.cancel = context.WithCancelCause(context.Background())
	defer r.cancel(nil)
	r.busy, r.done = make(chan struct{}), make(chan struct{})
	defer close(r.done)
	t := time.AfterFunc(ev.Limit, func() { close(r.busy) })
	defer t.Stop()
	e.running.Store(r)
	defer e.running.Store(nil)
	// Checked after running is set: either Close sees this run or this
	// run sees Close.
	if e.closed.Load() {
		r.cancel(errClosing)
	}
	vm.run = r
	defer func() { vm.run = nil }()

	L := vm.L
	nargs := 0
	if f := ev.Function; f != nil {
		L.Push(f.fn)
		L.Push(vm.stringTable(ev.Keys))
		L.Push(vm.stringTable(ev.Argv))
		nargs = 2
	} else {
		// KEYS and ARGV are an EVAL's alone: functions do not see them.
		vm.globals.RawSetString("KEYS", vm.stringTable(ev.Keys))
		vm.globals.RawSetString("ARGV", vm.stringTable(ev.Argv))
		defer vm.globals.RawSetString("KEYS", lua.LNil)
		defer vm.globals.RawSetString("ARGV", lua.LNil)
		fn := L.NewFunctionFromProto(ev.Script.proto)
		fn.Env = vm.env
		L.Push(fn)
	}
	L.SetContext(r.ctx)
	err := L.PCall(nargs, 1, vm.handler)
	L.RemoveContext()
	if err != nil {
		vm.writeError(w, r, err)
	} else {
		vm.writeReply(w, L.Get(-1), r.resp3, 0)
	}
	L.SetTop(0)
	vm.resetViews()
}

// machine returns the Lua state, built on first use.
func (e *Engine) machine() *luaVM {
	if e.vm == nil {
		e.vm = newVM(e)
	}
	return e.vm
}
