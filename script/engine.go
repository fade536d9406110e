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

// Flags are a script's shebang flags (#!lua flags=...).
type Flags uint8

const (
	// FlagShebang marks a script that starts with #!lua: it runs with its
	// declared flags rather than in Redis's compatibility mode, so it may
	// write only if it does not declare no-writes.
	FlagShebang Flags = 1 << iota
	// FlagNoWrites is flags=no-writes: the script runs read-only.
	FlagNoWrites
	// FlagAllowOOM is flags=allow-oom: the script may write while memory
	// is over maxmemory.
	FlagAllowOOM
	// flagOther stands for the flags Strata accepts and has no use for:
	// allow-stale, no-cluster, allow-cross-slot-keys.
	flagOther
)

var shebangFlags = map[string]Flags{
	"no-writes":             FlagNoWrites,
	"allow-oom":             FlagAllowOOM,
	"allow-stale":           flagOther,
	"no-cluster":            flagOther,
	"allow-cross-slot-keys": flagOther,
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

// Engine is a server's script cache and Lua state. Its methods are safe
// for concurrent use, except Run: the caller runs one script at a time
// (Strata runs them under its exclusive storage lock), and Kill, State
// and Close may be called from other goroutines meanwhile.
type Engine struct {
	version string
	log     *slog.Logger

	mu     sync.Mutex
	loaded map[string]*Script              // SCRIPT LOAD's, kept until SCRIPT FLUSH
	evals  *simplelru.LRU[string, *Script] // EVAL's, the most recent MaxEvalScripts

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
	return &Engine{version: opts.Version, log: log}
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
// shebang is invalid, returns a *CompileError.
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
// *CompileError with the reply Redis gives when it does not compile.
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
		return nil, compileError(msgCompile, syntaxError(err, src))
	}
	proto, err := lua.Compile(chunk, chunkName)
	if err != nil {
		return nil, compileError(msgCompile, chunkName+": "+err.Error())
	}
	return &Script{sha: sha, proto: proto, flags: flags}, nil
}

// syntaxError words a parse error as Lua's "user_script:LINE: msg near
// 'token'". gopher-lua reports line -1 for an error at the end of the
// script, which Lua reports at the last line, near '<eof>'.
func syntaxError(err error, src []byte) string {
	var perr *parse.Error
	if !errors.As(err, &perr) {
		return chunkName + ": " + err.Error()
	}
	line, token := perr.Pos.Line, perr.Token
	if line < 1 {
		line, token = bytes.Count(src, []byte("\n"))+1, "<eof>"
	}
	return fmt.Sprintf("%s:%d: %s near '%s'", chunkName, line, perr.Message, token)
}

// parseShebang reads a "#!lua [flags=a,b]" first line: the flags it
// declares and the bytes to skip to the script, or a *CompileError.
func parseShebang(body []byte) (Flags, int, error) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return 0, 0, nil
	}
	end := bytes.IndexByte(body, '\n')
	if end < 0 {
		return 0, 0, compileError(msgShebangInvalid)
	}
	parts := strings.Fields(string(body[:end]))
	if parts[0] != "#!lua" {
		return 0, 0, compileError(msgShebangEngine, parts[0])
	}
	flags := FlagShebang
	for _, p := range parts[1:] {
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, 0, compileError(msgShebangOption, p)
		}
		if list == "" {
			continue
		}
		for _, name := range strings.Split(list, ",") {
			f, ok := shebangFlags[name]
			if !ok {
				return 0, 0, compileError(msgShebangFlag, name)
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

// Eval is one run of a script, as EVAL and its variants ask for it.
type Eval struct {
	Script     *Script
	Keys, Argv [][]byte
	// ReadOnly refuses write commands (EVAL_RO, EVALSHA_RO); a script
	// flagged no-writes runs read-only anyway.
	ReadOnly bool
	// Limit is busy-reply-threshold: a run that lasts longer is stopped
	// with an error. 0 lets it run without a limit.
	Limit time.Duration
}

// run is one script execution.
type run struct {
	script   *Script
	host     Host
	readOnly bool
	allowOOM bool
	limit    time.Duration
	// resp3 is the protocol of the script's commands' replies
	// (redis.setresp); a run starts in RESP2.
	resp3 bool

	ctx    context.Context
	cancel context.CancelCauseFunc

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
	case errTimeout:
		return fmt.Sprintf(msgTimedOut, r.limit.Milliseconds())
	case errClosing:
		return msgServerClosing
	}
	return ""
}

// Kill is SCRIPT KILL: it stops the running script unless it has
// written. It returns ErrNotBusy when no script runs, ErrUnkillable when
// the running one has written.
func (e *Engine) Kill() error {
	r := e.running.Load()
	if r == nil {
		return ErrNotBusy
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

// Run runs ev.Script with ev.Keys as KEYS and ev.Argv as ARGV, reaching
// commands through h, and writes its reply, or its error, to w. Run is
// not safe for concurrent use (see Engine).
func (e *Engine) Run(w *resp.Writer, h Host, ev Eval) {
	if e.vm == nil {
		e.vm = newVM(e)
	}
	vm := e.vm
	s := ev.Script
	r := &run{
		script:   s,
		host:     h,
		readOnly: ev.ReadOnly || s.flags&FlagNoWrites != 0,
		allowOOM: s.flags&FlagAllowOOM != 0,
		limit:    ev.Limit,
	}
	r.state.Store(int32(Reading))
	r.ctx, r.cancel = context.WithCancelCause(context.Background())
	defer r.cancel(nil)
	if r.limit > 0 {
		t := time.AfterFunc(r.limit, func() { r.cancel(errTimeout) })
		defer t.Stop()
	}
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
	vm.globals.RawSetString("KEYS", vm.stringTable(ev.Keys))
	vm.globals.RawSetString("ARGV", vm.stringTable(ev.Argv))
	fn := L.NewFunctionFromProto(s.proto)
	fn.Env = vm.env
	L.SetContext(r.ctx)
	L.Push(fn)
	err := L.PCall(0, 1, vm.handler)
	L.RemoveContext()
	if err != nil {
		vm.writeError(w, r, err)
	} else {
		vm.writeReply(w, L.Get(-1), r.resp3, 0)
	}
	L.SetTop(0)
	vm.resetViews()
}
