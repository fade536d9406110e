package server

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestServerCommands(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"time arity", []string{"TIME", "x"}, "-ERR wrong number of arguments for 'time' command\r\n"},
		{"lastsave arity", []string{"LASTSAVE", "x"}, "-ERR wrong number of arguments for 'lastsave' command\r\n"},
		{"shutdown abort", []string{"SHUTDOWN", "ABORT"}, "-ERR No shutdown in progress.\r\n"},
		{"shutdown syntax", []string{"SHUTDOWN", "FOO"}, "-ERR syntax error\r\n"},
		{"shutdown abort with flag", []string{"SHUTDOWN", "NOSAVE", "ABORT"}, "-ERR syntax error\r\n"},
		{"shutdown save nosave", []string{"SHUTDOWN", "SAVE", "NOSAVE"}, "-ERR syntax error\r\n"},
		{"memory arity", []string{"MEMORY"}, "-ERR wrong number of arguments for 'memory' command\r\n"},
		{"memory unknown", []string{"MEMORY", "FOO"}, "-ERR unknown subcommand 'FOO'. Try MEMORY HELP.\r\n"},
		{"memory usage arity", []string{"MEMORY", "USAGE"}, "-ERR wrong number of arguments for 'memory|usage' command\r\n"},
		{"memory usage missing", []string{"MEMORY", "USAGE", "nosuch"}, "$-1\r\n"},
		{"memory usage samples", []string{"MEMORY", "USAGE", "nosuch", "SAMPLES", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{"memory usage negative", []string{"MEMORY", "USAGE", "nosuch", "SAMPLES", "-1"}, "-ERR syntax error\r\n"},
		{"memory usage option", []string{"MEMORY", "USAGE", "nosuch", "FOO"}, "-ERR syntax error\r\n"},
		{"memory usage dangling", []string{"MEMORY", "USAGE", "nosuch", "SAMPLES"}, "-ERR syntax error\r\n"},
		{"memory purge", []string{"MEMORY", "PURGE"}, "+OK\r\n"},
		{"memory malloc-stats", []string{"MEMORY", "MALLOC-STATS"}, "$45\r\nStats not supported for the current allocator\r\n"},
		{"memory doctor", []string{"MEMORY", "DOCTOR"}, fmt.Sprintf("$%d\r\n%s\r\n", len(msgDoctorEmpty), msgDoctorEmpty)},
		{"memory help", []string{"MEMORY", "HELP"}, "*14\r\n+MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+DOCTOR\r\n+    Return memory problems reports.\r\n+MALLOC-STATS\r\n+    Return internal statistics report from the memory allocator.\r\n+PURGE\r\n+    Attempt to purge dirty pages for reclamation by the allocator.\r\n+STATS\r\n+    Return information about the memory usage of the server.\r\n+USAGE <key> [SAMPLES <count>]\r\n+    Return memory in bytes used by <key> and its value. Nested values are\r\n+    sampled up to <count> times (default: 5, 0 means sample all).\r\n+HELP\r\n+    Prints this help.\r\n"},
		{"slowlog arity", []string{"SLOWLOG"}, "-ERR wrong number of arguments for 'slowlog' command\r\n"},
		{"slowlog unknown", []string{"SLOWLOG", "FOO"}, "-ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.\r\n"},
		{"slowlog get count", []string{"SLOWLOG", "GET", "x"}, "-ERR count should be greater than or equal to -1\r\n"},
		{"slowlog get below -1", []string{"SLOWLOG", "GET", "-2"}, "-ERR count should be greater than or equal to -1\r\n"},
		{"slowlog get extra", []string{"SLOWLOG", "GET", "1", "2"}, "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n"},
		{"slowlog len arity", []string{"SLOWLOG", "LEN", "x"}, "-ERR wrong number of arguments for 'slowlog|len' command\r\n"},
		{"slowlog reset", []string{"SLOWLOG", "RESET"}, "+OK\r\n"},
		{"slowlog help", []string{"SLOWLOG", "HELP"}, "*12\r\n+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET [<count>]\r\n+    Return top <count> entries from the slowlog (default: 10, -1 mean all).\r\n+    Entries are made of:\r\n+    id, timestamp, time in microseconds, arguments array, client IP and port,\r\n+    client name\r\n+LEN\r\n+    Return the length of the slowlog.\r\n+RESET\r\n+    Reset the slowlog.\r\n+HELP\r\n+    Prints this help.\r\n"},
		{"config help", []string{"CONFIG", "HELP"}, "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n+    Return parameters matching the glob-like <pattern> and their values.\r\n+SET <directive> <value>\r\n+    Set the configuration <directive> to <value>.\r\n+RESETSTAT\r\n+    Reset statistics reported by the INFO command.\r\n+REWRITE\r\n+    Rewrite the configuration file.\r\n+HELP\r\n+    Prints this help.\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("%v: got %q, want %q", tc.args, got, tc.want)
			}
		})
	}
}

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

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"one section", []string{"INFO", "cluster"}, "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"},
		{"any case, once", []string{"INFO", "CLUSTER", "Cluster"}, "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"},
		{"unknown", []string{"INFO", "foo"}, "$0\r\n\r\n"},
		{"modules", []string{"INFO", "modules"}, "$11\r\n# Modules\r\n\r\n"},
		{"several in Redis's order", []string{"INFO", "keyspace", "foo", "cluster"},
			"$108\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("%v: got %q, want %q", tc.args, got, tc.want)
			}
		})
	}
	// As in Redis, commandstats and latencystats are in all, not default.
	if all, def := c.do("INFO", "all"), c.do("INFO", "default"); strings.Count(all, "# ") != strings.Count(def, "# ")+2 ||
		!strings.Contains(all, "# Commandstats\r\n") || !strings.Contains(all, "# Latencystats\r\n") {
		t.Errorf("INFO all and INFO default differ in other sections than commandstats and latencystats")
	}
	c.do("HELLO", "3")
	if got := c.do("INFO", "cluster"); got != "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n" {
		t.Errorf("INFO in RESP3: %q", got)
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
	nodes, err := parseRESP3([]byte(raw))
	if err != nil || len(nodes) != 1 || nodes[0].kind != '*' {
		t.Fatalf("MEMORY STATS: %q", raw)
	}
	stats := map[string]string{}
	for i := 0; i+1 < len(nodes[0].elems); i += 2 {
		v := nodes[0].elems[i+1]
		stats[nodes[0].elems[i].str] = v.str + strconv.FormatInt(v.num, 10)
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
