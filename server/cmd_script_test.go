package server

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/script"
)

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestEvalStrataCommands checks what scripts may do with Strata's own
// commands, and Strata's refusal of the script debugger: replies of
// Strata's, with no Redis reply to record.
func TestEvalStrataCommands(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "eval", "return redis.call('cache.set', 'ck', 'v', 'TAGS', 't')", "0")
	const invalidate = "return redis.call('cache.invalidate', 'PATTERN', 'x*')" // it locks the store itself
	c.expect("-ERR This Redis command is not allowed from script script: "+sha1Hex(invalidate)+", on @user_script:1.\r\n", "eval", invalidate, "0")
	c.expect("-"+msgScriptDebugger+"\r\n", "script", "debug", "yes")
}

// TestEvalSandboxIsolation checks that nothing one script stores in a
// library outlives it: what table functions write raw into a library's
// view is dropped, and the globals table has no metatable to reach. Redis
// 7.0 differs here: it refuses that write with an error, and returns _G's
// protecting metatable (as an empty array). What both do alike is in
// conformance/testdata/script.txt, eval-sandbox-isolation.
func TestEvalSandboxIsolation(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect(":1\r\n", "eval", "table.insert(string, 'x') return #string", "0")
	c.expect("$-1\r\n", "eval", "return string[1]", "0")
	c.expect("$-1\r\n", "eval", "return getmetatable(_G)", "0")
}

// TestEvalSelfReferencingTable checks that a table containing itself ends
// in an error element rather than a crash, as in Redis.
func TestEvalSelfReferencingTable(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	got := c.do("eval", "local t = {} t[1] = t return t", "0")
	if !strings.HasSuffix(got, "-ERR reached lua stack limit\r\n") || strings.Count(got, "*1\r\n") != script.MaxReplyDepth+1 {
		t.Errorf("got %d bytes ending %q", len(got), got[max(0, len(got)-40):])
	}
	c.expect("+PONG\r\n", "ping")
}

// TestEvalWritesLikeClients checks that a script's writes reach WATCH,
// keyspace notifications, namespace rules and the disk tier as a client's
// do.
func TestEvalWritesLikeClients(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Namespaces: []policy.Namespace{
		{Match: "ns:", TTL: 100 * time.Second},
		{Match: "p:", Strategy: policy.WriteThrough},
	}}
	s := startServer(t, cfg)
	c := dial(t, s)
	watcher := dial(t, s)
	watcher.expect("+OK\r\n", "watch", "w")
	watcher.expect("+OK\r\n", "multi")
	watcher.expect("+QUEUED\r\n", "get", "w")
	c.expect("+OK\r\n", "eval", "return redis.call('set', KEYS[1], 'v')", "1", "w")
	watcher.expect("*-1\r\n", "exec")

	sub := dial(t, s)
	c.expect("+OK\r\n", "config", "set", "notify-keyspace-events", "KEA")
	sub.expect("*3\r\n$9\r\nsubscribe\r\n$20\r\n__keyevent@0__:lpush\r\n:1\r\n", "subscribe", "__keyevent@0__:lpush")
	c.expect(":1\r\n", "eval", "return redis.call('lpush', KEYS[1], 'x')", "1", "mylist")
	if got := sub.read(); got != "*3\r\n$7\r\nmessage\r\n$20\r\n__keyevent@0__:lpush\r\n$6\r\nmylist\r\n" {
		t.Errorf("keyspace event: %q", got)
	}

	c.expect("+OK\r\n", "eval", "return redis.call('set', 'ns:a', 'v')", "0")
	if got := c.do("ttl", "ns:a"); got != ":100\r\n" && got != ":99\r\n" {
		t.Errorf("namespace TTL of a script's SET: %q", got)
	}

	c.expect(":1\r\n", "eval", "redis.call('set', 'p:1', 'durable') return redis.call('hset', 'p:h', 'f', 'v')", "0")
	s.Close()
	s = startServer(t, cfg)
	c = dial(t, s)
	c.expect("$7\r\ndurable\r\n", "get", "p:1")
	c.expect("$1\r\nv\r\n", "hget", "p:h", "f")
}

// TestScriptBusy checks what other clients get while a script runs past
// busy-reply-threshold, as in Redis: BUSY for most commands, and for a
// command queued in MULTI (EXEC then aborts); MULTI itself and SCRIPT
// KILL run.
func TestScriptBusy(t *testing.T) {
	s := startServer(t, Config{})
	c, other := dial(t, s), dial(t, s)
	c.expect("+OK\r\n", "config", "set", "busy-reply-threshold", "20")
	c.send("eval", "local i = 0 while true do i = i + 1 end", "0")
	waitRunning(t, s)
	other.expect("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", "ping")
	other.expect("+OK\r\n", "multi")
	other.expect("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", "incr", "n")
	admin := dial(t, s)
	admin.expect("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", "function", "kill")
	admin.expect("+OK\r\n", "script", "kill")
	if got := c.read(); got != "-ERR Script killed by user with SCRIPT KILL... script: 3fcf51a9b854b8f66cb8685600b0d7df968f4398, on @user_script:1.\r\n" {
		t.Errorf("killed script: %q", got)
	}
	other.expect("-EXECABORT Transaction discarded because of previous errors.\r\n", "exec")
	other.expect("+PONG\r\n", "ping")
}

