package script

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/internal/resp"
)

// fcall runs function name of e with keys and argv and returns its reply.
func fcall(t *testing.T, e *Engine, h Host, name string, keys, argv []string) string {
	t.Helper()
	f := e.Function(name)
	if f == nil {
		t.Fatalf("no function %q", name)
	}
	toBytes := func(ss []string) [][]byte {
		out := make([][]byte, len(ss))
		for i, s := range ss {
			out[i] = []byte(s)
		}
		return out
	}
	var w resp.Writer
	e.Run(&w, h, Eval{Function: f, Keys: toBytes(keys), Argv: toBytes(argv), Limit: time.Minute})
	return string(w.Bytes())
}

// TestLoadLibrary checks FUNCTION LOAD's errors, with Redis's replies, and
// a library's functions and their flags.
func TestLoadLibrary(t *testing.T) {
	tests := []struct{ name, code, reply string }{
		{"no shebang", "return 1", "ERR Missing library metadata"},
		{"no newline", "#!lua name=a", "ERR Invalid library metadata"},
		{"engine", "#!js name=a\n", "ERR Engine 'js' not found"},
		{"option", "#!lua name=a x=1\n", "ERR Invalid metadata value given: x=1"},
		{"name twice", "#!lua name=a name=b\n", "ERR Invalid metadata value, name argument was given multiple times"},
		{"no name", "#!lua\n", "ERR Library name was not given"},
		{"bad name", "#!lua name=a-b\n", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"},
		{"syntax", "#!lua name=a\nfoo(", "ERR Error compiling function: user_function:2: "},
		{"no functions", "#!lua name=a\nreturn 1", "ERR No functions registered"},
		{"sandbox", "#!lua name=a\nlocal x = string.len('a')",
			"ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'"},
		{"no redis.call", "#!lua name=a\nredis.call('ping')",
			"ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"},
		{"global write", "#!lua name=a\nx = 1", "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table"},
		{"arguments", "#!lua name=a\nredis.register_function()", "ERR Error registering functions: ERR wrong number of arguments to redis.register_function"},
		{"unknown flag", "#!lua name=a\nredis.register_function{function_name='f', callback=function() end, flags={'fast'}}",
			"ERR Error registering functions: ERR unknown flag given"},
		{"same function", "#!lua name=a\nredis.register_function('f', function() end) redis.register_function('f', function() end)",
			"ERR Error registering functions: ERR Function already exists in the library"},
		{"timeout", "#!lua name=a\nwhile true do end", "ERR Error registering functions: ERR FUNCTION LOAD timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{}).LoadLibrary([]byte(tt.code), false)
			var re *ReplyError
			if !errors.As(err, &re) || !strings.HasPrefix(re.Reply, tt.reply) {
				t.Errorf("error %v, want a reply starting %q", err, tt.reply)
			}
		})
	}

	e := New(Options{Version: "7.0.15"})
	const lib = "#!lua name=lib\n" +
		"redis.register_function('echo', function(keys, args) return {keys[1], args[1], redis.REDIS_VERSION} end)\n" +
		"redis.register_function{function_name='ro', callback=function() return redis.call('set', 'k', 'v') end, flags={'NO-WRITES', 'allow-stale'}, description='d'}"
	if name, err := e.LoadLibrary([]byte(lib), false); err != nil || name != "lib" {
		t.Fatalf("LoadLibrary: %q %v", name, err)
	}
	if _, err := e.LoadLibrary([]byte(lib), false); err == nil || err.(*ReplyError).Reply != "ERR Library 'lib' already exists" {
		t.Errorf("loading again: %v", err)
	}
	if _, err := e.LoadLibrary([]byte("#!lua name=other\nredis.register_function('ECHO', function() end)"), false); err == nil ||
		err.(*ReplyError).Reply != "ERR Function ECHO already exists" {
		t.Errorf("a function of another library's name: %v", err)
	}
	if got := fcall(t, e, &fakeHost{}, "ECHO", []string{"k"}, []string{"a"}); got != "*3\r\n$1\r\nk\r\n$1\r\na\r\n$6\r\n7.0.15\r\n" {
		t.Errorf("echo: %q", got)
	}
	ro := e.Function("ro")
	if d, ok := ro.Description(); !ok || d != "d" || strings.Join(ro.Flags().Names(), ",") != "no-writes,allow-stale" {
		t.Errorf("ro: %q %v %v", d, ok, ro.Flags().Names())
	}
	if got := fcall(t, e, &fakeHost{}, "ro", nil, nil); got != "-ERR Write commands are not allowed from read-only scripts. script: ro, on @user_function:3.\r\n" {
		t.Errorf("ro: %q", got)
	}
	if _, err := e.LoadLibrary([]byte("#!lua name=lib\nredis.register_function('echo2', function() return KEYS end)"), true); err != nil {
		t.Fatalf("REPLACE: %v", err)
	}
	if e.Function("echo") != nil || e.FunctionCount() != 1 {
		t.Error("REPLACE kept the old library's functions")
	}
	if got := fcall(t, e, &fakeHost{}, "echo2", nil, nil); !strings.HasPrefix(got, "-ERR user_function:2: Script attempted to access nonexistent global variable 'KEYS'") {
		t.Errorf("KEYS in a function: %q", got)
	}
}

