package main

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// csvOut is redis-benchmark 7.0's --csv output for -t set,mset.
const csvOut = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","266666.66","2.241","0.352","0.983","18.783","21.279","21.487"
"MSET (10 keys)","90909.09","5.100","0.500","5.503","12.000","16.847","20.000"
`

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		test    string
		want    sample
		wantErr string
	}{
		{"set", csvOut, "set", sample{266666.66, 0.983, 21.279}, ""},
		{"mset named with its key count", csvOut, "mset", sample{90909.09, 5.503, 16.847}, ""},
		{"set is not mset", strings.Replace(csvOut, `"SET"`, `"GET"`, 1), "set", sample{}, "no set line"},
		{"missing columns", "\"test\",\"rps\"\n\"SET\",\"1\"\n", "set", sample{}, "lacks rps/p50/p99"},
		{"empty", "", "set", sample{}, "unreadable"},
		{"bad number", strings.Replace(csvOut, "266666.66", "n/a", 1), "set", sample{}, "bad number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCSV([]byte(tt.out), tt.test)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseCSV = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	rps := func(s sample) float64 { return s.rps }
	for _, tt := range []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{5}, 5},
		{"odd", []float64{9, 1, 5}, 5},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	} {
		var ss []sample
		for _, v := range tt.in {
			ss = append(ss, sample{rps: v})
		}
		if got := median(ss, rps); got != tt.want {
			t.Errorf("%s: median(%v) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestSelectScenarios(t *testing.T) {
	got, err := selectScenarios("cache", "set,GET")
	if err != nil || len(got) != 1 || got[0].name != "cache" || strings.Join(got[0].tests, ",") != "set,get" {
		t.Errorf("--scenarios cache --only set,GET: %+v, %v", got, err)
	}
	all, err := selectScenarios("", "")
	if err != nil || len(all) != len(scenarios) {
		t.Errorf("no selection: %d scenarios, %v; want all %d", len(all), err, len(scenarios))
	}
	if len(scenarios[0].tests) != 4 {
		t.Errorf("selection changed the scenario table: %v", scenarios[0].tests)
	}
	if _, err := selectScenarios("nope", ""); err == nil {
		t.Error("unknown scenario accepted")
	}
	if none, err := selectScenarios("none", ""); err != nil || len(none) != 0 {
		t.Errorf("--scenarios none: %d scenarios, %v", len(none), err)
	}
	if _, err := selectScenarios("", "ping"); err == nil {
		t.Error("a test no scenario runs was accepted")
	}
}

func TestTestRequests(t *testing.T) {
	o := benchOptions{requests: 300}
	for _, tt := range []struct {
		test     string
		pipeline int
		want     int
	}{
		{"set", 1, 300},
		{"set", 16, 1500},
		{"get", 2, 600},
		{"mset", 1, 100},
		{"mset", 16, 500},
	} {
		if got := o.testRequests(tt.test, tt.pipeline); got != tt.want {
			t.Errorf("testRequests(%s, %d) = %d, want %d", tt.test, tt.pipeline, got, tt.want)
		}
	}
}

func TestSlowOriginCountsLateLoads(t *testing.T) {
	o := &slowOrigin{ttl: time.Second, expires: map[string]time.Time{}}
	t0 := time.Unix(1000, 0)
	o.arrived("rt:0", t0) // a first load is not late
	o.served("rt:0", t0)
	o.arrived("rt:0", t0.Add(900*time.Millisecond)) // a refresh before the expiry
	o.served("rt:0", t0.Add(920*time.Millisecond))
	for range 3 { // a stampede after the expiry: each request is late
		o.arrived("rt:0", t0.Add(2*time.Second))
	}
	o.served("rt:0", t0.Add(2020*time.Millisecond))
	o.arrived("rt:0", t0.Add(2500*time.Millisecond))
	if n := o.late.Load(); n != 3 {
		t.Errorf("late = %d, want 3", n)
	}
	if hot("rt:"+strconv.Itoa(hotKeys)) || !hot("rt:0") || hot("other") {
		t.Error("hot() does not pick the hottest keys")
	}
}

func TestGeoScenario(t *testing.T) {
	got, err := selectScenarios("", "geosearch")
	if err != nil || len(got) != 1 || got[0].name != "geo" || got[0].load == nil {
		t.Fatalf("--only geosearch: %+v, %v", got, err)
	}
	if cmd := strings.Join(commandTests["geosearch"].cmd(7), " "); cmd != "GEOSEARCH geo FROMMEMBER m:7 BYRADIUS 1 km ASC COUNT 10 WITHDIST" {
		t.Errorf("geosearch(7) = %q", cmd)
	}
}

// TestJudgeSoak: the soak passes a flat run with warm-ups throughout, and
// fails a run whose RSS keeps rising or whose warm-up jobs stopped.
func TestJudgeSoak(t *testing.T) {
	rows := func(rss func(i int) int64, warm func(i int) int64) []soakSample {
		var out []soakSample
		for i := 0; i < 12; i++ {
			out = append(out, soakSample{at: time.Duration(i+1) * 3 * time.Second, rss: rss(i), warmups: warm(i),
				goroutines: 30, files: 30, clients: 16})
		}
		return out
	}
	flat := func(int) int64 { return 200 << 20 }
	warm := func(int) int64 { return 100 }
	if err := judgeSoak(rows(flat, warm), &soakStats{}); err != nil {
		t.Errorf("a flat run failed: %v", err)
	}
	rising := func(i int) int64 { return int64(200+100*max(0, i-6)) << 20 }
	if err := judgeSoak(rows(rising, warm), &soakStats{}); err == nil || !strings.Contains(err.Error(), "RSS grows") {
		t.Errorf("a run whose RSS keeps rising: %v", err)
	}
	stopped := func(i int) int64 {
		if i > 5 {
			return 0
		}
		return 100
	}
	if err := judgeSoak(rows(flat, stopped), &soakStats{}); err == nil || !strings.Contains(err.Error(), "jobs stopped") {
		t.Errorf("a run whose warm-ups stopped: %v", err)
	}
}

// TestForScenario: a scenario's client count replaces --clients, with
// requests in proportion but at least a tenth; others keep the options.
func TestForScenario(t *testing.T) {
	o := benchOptions{requests: 300_000, clients: 50}
	if got := o.forScenario(scenario{clients: 1}); got.clients != 1 || got.requests != 30_000 {
		t.Errorf("one client: %+v", got)
	}
	if got := o.forScenario(scenario{clients: 25}); got.clients != 25 || got.requests != 150_000 {
		t.Errorf("25 clients: %+v", got)
	}
	if got := o.forScenario(scenario{}); got != o {
		t.Errorf("no override: %+v", got)
	}
}
