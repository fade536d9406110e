package server

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// configFailed words a CONFIG SET failure as Redis does.
func configFailed(param, why string) string {
	return "-ERR CONFIG SET failed (possibly related to argument '" + param + "') - " + why + "\r\n"
}

// pair is a CONFIG GET reply of one parameter in RESP2.
func pair(name, value string) string {
	return fmt.Sprintf("*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(name), name, len(value), value)
}

func TestConfigSetAndGet(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"get arity", []string{"CONFIG", "GET"}, "-ERR wrong number of arguments for 'config|get' command\r\n"},
		{"set arity", []string{"CONFIG", "SET", "maxmemory"}, "-ERR wrong number of arguments for 'config|set' command\r\n"},
		{"set odd pairs", []string{"CONFIG", "SET", "maxmemory", "1", "timeout"}, "-ERR syntax error\r\n"},
		{"unknown subcommand", []string{"CONFIG", "FOO"}, "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n"},
		{"get unknown", []string{"CONFIG", "GET", "nosuch"}, "*0\r\n"},
		{"get exact echoes the name", []string{"CONFIG", "GET", "MAXMEMORY"}, pair("MAXMEMORY", "0")},
		{"get once per parameter", []string{"CONFIG", "GET", "maxmemory", "MAXMEMORY"}, pair("maxmemory", "0")},
		{"unknown", []string{"CONFIG", "SET", "nosuch", "1"}, "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"},
		{"unknown after valid", []string{"CONFIG", "SET", "timeout", "1", "nosuch", "2"}, "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"},
		{"unknown before bad value", []string{"CONFIG", "SET", "timeout", "abc", "nosuch", "2"}, "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"},
		{"immutable before unknown", []string{"CONFIG", "SET", "databases", "1", "nosuch", "2"}, configFailed("databases", "can't set immutable config")},
		{"immutable as given", []string{"CONFIG", "SET", "DATABASES", "3"}, configFailed("DATABASES", "can't set immutable config")},
		{"protected", []string{"CONFIG", "SET", "dir", "/tmp"}, configFailed("dir", "can't set protected config")},
		{"port is read-only", []string{"CONFIG", "SET", "port", "7000"}, configFailed("port", "can't set immutable config")},
		{"duplicate", []string{"CONFIG", "SET", "MAXMEMORY", "1", "maxmemory", "2"}, configFailed("maxmemory", "duplicate parameter")},
		{"memory value", []string{"CONFIG", "SET", "maxmemory", "abc"}, configFailed("maxmemory", "argument must be a memory value")},
		{"memory fraction", []string{"CONFIG", "SET", "maxmemory", "1.5gb"}, configFailed("maxmemory", "argument must be a memory value")},
		{"memory canonical name", []string{"CONFIG", "SET", "MAXMEMORY", "abc"}, configFailed("maxmemory", "argument must be a memory value")},
		{"memory bound", []string{"CONFIG", "SET", "proto-max-bulk-len", "1"}, configFailed("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive")},
		{"enum", []string{"CONFIG", "SET", "maxmemory", "100mb", "maxmemory-policy", "bad"}, configFailed("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")},
		{"int", []string{"CONFIG", "SET", "timeout", "abc"}, configFailed("timeout", "argument couldn't be parsed into an integer")},
		{"int leading zero", []string{"CONFIG", "SET", "hz", "007"}, configFailed("hz", "argument couldn't be parsed into an integer")},
		{"int minus zero", []string{"CONFIG", "SET", "timeout", "-0"}, configFailed("timeout", "argument couldn't be parsed into an integer")},
		{"int bound", []string{"CONFIG", "SET", "timeout", "-1"}, configFailed("timeout", "argument must be between 0 and 2147483647 inclusive")},
		{"maxclients bound", []string{"CONFIG", "SET", "maxclients", "0"}, configFailed("maxclients", "argument must be between 1 and 4294967295 inclusive")},
		{"slowlog bound", []string{"CONFIG", "SET", "slowlog-max-len", "-1"}, configFailed("slowlog-max-len", "argument must be between 0 and 9223372036854775807 inclusive")},
		{"bool", []string{"CONFIG", "SET", "appendonly", "maybe"}, configFailed("appendonly", "argument must be 'yes' or 'no'")},
		{"alias keeps its name", []string{"CONFIG", "SET", "hash-max-ziplist-entries", "abc"}, configFailed("hash-max-ziplist-entries", "argument couldn't be parsed into an integer")},
		{"alias immutable", []string{"CONFIG", "SET", "slaveof", "abc"}, configFailed("slaveof", "can't set immutable config")},
		{"save", []string{"CONFIG", "SET", "save", "bad"}, configFailed("save", "Invalid save parameters")},
		{"save odd", []string{"CONFIG", "SET", "save", "1 2 3"}, configFailed("save", "Invalid save parameters")},
		{"save zero seconds", []string{"CONFIG", "SET", "save", "0 10"}, configFailed("save", "Invalid save parameters")},
		{"save spaces", []string{"CONFIG", "SET", "save", "  100   20  "}, configFailed("save", "Invalid save parameters")},
		{"notify", []string{"CONFIG", "SET", "notify-keyspace-events", "xyz"}, configFailed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")},
		{"buffer limit count", []string{"CONFIG", "SET", "client-output-buffer-limit", "normal 0 0"}, configFailed("client-output-buffer-limit", "Wrong number of arguments in buffer limit configuration.")},
		{"buffer limit class", []string{"CONFIG", "SET", "client-output-buffer-limit", "foo 0 0 0"}, configFailed("client-output-buffer-limit", "Invalid client class specified in buffer limit configuration.")},
		{"buffer limit value", []string{"CONFIG", "SET", "client-output-buffer-limit", "normal x 0 0"}, configFailed("client-output-buffer-limit", "Error in hard, soft or soft_seconds setting in buffer limit configuration.")},
		{"oom values", []string{"CONFIG", "SET", "oom-score-adj-values", "1 2 3000"}, configFailed("oom-score-adj-values", "Invalid oom-score-adj-values, elements must be between -2000 and 2000.")},
		{"oom count", []string{"CONFIG", "SET", "oom-score-adj-values", "1 2"}, configFailed("oom-score-adj-values", "wrong number of arguments")},
		{"percentiles", []string{"CONFIG", "SET", "latency-tracking-info-percentiles", "101"}, configFailed("latency-tracking-info-percentiles", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")},
		{"percent", []string{"CONFIG", "SET", "maxmemory-clients", "101%"}, configFailed("maxmemory-clients", "percentage argument must be less or equal to 100")},
		{"flags empty", []string{"CONFIG", "SET", "shutdown-on-sigint", ""}, configFailed("shutdown-on-sigint", "argument(s) must be one of the following: default, save, nosave, now, force")},
		{"rewrite", []string{"CONFIG", "REWRITE"}, "-ERR The server is running without a config file\r\n"},
		{"resetstat", []string{"CONFIG", "RESETSTAT"}, "+OK\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("%v: got %q, want %q", tc.args, got, tc.want)
			}
		})
	}
	// Nothing above changed anything.
	c.expect(pair("timeout", "0"), "CONFIG", "GET", "timeout")
	c.expect(pair("maxmemory", "0"), "CONFIG", "GET", "maxmemory")
}

