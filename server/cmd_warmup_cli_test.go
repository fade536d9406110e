package server

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/scheduler"
)

// redisCLI returns redis-cli's path: a missing one skips the test, or
// fails it when STRATA_REQUIRE_CLIENTS=1 (CI installs it).
func redisCLI(t *testing.T) string {
	t.Helper()
	if bin, err := exec.LookPath("redis-cli"); err == nil {
		return bin
	}
	if os.Getenv("STRATA_REQUIRE_CLIENTS") == "1" {
		t.Fatal("redis-cli not on PATH (STRATA_REQUIRE_CLIENTS=1)")
	}
	t.Skip("redis-cli not on PATH")
	return ""
}

// TestWarmupFromRedisCLI runs, inspects and clears-and-rewarms a job from
// the redis-cli binary, as README's example does.
func TestWarmupFromRedisCLI(t *testing.T) {
	cli := redisCLI(t)
	o := newTestOrigin(t, schoolOrigin)
	s := startServer(t, Config{
		Namespaces: []policy.Namespace{{Match: "school:", TTL: time.Hour}},
		Warmup:     []scheduler.Job{schoolJob(o, "0 3,8 * * *")},
	})
	_, port, _ := strings.Cut(s.Addr(), ":")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"-h", "127.0.0.1", "-p", port}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	expect := func(out string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("redis-cli printed\n%s\nwant it to contain %q", out, w)
			}
		}
	}
	expect(run("CACHE.WARMUP", "LIST"), "primary-schools", "0 3,8 * * *", "next_run")
	expect(run("CACHE.WARMUP", "RUN", "primary-schools"), "loaded\n2\n", "failed\n0\n")
	expect(run("GET", "school:list:east:2"), `["east school 2"]`)
	expect(run("CACHE.WARMUP", "STATUS", "primary-schools"), "runs\n1\n", "last_loaded\n2\n")
	run("SET", "school:list:central:1", "edited")
	expect(run("CACHE.WARMUP", "CLEAR", "primary-schools"), "removed\n2\n", "loaded\n2\n")
	expect(run("GET", "school:list:central:1"), `["central school 1"]`)
	expect(run("CACHE.WARMUP", "RUN", "nosuchjob"), "ERR no such warm-up job 'nosuchjob'")
	if ttl, _ := strconv.Atoi(strings.TrimSpace(run("TTL", "school:list:central:1"))); ttl < 3500 || ttl > 3600 {
		t.Errorf("TTL after CLEAR = %d, want the namespace's hour", ttl)
	}
}
