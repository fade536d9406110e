package main

// The soak: a mixed load against one Strata process for a while, sampling
// what could leak, and failing when something grows without bound.
//
//	go run ./bench --soak 30s
//	go run ./bench --soak 2h --soak-samples 48
//
// The load runs on soakWorkers connections of its own and more that come
// and go: writes to a write_through, a write_back (with disk_evict) and a
// compressed namespace and to plain keys, many with short TTLs (expiry);
// reads of keys maxmemory has pushed out to disk; tagged writes and tag,
// pattern and event invalidations; a publisher and subscribers; and
// connections opened for one command and closed; warm-up jobs, one
// loading soakWarmKeys keys from an HTTP origin the bench serves every two
// seconds and one promoting the hottest persisted keys from disk every
// five. Memory is bounded well
// below the keys written (maxmemory 32mb under allkeys-lru, max-disk-size
// 64mb), so eviction runs throughout. A probe PINGs every 10ms.
//
// Every sample prints ops/s, errors, used_memory, RSS, the server's
// goroutines, open files and clients, the origin's warm-up requests, and
// the probe's PING p99. The soak fails on any error reply or broken
// connection, when a sample after the first saw no warm-up request (the
// jobs stopped), and when RSS, goroutines,
// open files or clients in the last third of the run all stay above the
// highest of the middle third by more than a margin: a level that keeps
// rising is a leak, one that settles is a working set.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// soakConfig is the Strata config the soak runs with, its warm-up jobs
// loading from origin.
func soakConfig(origin string) string {
	params := make([]string, soakWarmKeys)
	for i := range params {
		params[i] = fmt.Sprintf("{n: \"%d\"}", i)
	}
	return fmt.Sprintf(soakConfigFormat, origin, strings.Join(params, ", "))
}

// soakWarmKeys is how many keys the http warm-up job loads per run.
const soakWarmKeys = 100

const soakConfigFormat = `maxmemory: 32mb
maxmemory-policy: allkeys-lru
max-disk-size: 64mb
flush-interval: 500ms
notify-keyspace-events: Ex
namespaces:
  - match: "wt:*"
    strategy: write_through
  - match: "wb:*"
    strategy: write_back
    disk_evict: true
  - match: "z:*"
    strategy: write_back
    disk_evict: true
    compress: {min_size: 256, level: fastest}
  - match: "tmp:*"
    ttl: 2s
    jitter: 0.5
  - match: "warm:*"
    ttl: 5s
events:
  item_changed: ["wb:item:{id}:*"]
warmup:
  - name: pages
    schedule: "@every 2s"
    key: "warm:page:{n}"
    source: {http: "%s/page/{n}"}
    params: [%s]
  - name: hot
    schedule: "@every 5s"
    source: {hot: {top: 500}}
`

// soakKeys bounds each family's keyspace, so that write_through keys (which
// max-disk-size never evicts) stay well under the disk bound.
const soakKeys = 20000

// soakStats are the load's counters, shared by its goroutines.
type soakStats struct {
	ops, errors atomic.Int64
	firstErr    atomic.Pointer[string]
	pingMu      sync.Mutex
	pings       []time.Duration // since the last sample
	// warmups counts the origin's warm-up requests; lastWarmups is the
	// count at the last sample.
	warmups, lastWarmups atomic.Int64
}

// startSoakOrigin serves the warm-up job's origin on a loopback port: a
// small JSON body per page, each request counted in st.
func startSoakOrigin(st *soakStats) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.warmups.Add(1)
		page := strings.TrimPrefix(r.URL.Path, "/page/")
		fmt.Fprintf(w, `{"page": %q, "items": [1, 2, 3]}`, page)
	})}
	go srv.Serve(ln)
	return ln, nil
}

func (st *soakStats) fail(format string, args ...any) {
	st.errors.Add(1)
	msg := fmt.Sprintf(format, args...)
	st.firstErr.CompareAndSwap(nil, &msg)
}

// soakSample is one row of the soak's report.
type soakSample struct {
	at                                  time.Duration
	opsPerSec                           float64
	errors                              int64
	used, rss                           int64
	goroutines, files, clients, evicted int64
	warmups                             int64 // origin requests since the last sample
	pingP99                             time.Duration
}

