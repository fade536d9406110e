package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// A rate comparison measures one rate-limiting decision per request: the
// single Strata command against what a team hand-writes for it on Redis.
// redis-benchmark cannot send a MULTI block or load a script as one
// request, so these rows run their own load: o.clients connections, each
// pipelining P decisions at a time on random keys of o.keyspace.
type rateComparison struct {
	name string
	// strata and redis return the requests making one decision on key n
	// of the keyspace.
	strata, redis func(n int) [][]string
}

// rateKey is the key of decisions on key n.
func rateKey(n int) string { return "rate:" + strconv.Itoa(n) }

// gcraScript is the GCRA teams write in Lua when they cannot load
// redis-cell (after rwz/redis-gcra): the TAT in seconds in one key,
// redis-cell's five-field reply.
const gcraScript = `
local burst, rate, period, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local emission = period / rate
local increment = emission * cost
local tolerance = emission * (burst + 1)
local t = redis.call("TIME")
local now = (t[1] - 1700000000) + t[2] / 1000000
local tat = tonumber(redis.call("GET", KEYS[1])) or now
tat = math.max(tat, now)
local new_tat = tat + increment
local diff = now - (new_tat - tolerance)
if diff < 0 then
  return {1, burst + 1, 0, math.ceil(-diff), math.ceil(tat - now)}
end
redis.call("SET", KEYS[1], tostring(new_tat), "PX", math.ceil((new_tat - now) * 1000))
return {0, burst + 1, math.floor(diff / emission), -1, math.ceil(new_tat - now)}
`

// gcraSHA is gcraScript's SHA1, as SCRIPT LOAD returns it.
var gcraSHA string

// The limits are high enough that every request is admitted: the rows
// measure the cost of deciding, not of refusing.
var rateComparisons = []rateComparison{
	{
		name:   "CACHE.RATE vs MULTI INCR EXPIRE NX EXEC",
		strata: func(n int) [][]string { return [][]string{{"CACHE.RATE", rateKey(n), "1000000000", "60"}} },
		redis: func(n int) [][]string {
			return [][]string{{"MULTI"}, {"INCR", rateKey(n)}, {"EXPIRE", rateKey(n), "60", "NX"}, {"EXEC"}}
		},
	},
	{
		name: "CL.THROTTLE vs EVALSHA gcra.lua",
		strata: func(n int) [][]string {
			return [][]string{{"CL.THROTTLE", rateKey(n), "1000000000", "1000000000", "60"}}
		},
		redis: func(n int) [][]string {
			return [][]string{{"EVALSHA", gcraSHA, "1", rateKey(n), "1000000000", "1000000000", "60", "1"}}
		},
	},
	{
		name:   "CACHE.THROTTLE vs SET NX EX",
		strata: func(n int) [][]string { return [][]string{{"CACHE.THROTTLE", rateKey(n), "60"}} },
		redis:  func(n int) [][]string { return [][]string{{"SET", rateKey(n), "1", "NX", "EX", "60"}} },
	},
}

