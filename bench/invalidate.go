package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// The invalidation row: removing every key of one tag. Strata runs
// CACHE.INVALIDATE TAG on keys written with CACHE.SET ... TAGS; on Redis a
// team keeps a set per tag (SET key + SADD tag:<t> key) and invalidates
// with SMEMBERS, then DEL in pipelined chunks, then DEL of the set, so
// that no single command blocks the server for long. Meanwhile a probe
// client sends PING after PING: its worst round trip is how long other
// clients were held up.

// invalidateChunk is the DEL chunk of the hand-written Redis invalidation.
const invalidateChunk = 1000

// invalidateResult is one server's measurement.
type invalidateResult struct {
	elapsed   time.Duration // loading excluded
	removed   int
	worstPing time.Duration // the probe's slowest PING during the invalidation
	idlePing  time.Duration // its slowest PING for as long just before: the machine's noise
}

// compareInvalidation loads keys tagged keys into a fresh pair of servers
// and times invalidating them, for the given rounds, and prints medians.
func compareInvalidation(ctx context.Context, sc scenario, bin, work string, keys, rounds int) error {
	strata, redis, err := startPair(ctx, sc, bin, work)
	if err != nil {
		return err
	}
	defer strata.stop()
	defer redis.stop()
	var st, rd []invalidateResult
	for round := 0; round < rounds; round++ {
		for _, s := range []*server{strata, redis} {
			progress(fmt.Sprintf("round %d/%d invalidate %d tagged keys: %s", round+1, rounds, keys, s.name))
			r, err := measureInvalidation(s, keys)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			if r.removed != keys {
				return fmt.Errorf("%s removed %d keys, want %d", s.name, r.removed, keys)
			}
			if s == strata {
				st = append(st, r)
			} else {
				rd = append(rd, r)
			}
		}
	}
	fmt.Printf("\ninvalidation: %d keys with one tag, median of %d rounds\n", keys, rounds)
	printInvalidation(os.Stdout, st, rd)
	return nil
}

// measureInvalidation loads keys tagged "bench" into s and invalidates
// them, probing with PING from another connection.
func measureInvalidation(s *server, keys int) (invalidateResult, error) {
	c, err := dial(s.addr)
	if err != nil {
		return invalidateResult{}, err
	}
	defer c.Close()
	isStrata := s.name == "strata"
	perKey := 2 // SET and SADD
	if isStrata {
		perKey = 1
	}
	for i := 0; i < keys; i++ {
		k := "inv:" + strconv.Itoa(i)
		if isStrata {
			c.send("CACHE.SET", k, "v", "TAGS", "bench")
		} else {
			c.send("SET", k, "v")
			c.send("SADD", "tag:bench", k)
		}
		if i%1000 == 999 || i == keys-1 {
			if err := c.flush(); err != nil {
				return invalidateResult{}, err
			}
			for j := (i%1000 + 1) * perKey; j > 0; j-- {
				if _, err := c.reply(); err != nil {
					return invalidateResult{}, err
				}
			}
		}
	}

	probe, err := dial(s.addr)
	if err != nil {
		return invalidateResult{}, err
	}
	defer probe.Close()
	idle, err := probeFor(probe, func() { time.Sleep(300 * time.Millisecond) })
	if err != nil {
		return invalidateResult{}, err
	}
	var elapsed time.Duration
	var removed int
	worst, perr := probeFor(probe, func() {
		start := time.Now()
		removed, err = invalidate(c, isStrata)
		elapsed = time.Since(start)
	})
	if err == nil {
		err = perr
	}
	return invalidateResult{elapsed: elapsed, removed: removed, worstPing: worst, idlePing: idle}, err
}

// probeFor runs work while probe sends PING after PING, and returns the
// slowest round trip.
func probeFor(probe *conn, work func()) (time.Duration, error) {
	stop := make(chan struct{})
	var worst time.Duration
	var err error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			t := time.Now()
			if _, err = probe.do("PING"); err != nil {
				return
			}
			worst = max(worst, time.Since(t))
		}
	}()
	work()
	close(stop)
	wg.Wait()
	return worst, err
}

// invalidate removes the keys tagged "bench": one command on Strata, the
// hand-written equivalent on Redis.
func invalidate(c *conn, isStrata bool) (int, error) {
	if !isStrata {
		return redisInvalidate(c, "tag:bench")
	}
	n, err := c.do("CACHE.INVALIDATE", "TAG", "bench")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(n)
}

// redisInvalidate is the hand-written tag invalidation on Redis.
func redisInvalidate(c *conn, set string) (int, error) {
	c.send("SMEMBERS", set)
	if err := c.flush(); err != nil {
		return 0, err
	}
	members, err := c.strings()
	if err != nil {
		return 0, err
	}
	removed := 0
	for len(members) > 0 {
		chunk := members[:min(len(members), invalidateChunk)]
		members = members[len(chunk):]
		n, err := c.do(append([]string{"DEL"}, chunk...)...)
		if err != nil {
			return removed, err
		}
		d, _ := strconv.Atoi(n)
		removed += d
	}
	_, err = c.do("DEL", set)
	return removed, err
}

// strings reads an array of bulk strings.
func (c *conn) strings() ([]string, error) {
	c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := c.br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return nil, fmt.Errorf("want an array, got %q", line)
	}
	n, err := strconv.Atoi(strings.TrimSuffix(line[1:], "\r\n"))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, max(n, 0))
	for i := 0; i < n; i++ {
		s, err := c.reply()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// printInvalidation prints the medians of each server's rounds.
func printInvalidation(out io.Writer, st, rd []invalidateResult) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\tstrata\tredis (SMEMBERS + DEL x1000)\tstrata/redis\t")
	for _, m := range []struct {
		name string
		f    func(invalidateResult) time.Duration
	}{
		{"time to invalidate", func(r invalidateResult) time.Duration { return r.elapsed }},
		{"worst PING meanwhile", func(r invalidateResult) time.Duration { return r.worstPing }},
		{"worst PING idle, 300ms", func(r invalidateResult) time.Duration { return r.idlePing }},
	} {
		s, r := medianDuration(st, m.f), medianDuration(rd, m.f)
		fmt.Fprintf(w, "%s\t%s\t%s\t%.2fx\t\n", m.name, s.Round(time.Microsecond), r.Round(time.Microsecond), float64(s)/float64(r))
	}
	w.Flush()
}

func medianDuration(rs []invalidateResult, f func(invalidateResult) time.Duration) time.Duration {
	ds := make([]time.Duration, len(rs))
	for i, r := range rs {
		ds[i] = f(r)
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}
