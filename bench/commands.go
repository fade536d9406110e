package main

// Throughput tests that redis-benchmark cannot run as they should be, and
// the scenario of the bitmap and HyperLogLog rows (the stream rows' is in
// streams.go, the geo row's in geo.go).

import (
	"context"
	"fmt"
	"strconv"
)

// A commandTest is a throughput test run by the bench's own load
// (runDecisions) instead of redis-benchmark, whose __rand_int__ is
// zero-padded ("000000001234"), which SETBIT refuses as a bit offset, and
// which cannot set a server up between runs. It sends both servers the
// same command.
type commandTest struct {
	// cmd builds the command for a random number n below --keyspace.
	cmd func(n int) []string
	// prepare, when set, readies the server at c for a run of n commands.
	prepare func(c *conn, n int) error
}

var commandTests = map[string]commandTest{
	"setbit":     {cmd: func(n int) []string { return []string{"SETBIT", "bitmap", strconv.Itoa(n), "1"} }},
	"bitcount":   {cmd: func(int) []string { return []string{"BITCOUNT", "bitmap"} }},
	"pfadd":      {cmd: func(n int) []string { return []string{"PFADD", "hll", strconv.Itoa(n)} }},
	"pfcount":    {cmd: func(int) []string { return []string{"PFCOUNT", "hll"} }},
	"xadd":       {cmd: func(int) []string { return xaddCommand }, prepare: dropStream},             // streams.go
	"xreadgroup": {cmd: func(int) []string { return xreadgroupCommand }, prepare: prepareGroupRead}, // streams.go
}

func init() {
	scenarios = append(scenarios, scenario{
		name: "bitmaps",
		about: "one bitmap of --keyspace bits and one HyperLogLog that every client shares: SETBIT of random bits, " +
			"BITCOUNT of the whole bitmap, PFADD of random elements, PFCOUNT (cached between changes, as in Redis)",
		tests: []string{"setbit", "bitcount", "pfadd", "pfcount"},
	})
}

// runTest runs one throughput test against addr: a command test through
// runDecisions, any other through redis-benchmark.
func runTest(ctx context.Context, addr, test string, pipeline int, o benchOptions) (sample, error) {
	t, ok := commandTests[test]
	if !ok {
		return runBenchmark(ctx, addr, test, pipeline, o)
	}
	o.requests = max(1, o.requests/max(1, slowTests[test])) // as testRequests does
	if t.prepare != nil {
		c, err := dial(addr)
		if err != nil {
			return sample{}, err
		}
		err = t.prepare(c, o.decisions(pipeline))
		c.Close()
		if err != nil {
			return sample{}, fmt.Errorf("preparing %s: %w", test, err)
		}
	}
	return runDecisions(ctx, addr, func(n int) [][]string { return [][]string{t.cmd(n)} }, pipeline, o)
}