// runSoak runs the soak for d, printing samples samples, and returns an
// error when it fails.
func runSoak(ctx context.Context, bin, work string, d time.Duration, samples int) error {
	st := &soakStats{}
	origin, err := startSoakOrigin(st)
	if err != nil {
		return err
	}
	defer origin.Close()
	conf := filepath.Join(work, "soak.yaml")
	if err := os.WriteFile(conf, []byte(soakConfig("http://"+origin.Addr().String())), 0o644); err != nil {
		return err
	}
	srv, err := startServer(ctx, "strata", []string{bin, "--loglevel", "warning", "--config", conf}, work)
	if err != nil {
		return err
	}
	defer srv.stop()
	progress(fmt.Sprintf("soak: %v against %s, %d samples", d, srv.addr, samples))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, load := range soakLoads {
		for w := 0; w < load.workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(i), uint64(w)))
				load.run(ctx, srv.addr, rng, st)
			}()
		}
	}

	admin, err := dial(srv.addr)
	if err != nil {
		return err
	}
	defer admin.Close()
	fmt.Printf("\nsoak: %v, maxmemory 32mb allkeys-lru, max-disk-size 64mb\n", d)
	fmt.Printf("%8s %9s %7s %12s %10s %10s %6s %7s %9s %8s %10s\n",
		"time", "ops/s", "errors", "used_memory", "RSS", "goroutines", "files", "clients", "evicted", "warm-ups", "PING p99")
	var rows []soakSample
	start, lastOps := time.Now(), int64(0)
	every := d / time.Duration(samples)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for len(rows) < samples {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		s, err := sampleSoak(srv, admin, st, every, &lastOps)
		if err != nil {
			return fmt.Errorf("soak: sampling: %w", err)
		}
		s.at = time.Since(start).Round(time.Second)
		rows = append(rows, s)
		fmt.Printf("%8v %9.0f %7d %12s %10s %10d %6d %7d %9d %8d %10v\n", s.at, s.opsPerSec, s.errors,
			mib(s.used), mib(s.rss), s.goroutines, s.files, s.clients, s.evicted, s.warmups, s.pingP99.Round(time.Microsecond))
	}
	cancel()
	wg.Wait()
	return judgeSoak(rows, st)
}

