package main

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// The read-through rows: clients read keys drawn from a Zipf distribution
// whose values live behind a slow HTTP origin (every request takes
// --origin-delay). On redis-server the clients run the hand-written
// get-or-load pattern (GET; on a miss, fetch from the origin and SET with
// the TTL), so every client that misses a key loads it. Strata's
// namespace names the origin, so the clients only GET: a miss loads once
// however many clients miss the key (single-flight), refresh-ahead
// reloads hot keys before they expire, and a warm-up job can fill the hot
// keys before the clients come. The TTL is short, so keys expire during
// the run, as they do in a long one. The clients send at a fixed total
// rate (each waits for its next slot), so that every row makes the same
// requests over the same time, whatever its latencies.
//
// Each row reports the hit rate (requests that did not wait for the
// origin), the origin requests the workload made, the clients' latency
// percentiles, and for the hottest keys alone (hotKeys of them: the keys
// whose expiry makes stampedes, and which refresh-ahead keeps from
// expiring) the 99th percentile and the origin requests that came after
// the key had expired, as the origin sees them: a load that was late, with
// readers waiting. A stampede makes several per expiry.

// hotKeys is how many of the hottest keys the last two columns cover.
const hotKeys = 10

// readThroughOptions configures the read-through rows.
type readThroughOptions struct {
	duration time.Duration // per row
	keys     int           // keyspace the Zipf draws from
	warm     int           // hottest keys a warm-up loads
	clients  int
	rate     int           // requests per second, all clients together
	delay    time.Duration // the origin's time per request
	ttl      time.Duration
}

// readThroughRow is one row: a server, and what it does for the clients.
type readThroughRow struct {
	name         string
	redis        bool // redis-server, not Strata
	getOrLoad    bool // the clients load misses themselves (Strata then has no origin)
	warm         bool // load the hottest keys before the run
	refreshAhead bool // Strata's refresh-ahead
}

var readThroughRows = []readThroughRow{
	{name: "redis-server, get-or-load in the client", redis: true, getOrLoad: true},
	{name: "redis-server, get-or-load, warmed", redis: true, getOrLoad: true, warm: true},
	{name: "strata, get-or-load in the client", getOrLoad: true},
	{name: "strata read-through (single-flight)"},
	{name: "strata read-through, refresh-ahead", refreshAhead: true},
	{name: "strata read-through, refresh-ahead, warm-up", refreshAhead: true, warm: true},
}

// readThroughResult is a row's measurement.
type readThroughResult struct {
	requests, misses, origin int64
	refreshes                int64 // Strata's refresh-ahead reloads
	p50, p99, max, hotP99    time.Duration
	late                     int64 // origin requests for the hottest keys after they expired
}

// slowOrigin is the HTTP origin: /k/<key> answers the key's value after
// delay; /hot?n=N answers the N hottest keys as NDJSON, for warm-ups.
type slowOrigin struct {
	srv      *http.Server
	url      string
	ttl      time.Duration
	requests atomic.Int64
	late     atomic.Int64
	mu       sync.Mutex
	expires  map[string]time.Time // when the value last served of each of the hottest keys expires
}

// hot reports whether key is one of the hottest keys, which the origin
// watches.
func hot(key string) bool {
	rank, err := strconv.Atoi(strings.TrimPrefix(key, "rt:"))
	return err == nil && rank < hotKeys
}

// arrived counts a request for key that arrived at t late when the value
// served last has expired by then: every request of a stampede counts.
func (o *slowOrigin) arrived(key string, t time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if exp, ok := o.expires[key]; ok && t.After(exp) {
		o.late.Add(1)
	}
}

// served notes that key's value was served at t.
func (o *slowOrigin) served(key string, t time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if exp := t.Add(o.ttl); exp.After(o.expires[key]) {
		o.expires[key] = exp
	}
}

