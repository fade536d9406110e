package main

import (
	"strings"
	"testing"
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
	if _, err := selectScenarios("", "ping"); err == nil {
		t.Error("a test no scenario runs was accepted")
	}
	geo, err := selectScenarios("", "geosearch")
	if err != nil || len(geo) != 1 || len(geo[0].tests) != 0 || len(geo[0].commands) != 1 || geo[0].commands[0].name != "geosearch" {
		t.Errorf("--only geosearch: %+v, %v", geo, err)
	}
	if len(got[0].commands) != 0 {
		t.Errorf("--only set,GET kept the command rows: %+v", got[0].commands)
	}
}

// TestCommandRowNames checks that a command row's reply line is found by
// the row's name, and that its members are named as redis-benchmark
// writes __rand_int__ (12 digits).
func TestCommandRowNames(t *testing.T) {
	out := csvOut + `"GEOSEARCH bench:geo FROMMEMBER m:__rand_int__ BYRADIUS 1 km","26666.67","0.151","0.024","0.079","0.239","2.527","5.279"` + "\n"
	if got, err := parseCSV([]byte(out), "geosearch"); err != nil || got != (sample{26666.67, 0.079, 2.527}) {
		t.Errorf("parseCSV(geosearch) = %+v, %v", got, err)
	}
	if got := memberName(42); got != "m:000000000042" {
		t.Errorf("memberName(42) = %q", got)
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
