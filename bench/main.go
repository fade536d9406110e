// Command bench compares Strata with redis-server side by side, on the
// same machine, in one run, and prints the results as ratios.
//
// It builds cmd/strata from this module, starts it and a redis-server (save
// "", appendonly no) on free loopback ports, and runs redis-benchmark
// against each in turn, alternating which goes first, for several rounds.
// The table shows medians over the rounds: ops/s, p50 and p99 latency, and
// Strata/Redis ratios. Then it loads the same keys into a fresh pair of
// servers and compares memory per key (used_memory and RSS).
//
//	go run ./bench                                   # the full comparison
//	go run ./bench --only set,get --pipelines 1 --requests 20000 --rounds 1 --keys 10000
//	go run ./bench --only set --rates=true --pipelines 1 --requests 50000 --rounds 1 --keys 0   # SET, then the rate-limiting rows
//	go run ./bench --scenarios none --rates=false --invalidate 0 --restart-keys 0 --json-keys 0 --keys 0   # the read-through rows alone
//	go run ./bench --scenarios none --rates=false --invalidate 0 --restart-keys 0 --json-keys 0 --keys 0 --readthrough 0   # the cluster rows alone
//	go run ./bench --hitratio                        # the hit-ratio rows alone (eviction policies)
//	go run ./bench --server-cpus 1 --scenarios write_through,write_back --rates=false --invalidate 0 --restart-keys 0 --json-keys 0 --keys 0 --readthrough 0 --cluster 0   # durable rows, servers pinned to one CPU
//
// It needs redis-server and redis-benchmark on PATH. Runs compete for the
// machine's CPUs, so run it on an otherwise idle machine.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		o         benchOptions
		rounds    = flag.Int("rounds", 3, "rounds of the whole matrix; the table shows medians")
		only      = flag.String("only", "", "comma-separated redis-benchmark tests to run (default: each scenario's)")
		scenNames = flag.String("scenarios", "", "comma-separated scenarios to run (default: all; none: no throughput rows)")
		pipelines = flag.String("pipelines", "1,16", "comma-separated pipeline depths (-P)")
		keys      = flag.Int("keys", 1_000_000, "keys loaded for the memory comparison (0 skips it)")
		strataBin = flag.String("strata-bin", "", "use this strata binary instead of building cmd/strata")
		rates     = flag.Bool("rates", true, "compare the rate-limiting commands with their hand-written Redis equivalents")
		invalid   = flag.Int("invalidate", 100_000, "tagged keys invalidated at once, against a tag set on Redis (0 skips it)")
		restart   = flag.Int("restart-keys", 1_000_000, "persisted keys for the restart time against Redis loading its AOF (0 skips it)")
		jsonKeys  = flag.Int("json-keys", 500_000, "~600-byte JSON values for memory with compression and a dictionary (0 skips it)")
		rt        readThroughOptions
		hr        hitRatioOptions
		cl        clusterOptions
		soak      = flag.Duration("soak", 0, "run the soak for this long instead of the comparison, e.g. 30s or 2h (soak.go)")
		soakRows  = flag.Int("soak-samples", 15, "samples the soak prints, evenly spread")
		srvCPUs   = flag.Int("server-cpus", 0, "pin each server to this many CPUs and the bench and redis-benchmark to the rest, with taskset (0: no pinning; cpus.go)")
	)
	flag.BoolVar(&hr.only, "hitratio", false, "run only the hit-ratio rows (hitratio.go)")
	flag.IntVar(&hr.requests, "hitratio-requests", 1_000_000, "measured requests per hit-ratio trace and row (0 skips the rows)")
	flag.IntVar(&hr.warm, "hitratio-warm", 500_000, "warm-up requests per hit-ratio trace, before the measured ones")
	flag.IntVar(&hr.keys, "hitratio-keys", 200_000, "keys the hit-ratio traces draw from")
	flag.Float64Var(&hr.skew, "hitratio-skew", 0.99, "the hit-ratio traces' Zipf exponent")
	flag.IntVar(&hr.size, "hitratio-size", 1000, "hit-ratio value size in bytes")
	flag.StringVar(&hr.maxmemory, "hitratio-maxmemory", "64mb", "both servers' maxmemory in the hit-ratio rows")
	flag.Uint64Var(&hr.seed, "hitratio-seed", 1, "seed of the hit-ratio traces")
	flag.StringVar(&hr.targets, "hitratio-targets", "", "server:policy rows to run, e.g. redis:allkeys-lru,strata:allkeys-2q (default: all)")
	flag.DurationVar(&cl.duration, "cluster", 5*time.Second, "time per cluster row and pipeline depth: one node against three behind ClusterClient (0 skips them)")
	flag.IntVar(&cl.clients, "cluster-clients", 50, "clients of the cluster rows")
	flag.DurationVar(&rt.duration, "readthrough", 10*time.Second, "time per read-through row, against a slow origin (0 skips them)")
	flag.IntVar(&rt.keys, "readthrough-keys", 10_000, "keys the read-through rows draw from (Zipf 1.1)")
	flag.IntVar(&rt.warm, "readthrough-warm", 1_000, "hottest keys the warmed read-through rows load first")
	flag.IntVar(&rt.clients, "readthrough-clients", 50, "clients of the read-through rows")
	flag.IntVar(&rt.rate, "readthrough-rate", 10_000, "requests per second the read-through clients send together")
	flag.DurationVar(&rt.delay, "origin-delay", 20*time.Millisecond, "the read-through origin's time per request")
	flag.DurationVar(&rt.ttl, "readthrough-ttl", 2*time.Second, "TTL of the read-through keys: short, so they expire during a row")
	flag.IntVar(&o.requests, "requests", 300_000, "requests per run at -P 1 (-n); pipelined runs send up to 5x more, MSET a third")
	flag.IntVar(&o.clients, "clients", 50, "parallel connections (-c)")
	flag.IntVar(&o.size, "size", 100, "value size in bytes (-d), for the memory comparison too")
	flag.IntVar(&o.keyspace, "keyspace", 100_000, "random keys per test (-r)")
	flag.Parse()
	if *rounds < 1 || o.requests < 1 || o.clients < 1 || o.size < 1 || o.keyspace < 1 || *keys < 0 {
		return fmt.Errorf("--rounds, --requests, --clients, --size and --keyspace must be positive")
	}
	depths, err := parseInts(*pipelines)
	if err != nil {
		return fmt.Errorf("--pipelines: %w", err)
	}
	selected, err := selectScenarios(*scenNames, *only)
	if err != nil {
		return err
	}
	allowed, err := allowedCPUs()
	if err != nil && *srvCPUs != 0 {
		return err
	}
	if pinning, err = planCPUs(*srvCPUs, allowed); err != nil { // cpus.go
		return err
	}
	if _, err := exec.LookPath("taskset"); err != nil && pinning.active() {
		return fmt.Errorf("--server-cpus needs taskset on PATH (Debian: util-linux)")
	}
	if *soak > 0 && *soakRows < 3 {
		return fmt.Errorf("--soak-samples must be at least 3")
	}
	for _, tool := range []string{"redis-server", "redis-benchmark"} {
		if _, err := exec.LookPath(tool); err != nil && *soak == 0 { // the soak runs strata alone
			return fmt.Errorf("%s not found on PATH (apt-get install redis-server redis-tools)", tool)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	work, err := os.MkdirTemp("", "strata-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := *strataBin
	if bin == "" {
		progress("building cmd/strata")
		if bin, err = buildStrata(ctx, work); err != nil {
			return err
		}
	}
	if err := pinning.pinSelf(); err != nil {
		return err
	}
	if *soak > 0 {
		return runSoak(ctx, bin, work, *soak, *soakRows) // soak.go
	}
	printVersions(bin)
	if hr.requests < 0 || hr.warm < 0 || hr.keys < 2 || hr.skew <= 0 || hr.size < 1 || (hr.only && hr.requests == 0) {
		return fmt.Errorf("--hitratio-requests, --hitratio-warm, --hitratio-keys (2 or more), --hitratio-skew and --hitratio-size must make sense")
	}
	if hr.only {
		return compareHitRatio(ctx, bin, work, hr) // hitratio.go
	}

	var rows []row
	for _, sc := range selected {
		r, err := runScenario(ctx, sc, bin, work, depths, *rounds, o)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if len(rows) > 0 {
		fmt.Printf("\nthroughput: -c %d -d %d -r %d, -n %d at -P 1 (x min(P,5) pipelined, /3 for MSET), median of %d rounds; latencies in ms; strata GOMAXPROCS %d\n",
			o.clients, o.size, o.keyspace, o.requests, *rounds, strataMaxProcs)
		printThroughput(os.Stdout, rows)
	}
	if *rates {
		if err := compareRates(ctx, scenarios[0], bin, work, depths, *rounds, o); err != nil {
			return err
		}
	}
	if *invalid > 0 {
		if err := compareInvalidation(ctx, scenarios[0], bin, work, *invalid, *rounds); err != nil {
			return err
		}
	}
	if *restart > 0 {
		if err := compareRestart(ctx, bin, work, *restart, o.size); err != nil { // tiers.go
			return err
		}
	}
	if *jsonKeys > 0 {
		if err := compareCompression(ctx, bin, work, *jsonKeys); err != nil { // tiers.go
			return err
		}
	}
	if rt.duration > 0 {
		if rt.keys < 2 || rt.warm < 0 || rt.warm > rt.keys || rt.clients < 1 || rt.rate < 1 || rt.delay < 0 || rt.ttl <= 0 {
			return fmt.Errorf("--readthrough-keys (2 or more), --readthrough-warm (at most the keys), --readthrough-clients, --readthrough-rate, --origin-delay and --readthrough-ttl must make sense")
		}
		if err := compareReadThrough(ctx, bin, work, rt); err != nil { // readthrough.go
			return err
		}
	}
	if cl.duration > 0 {
		cl.size, cl.keyspace = o.size, o.keyspace
		if err := compareCluster(ctx, bin, work, depths, *rounds, cl); err != nil { // cluster.go
			return err
		}
	}
	if hr.requests > 0 {
		if err := compareHitRatio(ctx, bin, work, hr); err != nil { // hitratio.go
			return err
		}
	}
	if *keys > 0 {
		st, rd, err := compareMemory(ctx, scenarios[0], bin, work, *keys, o.size)
		if err != nil {
			return err
		}
		fmt.Printf("\nmemory (%s scenario)\n", scenarios[0].name)
		printMemory(os.Stdout, o.size, st, rd)
	}
	return nil
}

// selectScenarios applies --scenarios and --only; --scenarios none runs
// none, for the other comparisons alone.
func selectScenarios(names, tests string) ([]scenario, error) {
	if names == "none" {
		return nil, nil
	}
	var out []scenario
	for _, sc := range scenarios {
		if names != "" && !slices.Contains(strings.Split(names, ","), sc.name) {
			continue
		}
		if tests != "" {
			sc.tests = slices.DeleteFunc(slices.Clone(sc.tests), func(t string) bool {
				return !slices.Contains(strings.Split(strings.ToLower(tests), ","), t)
			})
		}
		if len(sc.tests) > 0 {
			out = append(out, sc)
		}
	}
	if len(out) == 0 && (names != "" || tests != "") {
		return nil, fmt.Errorf("--scenarios %q --only %q select nothing", names, tests)
	}
	return out, nil
}

// startPair starts Strata and Redis configured as sc says.
func startPair(ctx context.Context, sc scenario, bin, work string) (strata, redis *server, err error) {
	strataArgv := append([]string{bin, "--loglevel", "warning"}, sc.strataArgs...)
	if sc.strataConfig != "" {
		path := filepath.Join(work, sc.name+".yaml")
		if err := os.WriteFile(path, []byte(sc.strataConfig), 0o644); err != nil {
			return nil, nil, err
		}
		strataArgv = append(strataArgv, "--config", path)
	}
	if strata, err = startServer(ctx, "strata", strataArgv, work); err != nil {
		return nil, nil, err
	}
	redisArgv := append([]string{"redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, sc.redisArgs...)
	if redis, err = startServer(ctx, "redis", redisArgv, work); err != nil {
		strata.stop()
		return nil, nil, err
	}
	return strata, redis, nil
}

// runScenario runs sc's tests at each pipeline depth for the given rounds,
// alternating which server goes first from round to round.
func runScenario(ctx context.Context, sc scenario, bin, work string, depths []int, rounds int, o benchOptions) ([]row, error) {
	strata, redis, err := startPair(ctx, sc, bin, work)
	if err != nil {
		return nil, err
	}
	defer strata.stop()
	defer redis.stop()
	o = o.forScenario(sc)
	if err := loadScenario(ctx, sc, o.keyspace, strata, redis); err != nil {
		return nil, err
	}
	var rows []row
	for _, p := range depths {
		for _, t := range sc.tests {
			rows = append(rows, row{scenario: sc.name, test: t, pipeline: p, samples: map[string][]sample{}})
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
				smp, err := runTest(ctx, s.addr, r.test, r.pipeline, o)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", s.name, err)
				}
				progress(fmt.Sprintf("round %d/%d %s %s -P %d %s: %.0f ops/s p50 %.3f p99 %.3f",
					round+1, rounds, sc.name, strings.ToUpper(r.test), r.pipeline, s.name, smp.rps, smp.p50, smp.p99))
				r.samples[s.name] = append(r.samples[s.name], smp)
			}
		}
	}
	return rows, nil
}

// loadScenario writes sc's data set into each server, then checks that
// they answer each of sc's command tests alike, so that its rows compare
// the same work.
func loadScenario(ctx context.Context, sc scenario, keyspace int, servers ...*server) error {
	if sc.load == nil {
		return nil
	}
	replies := make([][]byte, len(servers))
	for i, s := range servers {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		progress(fmt.Sprintf("loading %d items of the %s scenario into %s", keyspace, sc.name, s.name))
		c, err := dial(s.addr)
		if err != nil {
			return err
		}
		var reply bytes.Buffer
		err = sc.load(c, keyspace)
		for _, t := range sc.tests {
			if ct, ok := commandTests[t]; ok && err == nil {
				c.send(ct.cmd(keyspace / 2)...)
				if err = c.flush(); err == nil {
					err = copyReply(&reply, c.br)
				}
			}
		}
		c.Close()
		if err != nil {
			return fmt.Errorf("%s: %s: %w", s.name, sc.name, err)
		}
		replies[i] = reply.Bytes()
		if i > 0 && !bytes.Equal(replies[0], replies[i]) {
			return fmt.Errorf("%s: %s answers %q, %s %q", sc.name, servers[0].name, replies[0], s.name, replies[i])
		}
	}
	return nil
}

// compareMemory loads keys into a fresh pair of servers, one after the
// other so they do not compete, and measures each.
func compareMemory(ctx context.Context, sc scenario, bin, work string, keys, size int) (st, rd memResult, err error) {
	strata, redis, err := startPair(ctx, sc, bin, work)
	if err != nil {
		return st, rd, err
	}
	defer strata.stop()
	defer redis.stop()
	progress(fmt.Sprintf("loading %d keys into strata", keys))
	if st, err = measureMemory(strata, keys, size); err != nil {
		return st, rd, err
	}
	progress(fmt.Sprintf("loading %d keys into redis", keys))
	rd, err = measureMemory(redis, keys, size)
	return st, rd, err
}

func parseInts(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("invalid number %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// printVersions heads the output with what was compared and where.
func printVersions(bin string) {
	sv, _ := exec.Command(bin, "--version").Output()
	rv, _ := exec.Command("redis-server", "--version").Output()
	fmt.Printf("%s%s%s %s/%s, %d CPUs\n%s\n", sv, rv, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), pinning.describe())
}

func progress(msg string) { fmt.Fprintln(os.Stderr, "bench:", msg) }