// TestConfigNormalizes sets values in the forms Redis accepts and reads
// them back as Redis writes them.
func TestConfigNormalizes(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	tests := []struct{ param, set, get string }{
		{"maxmemory", "1GB", "1073741824"},
		{"maxmemory", "100k", "100000"},
		{"maxmemory", "mb", "0"}, // Redis's memtoull reads a bare unit as 0
		{"maxmemory", "", "0"},
		{"maxmemory-policy", "ALLKEYS-LRU", "allkeys-lru"},
		{"appendonly", "YES", "yes"},
		{"save", "", ""},
		{"save", "10 0", "10 0"},
		{"notify-keyspace-events", "KEA", "AKE"},
		{"notify-keyspace-events", "Kx", "xK"},
		{"notify-keyspace-events", "g$lshzxeKEtmdn", "AKEm"},
		{"notify-keyspace-events", "", ""},
		{"client-output-buffer-limit", "replica 1mb 1mb 1 normal 1 1 1", "normal 1 1 1 slave 1048576 1048576 1 pubsub 33554432 8388608 60"},
		{"shutdown-on-sigint", "now save force", "save now force"},
		{"shutdown-on-sigint", "default save", "save"},
		{"maxmemory-clients", "10%", "10%"},
		{"latency-tracking-info-percentiles", "50 99.5", "50 99.5"},
		{"hash-max-ziplist-entries", "7", "7"},
		{"hash-max-listpack-entries", "9", "9"},
	}
	for _, tc := range tests {
		c.expect("+OK\r\n", "CONFIG", "SET", tc.param, tc.set)
		c.expect(pair(tc.param, tc.get), "CONFIG", "GET", tc.param)
	}
	// An alias shares its parameter's value; patterns list both names.
	c.expect("*4\r\n$25\r\nhash-max-listpack-entries\r\n$1\r\n9\r\n$24\r\nhash-max-ziplist-entries\r\n$1\r\n9\r\n",
		"CONFIG", "GET", "hash-max-*-entries")
	c.do("HELLO", "3")
	c.expect("%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n", "CONFIG", "GET", "timeout")
}