// sampleSoak reads the server's state and the load's counters since the
// last sample.
func sampleSoak(srv *server, admin *conn, st *soakStats, every time.Duration, lastOps *int64) (soakSample, error) {
	var s soakSample
	info, err := admin.info("everything")
	if err != nil {
		return s, err
	}
	num := func(k string) int64 {
		n, _ := strconv.ParseInt(info[k], 10, 64)
		return n
	}
	ops := st.ops.Load()
	s.opsPerSec = float64(ops-*lastOps) / every.Seconds()
	*lastOps = ops
	s.errors = st.errors.Load()
	s.used, s.goroutines, s.clients, s.evicted = num("used_memory"), num("go_goroutines"), num("connected_clients"), num("evicted_keys")
	if s.rss, err = srv.rss(); err != nil {
		return s, err
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", srv.cmd.Process.Pid))
	if err != nil {
		return s, err
	}
	s.files = int64(len(fds))
	warm := st.warmups.Load()
	s.warmups = warm - st.lastWarmups.Swap(warm)
	st.pingMu.Lock()
	pings := st.pings
	st.pings = nil
	st.pingMu.Unlock()
	if len(pings) > 0 {
		slices.Sort(pings)
		s.pingP99 = pings[len(pings)*99/100]
	}
	return s, nil
}

// judgeSoak fails the soak on errors, and on a level that kept rising:
// the last third of the samples all above the middle third's highest by
// more than the margin (the first third is the warm-up, filling memory).
func judgeSoak(rows []soakSample, st *soakStats) error {
	var problems []string
	if n := st.errors.Load(); n > 0 {
		problems = append(problems, fmt.Sprintf("%d errors, the first: %s", n, *st.firstErr.Load()))
	}
	// The http job runs every 2 s; three periods without one of its
	// requests means the jobs stopped.
	lastWarm := time.Duration(0)
	for _, r := range rows {
		if r.warmups > 0 {
			lastWarm = r.at
		} else if r.at-lastWarm > 6*time.Second {
			problems = append(problems, fmt.Sprintf("no warm-up request from %v to %v: the jobs stopped", lastWarm, r.at))
			break
		}
	}
	third := len(rows) / 3
	if third > 0 {
		middle, last := rows[third:2*third], rows[2*third:]
		for _, m := range []struct {
			name   string
			get    func(soakSample) int64
			margin float64 // fraction of the middle third's highest
			floor  int64   // and at least this much
		}{
			{"RSS", func(s soakSample) int64 { return s.rss }, 0.25, 32 << 20},
			{"goroutines", func(s soakSample) int64 { return s.goroutines }, 0.25, 50},
			{"open files", func(s soakSample) int64 { return s.files }, 0.25, 50},
			{"clients", func(s soakSample) int64 { return s.clients }, 0.25, 20},
		} {
			var high int64
			for _, s := range middle {
				high = max(high, m.get(s))
			}
			bound := high + max(int64(float64(high)*m.margin), m.floor)
			lowLast := m.get(last[0])
			for _, s := range last {
				lowLast = min(lowLast, m.get(s))
			}
			if lowLast > bound {
				problems = append(problems, fmt.Sprintf("%s grows without bound: at least %d in the last third, at most %d in the middle one", m.name, lowLast, high))
			}
		}
	}
	var all []time.Duration
	for _, r := range rows {
		all = append(all, r.pingP99)
	}
	slices.Sort(all)
	fmt.Printf("soak: %d errors; worst sampled PING p99 %v\n", st.errors.Load(), all[len(all)-1].Round(time.Microsecond))
	if len(problems) > 0 {
		return errors.New("soak failed: " + strings.Join(problems, "; "))
	}
	fmt.Println("soak: ok, nothing grew without bound")
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }

// soakLoad is one kind of client of the soak: run works until ctx is
// done, counting into st.
type soakLoad struct {
	workers int
	run     func(ctx context.Context, addr string, rng *rand.Rand, st *soakStats)
}

// soakLoads is the soak's mix of clients.
var soakLoads = []soakLoad{
	{4, soakWriter},
	{4, soakReader},
	{1, soakInvalidator},
	{1, soakPublisher},
	{4, soakSubscriber},
	{1, soakChurner},
	{1, soakProber},
}

// soakValue is a value of n bytes a compressor can shrink.
func soakValue(rng *rand.Rand, n int) string {
	unit := fmt.Sprintf(`{"id":%d,"name":"item","tags":["a","b"]}`, rng.IntN(1000))
	return strings.Repeat(unit, n/len(unit)+1)[:n]
}

// soakPipeline sends cmds as one pipeline and reads their replies,
// counting them; an error reply or a broken connection fails the soak.
func soakPipeline(c *conn, st *soakStats, cmds [][]string) bool {
	for _, cmd := range cmds {
		c.send(cmd...)
	}
	if err := c.flush(); err != nil {
		st.fail("write: %v", err)
		return false
	}
	for _, cmd := range cmds {
		if _, err := c.reply(); err != nil {
			st.fail("%s: %v", cmd[0], err)
			return false
		}
		st.ops.Add(1)
	}
	return true
}

// soakConn dials addr, counting a failure.
func soakConn(addr string, st *soakStats) *conn {
	c, err := dial(addr)
	if err != nil {
		st.fail("dial: %v", err)
	}
	return c
}

// soakPipelines sends the pipelines next builds on one connection, pausing
// between them, until ctx is done or a reply fails.
func soakPipelines(ctx context.Context, addr string, st *soakStats, pause time.Duration, next func() [][]string) {
	c := soakConn(addr, st)
	if c == nil {
		return
	}
	defer c.Close()
	for ctx.Err() == nil {
		if !soakPipeline(c, st, next()) {
			return
		}
		time.Sleep(pause)
	}
}

// soakWriter writes keys of every namespace, many with short TTLs.
func soakWriter(ctx context.Context, addr string, rng *rand.Rand, st *soakStats) {
	soakPipelines(ctx, addr, st, 0, func() [][]string {
		var cmds [][]string
		for i := 0; i < 16; i++ {
			k := strconv.Itoa(rng.IntN(soakKeys))
			v := soakValue(rng, 64+rng.IntN(2000))
			switch rng.IntN(6) {
			case 0:
				cmds = append(cmds, []string{"SET", "wt:" + k, v[:min(len(v), 512)]})
			case 1:
				cmds = append(cmds, []string{"SET", "wb:item:" + k + ":v", v})
			case 2:
				cmds = append(cmds, []string{"SET", "z:" + k, v})
			case 3:
				cmds = append(cmds, []string{"SET", "tmp:" + k, v})
			case 4:
				cmds = append(cmds, []string{"SET", "plain:" + k, v, "PX", strconv.Itoa(100 + rng.IntN(3000))})
			default:
				cmds = append(cmds, []string{"HSET", "h:" + strconv.Itoa(rng.IntN(500)), k, v[:64]})
			}
		}
		return cmds
	})
}

// soakReader reads keys of every namespace: persisted ones come back from
// disk once maxmemory has evicted them.
func soakReader(ctx context.Context, addr string, rng *rand.Rand, st *soakStats) {
	prefixes := []string{"wt:", "wb:item:", "z:", "tmp:", "plain:"}
	soakPipelines(ctx, addr, st, 0, func() [][]string {
		var cmds [][]string
		for i := 0; i < 16; i++ {
			p := prefixes[rng.IntN(len(prefixes))]
			k := p + strconv.Itoa(rng.IntN(soakKeys))
			if p == "wb:item:" {
				k += ":v"
			}
			cmds = append(cmds, []string{"GET", k})
		}
		return cmds
	})
}

// soakInvalidator writes tagged keys and invalidates by tag, pattern and
// event.
func soakInvalidator(ctx context.Context, addr string, rng *rand.Rand, st *soakStats) {
	soakPipelines(ctx, addr, st, 5*time.Millisecond, func() [][]string {
		tag := "tag" + strconv.Itoa(rng.IntN(50))
		cmds := [][]string{}
		for i := 0; i < 8; i++ {
			cmds = append(cmds, []string{"CACHE.SET", "tagged:" + strconv.Itoa(rng.IntN(soakKeys)), "v", "EX", "30", "TAGS", tag})
		}
		return append(cmds,
			[]string{"CACHE.INVALIDATE", "TAG", "tag" + strconv.Itoa(rng.IntN(50))},
			[]string{"CACHE.INVALIDATE", "PATTERN", "tagged:" + strconv.Itoa(rng.IntN(10)) + "*"},
			[]string{"CACHE.INVALIDATE", "EVENT", "item_changed", "id", strconv.Itoa(rng.IntN(soakKeys))})
	})
}

// soakPublisher publishes to the channels the subscribers listen on.
func soakPublisher(ctx context.Context, addr string, rng *rand.Rand, st *soakStats) {
	soakPipelines(ctx, addr, st, time.Millisecond, func() [][]string {
		var cmds [][]string
		for i := 0; i < 8; i++ {
			cmds = append(cmds, []string{"PUBLISH", "news." + strconv.Itoa(rng.IntN(4)), soakValue(rng, 200)})
		}
		return cmds
	})
}

// soakSubscriber subscribes to the news and to expiry events, and drains
// what comes; every few seconds it reconnects, so subscriptions come and
// go.
func soakSubscriber(ctx context.Context, addr string, rng *rand.Rand, st *soakStats) {
	for ctx.Err() == nil {
		c := soakConn(addr, st)
		if c == nil {
			return
		}
		c.send("PSUBSCRIBE", "news.*", "__keyevent@0__:expired")
		if err := c.flush(); err != nil {
			st.fail("subscribe: %v", err)
			c.Close()
			return
		}
		until := time.Now().Add(time.Duration(2000+rng.IntN(3000)) * time.Millisecond)
		c.nc.SetReadDeadline(until)
		n, _ := io.Copy(io.Discard, c.nc) // ends at the deadline
		st.ops.Add(n / 256)
		c.Close()
	}
}

// soakChurner opens a connection for one command and closes it.
func soakChurner(ctx context.Context, addr string, rng *rand.Rand, st *soakStats) {
	for ctx.Err() == nil {
		c := soakConn(addr, st)
		if c == nil {
			return
		}
		if !soakPipeline(c, st, [][]string{{"CLIENT", "SETNAME", "churn" + strconv.Itoa(rng.IntN(100))}, {"PING"}}) {
			c.Close()
			return
		}
		c.Close()
		time.Sleep(2 * time.Millisecond)
	}
}

// soakProber PINGs every 10ms and records the latency.
func soakProber(ctx context.Context, addr string, rng *rand.Rand, st *soakStats) {
	c := soakConn(addr, st)
	if c == nil {
		return
	}
	defer c.Close()
	for ctx.Err() == nil {
		at := time.Now()
		if _, err := c.do("PING"); err != nil {
			st.fail("PING: %v", err)
			return
		}
		lat := time.Since(at)
		st.pingMu.Lock()
		st.pings = append(st.pings, lat)
		st.pingMu.Unlock()
		st.ops.Add(1)
		time.Sleep(10 * time.Millisecond)
	}
}
