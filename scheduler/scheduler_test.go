package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// newCache returns a Cache over a fresh store with namespaces, closed
// with the test.
func newCache(t *testing.T, namespaces ...policy.Namespace) *cache.Cache {
	t.Helper()
	store, err := storage.New(storage.Options{Databases: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.Open(store, cache.Config{Namespaces: namespaces, Dir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newScheduler returns a Scheduler of jobs over c, stopped with the test.
func newScheduler(t *testing.T, c *cache.Cache, jobs ...Job) *Scheduler {
	t.Helper()
	s, err := New(c, Config{Jobs: jobs, Logger: quiet, Loader: NewLoader(c, LoaderConfig{Logger: quiet})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// get returns key's value in database db, "" and false when absent.
func get(t *testing.T, c *cache.Cache, db int, key string) (string, bool) {
	t.Helper()
	var val string
	var found bool
	k := []byte(key)
	c.Store().View(db, [][]byte{k}, func(tx *storage.Tx) error {
		v, ok := tx.Lookup(k, storage.LookupWrite)
		val, found = string(v.Bytes()), ok
		return nil
	})
	return val, found
}

// origin serves h on loopback for the test, counting requests.
func origin(t *testing.T, requests *atomic.Int64, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests != nil {
			requests.Add(1)
		}
		h(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestNewRefusesBadJobs(t *testing.T) {
	good := Job{Name: "j", Key: "k:{id}", Source: Source{HTTP: "http://127.0.0.1/x/{id}"}, Params: []map[string]string{{"id": "1"}}}
	with := func(f func(j *Job)) Job {
		j := good
		f(&j)
		return j
	}
	tests := []struct {
		name string
		jobs []Job
		want string // in the error, after the job's index and name
	}{
		{"invalid cron", []Job{with(func(j *Job) { j.Schedule = "61 * * * *" })}, `warmup[0] (j): schedule: invalid cron spec "61 * * * *"`},
		{"cron with too many fields", []Job{with(func(j *Job) { j.Schedule = "* * * * * * *" })}, "schedule: invalid cron spec"},
		{"unknown zone", []Job{with(func(j *Job) { j.Schedule = "@daily"; j.TimeZone = "Mars/Olympus" })}, `timezone: unknown zone "Mars/Olympus"`},
		{"no source", []Job{with(func(j *Job) { j.Source = Source{} })}, "source: missing"},
		{"two sources", []Job{with(func(j *Job) { j.Source.File = "f" })}, "source: more than one"},
		{"hole without parameter", []Job{with(func(j *Job) { j.Params = []map[string]string{{"id": "1"}, {"ID": "2"}} })}, "key: hole {id} has no parameter in params[1] (it has ID)"},
		{"hole without params", []Job{with(func(j *Job) { j.Params = nil })}, "key: hole {id} has no parameter (no params given)"},
		{"URL hole without parameter", []Job{with(func(j *Job) { j.Source.HTTP = "http://h/{id}/{page}" })}, "source.http: hole {page} has no parameter"},
		{"not http", []Job{with(func(j *Job) { j.Source.HTTP = "ftp://h/{id}" })}, `source.http: "ftp://h/{id}" is not an http or https URL`},
		{"no key", []Job{with(func(j *Job) { j.Key = "" })}, "key: missing"},
		{"bulk with a key", []Job{with(func(j *Job) { j.Source = Source{Bulk: "http://h/all"} })}, "key: a bulk source names its own keys"},
		{"negative retries", []Job{with(func(j *Job) { j.Retries = -1 })}, "retries: -1 is negative"},
		{"bad db", []Job{with(func(j *Job) { j.DB = 2 })}, "db: 2 is not a database (0 to 1)"},
		{"no name", []Job{with(func(j *Job) { j.Name = "" })}, "name: missing"},
		{"duplicate", []Job{good, good}, `warmup[1] (j): name: "j" is used twice`},
	}
	c := newCache(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(c, Config{Jobs: tt.jobs})
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want ErrConfig with %q", err, tt.want)
			}
		})
	}
	for _, spec := range []string{"0 3,8 * * *", "*/10 * * * * *", "@every 2h", "@daily", "CRON_TZ=Asia/Tokyo 0 12 * * *"} {
		if _, err := New(c, Config{Jobs: []Job{with(func(j *Job) { j.Schedule = spec })}}); err != nil {
			t.Errorf("schedule %q: %v", spec, err)
		}
	}
}

func TestRunHTTPPerKey(t *testing.T) {
	ts := origin(t, nil, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s/%s", r.URL.Query().Get("district"), r.URL.Query().Get("page"))
	})
	c := newCache(t, policy.Namespace{Match: "school:", TTL: time.Hour})
	s := newScheduler(t, c, Job{
		Name: "schools", Key: "school:list:{district}:{page}", DB: 1,
		Source: Source{HTTP: ts.URL + "/api?district={district}&page={page}"},
		Params: []map[string]string{{"district": "central", "page": "1"}, {"district": "a&b=c", "page": "2"}},
	})
	res, err := s.Run(context.Background(), "schools")
	if err != nil || res.Loaded != 2 || res.Failed != 0 || res.Trigger != TriggerManual {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	for key, want := range map[string]string{"school:list:central:1": "central/1", "school:list:a&b=c:2": "a&b=c/2"} {
		if v, ok := get(t, c, 1, key); !ok || v != want {
			t.Errorf("%s = %q, %v; want %q (query values escaped)", key, v, ok, want)
		}
	}
}

// TestStatusTotals: a job's totals add up its finished runs, a run that
// failed a key counts as failed, and ResetStats zeroes the totals but
// keeps the last run.
func TestStatusTotals(t *testing.T) {
	ts := origin(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "v")
	})
	c := newCache(t)
	s := newScheduler(t, c,
		Job{Name: "mixed", Key: "{path}", Source: Source{HTTP: ts.URL + "/{path}"}, Params: []map[string]string{{"path": "ok"}, {"path": "bad"}}},
		Job{Name: "good", Key: "good", Source: Source{HTTP: ts.URL + "/ok"}},
	)
	for range 2 {
		if res, err := s.Run(context.Background(), "mixed"); err != nil || res.Loaded != 1 || res.Failed != 1 {
			t.Fatalf("Run(mixed) = %+v, %v", res, err)
		}
	}
	if _, err := s.Run(context.Background(), "good"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		job  string
		want Totals
	}{
		{"mixed", Totals{Runs: 2, FailedRuns: 2, Loaded: 2, Failed: 2}},
		{"good", Totals{Runs: 1, Loaded: 1}},
	} {
		st, err := s.Status(tc.job)
		if err != nil {
			t.Fatal(err)
		}
		if st.Durations.Count() != uint64(tc.want.Runs) {
			t.Errorf("%s: %d durations for %d runs", tc.job, st.Durations.Count(), tc.want.Runs)
		}
		st.Durations = nil
		if st.Totals != tc.want {
			t.Errorf("%s: totals %+v, want %+v", tc.job, st.Totals, tc.want)
		}
	}
	s.ResetStats()
	st, _ := s.Status("mixed")
	if st.Runs != 0 || st.Loaded != 0 || st.Durations.Count() != 0 || st.Last == nil || st.Last.Loaded != 1 {
		t.Errorf("after ResetStats: %+v, last %+v", st.Totals, st.Last)
	}
}

func TestRunBulkAndFile(t *testing.T) {
	bodies := map[string]string{
		"/array": `[{"key": "p:1", "value": "one"}, {"key": "p:2", "value": {"n": 2}, "ttl": 60}, {"key": "", "value": "x"}]`,
		"/ndjson": `{"key": "p:3", "value": "three"}` + "\n\n" + `not json` + "\n" +
			`{"key": "p:4", "value": "` + strings.Repeat("x", 2000) + `"}` + "\n" + `{"key": "p:5", "value": "five"}`,
	}
	ts := origin(t, nil, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, bodies[r.URL.Path]) })
	c := newCache(t)
	file := filepath.Join(t.TempDir(), "seed.ndjson")
	os.WriteFile(file, []byte(`{"key": "f:1", "value": "file"}`+"\n"), 0o644)
	s := newScheduler(t, c,
		Job{Name: "bulk", Source: Source{Bulk: ts.URL + "/{format}"}, Params: []map[string]string{{"format": "array"}, {"format": "ndjson"}}, MaxValueSize: 1024},
		Job{Name: "file", Source: Source{File: file}},
	)
	res, err := s.Run(context.Background(), "bulk")
	// Loaded: p:1, p:2, p:3, p:5; failed: an entry without a key, a line
	// that is not JSON, a value over max_value_size.
	if err != nil || res.Loaded != 4 || res.Failed != 3 {
		t.Fatalf("bulk Run = %+v, %v; want 4 loaded, 3 failed", res, err)
	}
	want := map[string]string{"p:1": "one", "p:2": `{"n": 2}`, "p:3": "three", "p:5": "five"}
	for k, w := range want {
		if v, _ := get(t, c, 0, k); v != w {
			t.Errorf("%s = %q, want %q", k, v, w)
		}
	}
	if _, ok := get(t, c, 0, "p:4"); ok {
		t.Error("p:4, over max_value_size, was stored")
	}
	if res, err := s.Run(context.Background(), "file"); err != nil || res.Loaded != 1 {
		t.Errorf("file Run = %+v, %v", res, err)
	}
	if v, _ := get(t, c, 0, "f:1"); v != "file" {
		t.Errorf("f:1 = %q", v)
	}
	// CLEAR of a bulk job removes the keys its last run loaded.
	n, res, err := s.Clear(context.Background(), "bulk", nil)
	if err != nil || n != 4 || res.Loaded != 4 || res.Trigger != TriggerClear {
		t.Errorf("Clear = %d, %+v, %v", n, res, err)
	}
}

func TestRunRetriesAndBounds(t *testing.T) {
	var requests atomic.Int64
	ts := origin(t, &requests, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/flaky": // fails twice, then answers
			if requests.Load() <= 2 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, "ok")
		case "/missing":
			http.NotFound(w, r)
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case "/huge":
			chunk := make([]byte, 64<<10)
			for range (1 << 30) / len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	})
	c := newCache(t)
	job := func(name, path string) Job {
		return Job{Name: name, Key: name, Source: Source{HTTP: ts.URL + path}, Params: []map[string]string{{}},
			Retries: 2, Backoff: time.Millisecond, Timeout: 200 * time.Millisecond, MaxValueSize: 1024}
	}
	s := newScheduler(t, c, job("flaky", "/flaky"), job("missing", "/missing"), job("hang", "/hang"), job("huge", "/huge"))
	if res, _ := s.Run(context.Background(), "flaky"); res.Loaded != 1 || requests.Load() != 3 {
		t.Errorf("flaky: %+v after %d requests, want loaded on the third", res, requests.Load())
	}
	for _, tc := range []struct{ job, err string }{
		{"missing", "no such key"}, {"hang", "deadline exceeded"}, {"huge", "over max_value_size"},
	} {
		before := requests.Load()
		res, _ := s.Run(context.Background(), tc.job)
		if res.Loaded != 0 || res.Failed != 1 || !strings.Contains(res.Err, tc.err) {
			t.Errorf("%s: %+v, want one failure with %q", tc.job, res, tc.err)
		}
		if _, ok := get(t, c, 0, tc.job); ok {
			t.Errorf("%s: the key was stored", tc.job)
		}
		tries := requests.Load() - before
		if tc.job == "missing" && tries != 1 || tc.job == "hang" && tries != 3 {
			t.Errorf("%s: %d requests", tc.job, tries)
		}
	}
	if _, _, err := s.Clear(context.Background(), "nope", nil); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("Clear(nope) = %v", err)
	}
}

