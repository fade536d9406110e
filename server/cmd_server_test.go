package server

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/internal/resp"
)

func TestTimeAndLastsave(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	before := time.Now().Unix()
	m := regexp.MustCompile(`^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n$`).FindStringSubmatch(c.do("TIME"))
	if m == nil {
		t.Fatal("TIME is not two bulk numbers")
	}
	secs, _ := strconv.ParseInt(m[1], 10, 64)
	micros, _ := strconv.ParseInt(m[2], 10, 64)
	if secs < before || secs > time.Now().Unix() || micros >= 1e6 {
		t.Errorf("TIME %d %d", secs, micros)
	}
	c.expect(fmt.Sprintf(":%d\r\n", s.started.Unix()), "LASTSAVE")
}

// infoFields parses INFO's text into its fields.
func infoFields(t *testing.T, raw string) map[string]string {
	t.Helper()
	fields := map[string]string{}
	for _, line := range strings.Split(bulkText(t, raw), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			fields[k] = v
		}
	}
	return fields
}

// TestInfo checks INFO's sections and the values Strata's configuration and
// counters give its fields. Redis's replies to INFO's section arguments are
// in conformance/testdata/server.txt.
func TestInfo(t *testing.T) {
	s := startServer(t, Config{MaxMemory: 1 << 30, Databases: 4})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "a", "1")
	c.expect("+OK\r\n", "SET", "b", "2", "EX", "100")
	c.expect("$1\r\n1\r\n", "GET", "a")
	c.expect("$-1\r\n", "GET", "nosuch")
	c.expect("+OK\r\n", "SELECT", "2")
	c.expect("+OK\r\n", "SET", "c", "3")

	raw := c.do("INFO")
	var titles []string
	for _, line := range strings.Split(raw, "\r\n") {
		if strings.HasPrefix(line, "# ") {
			titles = append(titles, line[2:])
		}
	}
	if got := strings.Join(titles, ","); got != "Server,Clients,Memory,Persistence,Stats,Replication,CPU,Modules,Errorstats,Cluster,Keyspace,Strata" {
		t.Errorf("INFO sections: %s", got)
	}
	f := infoFields(t, raw)
	for name, want := range map[string]string{
		"redis_version": RedisVersion, "strata_version": Version, "redis_mode": "standalone",
		"arch_bits": strconv.Itoa(strconv.IntSize), "tcp_port": strconv.Itoa(s.port()),
		"connected_clients": "1", "maxmemory": "1073741824", "maxmemory_human": "1.00G",
		"maxmemory_policy": "noeviction", "keyspace_hits": "1", "keyspace_misses": "1",
		"loading": "0", "aof_enabled": "0", "rdb_bgsave_in_progress": "0", "role": "master",
		"cluster_enabled": "0", "db0": "keys=2,expires=1,avg_ttl=0", "db2": "keys=1,expires=0,avg_ttl=0",
		"used_memory": strconv.FormatInt(s.store.Used(), 10), "total_commands_processed": "6",
	} {
		if f[name] != want {
			t.Errorf("INFO %s = %q, want %q", name, f[name], want)
		}
	}
	for _, name := range []string{"os", "process_id", "uptime_in_seconds", "used_memory_human", "used_memory_rss",
		"total_connections_received", "expired_keys", "evicted_keys", "rejected_connections", "run_id",
		"instantaneous_ops_per_sec", "used_cpu_sys", "rdb_last_save_time"} {
		if _, ok := f[name]; !ok {
			t.Errorf("INFO lacks %s", name)
		}
	}

	// As in Redis, commandstats and latencystats are in all, not default.
	if all, def := c.do("INFO", "all"), c.do("INFO", "default"); strings.Count(all, "# ") != strings.Count(def, "# ")+2 ||
		!strings.Contains(all, "# Commandstats\r\n") || !strings.Contains(all, "# Latencystats\r\n") {
		t.Errorf("INFO all and INFO default differ in other sections than commandstats and latencystats")
	}
}

