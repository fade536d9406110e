package main

// The two-tier comparisons: durable writes (a write_through namespace
// against appendfsync always, write_back against everysec), restart time
// with a million persisted keys against Redis loading its AOF, and memory
// per key for compressible JSON with and without compression and a
// trained dictionary.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func init() {
	scenarios = append(scenarios,
		scenario{
			name:  "write_through",
			about: "durable writes: a write_through namespace (group-committed log, fdatasync) against appendonly yes, appendfsync always",
			strataConfig: `namespaces:
  - match: "key:*"
    strategy: write_through
`,
			redisArgs: []string{"--appendonly", "yes", "--appendfsync", "always"},
			tests:     []string{"set"},
		},
		scenario{
			name:  "write_back",
			about: "a write_back namespace (flushed every second) against appendonly yes, appendfsync everysec",
			strataConfig: `namespaces:
  - match: "key:*"
    strategy: write_back
`,
			redisArgs: []string{"--appendonly", "yes", "--appendfsync", "everysec"},
			tests:     []string{"set"},
		},
	)
}

// restartResult is one server's restart with keys persisted.
type restartResult struct {
	serving time.Duration // from exec to the first GET answered with its value
	warm    time.Duration // to every key in memory (DBSIZE = keys); Redis: same as serving
}

// compareRestart loads keys values of size bytes into Strata (a write_back
// namespace) and Redis (AOF, everysec), stops both gracefully, starts them
// again on the same files, and times how long each takes to serve.
func compareRestart(ctx context.Context, bin, work string, keys, size int) error {
	conf := filepath.Join(work, "restart.yaml")
	if err := os.WriteFile(conf, []byte("namespaces:\n  - match: \"key:*\"\n    strategy: write_back\n"), 0o644); err != nil {
		return err
	}
	value := strings.Repeat("x", size)
	var st, rd []restartResult
	for _, spec := range []struct {
		name string
		argv []string
		out  *[]restartResult
	}{
		{"strata", []string{bin, "--loglevel", "warning", "--config", conf}, &st},
		{"redis", []string{"redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"}, &rd},
	} {
		dir := filepath.Join(work, "restart-"+spec.name)
		os.RemoveAll(dir)
		s, _, err := startInDir(ctx, spec.name, spec.argv, dir, "")
		if err != nil {
			return err
		}
		progress(fmt.Sprintf("loading %d keys into %s", keys, spec.name))
		err = loadKeys(s.addr, keys, func(i int) (string, string) { return fmt.Sprintf("key:%012d", i), value })
		s.stop()
		if err != nil {
			return err
		}
		probe := fmt.Sprintf("key:%012d", keys)
		s, serving, err := startInDir(ctx, spec.name, spec.argv, dir, probe)
		if err != nil {
			return err
		}
		warm := serving
		if spec.name == "strata" {
			warm, err = waitDBSize(s.addr, keys, serving)
		}
		s.stop()
		if err != nil {
			return err
		}
		*spec.out = append(*spec.out, restartResult{serving: serving, warm: warm})
	}
	fmt.Printf("\nrestart with %d persisted keys of %d bytes (strata: write_back namespace, bbolt; redis: AOF everysec)\n", keys, size)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tstrata\tredis\tratio\t")
	fmt.Fprintf(tw, "serving (first GET answered)\t%s\t%s\t%.3fx\t\n", st[0].serving.Round(time.Millisecond), rd[0].serving.Round(time.Millisecond),
		st[0].serving.Seconds()/rd[0].serving.Seconds())
	fmt.Fprintf(tw, "every key in memory\t%s\t%s\t%.2fx\t\n", st[0].warm.Round(time.Millisecond), rd[0].warm.Round(time.Millisecond),
		st[0].warm.Seconds()/rd[0].warm.Seconds())
	return tw.Flush()
}

// startInDir starts argv on a free port with dir as its data directory,
// and returns once it serves: once GET probe returns a value when probe is
// set (Redis answers LOADING until its AOF is read), else once it answers
// PING. It returns how long that took from exec.
func startInDir(ctx context.Context, name string, argv []string, dir, probe string) (*server, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, err
	}
	s := &server{name: name, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), log: filepath.Join(dir, "log"), done: make(chan struct{})}
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, err
	}
	defer logf.Close()
	argv = pinning.wrap(append(append([]string(nil), argv...), "--port", strconv.Itoa(port), "--dir", dir)) // cpus.go
	s.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	for deadline := start.Add(5 * time.Minute); time.Now().Before(deadline); {
		if c, err := dial(s.addr); err == nil {
			var got string
			if probe == "" {
				got, err = c.do("PING")
			} else if got, err = c.do("GET", probe); err == nil && got == "" {
				err = fmt.Errorf("%s not found", probe)
			}
			c.Close()
			if err == nil {
				return s, time.Since(start), nil
			}
		}
		select {
		case <-s.done:
			return nil, 0, fmt.Errorf("%s exited at start-up; its log %s:\n%s", name, s.log, tail(s.log))
		case <-time.After(time.Millisecond):
		}
	}
	s.stop()
	return nil, 0, fmt.Errorf("%s did not serve within 5 minutes", name)
}