// TestDumpRestore restores a payload Redis 7.0.15 dumped (its code
// LZF-compressed) and dumps it back byte for byte, and checks that
// Strata's own payloads restore under each policy.
func TestDumpRestore(t *testing.T) {
	redisDump, _ := hex.DecodeString("f5c3405f40691f23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f1566756e6374696f6e28276563686f5f6b657973272c20e00015400f0f2c2061726773292072657475726e207b4013025b315d80162008057d20656e64290a007728846f1451cece")
	e := New(Options{})
	if err := e.RestoreLibraries(redisDump, RestoreAppend); err != nil {
		t.Fatal(err)
	}
	if got := fcall(t, e, &fakeHost{}, "echo_keys", []string{"k"}, []string{"a"}); got != "*2\r\n$1\r\nk\r\n$1\r\na\r\n" {
		t.Errorf("restored function: %q", got)
	}
	if got := e.DumpLibraries(); !bytes.Equal(got, redisDump) {
		t.Errorf("DUMP %x, Redis's %x", got, redisDump)
	}
	reply := func(err error) string {
		var re *ReplyError
		if errors.As(err, &re) {
			return re.Reply
		}
		return ""
	}
	if got := reply(e.RestoreLibraries(redisDump, RestoreAppend)); got != "ERR Library mylib already exists" {
		t.Errorf("APPEND again: %q", got)
	}
	if err := e.RestoreLibraries(redisDump, RestoreReplace); err != nil {
		t.Errorf("REPLACE: %v", err)
	}
	if _, err := e.LoadLibrary([]byte("#!lua name=second\nredis.register_function('two', function() return 2 end)"), false); err != nil {
		t.Fatal(err)
	}
	dump := e.DumpLibraries()
	if err := e.RestoreLibraries(dump, RestoreFlush); err != nil || e.FunctionCount() != 2 {
		t.Fatalf("FLUSH with its own dump: %v, %d functions", err, e.FunctionCount())
	}
	e.FlushLibraries()
	if err := e.RestoreLibraries(dump, RestoreAppend); err != nil || len(e.Libraries()) != 2 {
		t.Fatalf("restore after FLUSH: %v", err)
	}
	checksum := append(dump[:len(dump)-1:len(dump)-1], dump[len(dump)-1]^1)
	if got := reply(e.RestoreLibraries(checksum, RestoreAppend)); got != "ERR DUMP payload version or checksum are wrong" {
		t.Errorf("bad checksum: %q", got)
	}
}
