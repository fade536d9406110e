package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// The hit-ratio rows (issue 14): the same look-aside trace against
// redis-server and Strata under each eviction policy, at the same
// maxmemory. A client GETs each key of the trace and SETs it (1,000 random
// bytes) on a miss. The zipf trace draws keys from 200,000 with Zipf
// s=0.99; the burst trace is the same with 1,000 never-seen keys after
// every 4,000 draws, as a scan or a batch job would add. Each row starts a
// fresh server, runs warm-up requests, then counts hits over the measured
// requests (burst keys included: they always miss). The trace is seeded,
// so every row sees the same requests.

// hitRatioOptions are the --hitratio* flags.
type hitRatioOptions struct {
	only      bool // --hitratio: run these rows alone
	requests  int  // measured requests per trace (0 skips the rows)
	warm      int  // warm-up requests per trace
	keys      int  // Zipf keyspace
	skew      float64
	size      int    // value bytes
	maxmemory string // both servers' maxmemory
	seed      uint64
	targets   string // server:policy pairs, comma-separated; empty for all
}

const (
	burstEvery = 4000 // Zipf draws between bursts
	burstKeys  = 1000 // cold keys per burst
	// hitBatch bounds the GETs pipelined at once. A batch holds distinct
	// keys only, so a miss's SET is sent before the key is read again, as
	// one look-aside client would do it.
	hitBatch = 64
)

// hitRow is one server and policy's result on one trace.
type hitRow struct {
	server, policy string
	ratio          [2]float64 // zipf, burst
	keys           [2]int     // DBSIZE at the end
	used           [2]int64   // INFO used_memory at the end
}

// zipfSampler draws ranks 0..n-1 with P(k) proportional to 1/(k+1)^s, by
// inverse CDF: math/rand's Zipf needs s > 1, and the trace has
// s = 0.99.
type zipfSampler struct{ cdf []float64 }

func newZipfSampler(n int, s float64) *zipfSampler {
	cdf := make([]float64, n)
	sum := 0.0
	for k := range cdf {
		sum += 1 / math.Pow(float64(k+1), s)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	return &zipfSampler{cdf: cdf}
}

func (z *zipfSampler) draw(r *rand.Rand) int {
	return min(sort.SearchFloat64s(z.cdf, r.Float64()), len(z.cdf)-1)
}

// hitTrace yields a trace's keys. Ranks map to key names through a seeded
// permutation, so the hot keys spread over the servers' hash tables as
// any keys would.
type hitTrace struct {
	r     *rand.Rand
	z     *zipfSampler
	perm  []int
	burst bool
	drawn int // Zipf draws so far
	cold  int // cold keys still due in the current burst
	next  int // the next cold key's number
}

func newHitTrace(z *zipfSampler, seed uint64, burst bool) *hitTrace {
	r := rand.New(rand.NewPCG(seed, 0x68697472))
	return &hitTrace{r: r, z: z, perm: r.Perm(len(z.cdf)), burst: burst}
}

func (t *hitTrace) key() string {
	if t.cold > 0 {
		t.cold--
		t.next++
		return "cold:" + strconv.Itoa(t.next)
	}
	t.drawn++
	if t.burst && t.drawn%burstEvery == 0 {
		t.cold = burstKeys
	}
	return "hr:" + strconv.Itoa(t.perm[t.z.draw(t.r)])
}

// runHitTrace plays warm+requests requests of the trace on c and returns
// the hits among the last requests.
func runHitTrace(c *conn, t *hitTrace, warm, requests int, values []byte) (hits int, err error) {
	batch := make([]string, 0, hitBatch)
	var pending string // a key that would have repeated within its batch
	done := 0
	for done < warm+requests {
		batch = batch[:0]
		if pending != "" {
			batch, pending = append(batch, pending), ""
		}
		for len(batch) < hitBatch && done+len(batch) < warm+requests {
			k := t.key()
			if containsString(batch, k) {
				pending = k
				break
			}
			batch = append(batch, k)
		}
		for _, k := range batch {
			c.send("GET", k)
		}
		if err := c.flush(); err != nil {
			return 0, err
		}
		var missed []string
		for i, k := range batch {
			got, err := c.reply()
			if err != nil {
				return 0, fmt.Errorf("GET %s: %w", k, err)
			}
			if got != "" {
				if done+i >= warm {
					hits++
				}
			} else {
				missed = append(missed, k)
			}
		}
		for _, k := range missed {
			c.send("SET", k, valueFor(values, k))
		}
		if len(missed) > 0 {
			if err := c.flush(); err != nil {
				return 0, err
			}
			for _, k := range missed {
				if _, err := c.reply(); err != nil {
					return 0, fmt.Errorf("SET %s: %w", k, err)
				}
			}
		}
		done += len(batch)
	}
	return hits, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// hitValues returns random bytes to cut values of size bytes from: the
// values are incompressible, as the issue asks.
func hitValues(size int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x76616c75))
	b := make([]byte, size*4)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// valueFor returns key's value: a window of values (from hitValues) that
// the key's hash picks, so that values differ from key to key.
func valueFor(values []byte, key string) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	size := len(values) / 4
	off := int(h.Sum64() % uint64(len(values)-size))
	return string(values[off : off+size])
}

