package main

// The cluster rows: the same go-redis load against one node (a plain
// Client) and against three nodes in cluster mode (a ClusterClient, which
// routes each key to its slot's node and splits pipelines by node), for
// Strata and for redis-server, on this machine. A last row measures what a
// redirection costs: a plain Client asking one Strata node for keys the
// others own, so that every reply is a MOVED. On one machine the three
// nodes share its cores with each other and with the load, so the rows
// show the overhead of spreading keys, not the scaling of more machines
// (README's estimate works that out from these numbers).

import (
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
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/cluster"
)

// clusterOptions configures the cluster rows.
type clusterOptions struct {
	duration time.Duration // per row and pipeline depth
	clients  int
	size     int
	keyspace int
}

// threeSlots are the slots of three nodes, as redis-cli --cluster create
// splits them.
var threeSlots = []cluster.Range{{First: 0, Last: 5460}, {First: 5461, Last: 10922}, {First: 10923, Last: 16383}}

// clusterRow is one setup the load runs against.
type clusterRow struct {
	name   string
	client func() redis.UniversalClient
	// keys draws a request's key (nil: a random key of the keyspace).
	keys func(rng *rand.Rand) string
	// moved: every reply is a MOVED redirection, as the row means.
	moved bool
}

// compareCluster runs the cluster rows for rounds, alternating their order,
// and prints medians.
func compareCluster(ctx context.Context, bin, work string, depths []int, rounds int, o clusterOptions) error {
	one, err := startServer(ctx, "strata", []string{bin, "--loglevel", "warning"}, work)
	if err != nil {
		return err
	}
	defer one.stop()
	three, err := startStrataCluster(ctx, bin, work)
	if err != nil {
		return err
	}
	defer stopAll(three)
	redisOne, err := startServer(ctx, "redis", []string{"redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, work)
	if err != nil {
		return err
	}
	defer redisOne.stop()
	redisThree, err := startRedisCluster(ctx, work)
	if err != nil {
		return err
	}
	defer stopAll(redisThree)

	plain := func(addr string) func() redis.UniversalClient {
		return func() redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: addr, PoolSize: o.clients, Protocol: 2, DisableIndentity: true})
		}
	}
	clustered := func(nodes []*server) func() redis.UniversalClient {
		return func() redis.UniversalClient {
			return redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].addr}, PoolSize: o.clients, Protocol: 2, DisableIndentity: true})
		}
	}
	// Keys the first node of three does not own: every request is MOVED.
	var elsewhere []string
	for n := 0; len(elsewhere) < o.keyspace; n++ {
		if k := "key:" + strconv.Itoa(n); cluster.Slot([]byte(k)) > threeSlots[0].Last {
			elsewhere = append(elsewhere, k)
		}
	}
	rows := []clusterRow{
		{name: "strata, 1 node, Client", client: plain(one.addr)},
		{name: "strata, 3 nodes, ClusterClient", client: clustered(three)},
		{name: "redis, 1 node, Client", client: plain(redisOne.addr)},
		{name: "redis, 3 nodes, ClusterClient", client: clustered(redisThree)},
		{name: "strata, MOVED replies (wrong node)", client: plain(three[0].addr), moved: true,
			keys: func(rng *rand.Rand) string { return elsewhere[rng.IntN(len(elsewhere))] }},
	}
	samples := make([][][]sample, len(rows)) // row, depth, round
	for i := range samples {
		samples[i] = make([][]sample, len(depths))
	}
	for round := range rounds {
		order := make([]int, len(rows))
		for i := range order {
			order[i] = (i + round) % len(rows)
		}
		for d, p := range depths {
			for _, i := range order {
				smp, err := clusterLoad(ctx, rows[i], p, o)
				if err != nil {
					return fmt.Errorf("%s: %w", rows[i].name, err)
				}
				progress(fmt.Sprintf("round %d/%d %s -P %d: %.0f ops/s p50 %.3f p99 %.3f", round+1, rounds, rows[i].name, p, smp.rps, smp.p50, smp.p99))
				samples[i][d] = append(samples[i][d], smp)
			}
		}
	}
	fmt.Printf("\ncluster: go-redis, %d clients, 50%% SET / 50%% GET of %d-byte values over %d keys, %s per row, median of %d rounds; latencies in ms (of a pipeline at P > 1)\n",
		o.clients, o.size, o.keyspace, o.duration, rounds)
	printCluster(os.Stdout, rows, depths, samples)
	return nil
}

// clusterLoad runs the clients against row for o.duration at pipeline
// depth p, each sending SETs and GETs of random keys, after a fifth as
// long untimed, so that the clients have their connections and
// ClusterClient its slot map before the clock starts.
func clusterLoad(ctx context.Context, row clusterRow, p int, o clusterOptions) (sample, error) {
	rdb := row.client()
	defer rdb.Close()
	if _, err := drive(ctx, rdb, row, p, o, o.duration/5); err != nil {
		return sample{}, err
	}
	return drive(ctx, rdb, row, p, o, o.duration)
}