func TestRunHotPromotesSavedHotKeys(t *testing.T) {
	dir := t.TempDir()
	ns := policy.Namespace{Match: "p:", Strategy: policy.WriteBack}
	job := Job{Name: "hot", Source: Source{Hot: &Hot{Top: 2}}}
	open := func(maxMemory int64) *cache.Cache {
		store, err := storage.New(storage.Options{Databases: 1, MaxMemory: maxMemory})
		if err != nil {
			t.Fatal(err)
		}
		c, err := cache.Open(store, cache.Config{Namespaces: []policy.Namespace{ns}, Dir: dir, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := open(0)
	w := &batchWriter{c: c, batch: 1}
	for _, k := range []string{"p:1", "p:2", "p:3", "p:4"} {
		if err := w.put(k, []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2000 { // p:1 and p:2 are read, p:1 most
		for _, k := range []string{"p:1", "p:2"}[:1+i%2] {
			c.Store().View(0, [][]byte{[]byte(k)}, func(tx *storage.Tx) error { tx.Get([]byte(k)); return nil })
		}
	}
	s, err := New(c, Config{Jobs: []Job{job}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s.Run(context.Background(), "hot"); err != nil || res.Loaded != 0 || res.Failed != 0 {
		t.Fatalf("first run = %+v, %v: nothing saved yet", res, err)
	}
	s.Stop() // saves the counts too
	c.Close()

	// After a restart with no room to warm up, only the hot keys are
	// promoted.
	c = open(1)
	t.Cleanup(func() { c.Close() })
	s = newScheduler(t, c, job)
	res, err := s.Run(context.Background(), "hot")
	if err != nil || res.Loaded != 2 || res.Failed != 0 {
		t.Fatalf("run after the restart = %+v, %v; want p:1 and p:2 promoted", res, err)
	}
	var inMemory []string
	c.Store().View(0, nil, func(tx *storage.Tx) error {
		for i := range storage.Shards {
			tx.ScanShard(i, func(k string, _ storage.Value) { inMemory = append(inMemory, k) })
		}
		return nil
	})
	slices.Sort(inMemory)
	if !slices.Equal(inMemory, []string{"p:1", "p:2"}) {
		t.Errorf("in memory: %v, want [p:1 p:2]", inMemory)
	}
	if res, _ := s.Run(context.Background(), "hot"); res.Loaded != 0 || res.Skipped != 2 {
		t.Errorf("second run = %+v, want both skipped (in memory)", res)
	}
	if _, err := New(newCache(t), Config{Jobs: []Job{job}}); err == nil || !strings.Contains(err.Error(), "no disk tier") {
		t.Errorf("a hot job without a disk tier: %v", err)
	}
}

func TestRunRefreshReloadsKeysAboutToExpire(t *testing.T) {
	var version atomic.Int64
	ts := origin(t, nil, func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v%d", version.Load()) })
	var now atomic.Int64
	now.Store(1_000_000_000)
	store, err := storage.New(storage.Options{Databases: 1, Clock: now.Load})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.Open(store, cache.Config{Namespaces: []policy.Namespace{{Match: "s:", TTL: time.Minute, Origin: ts.URL + "/{key}"}}})
	if err != nil {
		t.Fatal(err)
	}
	loader := NewLoader(c, LoaderConfig{Logger: quiet})
	t.Cleanup(loader.Close)
	s, err := New(c, Config{Jobs: []Job{{Name: "refresh", Source: Source{Refresh: &Refresh{Within: 10 * time.Second}}}}, Loader: loader, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	version.Store(1)
	if out := loader.Load(0, "s:soon"); string(out.Value) != "v1" {
		t.Fatalf("Load = %+v", out)
	}
	now.Add(55_000)
	loader.Load(0, "s:later")
	for _, k := range []string{"s:soon", "s:later"} { // read: the refresh source looks at hot keys
		store.View(0, [][]byte{[]byte(k)}, func(tx *storage.Tx) error { tx.Get([]byte(k)); return nil })
	}
	version.Store(2)
	res, err := s.Run(context.Background(), "refresh")
	if err != nil || res.Loaded != 1 || res.Skipped != 1 || res.Failed != 0 {
		t.Fatalf("Run = %+v, %v; want s:soon reloaded and s:later skipped", res, err)
	}
	if v, _ := get(t, c, 0, "s:soon"); v != "v2" {
		t.Errorf("s:soon = %q, want v2", v)
	}
	if v, _ := get(t, c, 0, "s:later"); v != "v1" {
		t.Errorf("s:later = %q, want v1", v)
	}
}