// TestConfigAtomic checks that CONFIG SET of several parameters changes
// nothing when one value is bad.
func TestConfigAtomic(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect(configFailed("maxmemory", "argument must be a memory value"), "CONFIG", "SET", "timeout", "5", "maxmemory", "abc")
	c.expect(pair("timeout", "0"), "CONFIG", "GET", "timeout")
	c.expect("+OK\r\n", "CONFIG", "SET", "timeout", "5", "maxmemory", "1mb", "appendonly", "no")
	c.expect("*4\r\n$7\r\ntimeout\r\n$1\r\n5\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n", "CONFIG", "GET", "timeout", "maxmemory")
}

// TestConfigEveryParameterRoundTrips sets every mutable parameter to the
// value CONFIG GET reports, as the Redis test suite's config tests do.
func TestConfigEveryParameterRoundTrips(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	for _, p := range configParamList {
		got := c.do("CONFIG", "GET", p.name)
		nodes, err := parseRESP3([]byte(got))
		if err != nil || len(nodes) != 1 || len(nodes[0].elems) != 2 {
			t.Fatalf("CONFIG GET %s: %q", p.name, got)
		}
		want := "+OK\r\n"
		switch {
		case p.flags&paramImmutable != 0:
			want = configFailed(p.name, "can't set immutable config")
		case p.flags&paramProtected != 0:
			want = configFailed(p.name, "can't set protected config")
		}
		c.expect(want, "CONFIG", "SET", p.name, nodes[0].elems[1].str)
	}
	// Redis 7.0.15 has 192 parameters, aliases included.
	if got := c.do("CONFIG", "GET", "*"); !strings.HasPrefix(got, "*384\r\n") {
		t.Errorf("CONFIG GET * lists %.10q, want 192 parameters", got)
	}
}

func TestNoopConfigParams(t *testing.T) {
	names := NoopConfigParams()
	if !slices.IsSorted(names) {
		t.Error("NoopConfigParams is not sorted")
	}
	for _, want := range []string{"save", "appendonly", "appendfsync", "hz", "maxmemory-samples", "lazyfree-lazy-eviction"} {
		if !slices.Contains(names, want) {
			t.Errorf("NoopConfigParams lacks %s", want)
		}
	}
	for _, live := range liveConfigParams {
		if slices.Contains(names, live.name) {
			t.Errorf("%s is live and listed as a no-op", live.name)
		}
	}
}

// TestConfigMaxmemoryEvicts lowers maxmemory under allkeys-lru: keys are
// evicted at once, down to the new bound; under noeviction writes are
// refused.
func TestConfigMaxmemoryEvicts(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	for i := 0; i < 200; i++ {
		c.expect("+OK\r\n", "SET", fmt.Sprintf("key:%03d", i), strings.Repeat("v", 100))
	}
	used := s.store.Used()
	c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "maxmemory", strconv.FormatInt(used/2, 10))
	if s.store.Used() > used/2 {
		t.Errorf("used memory %d over maxmemory %d after CONFIG SET", s.store.Used(), used/2)
	}
	info := c.do("INFO", "stats")
	if strings.Contains(info, "evicted_keys:0\r\n") {
		t.Errorf("nothing evicted: %q", info)
	}
	if got := c.do("DBSIZE"); got == ":200\r\n" {
		t.Errorf("DBSIZE %q after eviction", got)
	}

	c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory-policy", "noeviction", "maxmemory", "1")
	c.expect("-OOM command not allowed when used memory > 'maxmemory'.\r\n", "SET", "more", "x")
	c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory", "0")
	c.expect("+OK\r\n", "SET", "more", "x")
}

