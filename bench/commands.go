package main

// Throughput tests that redis-benchmark cannot run as they should be, and
// the scenario of the bitmap and HyperLogLog rows.

import (
	"context"
	"strconv"
)

// commandTests are throughput tests run by the bench's own load
// (runDecisions) instead of redis-benchmark, whose __rand_int__ is
// zero-padded ("000000001234"), which SETBIT refuses as a bit offset. Each
// sends both servers the same command, built for a random number n below
// --keyspace.
var commandTests = map[string]func(n int) []string{
	"setbit":   func(n int) []string { return []string{"SETBIT", "bitmap", strconv.Itoa(n), "1"} },
	"bitcount": func(int) []string { return []string{"BITCOUNT", "bitmap"} },
	"pfadd":    func(n int) []string { return []string{"PFADD", "hll", strconv.Itoa(n)} },
	"pfcount":  func(int) []string { return []string{"PFCOUNT", "hll"} },
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
	if cmd, ok := commandTests[test]; ok {
		o.requests = max(1, o.requests/max(1, slowTests[test])) // as testRequests does
		return runDecisions(ctx, addr, func(n int) [][]string { return [][]string{cmd(n)} }, pipeline, o)
	}
	return runBenchmark(ctx, addr, test, pipeline, o)
}
