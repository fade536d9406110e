package server

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// tieredConfig is a config with one namespace per strategy.
func tieredConfig(dir string) Config {
	return Config{Dir: dir, Namespaces: []policy.Namespace{
		{Match: "wt:*", Strategy: policy.WriteThrough},
		{Match: "wb:*", Strategy: policy.WriteBack},
		{Match: "ca:*", Strategy: policy.CacheAside},
	}}
}

// restartServer closes s as a shutdown does and starts a new server with
// cfg on the same directory.
func restartServer(t *testing.T, s *Server, cfg Config) *Server {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return startServer(t, cfg)
}

func TestStrategiesSurviveGracefulRestart(t *testing.T) {
	cfg := tieredConfig(t.TempDir())
	s := startServer(t, cfg)
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "wt:a", "1")
	c.expect("+OK\r\n", "SET", "wt:ttl", "2", "EX", "100")
	c.expect("+OK\r\n", "SET", "wb:a", "3")
	c.expect("+OK\r\n", "SET", "ca:a", "4")
	c.expect("+OK\r\n", "SET", "other", "5")
	c.expect(":1\r\n", "DEL", "wt:a")
	c.expect("+OK\r\n", "SET", "wt:a2", "6")
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	c.expect("$-1\r\n", "GET", "wt:a")
	c.expect("$1\r\n6\r\n", "GET", "wt:a2")
	c.expect("$1\r\n3\r\n", "GET", "wb:a")
	c.expect("$-1\r\n", "GET", "ca:a")
	c.expect("$-1\r\n", "GET", "other")
	if ttl := c.do("TTL", "wt:ttl"); ttl != ":100\r\n" && ttl != ":99\r\n" {
		t.Errorf("TTL after restart = %q", ttl)
	}
}

