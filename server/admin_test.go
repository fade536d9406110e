package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/scheduler"
)

// adminDo sends a method request for path to the server's admin
// listener, with the given password (none when "") and headers (name,
// value, ...), and returns the status and body.
func adminDo(t *testing.T, s *Server, method, path, password string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.AdminAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if password != "" {
		req.SetBasicAuth("default", password)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// scrape parses /metrics with Prometheus's own text parser.
func scrape(t *testing.T, s *Server) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := adminDo(t, s, "GET", "/metrics", "")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return families
}

// sample returns the value of the sample of family name whose labels are
// labels (name=value pairs); a histogram's is its sample count.
func sample(t *testing.T, families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := families[name]
	if !ok {
		t.Fatalf("/metrics has no %s", name)
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := len(got) == len(labels)/2
		for i := 0; match && i+1 < len(labels); i += 2 {
			match = got[labels[i]] == labels[i+1]
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
		return m.GetUntyped().GetValue()
	}
	t.Fatalf("/metrics has no %s%v", name, labels)
	return 0
}

// TestMetrics scrapes /metrics after a known workload and finds its exact
// counts, per namespace and per command.
func TestMetrics(t *testing.T) {
	s := startServer(t, Config{AdminAddr: "127.0.0.1:0", Namespaces: []policy.Namespace{
		{Name: "products", Match: "product:*"},
	}})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "product:1", "a")
	c.expect("+OK\r\n", "MSET", "product:2", "b", "other", "c")
	for i := 0; i < 3; i++ {
		c.expect(bulk("a"), "GET", "product:1")
	}
	c.expect("$-1\r\n", "GET", "product:none")
	c.expect(":1\r\n", "DEL", "product:2")
	c.expect(errReply(msgWrongType), "LPUSH", "product:1", "x")
	c.expect(errReply(wrongArity("get")), "GET")
	c.do("CACHE.RATE", "product:rl", "1", "60")
	c.do("CACHE.RATE", "product:rl", "1", "60")

	m := scrape(t, s)
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"strata_sets_total", []string{"namespace", "products"}, 3}, // product:1, product:2, product:rl
		{"strata_sets_total", []string{"namespace", "default"}, 1},
		{"strata_hits_total", []string{"namespace", "products", "tier", "memory"}, 3},
		{"strata_hits_total", []string{"namespace", "products", "tier", "disk"}, 0},
		{"strata_misses_total", []string{"namespace", "products"}, 1},
		{"strata_deletes_total", []string{"namespace", "products"}, 1},
		{"strata_rate_limit_decisions_total", []string{"namespace", "products", "decision", "allowed"}, 1},
		{"strata_rate_limit_decisions_total", []string{"namespace", "products", "decision", "denied"}, 1},
		{"strata_namespace_keys", []string{"namespace", "products"}, 2},
		{"strata_namespace_keys", []string{"namespace", "default"}, 1},
		{"strata_keys", []string{"db", "0"}, 3},
		{"strata_command_duration_seconds", []string{"command", "get"}, 4},
		{"strata_command_duration_seconds", []string{"command", "mset"}, 1},
		{"strata_command_rejected_total", []string{"command", "get"}, 1},
		{"strata_command_failed_total", []string{"command", "lpush"}, 1},
		{"strata_error_replies_total", []string{"code", "WRONGTYPE"}, 1},
		{"strata_error_replies_total", []string{"code", "ERR"}, 1},
		{"strata_hot_key_accesses", []string{"db", "0", "key", "product:1"}, 4}, // 3 GETs and LPUSH's lookup
		{"strata_connected_clients", nil, 1},
	} {
		if got := sample(t, m, tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if b := sample(t, m, "strata_namespace_memory_bytes", "namespace", "products"); b <= 0 {
		t.Errorf("strata_namespace_memory_bytes{products} = %v", b)
	}
	if f := m["strata_command_duration_seconds"]; f.GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("strata_command_duration_seconds is a %v", f.GetType())
	}
	if _, ok := m["go_goroutines"]; !ok {
		t.Errorf("/metrics lacks the Go runtime's metrics")
	}
}

// TestMetricsWAL: a write_through namespace's writes show in the
// write-ahead log's metrics and the disk tier's.
func TestMetricsWAL(t *testing.T) {
	s := startServer(t, Config{AdminAddr: "127.0.0.1:0", Namespaces: []policy.Namespace{
		{Name: "orders", Match: "order:*", Strategy: policy.WriteThrough},
	}})
	c := dial(t, s)
	for _, k := range []string{"order:1", "order:2", "order:3"} {
		c.expect("+OK\r\n", "SET", k, "v")
	}
	m := scrape(t, s)
	if syncs := sample(t, m, "strata_wal_sync_duration_seconds"); syncs < 1 || syncs > 3 {
		t.Errorf("%v log syncs for 3 acknowledged writes", syncs)
	}
	if got := sample(t, m, "strata_wal_synced_records_total"); got < 3 {
		t.Errorf("strata_wal_synced_records_total = %v, want at least the 3 writes", got)
	}
	sample(t, m, "strata_disk_bytes")
}

