package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/scheduler"
)

// schoolOrigin answers /api/schools?district=d&page=p with a list naming
// them.
func schoolOrigin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fmt.Fprintf(w, `["%s school %s"]`, q.Get("district"), q.Get("page"))
}

// schoolJob is the README's example job against origin.
func schoolJob(o *testOrigin, schedule string) scheduler.Job {
	return scheduler.Job{
		Name:     "primary-schools",
		Schedule: schedule,
		Key:      "school:list:{district}:{page}",
		Source:   scheduler.Source{HTTP: o.URL + "/api/schools?district={district}&page={page}"},
		Params:   []map[string]string{{"district": "central", "page": "1"}, {"district": "east", "page": "2"}},
	}
}

func TestWarmupScheduleFillsKeys(t *testing.T) {
	o := newTestOrigin(t, schoolOrigin)
	s := startServer(t, Config{Warmup: []scheduler.Job{schoolJob(o, "* * * * * *")}}) // every second
	c := dial(t, s)
	waitFor(t, "the scheduled run", func() bool { return c.do("EXISTS", "school:list:central:1", "school:list:east:2") == ":2\r\n" })
	c.expect(bulk(`["central school 1"]`), "GET", "school:list:central:1")
	c.expect(bulk(`["east school 2"]`), "GET", "school:list:east:2")
}

func TestWarmupCommands(t *testing.T) {
	o := newTestOrigin(t, schoolOrigin)
	s := startServer(t, Config{
		Namespaces: []policy.Namespace{{Match: "school:", TTL: time.Hour}},
		Warmup:     []scheduler.Job{schoolJob(o, "0 3,8 * * *")},
	})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), DisableIndentity: true})
	defer rdb.Close()
	ctx := context.Background()
	do := func(args ...any) any {
		t.Helper()
		v, err := rdb.Do(ctx, args...).Result()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return v
	}

	list := do("CACHE.WARMUP", "LIST").([]any)
	if len(list) != 1 {
		t.Fatalf("LIST = %v, want one job", list)
	}
	job := toMap(list[0])
	if job["name"] != "primary-schools" || job["schedule"] != "0 3,8 * * *" || job["source"] != "http" ||
		job["last_run"] != nil || job["state"] != "idle" {
		t.Errorf("LIST entry = %v", job)
	}
	if next, err := time.Parse(time.RFC3339, job["next_run"].(string)); err != nil || (next.Hour() != 3 && next.Hour() != 8) {
		t.Errorf("next_run = %v (%v), want 03:00 or 08:00", job["next_run"], err)
	}

	res := toMap(do("CACHE.WARMUP", "RUN", "primary-schools"))
	if res["loaded"] != int64(2) || res["failed"] != int64(0) || res["error"] != nil {
		t.Errorf("RUN = %v, want 2 loaded", res)
	}
	if ttl := rdb.TTL(ctx, "school:list:east:2").Val(); ttl != time.Hour {
		t.Errorf("TTL = %v, want the namespace's hour", ttl)
	}

	st := toMap(do("CACHE.WARMUP", "STATUS", "primary-schools"))
	if st["state"] != "idle" || st["runs"] != int64(1) || st["failed_runs"] != int64(0) || st["last_trigger"] != "manual" ||
		st["last_loaded"] != int64(2) || st["last_error"] != nil || st["last_run"] == nil {
		t.Errorf("STATUS = %v", st)
	}
	if all := do("CACHE.WARMUP", "STATUS").([]any); len(all) != 1 {
		t.Errorf("STATUS without a job = %v", all)
	}

	// CLEAR removes the job's keys, then loads them again.
	rdb.Set(ctx, "school:list:central:1", "edited", 0)
	res = toMap(do("CACHE.WARMUP", "CLEAR", "primary-schools"))
	if res["removed"] != int64(2) || res["loaded"] != int64(2) {
		t.Errorf("CLEAR = %v, want 2 removed and 2 loaded", res)
	}
	if v := rdb.Get(ctx, "school:list:central:1").Val(); v != `["central school 1"]` {
		t.Errorf("after CLEAR the key holds %q", v)
	}

	// A failing origin fails the run's keys, never the server.
	o.serve(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	res = toMap(do("CACHE.WARMUP", "RUN", "primary-schools"))
	if res["loaded"] != int64(0) || res["failed"] != int64(2) || !strings.Contains(fmt.Sprint(res["error"]), "HTTP 503") {
		t.Errorf("RUN against a failing origin = %v", res)
	}
	if st := toMap(do("CACHE.WARMUP", "STATUS", "primary-schools")); st["runs"] != int64(3) || st["failed_runs"] != int64(1) {
		t.Errorf("STATUS after a failed run = %v", st)
	}
	o.serve(schoolOrigin)

	if v := do("CACHE.WARMUP", "RUN", "primary-schools", "ASYNC"); v != "OK" {
		t.Errorf("RUN ASYNC = %v", v)
	}
	waitFor(t, "the async run", func() bool { return toMap(do("CACHE.WARMUP", "STATUS", "primary-schools"))["runs"] == int64(4) })

	c := dial(t, s)
	c.expect("-ERR no such warm-up job 'nosuchjob'\r\n", "CACHE.WARMUP", "RUN", "nosuchjob")
	c.expect("-ERR no such warm-up job 'nosuchjob'\r\n", "CACHE.WARMUP", "STATUS", "nosuchjob")
	c.expect("-ERR no such warm-up job 'nosuchjob'\r\n", "CACHE.WARMUP", "CLEAR", "nosuchjob")
	c.expect("-"+msgSyntax+"\r\n", "CACHE.WARMUP", "RUN", "primary-schools", "SOON")
	c.expect("-ERR unknown subcommand 'NOPE'. Try CACHE.WARMUP HELP.\r\n", "CACHE.WARMUP", "NOPE")
	c.expect("-ERR wrong number of arguments for 'cache.warmup|run' command\r\n", "CACHE.WARMUP", "RUN")
	c.expect("+OK\r\n", "MULTI")
	c.expect("-"+msgNoMulti+"\r\n", "CACHE.WARMUP", "RUN", "primary-schools")
	c.expect("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC")
}

func TestWarmupRunNeverOverlaps(t *testing.T) {
	o := newTestOrigin(t, nil)
	release := o.hold(schoolOrigin)
	s := startServer(t, Config{Warmup: []scheduler.Job{schoolJob(o, "")}})
	c := dial(t, s)
	c.expect("+OK\r\n", "CACHE.WARMUP", "RUN", "primary-schools", "ASYNC")
	c.expect("-ERR warm-up job 'primary-schools' is already running\r\n", "CACHE.WARMUP", "RUN", "primary-schools")
	st, err := s.scheduler.Status("primary-schools")
	if err != nil || !st.Running || st.SkippedRuns != 1 || st.Total != 2 {
		t.Errorf("status while running = %+v, %v", st, err)
	}
	release()
	waitFor(t, "the run to end", func() bool { st, _ := s.scheduler.Status("primary-schools"); return st.Runs == 1 })
}