// drive runs the clients on rdb for d.
func drive(ctx context.Context, rdb redis.UniversalClient, row clusterRow, p int, o clusterOptions, d time.Duration) (sample, error) {
	value := strings.Repeat("x", o.size)
	key := row.keys
	if key == nil {
		key = func(rng *rand.Rand) string { return "key:" + strconv.Itoa(rng.IntN(o.keyspace)) }
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ops atomic.Int64
	lats := make([][]time.Duration, o.clients)
	errs := make([]error, o.clients)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), uint64(start.UnixNano())))
			pipe := rdb.Pipeline()
			for ctx.Err() == nil {
				t0 := time.Now()
				for range p {
					if k := key(rng); rng.IntN(2) == 0 {
						pipe.Set(ctx, k, value, 0)
					} else {
						pipe.Get(ctx, k)
					}
				}
				cmds, _ := pipe.Exec(ctx)
				if ctx.Err() != nil {
					return // the row's time is up mid-pipeline
				}
				for _, cmd := range cmds {
					if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) && !(row.moved && strings.HasPrefix(err.Error(), "MOVED ")) {
						errs[c] = err
						return
					}
				}
				lats[c] = append(lats[c], time.Since(t0))
				ops.Add(int64(p))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return sample{}, err
	}
	all := slices.Concat(lats...)
	if len(all) == 0 {
		return sample{}, errors.New("no request completed")
	}
	slices.Sort(all)
	pct := func(q float64) float64 { return ms(all[int(q*float64(len(all)-1))]) }
	return sample{rps: float64(ops.Load()) / elapsed.Seconds(), p50: pct(0.50), p99: pct(0.99)}, nil
}

// printCluster writes the cluster table: medians, and each row's ops/s
// against the first row's at the same depth.
func printCluster(w io.Writer, rows []clusterRow, depths []int, samples [][][]sample) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "setup\tP\tops/s\tvs strata 1 node\tp50\tp99\t")
	rps := func(s sample) float64 { return s.rps }
	for d, p := range depths {
		base := median(samples[0][d], rps)
		for i, r := range rows {
			ss := samples[i][d]
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2fx\t%.3f\t%.3f\t\n", r.name, p, median(ss, rps), median(ss, rps)/base,
				median(ss, func(s sample) float64 { return s.p50 }), median(ss, func(s sample) float64 { return s.p99 }))
		}
	}
	tw.Flush()
}

// startStrataCluster starts three Strata nodes in cluster mode and pushes
// them the map that splits the slots as threeSlots does.
func startStrataCluster(ctx context.Context, bin, work string) ([]*server, error) {
	var nodes []*server
	for range threeSlots {
		s, err := startServer(ctx, "strata", []string{bin, "--loglevel", "warning", "--cluster-enabled", "yes"}, work)
		if err != nil {
			stopAll(nodes)
			return nil, err
		}
		nodes = append(nodes, s)
	}
	args := []string{"CLUSTER.SETMAP", "1"}
	for i, s := range nodes {
		args = append(args, "NODE", "n"+strconv.Itoa(i), s.addr, cluster.FormatRanges(threeSlots[i:i+1]))
	}
	for _, s := range nodes {
		if err := doOnce(s.addr, args...); err != nil {
			stopAll(nodes)
			return nil, fmt.Errorf("CLUSTER.SETMAP: %w", err)
		}
	}
	return nodes, nil
}

// startRedisCluster starts three redis-servers in cluster mode, gives
// them threeSlots, joins them and waits until the cluster is ok.
func startRedisCluster(ctx context.Context, work string) ([]*server, error) {
	var nodes []*server
	for range threeSlots {
		s, err := startServer(ctx, "redis", []string{"redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--cluster-enabled", "yes"}, work) // nodes.conf in the server's own dir
		if err != nil {
			stopAll(nodes)
			return nil, err
		}
		nodes = append(nodes, s)
	}
	fail := func(err error) ([]*server, error) {
		stopAll(nodes)
		return nil, fmt.Errorf("redis cluster: %w", err)
	}
	for i, s := range nodes {
		r := threeSlots[i]
		if err := doOnce(s.addr, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(r.First), strconv.Itoa(r.Last)); err != nil {
			return fail(err)
		}
		if i > 0 {
			host, port, _ := strings.Cut(nodes[0].addr, ":")
			if err := doOnce(s.addr, "CLUSTER", "MEET", host, port); err != nil {
				return fail(err)
			}
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		ok := true
		for _, s := range nodes {
			c, err := dial(s.addr)
			if err != nil {
				return fail(err)
			}
			info, err := c.do("CLUSTER", "INFO")
			c.Close()
			if err != nil {
				return fail(err)
			}
			ok = ok && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3")
		}
		if ok {
			return nodes, nil
		}
		if time.Now().After(deadline) {
			return fail(errors.New("not ok within 30s"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// doOnce runs one command on a new connection.
func doOnce(addr string, args ...string) error {
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.do(args...)
	return err
}

func stopAll(nodes []*server) {
	for _, s := range nodes {
		s.stop()
	}
}
