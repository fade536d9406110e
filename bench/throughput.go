package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// scenario is one pair of configurations compared side by side: how Strata
// and redis-server are started, and the redis-benchmark tests run against
// them. A new comparison (durable writes: a write_through namespace against
// appendfsync always; a write_back namespace against appendfsync everysec)
// is one more entry in scenarios.
type scenario struct {
	name  string
	about string
	// strataArgs are flags added to Strata's command line; strataConfig, if
	// not empty, is written to a file and passed with --config.
	strataArgs   []string
	strataConfig string
	// redisArgs are added to redis-server's command line after the
	// defaults (save "", appendonly no), so they can override them.
	redisArgs []string
	// tests are redis-benchmark -t names, or commandTests' (commands.go).
	tests []string
	// load, if set, writes the scenario's data set of keyspace items into
	// a server before its tests, the same into both (see loadScenario).
	load func(c *conn, keyspace int) error
	// clients, when set, replaces --clients for the scenario's runs, and
	// its requests shrink in proportion (one client serves fewer per
	// second), at least a tenth of --requests.
	clients int
}

var scenarios = []scenario{
	{
		name:  "cache",
		about: `memory only: Strata's defaults against redis-server --save "" --appendonly no`,
		tests: []string{"set", "get", "incr", "mset"},
	},
	{
		name:    "one_client",
		about:   "one client's round trip (-c 1): what a request costs end to end when nothing else waits; SET fills the keys GET reads",
		tests:   []string{"set", "get"},
		clients: 1,
	},
}

// forScenario returns o with sc's client count, if it sets one.
func (o benchOptions) forScenario(sc scenario) benchOptions {
	if sc.clients > 0 && sc.clients < o.clients {
		o.requests = max(o.requests/10, o.requests*sc.clients/o.clients)
		o.clients = sc.clients
	}
	return o
}

// sample is one redis-benchmark run's result.
type sample struct {
	rps, p50, p99 float64 // requests per second; latencies in ms
}

// row is one line of the throughput table: a test at a pipeline depth, with
// a sample per round for each server.
type row struct {
	scenario string
	test     string
	pipeline int
	samples  map[string][]sample // by server name
}

// benchOptions are the redis-benchmark settings shared by every run.
type benchOptions struct {
	requests int // -n at -P 1 for a single-key test; see testRequests
	clients  int
	size     int
	keyspace int
}

// slowTests serve fewer requests per second than a single-key command (an
// MSET writes 10 keys, a GEOSEARCH looks at some 170 points), by about
// this factor.
var slowTests = map[string]int{"mset": 3, "geosearch": 5}

// requestsFor sizes a run so that runs take a similar time: pipelining
// serves several times more requests per second.
func (o benchOptions) requestsFor(pipeline int) int {
	return o.requests * min(pipeline, 5)
}

// testRequests is redis-benchmark's -n for test: requestsFor, less for a
// slow test.
func (o benchOptions) testRequests(test string, pipeline int) int {
	return max(1, o.requestsFor(pipeline)/max(1, slowTests[test]))
}

// runBenchmark runs redis-benchmark once against addr.
func runBenchmark(ctx context.Context, addr, test string, pipeline int, o benchOptions) (sample, error) {
	host, port, _ := strings.Cut(addr, ":")
	args := []string{
		"-h", host, "-p", port, "-t", test,
		"-n", strconv.Itoa(o.testRequests(test, pipeline)), "-c", strconv.Itoa(o.clients),
		"-d", strconv.Itoa(o.size), "-P", strconv.Itoa(pipeline), "-r", strconv.Itoa(o.keyspace),
		"--csv",
	}
	out, err := exec.CommandContext(ctx, "redis-benchmark", args...).Output()
	if err != nil {
		return sample{}, fmt.Errorf("redis-benchmark %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return parseCSV(out, test)
}

// parseCSV reads redis-benchmark --csv output (7.0: a header line, then
// "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...) and
// returns the line for test ("mset" is reported as "MSET (10 keys)").
func parseCSV(out []byte, test string) (sample, error) {
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil || len(recs) < 2 {
		return sample{}, fmt.Errorf("unreadable redis-benchmark output %q: %v", out, err)
	}
	col := func(name string) int { return slices.Index(recs[0], name) }
	ci, cp50, cp99 := col("rps"), col("p50_latency_ms"), col("p99_latency_ms")
	if ci < 0 || cp50 < 0 || cp99 < 0 {
		return sample{}, fmt.Errorf("redis-benchmark output lacks rps/p50/p99 columns: %q", recs[0])
	}
	for _, rec := range recs[1:] {
		name, _, _ := strings.Cut(rec[0], " ")
		if !strings.EqualFold(name, test) {
			continue
		}
		var s sample
		for _, f := range []struct {
			dst *float64
			col int
		}{{&s.rps, ci}, {&s.p50, cp50}, {&s.p99, cp99}} {
			if *f.dst, err = strconv.ParseFloat(rec[f.col], 64); err != nil {
				return sample{}, fmt.Errorf("redis-benchmark %s: bad number %q", test, rec[f.col])
			}
		}
		return s, nil
	}
	return sample{}, fmt.Errorf("redis-benchmark output has no %s line: %q", test, out)
}

// median returns the median of the samples' field f.
func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// printThroughput writes the throughput table: medians over the rounds,
// and Strata/Redis ratios (above 1 is Strata ahead on ops/s, behind on
// latency).
func printThroughput(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\ttest\tP\tstrata ops/s\tredis ops/s\tratio\tstrata p50\tredis p50\tstrata p99\tredis p99\tp99 ratio\t")
	for _, r := range rows {
		st, rd := r.samples["strata"], r.samples["redis"]
		rps := func(s sample) float64 { return s.rps }
		p50 := func(s sample) float64 { return s.p50 }
		p99 := func(s sample) float64 { return s.p99 }
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.0f\t%.2fx\t%.3f\t%.3f\t%.3f\t%.3f\t%.2fx\t\n",
			r.scenario, strings.ToUpper(r.test), r.pipeline,
			median(st, rps), median(rd, rps), median(st, rps)/median(rd, rps),
			median(st, p50), median(rd, p50),
			median(st, p99), median(rd, p99), median(st, p99)/median(rd, p99))
	}
	tw.Flush()
}
