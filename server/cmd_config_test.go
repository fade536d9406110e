package server

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratakv/strata/internal/resp"
)

// configFailed words a CONFIG SET failure as Redis does.
func configFailed(param, why string) string {
	return "-ERR CONFIG SET failed (possibly related to argument '" + param + "') - " + why + "\r\n"
}

// TestConfigEveryParameterRoundTrips sets every mutable parameter to the
// value CONFIG GET reports, as the Redis test suite's config tests do.
func TestConfigEveryParameterRoundTrips(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	for _, p := range configParamList {
		got := c.do("CONFIG", "GET", p.name)
		nodes, err := resp.Parse([]byte(got))
		if err != nil || len(nodes) != 1 || len(nodes[0].Elems) != 2 {
			t.Fatalf("CONFIG GET %s: %q", p.name, got)
		}
		want := "+OK\r\n"
		switch {
		case p.flags&paramImmutable != 0:
			want = configFailed(p.name, "can't set immutable config")
		case p.flags&paramProtected != 0:
			want = configFailed(p.name, "can't set protected config")
		}
		c.expect(want, "CONFIG", "SET", p.name, nodes[0].Elems[1].Str)
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

// TestConfigMaxmemoryPolicyStrata: CONFIG SET takes Strata's own policies
// (allkeys-2q, allkeys-tinylfu; any case) beside Redis's names, CONFIG GET
// reports them, writes evict under each within maxmemory and stay readable,
// and switches between them and a Redis policy work at run time. An
// unknown name gets Redis's error, which lists Redis's names only.
func TestConfigMaxmemoryPolicyStrata(t *testing.T) {
	for _, tc := range []struct{ given, policy string }{
		{"ALLKEYS-2Q", "allkeys-2q"},
		{"AllKeys-TinyLFU", "allkeys-tinylfu"},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			s := startServer(t, Config{})
			c := dial(t, s)
			getPolicy := func(p string) string {
				return fmt.Sprintf("*2\r\n$16\r\nmaxmemory-policy\r\n$%d\r\n%s\r\n", len(p), p)
			}
			c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory-policy", tc.given)
			c.expect(getPolicy(tc.policy), "CONFIG", "GET", "maxmemory-policy")
			c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory", "200000")
			for i := 0; i < 2000; i++ {
				c.expect("+OK\r\n", "SET", fmt.Sprintf("key:%04d", i), strings.Repeat("v", 100))
				c.expect("$100\r\n"+strings.Repeat("v", 100)+"\r\n", "GET", fmt.Sprintf("key:%04d", i))
			}
			if used := s.store.Used(); used > 200000+1024 {
				t.Errorf("used memory %d over maxmemory 200000 under %s", used, tc.policy)
			}
			if got := c.do("DBSIZE"); got == ":2000\r\n" {
				t.Errorf("DBSIZE %q: nothing evicted under %s", got, tc.policy)
			}
			for _, p := range []string{"allkeys-2q", "allkeys-tinylfu", "allkeys-lru"} {
				c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory-policy", p)
				c.expect(getPolicy(p), "CONFIG", "GET", "maxmemory-policy")
				c.expect("+OK\r\n", "SET", "more:"+p, strings.Repeat("v", 100))
			}
			c.expect("-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: "+
				"volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\r\n",
				"CONFIG", "SET", "maxmemory-policy", tc.policy+"x")
			c.expect(getPolicy("allkeys-lru"), "CONFIG", "GET", "maxmemory-policy")
		})
	}
}

// TestConfigTimeoutClosesIdleClients sets timeout at run time: the cron
// closes the clients idle longer, by the server's clock (the test moves it
// and runs the cron's check itself), and leaves subscribers alone, as
// Redis's clientsCron does.
func TestConfigTimeoutClosesIdleClients(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	admin := dial(t, s)
	admin.expect("+OK\r\n", "CONFIG", "SET", "timeout", "1")
	idle, sub := dial(t, s), dial(t, s)
	idle.expect("+PONG\r\n", "PING")
	sub.expect("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", "SUBSCRIBE", "ch")
	// A connection notes it went idle just after writing its reply: wait
	// for that, so the clock moves from the time it noted.
	waitFor(t, "the clients marked idle", func() bool { return idleClients(s) == 2 })
	clk.Advance(time.Second)
	s.clientsCron()
	if n := clientCount(s); n != 3 {
		t.Fatalf("%d clients left after exactly timeout, want 3", n)
	}
	clk.Advance(time.Millisecond)
	s.clientsCron()
	if !idle.waitClosed() || !admin.waitClosed() {
		t.Error("an idle client outlived timeout")
	}
	waitFor(t, "the idle clients gone", func() bool { return clientCount(s) == 1 })
	sub.expect("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING")
}

// idleClients counts the clients marked idle (see client.idle).
func idleClients(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.clients {
		if c.idleSince.Load() != 0 {
			n++
		}
	}
	return n
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

// TestConfigSetListeners checks CONFIG SET port and bind: the server moves
// to the new port or addresses and keeps its connections, and a port or an
// address it cannot listen on is refused with Redis's reply while the old
// listeners stay.
func TestConfigSetListeners(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	c.expect("-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n",
		"config", "set", "port", busyPort)
	c.expect("-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n",
		"config", "set", "bind", "192.0.2.1")
	old := s.Addr()
	dial(t, s).expect("+PONG\r\n", "ping")

	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	freePort := strconv.Itoa(free.Addr().(*net.TCPAddr).Port)
	free.Close()
	c.expect("+OK\r\n", "config", "set", "port", freePort)
	c.expect("*2\r\n$4\r\nport\r\n$"+strconv.Itoa(len(freePort))+"\r\n"+freePort+"\r\n", "config", "get", "port")
	if s.Addr() == old {
		t.Fatalf("still listening on %s", old)
	}
	if nc, err := net.DialTimeout("tcp", old, time.Second); err == nil {
		nc.Close()
		t.Errorf("the old port %s still accepts", old)
	}
	dial(t, s).expect("+PONG\r\n", "ping")
	c.expect("+OK\r\n", "config", "set", "bind", "127.0.0.1 -::1")
	c.expect("*2\r\n$4\r\nbind\r\n$14\r\n127.0.0.1 -::1\r\n", "config", "get", "bind")
	dial(t, s).expect("+PONG\r\n", "ping")
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