// compareHitRatio runs both traces against redis-server under allkeys-lru,
// allkeys-lfu and allkeys-random and against Strata under each allkeys
// policy, one fresh server at a time, and prints the table. Each Strata
// policy with a Redis namesake is judged against it.
func compareHitRatio(ctx context.Context, bin, work string, o hitRatioOptions) error {
	z := newZipfSampler(o.keys, o.skew)
	values := hitValues(o.size, o.seed)
	type target struct{ server, policy string }
	targets := []target{
		{"redis", "allkeys-lru"}, {"redis", "allkeys-lfu"}, {"redis", "allkeys-random"},
		{"strata", "allkeys-lru"}, {"strata", "allkeys-lfu"}, {"strata", "allkeys-random"}, {"strata", "allkeys-2q"},
		{"strata", "allkeys-tinylfu"},
	}
	if o.targets != "" {
		targets = targets[:0]
		for _, f := range strings.Split(o.targets, ",") {
			srv, pol, ok := strings.Cut(f, ":")
			if !ok || (srv != "redis" && srv != "strata") {
				return fmt.Errorf("--hitratio-targets: %q is not redis:POLICY or strata:POLICY", f)
			}
			targets = append(targets, target{srv, pol})
		}
	}
	var rows []hitRow
	for _, tg := range targets {
		row := hitRow{server: tg.server, policy: tg.policy}
		for i, burst := range []bool{false, true} {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			argv := []string{"redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
			if tg.server == "strata" {
				argv = []string{bin, "--loglevel", "warning"}
			}
			argv = append(argv, "--maxmemory", o.maxmemory, "--maxmemory-policy", tg.policy)
			s, err := startServer(ctx, tg.server, argv, work)
			if err != nil {
				return err
			}
			err = func() error {
				defer s.stop()
				c, err := dial(s.addr)
				if err != nil {
					return err
				}
				defer c.Close()
				hits, err := runHitTrace(c, newHitTrace(z, o.seed, burst), o.warm, o.requests, values)
				if err != nil {
					return fmt.Errorf("%s %s: %w", tg.server, tg.policy, err)
				}
				row.ratio[i] = float64(hits) / float64(o.requests)
				n, err := c.do("DBSIZE")
				if err != nil {
					return err
				}
				row.keys[i], _ = strconv.Atoi(n)
				info, err := c.info("memory")
				if err != nil {
					return err
				}
				row.used[i], _ = strconv.ParseInt(info["used_memory"], 10, 64)
				return nil
			}()
			if err != nil {
				return err
			}
			progress(fmt.Sprintf("hit ratio %s %s %s: %.4f, %d keys", tg.server, tg.policy, [2]string{"zipf", "burst"}[i], row.ratio[i], row.keys[i]))
		}
		rows = append(rows, row)
	}
	fmt.Printf("\nhit ratio: look-aside GET, SET on a miss; Zipf %.2f over %d keys, %d-byte values, maxmemory %s; %d warm-up + %d measured requests per trace (seed %d); burst: %d cold keys every %d requests; keys = DBSIZE at the end\n",
		o.skew, o.keys, o.size, o.maxmemory, o.warm, o.requests, o.seed, burstKeys, burstEvery)
	printHitRatio(os.Stdout, rows)
	return nil
}

// printHitRatio prints rows with each ratio's difference from the first
// row's (redis-server allkeys-lru, unless --hitratio-targets says
// otherwise).
func printHitRatio(w io.Writer, rows []hitRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tpolicy\tzipf\tvs first\tkeys\tused_memory\tburst\tvs first\tkeys\tused_memory\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%+.4f\t%d\t%.1fMiB\t%.4f\t%+.4f\t%d\t%.1fMiB\t\n", r.server, r.policy,
			r.ratio[0], r.ratio[0]-rows[0].ratio[0], r.keys[0], float64(r.used[0])/(1<<20),
			r.ratio[1], r.ratio[1]-rows[0].ratio[1], r.keys[1], float64(r.used[1])/(1<<20))
	}
	tw.Flush()
}
