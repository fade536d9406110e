package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// memResult is a server's memory after loading keys into it.
type memResult struct {
	keys       int
	rssStart   int64 // RSS before loading
	rss        int64 // RSS after loading
	usedMemory int64 // INFO memory used_memory after loading
}

// loadBatch is how many SETs go out before their replies are read.
const loadBatch = 1000

// measureMemory loads keys values of size bytes into s with pipelined
// SETs (keys key:000000000001, key:000000000002, ...), lets it settle, and
// reads its RSS and used_memory.
func measureMemory(s *server, keys, size int) (memResult, error) {
	res := memResult{keys: keys}
	var err error
	if res.rssStart, err = s.rss(); err != nil {
		return res, err
	}
	c, err := dial(s.addr)
	if err != nil {
		return res, err
	}
	defer c.Close()
	value := strings.Repeat("x", size)
	for i := 1; i <= keys; i += loadBatch {
		n := min(loadBatch, keys-i+1)
		for j := 0; j < n; j++ {
			c.send("SET", fmt.Sprintf("key:%012d", i+j), value)
		}
		if err := c.flush(); err != nil {
			return res, err
		}
		for j := 0; j < n; j++ {
			if _, err := c.reply(); err != nil {
				return res, fmt.Errorf("%s: SET: %w", s.name, err)
			}
		}
	}
	if got, err := c.do("DBSIZE"); err != nil || got != strconv.Itoa(keys) {
		return res, fmt.Errorf("%s: DBSIZE after loading %d keys: %s, %v", s.name, keys, got, err)
	}
	// Both servers free what loading left behind (Go's GC, jemalloc's
	// purge) within moments; measure after that, not during it.
	time.Sleep(2 * time.Second)
	if res.rss, err = s.rss(); err != nil {
		return res, err
	}
	info, err := c.info("memory")
	if err != nil {
		return res, err
	}
	if res.usedMemory, err = strconv.ParseInt(info["used_memory"], 10, 64); err != nil {
		return res, fmt.Errorf("%s: INFO memory used_memory %q", s.name, info["used_memory"])
	}
	return res, nil
}

// printMemory writes the memory table: bytes per key by used_memory, by
// the RSS the keys added, and by the whole RSS, with Strata/Redis ratios.
func printMemory(w io.Writer, size int, st, rd memResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%d keys of %d bytes\tstrata\tredis\tratio\t\n", st.keys, size)
	line := func(name string, f func(memResult) int64) {
		s, r := float64(f(st))/float64(st.keys), float64(f(rd))/float64(rd.keys)
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.2fx\t\n", name, s, r, s/r)
	}
	line("used_memory / key", func(m memResult) int64 { return m.usedMemory })
	line("RSS growth / key", func(m memResult) int64 { return m.rss - m.rssStart })
	line("RSS / key", func(m memResult) int64 { return m.rss })
	tw.Flush()
}
