package server

import (
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
)

// adminGet fetches path from the server's admin listener with the given
// password (none when ""), and returns the status and body.
func adminGet(t *testing.T, s *Server, path, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+s.AdminAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if password != "" {
		req.SetBasicAuth("default", password)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
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
	status, body := adminGet(t, s, "/metrics", "")
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
		{"/healthz", "", http.StatusOK},
		{"/readyz", "", http.StatusOK},
		{"/nosuch", "secret", http.StatusNotFound},
	} {
		if got, body := adminGet(t, s, tc.path, tc.password); got != tc.want {
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