// compareRates runs every rate comparison at each pipeline depth for the
// given rounds against a fresh pair of servers, alternating which goes
// first, and prints a table of medians.
func compareRates(ctx context.Context, sc scenario, bin, work string, depths []int, rounds int, o benchOptions) error {
	strata, redis, err := startPair(ctx, sc, bin, work)
	if err != nil {
		return err
	}
	defer strata.stop()
	defer redis.stop()
	c, err := dial(redis.addr)
	if err != nil {
		return err
	}
	gcraSHA, err = c.do("SCRIPT", "LOAD", gcraScript)
	c.Close()
	if err != nil {
		return fmt.Errorf("redis: SCRIPT LOAD: %w", err)
	}
	type rateRow struct {
		cmp      rateComparison
		pipeline int
		samples  map[string][]sample
	}
	var rows []rateRow
	for _, p := range depths {
		for _, cmp := range rateComparisons {
			rows = append(rows, rateRow{cmp: cmp, pipeline: p, samples: map[string][]sample{}})
		}
	}
	for round := 0; round < rounds; round++ {
		order := []*server{strata, redis}
		if round%2 == 1 {
			order = []*server{redis, strata}
		}
		for i := range rows {
			r := &rows[i]
			for _, s := range order {
				decide := r.cmp.strata
				if s == redis {
					decide = r.cmp.redis
				}
				smp, err := runDecisions(ctx, s.addr, decide, r.pipeline, o)
				if err != nil {
					return fmt.Errorf("%s: %s: %w", s.name, r.cmp.name, err)
				}
				progress(fmt.Sprintf("round %d/%d %s -P %d %s: %.0f decisions/s p50 %.3f p99 %.3f",
					round+1, rounds, r.cmp.name, r.pipeline, s.name, smp.rps, smp.p50, smp.p99))
				r.samples[s.name] = append(r.samples[s.name], smp)
			}
		}
	}
	fmt.Printf("\nrate limiting: one decision per request, -c %d, %d random keys, -n %d at -P 1 (x min(P,5) pipelined), median of %d rounds; latencies per pipelined batch in ms\n",
		o.clients, o.keyspace, o.requests, rounds)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strata vs redis\tP\tstrata ops/s\tredis ops/s\tratio\tstrata p50\tredis p50\tstrata p99\tredis p99\t")
	rps := func(s sample) float64 { return s.rps }
	p50 := func(s sample) float64 { return s.p50 }
	p99 := func(s sample) float64 { return s.p99 }
	for _, r := range rows {
		st, rd := r.samples["strata"], r.samples["redis"]
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.2fx\t%.3f\t%.3f\t%.3f\t%.3f\t\n", r.cmp.name, r.pipeline,
			median(st, rps), median(rd, rps), median(st, rps)/median(rd, rps),
			median(st, p50), median(rd, p50), median(st, p99), median(rd, p99))
	}
	return tw.Flush()
}

// decisions is how many decisions runDecisions makes at pipeline:
// o.requestsFor(pipeline), rounded up to as many for every connection.
func (o benchOptions) decisions(pipeline int) int {
	return (o.requestsFor(pipeline) + o.clients - 1) / o.clients * o.clients
}

// runDecisions makes o.requestsFor(pipeline) decisions against addr from
// o.clients connections and returns decisions per second and the latency
// of each pipelined batch. decide returns the requests of one decision on
// a random number below o.keyspace.
func runDecisions(ctx context.Context, addr string, decide func(n int) [][]string, pipeline int, o benchOptions) (sample, error) {
	per := o.decisions(pipeline) / o.clients
	lat := make([][]time.Duration, o.clients)
	errs := make([]error, o.clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < o.clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[i], errs[i] = decisionLoop(ctx, addr, decide, pipeline, per, o.keyspace)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return sample{}, err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	ms := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))]) / float64(time.Millisecond) }
	return sample{rps: float64(per*o.clients) / elapsed.Seconds(), p50: ms(0.50), p99: ms(0.99)}, nil
}

// decisionLoop is one connection's share of runDecisions: n decisions in
// batches of pipeline, each batch's latency recorded.
func decisionLoop(ctx context.Context, addr string, decide func(int) [][]string, pipeline, n, keyspace int) ([]time.Duration, error) {
	c, err := dial(addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	lat := make([]time.Duration, 0, n/pipeline+1)
	for done := 0; done < n; {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		replies := 0
		t := time.Now()
		for j := 0; j < pipeline && done < n; j, done = j+1, done+1 {
			for _, req := range decide(rand.IntN(keyspace)) {
				c.send(req...)
				replies++
			}
		}
		if err := c.flush(); err != nil {
			return nil, err
		}
		c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
		for ; replies > 0; replies-- {
			if err := skipReply(c.br); err != nil {
				return nil, err
			}
		}
		lat = append(lat, time.Since(t))
	}
	return lat, nil
}

// skipReply reads one RESP2 reply of any shape, failing on an error reply
// anywhere in it.
func skipReply(br *bufio.Reader) error { return copyReply(io.Discard, br) }

// copyReply reads one RESP2 reply of any shape into dst, failing on an
// error reply anywhere in it.
func copyReply(dst io.Writer, br *bufio.Reader) error {
	line, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	if _, err := io.WriteString(dst, line); err != nil {
		return err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '-':
		return fmt.Errorf("server error: %s", line[1:])
	case '$':
		if n, err := strconv.Atoi(line[1:]); err != nil {
			return err
		} else if n >= 0 {
			_, err = io.CopyN(dst, br, int64(n)+2)
			return err
		}
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := copyReply(dst, br); err != nil {
				return err
			}
		}
	}
	return nil
}
