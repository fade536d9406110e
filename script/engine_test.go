package script

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/internal/resp"
)

// fakeHost knows four commands: get (reads, one argument), set (writes,
// two), multi (denied) and fail (replies an error). It records the calls
// it runs.
type fakeHost struct {
	calls []fakeCall
}

type fakeCall struct {
	args string
	opts CallOptions
}

func (h *fakeHost) Lookup(args [][]byte) (Command, error) {
	arity := map[string]int{"get": 2, "set": 3, "multi": 1, "fail": 1}
	name := strings.ToLower(string(args[0]))
	n, ok := arity[name]
	switch {
	case !ok:
		return Command{}, ErrUnknownCommand
	case n != len(args):
		return Command{}, ErrWrongArity
	case name == "multi":
		return Command{}, ErrDenied
	}
	return Command{Write: name == "set", Handle: name}, nil
}

func (h *fakeHost) Call(cmd Command, args [][]byte, opts CallOptions) []byte {
	h.calls = append(h.calls, fakeCall{strings.ToLower(string(args[0])), opts})
	switch cmd.Handle {
	case "get":
		return []byte("$1\r\nv\r\n")
	case "set":
		return []byte("+OK\r\n")
	}
	return []byte("-ERR boom\r\n")
}

// runBody loads body and runs it on a fresh engine with h.
func runBody(t *testing.T, h Host, body string, readOnly bool) (string, *Script) {
	t.Helper()
	e := New(Options{Version: "7.0.15"})
	s, err := e.Load([]byte(body), false)
	if err != nil {
		t.Fatal(err)
	}
	var w resp.Writer
	e.Run(&w, h, Eval{Script: s, ReadOnly: readOnly})
	return string(w.Bytes()), s
}

// TestRunHost checks how a run reaches commands through its Host: the
// errors of Lookup as Redis words them, the read-only refusal, the OOM
// rule that lifts after the first write, and the protocol of replies.
func TestRunHost(t *testing.T) {
	refuse, allow := CallOptions{RefuseOOM: true}, CallOptions{}
	tests := []struct {
		name     string
		body     string
		readOnly bool
		want     string // "%s" stands for the script's SHA1
		calls    []fakeCall
	}{
		{"read", "return redis.call('get', 'k')", false, "$1\r\nv\r\n", []fakeCall{{"get", refuse}}},
		{"unknown", "return redis.pcall('nosuch')", false, "-ERR Unknown Redis command called from script\r\n", nil},
		{"wrong arity", "return redis.pcall('GET')", false, "-ERR Wrong number of args calling Redis command from script\r\n", nil},
		{"denied", "return redis.pcall('multi')", false, "-ERR This Redis command is not allowed from script\r\n", nil},
		{"read-only", "return redis.pcall('set', 'k', 'v')", true, "-ERR Write commands are not allowed from read-only scripts.\r\n", nil},
		{"no-writes", "#!lua flags=no-writes\nreturn redis.pcall('set', 'k', 'v')", false, "-ERR Write commands are not allowed from read-only scripts.\r\n", nil},
		{"OOM until the first write", "redis.call('get', 'k') redis.call('set', 'k', 'v') return redis.call('get', 'k')", false, "$1\r\nv\r\n",
			[]fakeCall{{"get", refuse}, {"set", refuse}, {"get", allow}}},
		{"allow-oom", "#!lua flags=allow-oom\nreturn redis.call('get', 'k')", false, "$1\r\nv\r\n", []fakeCall{{"get", allow}}},
		{"setresp", "redis.setresp(3) return redis.call('get', 'k')", false, "$1\r\nv\r\n", []fakeCall{{"get", CallOptions{RESP3: true, RefuseOOM: true}}}},
		{"raised", "return redis.call('fail')", false, "-ERR boom script: %s, on @user_script:1.\r\n", []fakeCall{{"fail", refuse}}},
		{"acl_check_cmd", "return {redis.acl_check_cmd('get'), select(2, pcall(redis.acl_check_cmd, 'nosuch'))}", false,
			"*2\r\n:1\r\n$51\r\nERR Invalid command passed to redis.acl_check_cmd()\r\n", nil},
		{"libraries", "return {cjson.encode({1, 2}), cmsgpack.unpack(cmsgpack.pack('x')), bit.tohex(255, 2), redis.REDIS_VERSION_NUM}", false,
			"*4\r\n$5\r\n[1,2]\r\n$1\r\nx\r\n$2\r\nff\r\n:458767\r\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeHost{}
			got, s := runBody(t, h, tt.body, tt.readOnly)
			if want := strings.Replace(tt.want, "%s", s.SHA(), 1); got != want {
				t.Errorf("reply %q, want %q", got, want)
			}
			if len(h.calls) != len(tt.calls) {
				t.Fatalf("calls %v, want %v", h.calls, tt.calls)
			}
			for i, c := range h.calls {
				if c != tt.calls[i] {
					t.Errorf("call %d: %v, want %v", i, c, tt.calls[i])
				}
			}
		})
	}
}