// TestMetricsWarmupAndOrigin scrapes /metrics after warm-up runs (one
// fine, one failing, one that a second run finds running) and read-through
// loads (one fine, one failing), and finds each counted once.
func TestMetricsWarmupAndOrigin(t *testing.T) {
	o := newTestOrigin(t, nil)
	ok := func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/cache/") {
			echoPath(w, r)
			return
		}
		schoolOrigin(w, r)
	}
	o.serve(ok)
	s := startServer(t, Config{AdminAddr: "127.0.0.1:0",
		Namespaces: []policy.Namespace{{Name: "schools", Match: "school:", TTL: time.Minute, Origin: o.URL + "/cache/{suffix}"}},
		Warmup:     []scheduler.Job{schoolJob(o, "")},
	})
	c := dial(t, s)
	c.do("CACHE.WARMUP", "RUN", "primary-schools")
	c.expect(bulk("v:x"), "GET", "school:x")
	c.expect(bulk("v:x"), "GET", "school:x")
	o.serve(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	c.do("CACHE.WARMUP", "RUN", "primary-schools")
	c.expect("$-1\r\n", "GET", "school:y")
	release := o.hold(ok)
	c.expect("+OK\r\n", "CACHE.WARMUP", "RUN", "primary-schools", "ASYNC")
	c.expect("-ERR warm-up job 'primary-schools' is already running\r\n", "CACHE.WARMUP", "RUN", "primary-schools")
	if got := sample(t, scrape(t, s), "strata_warmup_running", "job", "primary-schools"); got != 1 {
		t.Errorf("strata_warmup_running = %v during a run", got)
	}
	release()
	waitFor(t, "the run to end", func() bool { st, _ := s.scheduler.Status("primary-schools"); return st.Runs == 3 })

	m := scrape(t, s)
	job := []string{"job", "primary-schools"}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"strata_warmup_runs_total", job, 3},
		{"strata_warmup_failed_runs_total", job, 1},
		{"strata_warmup_skipped_runs_total", job, 1},
		{"strata_warmup_duration_seconds", job, 3},
		{"strata_warmup_keys_total", append(job, "result", "loaded"), 4},
		{"strata_warmup_keys_total", append(job, "result", "failed"), 2},
		{"strata_warmup_keys_total", append(job, "result", "skipped"), 0},
		{"strata_warmup_running", job, 0},
		{"strata_origin_requests_total", []string{"namespace", "schools"}, 2},
		{"strata_origin_failures_total", []string{"namespace", "schools"}, 1},
		{"strata_origin_not_found_total", []string{"namespace", "schools"}, 0},
		{"strata_origin_stale_served_total", []string{"namespace", "schools"}, 0},
		{"strata_origin_shared_loads_total", []string{"namespace", "schools"}, 0},
		{"strata_origin_requests_total", []string{"namespace", "default"}, 0},
		{"strata_sets_total", []string{"namespace", "schools"}, 5}, // 2 + 2 warmed, 1 loaded
		{"strata_hits_total", []string{"namespace", "schools", "tier", "memory"}, 1},
		{"strata_misses_total", []string{"namespace", "schools"}, 2},
	} {
		if got := sample(t, m, tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if f := m["strata_warmup_duration_seconds"]; f.GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("strata_warmup_duration_seconds is a %v", f.GetType())
	}
	st, _ := s.scheduler.Status("primary-schools")
	if got, want := sample(t, m, "strata_warmup_last_run_timestamp_seconds", job...), float64(st.Last.Started.UnixMilli())/1000; got != want {
		t.Errorf("strata_warmup_last_run_timestamp_seconds = %v, want %v", got, want)
	}
}

// TestAdminAuth: with requirepass, everything but the probes asks for the
// password; the admin listener is off unless configured.
func TestAdminAuth(t *testing.T) {
	s := startServer(t, Config{AdminAddr: "127.0.0.1:0", RequirePass: "secret"})
	for _, tc := range []struct {
		path, password string
		want           int
	}{
		{"/metrics", "", http.StatusUnauthorized},
		{"/metrics", "wrong", http.StatusUnauthorized},
		{"/metrics", "secret", http.StatusOK},
		{"/", "", http.StatusUnauthorized},
		{"/", "secret", http.StatusOK},
		{"/api/dashboard", "secret", http.StatusOK},
		{"/warmup", "", http.StatusUnauthorized},
		{"/warmup", "secret", http.StatusOK},
		{"/healthz", "", http.StatusOK},
		{"/readyz", "", http.StatusOK},
		{"/nosuch", "secret", http.StatusNotFound},
	} {
		if got, body := adminDo(t, s, "GET", tc.path, tc.password); got != tc.want {
			t.Errorf("GET %s with %q: %d, want %d (%s)", tc.path, tc.password, got, tc.want, body)
		}
	}
	s.Close()
	rec := httptest.NewRecorder()
	s.serveReady(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while shutting down: %d", rec.Code)
	}
	if off := startServer(t, Config{}); off.AdminAddr() != "" {
		t.Errorf("admin listener on by default at %s", off.AdminAddr())
	}
}

