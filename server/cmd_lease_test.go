package server

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/policy"
)

// cachedLoad is the README's client wrapper, in Go: the value of key,
// loaded by load under CACHE.LEASE's protection. waited, when not nil,
// hears of the caller's first wait.
func cachedLoad(ctx context.Context, rdb *redis.Client, key string, load func() string, waited func()) (string, error) {
	for i := range 1000 {
		r, err := rdb.Do(ctx, "CACHE.LEASE", key).Slice()
		if err != nil {
			return "", err
		}
		switch r[0] {
		case "wait":
			if i == 0 && waited != nil {
				waited()
			}
			time.Sleep(time.Duration(r[1].(int64)) * time.Millisecond)
			continue
		case "load":
			v := load()
			return v, rdb.Set(ctx, key, v, time.Minute).Err()
		}
		return r[1].(string), nil // hit or stale
	}
	return "", fmt.Errorf("%s: still loading", key)
}

func TestLeaseAdmitsOneLoader(t *testing.T) {
	s := startServer(t, Config{})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), PoolSize: 50, DisableIndentity: true})
	defer rdb.Close()
	const callers = 50
	var loads, waiting atomic.Int64
	release := make(chan struct{})
	load := func() string {
		loads.Add(1)
		<-release // the other callers ask while this one loads
		return "computed"
	}
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := cachedLoad(context.Background(), rdb, "report", load, func() { waiting.Add(1) })
			if err == nil && v != "computed" {
				err = fmt.Errorf("got %q", v)
			}
			errs <- err
		}()
	}
	waitFor(t, "every other caller told to wait", func() bool { return waiting.Load() == callers-1 })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := loads.Load(); n != 1 {
		t.Errorf("%d callers loaded, want 1", n)
	}
}

func TestLeaseReplies(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now, Namespaces: []policy.Namespace{{Match: "report:", LeaseStale: time.Minute}}})
	a, b := dial(t, s), dial(t, s)

	a.expect("*2\r\n$4\r\nload\r\n:1\r\n", "CACHE.LEASE", "k", "PX", "1000")
	b.expect("*2\r\n$4\r\nwait\r\n:100\r\n", "CACHE.LEASE", "k")
	a.expect("+OK\r\n", "SET", "k", "v") // the holder's write releases the lease
	b.expect("*2\r\n$3\r\nhit\r\n$1\r\nv\r\n", "CACHE.LEASE", "k")

	// A holder that cannot load releases with its token; a wrong token
	// releases nothing.
	a.expect("*2\r\n$4\r\nload\r\n:2\r\n", "CACHE.LEASE", "j")
	b.expect(":0\r\n", "CACHE.LEASE.RELEASE", "j", "1")
	a.expect(":1\r\n", "CACHE.LEASE.RELEASE", "j", "2")
	b.expect("*2\r\n$4\r\nload\r\n:3\r\n", "CACHE.LEASE", "j")
	// A holder that vanishes loses the lease when it runs out.
	clk.Advance(6 * time.Second)
	a.expect("*2\r\n$4\r\nload\r\n:4\r\n", "CACHE.LEASE", "j")
	b.expect("*2\r\n$4\r\nwait\r\n:100\r\n", "CACHE.LEASE", "j")
	clk.Advance(4950 * time.Millisecond)
	b.expect("*2\r\n$4\r\nwait\r\n:51\r\n", "CACHE.LEASE", "j")

	// While one caller reloads an expired key, the others get its last
	// value for lease_stale.
	a.expect("+OK\r\n", "SET", "report:daily", "yesterday", "PX", "100")
	clk.Advance(time.Second)
	a.expect("*2\r\n$4\r\nload\r\n:5\r\n", "CACHE.LEASE", "report:daily")
	b.expect("*2\r\n$5\r\nstale\r\n$9\r\nyesterday\r\n", "CACHE.LEASE", "report:daily")

	a.expect(":1\r\n", "RPUSH", "list", "x")
	a.expect("-"+msgWrongType+"\r\n", "CACHE.LEASE", "list")
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"CACHE.LEASE", "k", "PX"}, msgSyntax},
		{[]string{"CACHE.LEASE", "k", "EX", "10"}, msgSyntax},
		{[]string{"CACHE.LEASE", "k", "PX", "soon"}, msgNotInteger},
		{[]string{"CACHE.LEASE", "k", "PX", "0"}, msgLeaseTTL},
		{[]string{"CACHE.LEASE", "k", "PX", "3600001"}, msgLeaseTTL},
		{[]string{"CACHE.LEASE.RELEASE", "k", "x"}, msgNotInteger},
		{[]string{"CACHE.LEASE"}, "ERR wrong number of arguments for 'cache.lease' command"},
		{[]string{"CACHE.LEASE.RELEASE", "k"}, "ERR wrong number of arguments for 'cache.lease.release' command"},
	} {
		a.expect("-"+bad.want+"\r\n", bad.args...)
	}
}