// TestLoad checks the shebang and the compile errors, with Redis's
// replies.
func TestLoad(t *testing.T) {
	tests := []struct {
		name, body string
		flags      Flags
		reply      string // the ReplyError's reply, or its prefix
	}{
		{"plain", "return 1", 0, ""},
		{"shebang", "#!lua\nreturn 1", FlagShebang, ""},
		{"flags", "#!lua flags=no-writes,allow-oom,no-cluster\nreturn 1", FlagShebang | FlagNoWrites | FlagAllowOOM | flagNoCluster, ""},
		{"no newline", "#!lua", 0, "ERR Invalid script shebang"},
		{"engine", "#!perl\nreturn 1", 0, "ERR Unexpected engine in script shebang: #!perl"},
		{"option", "#!lua mode=x\nreturn 1", 0, "ERR Unknown lua shebang option: mode=x"},
		{"flag", "#!lua flags=fast\nreturn 1", 0, "ERR Unexpected flag in script shebang: fast"},
		{"syntax", "return +", 0, "ERR Error compiling script (new function): user_script:1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(Options{})
			s, err := e.Load([]byte(tt.body), true)
			var ce *ReplyError
			switch {
			case tt.reply == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.reply == "":
				if s.Flags() != tt.flags {
					t.Errorf("flags %b, want %b", s.Flags(), tt.flags)
				}
				if e.Lookup(strings.ToUpper(s.SHA())) != s {
					t.Error("Lookup by upper-case SHA1 missed the script")
				}
			case !errors.As(err, &ce) || !strings.HasPrefix(ce.Reply, tt.reply):
				t.Errorf("error %v, want a ReplyError replying %q", err, tt.reply)
			}
		})
	}
}

// waitState waits until e is in state want, for at most five seconds.
func waitState(t *testing.T, e *Engine, want State) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.State() != want {
		if time.Now().After(deadline) {
			t.Fatalf("state %d, want %d", e.State(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestKillAndClose checks Kill and Close against a script that loops: Kill
// stops it until it writes, Close stops it after.
func TestKillAndClose(t *testing.T) {
	e := New(Options{})
	if err := e.Kill(false); !errors.Is(err, ErrNotBusy) {
		t.Fatalf("Kill with no script: %v", err)
	}
	for _, tt := range []struct {
		name, body string
		state      State
		err        error
		want       string
	}{
		{"reading", "while true do end", Reading, nil, "-ERR Script killed by user with SCRIPT KILL... script: "},
		{"wrote", "redis.call('set', 'k', 'v') while true do end", Wrote, ErrUnkillable, "-ERR Script killed: the server is shutting down script: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := e.Load([]byte(tt.body), false)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan string, 1)
			go func() {
				var w resp.Writer
				e.Run(&w, &fakeHost{}, Eval{Script: s})
				done <- string(w.Bytes())
			}()
			waitState(t, e, tt.state)
			if err := e.Kill(false); !errors.Is(err, tt.err) {
				t.Fatalf("Kill: %v, want %v", err, tt.err)
			}
			if tt.err != nil {
				e.Close()
			}
			select {
			case got := <-done:
				if !strings.HasPrefix(got, tt.want) {
					t.Errorf("reply %q, want %q...", got, tt.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the script was not stopped")
			}
			if e.State() != Idle {
				t.Errorf("state %d after the run", e.State())
			}
		})
	}
}