// TestScriptKill checks SCRIPT KILL from another connection while a
// script holds the storage lock: a script that has not written is killed
// with Redis's error, one that has written is UNKILLABLE.
func TestScriptKill(t *testing.T) {
	s := startServer(t, Config{})
	admin := dial(t, s)
	admin.expect("+OK\r\n", "config", "set", "busy-reply-threshold", "0") // busy at once: SCRIPT KILL runs anyway
	c := dial(t, s)

	c.send("eval", "local i = 0 while true do i = i + 1 end", "0")
	waitRunning(t, s)
	admin.expect("+OK\r\n", "script", "kill")
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got := c.read(); got != "-ERR Script killed by user with SCRIPT KILL... script: 3fcf51a9b854b8f66cb8685600b0d7df968f4398, on @user_script:1.\r\n" {
		t.Errorf("killed script: %q", got)
	}

	c.send("eval", "redis.call('set','w',1) local i = 0 while true do i = i + 1 end", "0")
	waitRunning(t, s)
	waitFor(t, "the script's write", func() bool { return s.scripts.State() == script.Wrote })
	admin.expect("-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n",
		"script", "kill")
	// Close stops it, so the test can end.
	s.Close()
}

// waitRunning waits until a script runs on s.
func waitRunning(t *testing.T, s *Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.scripts.State() == script.Idle {
		if time.Now().After(deadline) {
			t.Fatal("no script started")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestEvalCacheBound checks that EVAL keeps the most recent
// script.MaxEvalScripts scripts and SCRIPT LOAD's stay.
func TestEvalCacheBound(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	loaded := strings.Split(c.do("script", "load", "return 'pinned'"), "\r\n")[1]
	for i := 0; i <= script.MaxEvalScripts; i++ {
		c.do("eval", "return "+strings.Repeat(" ", i)+"1", "0")
	}
	c.expect("*3\r\n:0\r\n:1\r\n:1\r\n", "script", "exists",
		"e0e1f9fabfc9d4800c877a703b823ac0578ff8db", // "return 1", the oldest
		sha1Hex("return "+strings.Repeat(" ", script.MaxEvalScripts)+"1"),
		loaded)
}

// TestEvalGoRedis runs scripts through go-redis: Eval, EvalSha, EvalRO,
// ScriptLoad, ScriptExists, ScriptFlush and Script.Run, which tries
// EVALSHA and falls back to EVAL on NOSCRIPT.
func TestEvalGoRedis(t *testing.T) {
	s := startServer(t, Config{})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer rdb.Close()
	ctx := context.Background()

	v, err := rdb.Eval(ctx, "return redis.call('set', KEYS[1], ARGV[1])", []string{"k"}, "v").Result()
	if err != nil || v != "OK" {
		t.Fatalf("Eval: %v %v", v, err)
	}
	sha, err := rdb.ScriptLoad(ctx, "return {KEYS[1], ARGV[1], 7}").Result()
	if err != nil {
		t.Fatal(err)
	}
	got, err := rdb.EvalSha(ctx, sha, []string{"a"}, "b").Slice()
	if err != nil || len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != int64(7) {
		t.Errorf("EvalSha: %v %v", got, err)
	}
	if got, err := rdb.EvalRO(ctx, "return redis.call('get', KEYS[1])", []string{"k"}).Result(); err != nil || got != "v" {
		t.Errorf("EvalRO: %v %v", got, err)
	}
	if ex, err := rdb.ScriptExists(ctx, sha, "0000000000000000000000000000000000000000").Result(); err != nil || !ex[0] || ex[1] {
		t.Errorf("ScriptExists: %v %v", ex, err)
	}
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := rdb.EvalSha(ctx, sha, nil).Result(); err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
		t.Errorf("EvalSha after flush: %v", err)
	}
	incr := redis.NewScript("return redis.call('incrby', KEYS[1], ARGV[1])")
	for i, want := range []int64{5, 10} {
		if n, err := incr.Run(ctx, rdb, []string{"n"}, 5).Int64(); err != nil || n != want {
			t.Errorf("Script.Run %d: %v %v", i, n, err)
		}
	}
	var rerr redis.Error
	if _, err := rdb.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"k"}).Result(); !errors.As(err, &rerr) ||
		!strings.HasPrefix(err.Error(), "ERR value is not an integer or out of range script: ") {
		t.Errorf("Eval error: %v", err)
	}
}

// Redis-py's Lock scripts, which django-redis's lock and kombu's
// (Celery's) broker mutex run through EVALSHA, falling back to EVAL.
const (
	lockRelease = `
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        redis.call('del', KEYS[1])
        return 1
    `
	lockExtend = `
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        local expiration = redis.call('pttl', KEYS[1])
        if not expiration then
            expiration = 0
        end
        if expiration < 0 then
            return 0
        end

        local newttl = ARGV[2]
        if ARGV[3] == "0" then
            newttl = ARGV[2] + expiration
        end
        redis.call('pexpire', KEYS[1], newttl)
        return 1
    `
	lockReacquire = `
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        redis.call('pexpire', KEYS[1], ARGV[2])
        return 1
    `
)

// BenchmarkEval measures a small script that calls one command, as rate
// limiters and locks do, through one connection.
func BenchmarkEval(b *testing.B) {
	s := startServer(b, Config{})
	c := dial(b, s)
	for b.Loop() {
		c.do("evalsha", sha1Hex(lockRelease), "1", "lock", "tok")
		c.do("eval", lockRelease, "1", "lock", "tok")
	}
}