func TestNamespaceConfigRefused(t *testing.T) {
	cases := []struct {
		name string
		ns   []policy.Namespace
		want string
	}{
		{"negative ttl", []policy.Namespace{{Match: "a:*", TTL: -time.Second}}, `namespaces[0] ("a:*"): ttl`},
		{"jitter", []policy.Namespace{{Match: "a:*", Jitter: 1.5}}, "jitter"},
		{"identical matches", []policy.Namespace{{Match: "a:*"}, {Match: "a:*"}}, `namespaces[1] ("a:*")`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Dir: t.TempDir(), Namespaces: tc.ns})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestCorruptDataFileRefused(t *testing.T) {
	dir := t.TempDir()
	junk := []byte(strings.Repeat("this is somebody's file\n", 500))
	os.WriteFile(filepath.Join(dir, "strata.db"), junk, 0o644)
	_, err := New(tieredConfig(dir))
	if !errors.Is(err, storage.ErrForeignFile) || !strings.Contains(err.Error(), "strata.db") {
		t.Fatalf("New: %v, want a refusal naming strata.db", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "strata.db")); string(got) != string(junk) {
		t.Fatal("the refused file was modified")
	}
}

// ttlServer is a server with TTL rules, an injected clock and no jitter
// randomness: the jitter factor's U is fixed at u.
func ttlServer(t *testing.T, u float64) (*Server, *rawConn) {
	t.Helper()
	clk := newTestClock()
	task := &policy.FieldTTL{Field: "status", TTL: map[string]time.Duration{
		"processing": 5 * time.Minute, "success": time.Hour, "failed": 30 * time.Minute,
	}, Default: 10 * time.Minute}
	s := startServer(t, Config{Clock: clk.Now, Namespaces: []policy.Namespace{
		{Match: "ttl:*", TTL: 5 * time.Minute},
		{Match: "cap:*", MaxTTL: time.Minute},
		{Match: "jit:*", TTL: 100 * time.Second, Jitter: 0.2},
		{Match: "task:*", TTLByField: task},
	}})
	s.cache.SetJitterSource(func() float64 { return u })
	return s, dial(t, s)
}

func TestNamespaceTTLRules(t *testing.T) {
	s, c := ttlServer(t, 0.5)
	steps := []struct {
		args []string
		want string
	}{
		// The namespace TTL applies when the client gives none.
		{[]string{"SET", "ttl:a", "v"}, "+OK\r\n"},
		{[]string{"PTTL", "ttl:a"}, ":300000\r\n"},
		{[]string{"SET", "ttl:a", "v", "EX", "10"}, "+OK\r\n"},
		{[]string{"PTTL", "ttl:a"}, ":10000\r\n"},
		{[]string{"SET", "ttl:a", "v", "KEEPTTL"}, "+OK\r\n"},
		{[]string{"PTTL", "ttl:a"}, ":10000\r\n"},
		{[]string{"SETEX", "ttl:b", "20", "v"}, "+OK\r\n"},
		{[]string{"PTTL", "ttl:b"}, ":20000\r\n"},
		{[]string{"MSET", "ttl:c", "1", "ttl:d", "2", "plain", "3"}, "+OK\r\n"},
		{[]string{"PTTL", "ttl:d"}, ":300000\r\n"},
		{[]string{"PTTL", "plain"}, ":-1\r\n"},
		// A failed SET NX leaves the key alone.
		{[]string{"SET", "ttl:a", "w", "NX"}, "$-1\r\n"},
		{[]string{"PTTL", "ttl:a"}, ":10000\r\n"},
		// INCR creating a key gives it the TTL; on an existing key it keeps
		// what the key has, a TTL removed by PERSIST included.
		{[]string{"INCR", "ttl:n"}, ":1\r\n"},
		{[]string{"PTTL", "ttl:n"}, ":300000\r\n"},
		{[]string{"PERSIST", "ttl:n"}, ":1\r\n"},
		{[]string{"INCR", "ttl:n"}, ":2\r\n"},
		{[]string{"PTTL", "ttl:n"}, ":-1\r\n"},
		{[]string{"APPEND", "ttl:n", "0"}, ":2\r\n"},
		{[]string{"PTTL", "ttl:n"}, ":-1\r\n"},
		// RENAME into a namespace with a TTL gives a key without one the TTL.
		{[]string{"SET", "plain2", "v"}, "+OK\r\n"},
		{[]string{"RENAME", "plain2", "ttl:r"}, "+OK\r\n"},
		{[]string{"PTTL", "ttl:r"}, ":300000\r\n"},
		// max_ttl caps every TTL and bounds keys written without one, and
		// PERSIST too.
		{[]string{"SET", "cap:a", "v", "EX", "1000"}, "+OK\r\n"},
		{[]string{"PTTL", "cap:a"}, ":60000\r\n"},
		{[]string{"SET", "cap:b", "v"}, "+OK\r\n"},
		{[]string{"PTTL", "cap:b"}, ":60000\r\n"},
		{[]string{"EXPIRE", "cap:b", "5000"}, ":1\r\n"},
		{[]string{"PTTL", "cap:b"}, ":60000\r\n"},
		{[]string{"EXPIRE", "cap:b", "5"}, ":1\r\n"},
		{[]string{"PTTL", "cap:b"}, ":5000\r\n"},
		{[]string{"PERSIST", "cap:b"}, ":1\r\n"},
		{[]string{"PTTL", "cap:b"}, ":60000\r\n"},
		// ttl_by_field picks the TTL from the JSON value, again on every
		// overwrite.
		{[]string{"SET", "task:1", `{"id":1,"status":"processing"}`}, "+OK\r\n"},
		{[]string{"PTTL", "task:1"}, ":300000\r\n"},
		{[]string{"SET", "task:1", `{"id":1,"status":"success"}`}, "+OK\r\n"},
		{[]string{"PTTL", "task:1"}, ":3600000\r\n"},
		{[]string{"SET", "task:1", `{"id":1,"status":"queued"}`}, "+OK\r\n"},
		{[]string{"PTTL", "task:1"}, ":600000\r\n"},
		{[]string{"SET", "task:1", `{"status":"failed"}`, "EX", "7"}, "+OK\r\n"},
		{[]string{"PTTL", "task:1"}, ":7000\r\n"},
	}
	for _, st := range steps {
		c.expect(st.want, st.args...)
	}
	_ = s
}

func TestNamespaceJitter(t *testing.T) {
	_, c := ttlServer(t, 0) // U at its low end: TTL x 0.8
	c.expect("+OK\r\n", "SET", "jit:a", "v")
	c.expect(":80000\r\n", "PTTL", "jit:a")
	c.expect("+OK\r\n", "SET", "jit:b", "v", "PX", "1000")
	c.expect(":800\r\n", "PTTL", "jit:b")
	c.expect(":1\r\n", "PEXPIRE", "jit:b", "10000")
	c.expect(":8000\r\n", "PTTL", "jit:b")
	_, c = ttlServer(t, 0.999)
	c.expect("+OK\r\n", "SET", "jit:a", "v")
	if got := c.do("PTTL", "jit:a"); got != ":119960\r\n" {
		t.Errorf("PTTL at U=0.999: %q", got)
	}
}

func TestWriteThroughRefusedOnFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	// Leave room for the first log segment (16mb) and the data file, not
	// for the next segment.
	filler := filepath.Join(dir, "filler")
	os.WriteFile(filler, make([]byte, 6<<20), 0o644)
	cfg := tieredConfig(dir)
	s := startServer(t, cfg)
	c := dial(t, s)
	acked := 0
	var refusal string
	for i := 0; i < 2000 && refusal == ""; i++ {
		switch r := c.do("SET", fmt.Sprintf("wt:%d", i), strings.Repeat("x", 100)); {
		case r == "+OK\r\n":
			acked++
		case strings.HasPrefix(r, "-MISCONF"):
			refusal = r
		default:
			t.Fatalf("SET: %q", r)
		}
		time.Sleep(time.Millisecond)
	}
	if refusal == "" {
		t.Fatal("write_through writes were never refused on a full disk")
	}
	if !strings.Contains(refusal, "No space left on device") {
		t.Errorf("refusal %q", refusal)
	}
	// Other namespaces still work, and what was acknowledged is readable.
	c.expect("+OK\r\n", "SET", "ca:x", "y")
	if acked > 0 {
		c.expect("$100\r\n"+strings.Repeat("x", 100)+"\r\n", "GET", "wt:0")
	}
	t.Logf("%d writes acknowledged before the refusal", acked)
	// With room again, every acknowledged write survives a restart.
	os.Remove(filler)
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	for i := 0; i < acked; i++ {
		if r := c.do("EXISTS", "wt:"+strconv.Itoa(i)); r != ":1\r\n" {
			t.Fatalf("acknowledged wt:%d lost after the disk filled", i)
		}
	}
}

func TestInfoShowsDiskTier(t *testing.T) {
	c := dial(t, startServer(t, tieredConfig(t.TempDir())))
	c.expect("+OK\r\n", "SET", "wb:a", "1")
	info := c.do("INFO", "persistence")
	for _, f := range []string{"disk_tier_enabled:1\r\n", "write_back_backlog_keys:1\r\n", "disk_last_flush_status:ok\r\n", "disk_wal_status:ok\r\n", "disk_keys:"} {
		if !strings.Contains(info, f) {
			t.Errorf("INFO persistence lacks %q:\n%s", f, info)
		}
	}
	c = dial(t, startServer(t, Config{}))
	if info := c.do("INFO", "persistence"); !strings.Contains(info, "disk_tier_enabled:0\r\n") {
		t.Errorf("INFO persistence without namespaces:\n%s", info)
	}
}