// TestAdminWarmup: GET /warmup lists the jobs, POST /warmup/{job} runs
// one and answers its counts; an unknown or running job is answered with
// a JSON error, and a POST needs the password and the page's own origin.
func TestAdminWarmup(t *testing.T) {
	o := newTestOrigin(t, schoolOrigin)
	s := startServer(t, Config{AdminAddr: "127.0.0.1:0", RequirePass: "secret", Warmup: []scheduler.Job{schoolJob(o, "0 3,8 * * *")}})
	type status struct {
		Jobs []warmupJob `json:"jobs"`
	}
	get := func() warmupJob {
		t.Helper()
		code, body := adminDo(t, s, "GET", "/warmup", "secret")
		var st status
		if err := json.Unmarshal([]byte(body), &st); code != http.StatusOK || err != nil || len(st.Jobs) != 1 {
			t.Fatalf("GET /warmup = %d %s (%v)", code, body, err)
		}
		return st.Jobs[0]
	}
	if j := get(); j.Name != "primary-schools" || j.Schedule != "0 3,8 * * *" || j.Source != "http" || j.State != "idle" ||
		j.NextRun == nil || (j.NextRun.Hour() != 3 && j.NextRun.Hour() != 8) || j.Last != nil || j.Runs != 0 {
		t.Errorf("GET /warmup before a run: %+v", j)
	}

	code, body := adminDo(t, s, "POST", "/warmup/primary-schools", "secret")
	var res warmupRun
	if err := json.Unmarshal([]byte(body), &res); code != http.StatusOK || err != nil ||
		res.Loaded != 2 || res.Failed != 0 || res.Trigger != scheduler.TriggerManual || res.Error != "" {
		t.Fatalf("POST /warmup/primary-schools = %d %s", code, body)
	}
	if !strings.Contains(body, `"loaded":2,"failed":0,"skipped":0`) {
		t.Errorf("POST body %s lacks the counts' names", body)
	}
	c := dial(t, s)
	c.expect("+OK\r\n", "AUTH", "secret")
	c.expect(bulk(`["east school 2"]`), "GET", "school:list:east:2")
	if j := get(); j.Runs != 1 || j.Last == nil || j.Last.Loaded != 2 || j.Last.Started.IsZero() {
		t.Errorf("GET /warmup after a run: %+v, last %+v", j, j.Last)
	}

	for _, tc := range []struct {
		name, path, password string
		header               []string
		want                 int
		body                 string
	}{
		{"unknown job", "/warmup/nosuch", "secret", nil, http.StatusNotFound, `{"error":"no such warm-up job 'nosuch'"}`},
		{"no password", "/warmup/primary-schools", "", nil, http.StatusUnauthorized, ""},
		{"another site's page", "/warmup/primary-schools", "secret", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden, ""},
		{"another origin", "/warmup/primary-schools", "secret", []string{"Origin", "http://example.com"}, http.StatusForbidden, ""},
	} {
		code, body := adminDo(t, s, "POST", tc.path, tc.password, tc.header...)
		if code != tc.want || tc.body != "" && strings.TrimSpace(body) != tc.body {
			t.Errorf("%s: POST %s = %d %s, want %d %s", tc.name, tc.path, code, body, tc.want, tc.body)
		}
	}

	// While a run goes, GET shows it and a POST is refused.
	release := o.hold(schoolOrigin)
	c.expect("+OK\r\n", "CACHE.WARMUP", "RUN", "primary-schools", "ASYNC")
	if j := get(); j.State != "running" || j.Total != 2 {
		t.Errorf("GET /warmup while running: %+v", j)
	}
	code, body = adminDo(t, s, "POST", "/warmup/primary-schools", "secret")
	if code != http.StatusConflict || strings.TrimSpace(body) != `{"error":"warm-up job 'primary-schools' is already running"}` {
		t.Errorf("POST while running = %d %s", code, body)
	}
	release()
	waitFor(t, "the run to end", func() bool { return get().Runs == 2 })
	if j := get(); j.SkippedRuns != 1 || j.FailedRuns != 0 {
		t.Errorf("GET /warmup after the refused POST: %+v", j)
	}
}