func startSlowOrigin(delay, ttl time.Duration) (*slowOrigin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	o := &slowOrigin{url: "http://" + ln.Addr().String(), ttl: ttl, expires: map[string]time.Time{}}
	o.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		key := strings.TrimPrefix(r.URL.Path, "/k/")
		if hot(key) {
			o.arrived(key, time.Now())
		}
		time.Sleep(delay)
		if n, err := strconv.Atoi(r.URL.Query().Get("n")); err == nil && r.URL.Path == "/hot" {
			for i := range n {
				fmt.Fprintf(w, "{\"key\": %q, \"value\": %q}\n", rtKey(i), rtValue(rtKey(i)))
				if hot(rtKey(i)) {
					o.served(rtKey(i), time.Now())
				}
			}
			return
		}
		if hot(key) {
			o.served(key, time.Now())
		}
		io.WriteString(w, rtValue(key))
	})}
	go o.srv.Serve(ln)
	return o, nil
}

// rtKey is the key of Zipf rank i (0 the hottest); rtValue its value, 100
// bytes.
func rtKey(i int) string { return "rt:" + strconv.Itoa(i) }

func rtValue(key string) string { return fmt.Sprintf("%-100s", "value of "+key) }

// compareReadThrough runs every read-through row and prints the table.
func compareReadThrough(ctx context.Context, bin, work string, o readThroughOptions) error {
	origin, err := startSlowOrigin(o.delay, o.ttl)
	if err != nil {
		return err
	}
	defer origin.srv.Close()
	results := make([]readThroughResult, len(readThroughRows))
	for i, row := range readThroughRows {
		progress(fmt.Sprintf("read-through: %s, %v", row.name, o.duration))
		r, err := runReadThroughRow(ctx, row, origin, bin, work, o)
		if err != nil {
			return fmt.Errorf("%s: %w", row.name, err)
		}
		results[i] = r
	}
	fmt.Printf("\nread-through: Zipf(1.1) over %d keys, %d clients sending %d requests/s for %v per row, origin %v per request, TTL %v, warm-up of the %d hottest keys\n",
		o.keys, o.clients, o.rate, o.duration, o.delay, o.ttl, o.warm)
	printReadThrough(os.Stdout, results)
	return nil
}