// waitDBSize waits until the server at addr holds keys keys and returns
// the time since its start, given that already took elapsed.
func waitDBSize(addr string, keys int, elapsed time.Duration) (time.Duration, error) {
	c, err := dial(addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	start := time.Now()
	for time.Since(start) < 5*time.Minute {
		if n, err := c.do("DBSIZE"); err != nil {
			return 0, err
		} else if n == strconv.Itoa(keys) {
			return elapsed + time.Since(start), nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("DBSIZE did not reach %d", keys)
}

// loadKeys writes keys key/value pairs (kv(1) to kv(keys)) with pipelined
// SETs.
func loadKeys(addr string, keys int, kv func(i int) (string, string)) error {
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	for i := 1; i <= keys; i += loadBatch {
		n := min(loadBatch, keys-i+1)
		for j := 0; j < n; j++ {
			k, v := kv(i + j)
			c.send("SET", k, v)
		}
		if err := c.flush(); err != nil {
			return err
		}
		for j := 0; j < n; j++ {
			if _, err := c.reply(); err != nil {
				return fmt.Errorf("SET: %w", err)
			}
		}
	}
	return nil
}

// jsonValue is a product record of about 600 bytes: the shape of value
// (repeated field names, similar text) that compresses badly alone and
// well with a dictionary.
func jsonValue(i int) string {
	return fmt.Sprintf(`{"id":%d,"sku":"SKU-%06d","name":"Stainless steel water bottle %d","brand":"Acme Outdoor",`+
		`"category":"sports/outdoor/hydration","price":{"amount":%d.99,"currency":"EUR"},"stock":{"warehouse":"central","available":%d,"reserved":%d},`+
		`"attributes":{"color":"blue","capacity_ml":750,"material":"stainless steel","insulated":true,"dishwasher_safe":false},`+
		`"tags":["bottle","outdoor","hydration","eco"],"rating":{"average":4.%d,"count":%d},"updated_at":"2026-11-21T10:%02d:00Z",`+
		`"description":"Keeps drinks cold for 24 hours and hot for 12 hours. Leak-proof lid, fits most cup holders."}`,
		i, i, i, 10+i%90, i%500, i%7, i%10, 100+i, i%60)
}

// compareCompression loads keys JSON values into Redis and into Strata
// plain, compressed, and compressed with a dictionary trained on the first
// values, one server at a time, and compares memory per key.
func compareCompression(ctx context.Context, bin, work string, keys int) error {
	conf := func(name string, compress bool) (string, error) {
		text := "namespaces:\n  - name: products\n    match: \"product:*\"\n"
		if compress {
			text += "    compress: {min_size: 64, level: default}\n"
		}
		path := filepath.Join(work, name+".yaml")
		return path, os.WriteFile(path, []byte(text), 0o644)
	}
	kv := func(i int) (string, string) { return fmt.Sprintf("product:%09d", i), jsonValue(i) }
	type variant struct {
		name  string
		argv  []string
		train bool
	}
	plain, err := conf("json-plain", false)
	if err != nil {
		return err
	}
	packed, err := conf("json-zstd", true)
	if err != nil {
		return err
	}
	variants := []variant{
		{"redis", []string{"redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, false},
		{"strata", []string{bin, "--loglevel", "warning", "--config", plain}, false},
		{"strata zstd", []string{bin, "--loglevel", "warning", "--config", packed}, false},
		{"strata zstd+dict", []string{bin, "--loglevel", "warning", "--config", packed}, true},
	}
	results := make([]memResult, len(variants))
	for i, v := range variants {
		s, _, err := startInDir(ctx, strings.Fields(v.name)[0], v.argv, filepath.Join(work, fmt.Sprintf("json-%d", i)), "")
		if err != nil {
			return err
		}
		progress(fmt.Sprintf("loading %d JSON values into %s", keys, v.name))
		res, err := measureLoad(s, keys, kv, v.train)
		s.stop()
		if err != nil {
			return err
		}
		results[i] = res
	}
	fmt.Printf("\nmemory for %d JSON values of ~%d bytes (namespace product:*)\n", keys, len(jsonValue(keys/2)))
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tused_memory / key\tvs redis\tRSS growth / key\tvs redis\t")
	rd := results[0]
	for i, v := range variants {
		r := results[i]
		used, rss := float64(r.usedMemory)/float64(keys), float64(r.rss-r.rssStart)/float64(keys)
		fmt.Fprintf(tw, "%s\t%.1f\t%.2fx\t%.1f\t%.2fx\t\n", v.name, used, used/(float64(rd.usedMemory)/float64(keys)),
			rss, rss/(float64(rd.rss-rd.rssStart)/float64(keys)))
	}
	return tw.Flush()
}

// measureLoad loads keys values into s (after training the products
// namespace's dictionary on the first few thousand when train is set) and
// measures its memory once it settles.
func measureLoad(s *server, keys int, kv func(int) (string, string), train bool) (memResult, error) {
	res := memResult{keys: keys}
	var err error
	if res.rssStart, err = s.rss(); err != nil {
		return res, err
	}
	if train {
		if err := loadKeys(s.addr, min(keys, 2000), kv); err != nil {
			return res, err
		}
		c, err := dial(s.addr)
		if err != nil {
			return res, err
		}
		c.send("CACHE.DICT", "TRAIN", "products")
		c.flush()
		err = skipReply(c.br)
		c.Close()
		if err != nil {
			return res, fmt.Errorf("CACHE.DICT TRAIN: %w", err)
		}
	}
	if err := loadKeys(s.addr, keys, kv); err != nil {
		return res, err
	}
	time.Sleep(2 * time.Second)
	if res.rss, err = s.rss(); err != nil {
		return res, err
	}
	c, err := dial(s.addr)
	if err != nil {
		return res, err
	}
	defer c.Close()
	info, err := c.info("memory")
	if err != nil {
		return res, err
	}
	res.usedMemory, err = strconv.ParseInt(info["used_memory"], 10, 64)
	return res, err
}