func TestConfigResetStat(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("$-1\r\n", "GET", "nosuch")
	c.expect("+OK\r\n", "CONFIG", "RESETSTAT")
	f := infoFields(t, c.do("INFO", "stats"))
	for _, name := range []string{"keyspace_misses", "keyspace_hits", "total_connections_received", "expired_keys"} {
		if f[name] != "0" {
			t.Errorf("after RESETSTAT %s = %s", name, f[name])
		}
	}
	if f["total_commands_processed"] != "1" { // CONFIG RESETSTAT itself
		t.Errorf("after RESETSTAT total_commands_processed = %s", f["total_commands_processed"])
	}
}

func TestBytesToHuman(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0B", 1023: "1023B", 1024: "1.00K", 1536: "1.50K", 1 << 20: "1.00M",
		1<<30 + 1<<29: "1.50G", 1 << 40: "1.00T", 1 << 50: "1.00P", 1 << 60: "1024.00P",
	} {
		if got := bytesToHuman(n); got != want {
			t.Errorf("bytesToHuman(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestMemoryUsage checks that MEMORY USAGE reports what the key adds to
// used_memory.
func TestMemoryUsage(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	for _, tc := range []struct {
		name string
		set  []string
	}{
		{"short string", []string{"SET", "k1", "bar"}},
		{"long string", []string{"SET", "k2", strings.Repeat("x", 5000)}},
		{"with TTL", []string{"SET", "k3", "bar", "EX", "100"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.store.Used()
			c.expect("+OK\r\n", tc.set...)
			c.expect(fmt.Sprintf(":%d\r\n", s.store.Used()-before), "MEMORY", "USAGE", tc.set[1], "SAMPLES", "0")
		})
	}
}

func TestMemoryStats(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "k", "v")
	raw := c.do("MEMORY", "STATS")
	nodes, err := resp.Parse([]byte(raw))
	if err != nil || len(nodes) != 1 || nodes[0].Kind != '*' {
		t.Fatalf("MEMORY STATS: %q", raw)
	}
	stats := map[string]string{}
	for i := 0; i+1 < len(nodes[0].Elems); i += 2 {
		v := nodes[0].Elems[i+1]
		stats[nodes[0].Elems[i].Str] = v.Str + strconv.FormatInt(v.Num, 10)
	}
	for _, name := range []string{"peak.allocated", "total.allocated", "keys.count", "keys.bytes-per-key", "dataset.bytes", "fragmentation"} {
		if _, ok := stats[name]; !ok {
			t.Errorf("MEMORY STATS lacks %s", name)
		}
	}
	if stats["keys.count"] != "1" {
		t.Errorf("keys.count %q", stats["keys.count"])
	}
	c.do("HELLO", "3")
	if got := c.do("MEMORY", "STATS"); !strings.HasPrefix(got, "%") {
		t.Errorf("MEMORY STATS in RESP3 is not a map: %.20q", got)
	}
}

func TestSlowlogGet(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "CLIENT", "SETNAME", "slow")
	c.expect("+OK\r\n", "CONFIG", "SET", "slowlog-log-slower-than", "0")
	c.expect("$3\r\nabc\r\n", "ECHO", "abc")
	got := c.do("SLOWLOG", "GET", "1")
	re := regexp.MustCompile(`^\*1\r\n\*6\r\n:(\d+)\r\n:(\d+)\r\n:\d+\r\n\*2\r\n\$4\r\nECHO\r\n\$3\r\nabc\r\n\$\d+\r\n` +
		regexp.QuoteMeta(c.nc.LocalAddr().String()) + `\r\n\$4\r\nslow\r\n$`)
	if !re.MatchString(got) {
		t.Errorf("SLOWLOG GET 1: %q", got)
	}
	if all := c.do("SLOWLOG", "GET", "-1"); !strings.HasPrefix(all, "*3\r\n") {
		t.Errorf("SLOWLOG GET -1: %.20q", all)
	}
	c.expect(":4\r\n", "SLOWLOG", "LEN")
}

// TestShutdown checks that SHUTDOWN closes the server (its Done channel)
// and the connection, without a reply.
func TestShutdown(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.send("SHUTDOWN", "NOSAVE", "NOW")
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN did not close Done")
	}
	if !c.waitClosed() {
		t.Error("the connection stayed open")
	}
}