// TestConfigTimeoutClosesIdleClients sets timeout at run time: a client
// idle longer is disconnected. It waits a real second: the deadline is the
// socket's.
func TestConfigTimeoutClosesIdleClients(t *testing.T) {
	s := startServer(t, Config{})
	admin := dial(t, s)
	admin.expect("+OK\r\n", "CONFIG", "SET", "timeout", "1")
	idle := dial(t, s)
	idle.expect("+PONG\r\n", "PING")
	if !idle.waitClosed() {
		t.Error("an idle client outlived timeout")
	}
}

func TestConfigMaxclients(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "CONFIG", "SET", "maxclients", "1")
	extra := dial(t, s)
	if got := extra.read(); got != "-ERR max number of clients reached\r\n" {
		t.Errorf("over maxclients: got %q", got)
	}
	c.expect("+OK\r\n", "CONFIG", "SET", "maxclients", "10")
	dial(t, s).expect("+PONG\r\n", "PING")
}

// TestConfigProtoMaxBulkLen lowers proto-max-bulk-len: new connections
// refuse bigger arguments.
func TestConfigProtoMaxBulkLen(t *testing.T) {
	s := startServer(t, Config{})
	dial(t, s).expect("+OK\r\n", "CONFIG", "SET", "proto-max-bulk-len", "1mb")
	c := dial(t, s)
	c.write("*2\r\n$3\r\nGET\r\n$2000000\r\n")
	if got := c.read(); got != "-ERR Protocol error: invalid bulk length\r\n" {
		t.Errorf("bulk over proto-max-bulk-len: got %q", got)
	}
}

func TestConfigSlowlog(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "2")
	for i := 0; i < 5; i++ {
		c.expect("+PONG\r\n", "PING")
	}
	c.expect(":2\r\n", "SLOWLOG", "LEN")
	c.expect("+OK\r\n", "CONFIG", "SET", "slowlog-log-slower-than", "-1")
	c.expect("+OK\r\n", "SLOWLOG", "RESET")
	c.expect("+PONG\r\n", "PING")
	c.expect(":0\r\n", "SLOWLOG", "LEN")
}

// TestSlowlogTimesOnlyTheCommand checks that a command's logged duration
// leaves out the time the connection spent waiting for it: a pipelined
// command starts where the previous one ended (client.clockMark), which
// must not carry over a read.
func TestSlowlogTimesOnlyTheCommand(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "CONFIG", "SET", "slowlog-log-slower-than", "0")
	c.write("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n") // a pipeline: the second starts at the first's end
	c.read()
	c.read()
	const idle = 200 * time.Millisecond
	time.Sleep(idle)
	c.expect("$1\r\nx\r\n", "ECHO", "x")
	s.slowlog.mu.Lock()
	defer s.slowlog.mu.Unlock()
	e := s.slowlog.entries[0]
	if e.args[0] != "ECHO" || time.Duration(e.micros)*time.Microsecond >= idle {
		t.Fatalf("newest entry %v took %dµs: the idle wait before it was counted", e.args, e.micros)
	}
}

// TestConfigRewriteHook: CONFIG REWRITE hands the parameters CONFIG SET
// changed, with CONFIG GET's values, to Config.RewriteConfig, and reports
// its failure as Redis does.
func TestConfigRewriteHook(t *testing.T) {
	var mu sync.Mutex // the hook runs on the server's goroutine
	var got map[string]string
	fail := false
	s := startServer(t, Config{RewriteConfig: func(changed map[string]string) error {
		mu.Lock()
		defer mu.Unlock()
		got = changed
		if fail {
			return errors.New("read-only file system")
		}
		return nil
	}})
	c := dial(t, s)
	c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory", "10mb", "hz", "20")
	c.expect("+OK\r\n", "CONFIG", "REWRITE")
	mu.Lock()
	if want := map[string]string{"maxmemory": "10485760", "hz": "20"}; !reflect.DeepEqual(got, want) {
		t.Errorf("RewriteConfig got %v, want %v", got, want)
	}
	fail = true
	mu.Unlock()
	c.expect("-ERR Rewriting config file: read-only file system\r\n", "CONFIG", "REWRITE")
}