// runReadThroughRow starts row's server, warms it if asked, runs the
// clients and measures.
func runReadThroughRow(ctx context.Context, row readThroughRow, origin *slowOrigin, bin, work string, o readThroughOptions) (readThroughResult, error) {
	var s *server
	var err error
	if row.redis {
		s, err = startServer(ctx, "redis", []string{"redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, work)
	} else {
		cfg := fmt.Sprintf("warmup:\n  - name: hot\n    source: {bulk: %q}\n    timeout: 1m\n", origin.url+"/hot?n="+strconv.Itoa(o.warm))
		if !row.getOrLoad {
			cfg += fmt.Sprintf("namespaces:\n  - match: \"rt:\"\n    ttl: %dms\n    origin: %q\n    refresh_ahead: %v\n",
				o.ttl.Milliseconds(), origin.url+"/k/{key}", row.refreshAhead)
		}
		path := filepath.Join(work, "readthrough.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			return readThroughResult{}, err
		}
		s, err = startServer(ctx, "strata", []string{bin, "--loglevel", "warning", "--config", path}, work)
	}
	if err != nil {
		return readThroughResult{}, err
	}
	defer s.stop()
	c, err := dial(s.addr)
	if err != nil {
		return readThroughResult{}, err
	}
	defer c.Close()
	if row.warm {
		if err := warmReadThrough(c, row.redis, origin, o); err != nil {
			return readThroughResult{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	if _, err := c.do("CONFIG", "RESETSTAT"); err != nil {
		return readThroughResult{}, err
	}
	before, lateBefore := origin.requests.Load(), origin.late.Load()
	res, err := readThroughClients(ctx, s.addr, row.getOrLoad, origin, o)
	if err != nil {
		return res, err
	}
	res.origin, res.late = origin.requests.Load()-before, origin.late.Load()-lateBefore
	if !row.getOrLoad {
		stats, err := c.info("stats")
		if err != nil {
			return res, err
		}
		res.misses, _ = strconv.ParseInt(stats["keyspace_misses"], 10, 64)
		strata, err := c.info("strata")
		if err != nil {
			return res, err
		}
		res.refreshes, _ = strconv.ParseInt(strata["origin_refreshes"], 10, 64)
	}
	return res, nil
}

// warmReadThrough loads the o.warm hottest keys: Strata runs its warm-up
// job; on Redis the team's script fetches the same list and SETs it.
func warmReadThrough(c *conn, redis bool, origin *slowOrigin, o readThroughOptions) error {
	if !redis {
		c.send("CACHE.WARMUP", "RUN", "hot")
		if err := c.flush(); err != nil {
			return err
		}
		res, err := c.strings() // loaded, n, failed, n, ...
		if err == nil && (len(res) < 2 || res[1] != strconv.Itoa(o.warm)) {
			err = fmt.Errorf("CACHE.WARMUP RUN replied %v", res)
		}
		return err
	}
	// The team's script fetches the same list (its values are rtValue's).
	resp, err := http.Get(origin.url + "/hot?n=" + strconv.Itoa(o.warm))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for i := range o.warm {
		c.send("SET", rtKey(i), rtValue(rtKey(i)), "PX", strconv.FormatInt(o.ttl.Milliseconds(), 10))
	}
	if err := c.flush(); err != nil {
		return err
	}
	for range o.warm {
		if _, err := c.reply(); err != nil {
			return err
		}
	}
	return nil
}

// readThroughClients runs o.clients readers for o.duration and returns
// their requests, misses (with getOrLoad, where the clients see them) and
// latencies.
func readThroughClients(ctx context.Context, addr string, getOrLoad bool, origin *slowOrigin, o readThroughOptions) (readThroughResult, error) {
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.clients}}
	end := time.Now().Add(o.duration)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lat, hot []time.Duration
	var res readThroughResult
	var firstErr error
	for i := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(addr)
			if err == nil {
				defer c.Close()
			}
			zipf := rand.NewZipf(rand.New(rand.NewSource(int64(i)+1)), 1.1, 1, uint64(o.keys-1))
			interval := time.Second * time.Duration(o.clients) / time.Duration(o.rate)
			next := time.Now().Add(interval * time.Duration(i) / time.Duration(o.clients)) // spread the clients' slots
			var mine, mineHot []time.Duration
			var misses int64
			for err == nil && next.Before(end) && ctx.Err() == nil {
				time.Sleep(time.Until(next))
				next = next.Add(interval)
				rank := int(zipf.Uint64())
				key := rtKey(rank)
				start := time.Now()
				var v string
				if v, err = c.do("GET", key); err == nil && v == "" {
					if !getOrLoad {
						err = fmt.Errorf("GET %s: nil from a read-through namespace", key)
						break
					}
					misses++
					err = getOrLoadMiss(c, httpc, origin.url, key, o.ttl)
				}
				mine = append(mine, time.Since(start))
				if rank < hotKeys {
					mineHot = append(mineHot, mine[len(mine)-1])
				}
			}
			mu.Lock()
			defer mu.Unlock()
			lat, hot = append(lat, mine...), append(hot, mineHot...)
			res.misses += misses
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	slices.Sort(hot)
	res.requests = int64(len(lat))
	if len(lat) > 0 && len(hot) > 0 {
		res.p50, res.p99, res.max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
		res.hotP99 = hot[len(hot)*99/100]
	}
	return res, firstErr
}

// getOrLoadMiss is the hand-written miss path: fetch the value from the
// origin, then SET it with the TTL.
func getOrLoadMiss(c *conn, httpc *http.Client, originURL, key string, ttl time.Duration) error {
	resp, err := httpc.Get(originURL + "/k/" + key)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	_, err = c.do("SET", key, string(body), "PX", strconv.FormatInt(ttl.Milliseconds(), 10))
	return err
}

func printReadThrough(out io.Writer, rs []readThroughResult) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "row\trequests\thit rate\torigin requests\tof them refreshes\tp50 ms\tp99 ms\tmax ms\thottest %d: p99 ms\tloads after expiry\t\n", hotKeys)
	for i, r := range rs {
		hit := 0.0
		if r.requests > 0 {
			hit = 1 - float64(r.misses)/float64(r.requests)
		}
		fmt.Fprintf(w, "%s\t%d\t%.2f%%\t%d\t%d\t%.2f\t%.2f\t%.1f\t%.2f\t%d\t\n", readThroughRows[i].name, r.requests, hit*100, r.origin,
			r.refreshes, ms(r.p50), ms(r.p99), ms(r.max), ms(r.hotP99), r.late)
	}
	w.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
