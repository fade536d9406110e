package server

// INFO [section ...]: the server's state as "field:value" lines in
// sections, with Redis 7.0's section and field names, so that redis-cli,
// monitoring exporters and client libraries read it unchanged. Fields about
// machinery Strata does not have (forks, AOF, replicas) carry the values a
// Redis without that machinery reports.
// https://redis.io/commands/info/

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// infoState is what INFO keeps between calls.
type infoState struct {
	// peakMemory is the highest used_memory INFO or MEMORY STATS has seen
	// since start or CONFIG RESETSTAT.
	peakMemory atomic.Int64
	runIDOnce  sync.Once
	runID      string // 40 hex digits, as Redis's run_id

	// opsMu guards the last sample of the command count, from which
	// instantaneous_ops_per_sec is the rate since the sample before.
	opsMu    sync.Mutex
	opsAt    time.Time
	opsCount int64
	opsRate  int64
}

// opsPerSec returns the commands per second between the last two INFO
// calls at least 100 ms apart (since start for the first), as monitoring
// tools that poll INFO expect of instantaneous_ops_per_sec.
func (s *Server) opsPerSec() int64 {
	st := &s.info
	st.opsMu.Lock()
	defer st.opsMu.Unlock()
	now, count := time.Now(), s.stats.commands.Load()
	if st.opsAt.IsZero() {
		st.opsAt = s.started
	}
	if count < st.opsCount { // CONFIG RESETSTAT
		st.opsCount = 0
	}
	if elapsed := now.Sub(st.opsAt); elapsed >= 100*time.Millisecond {
		st.opsRate = int64(float64(count-st.opsCount) / elapsed.Seconds())
		st.opsAt, st.opsCount = now, count
	}
	return st.opsRate
}

// runID returns the server's random run ID, made on first use.
func (s *Server) runID() string {
	s.info.runIDOnce.Do(func() {
		var b [20]byte
		rand.Read(b[:])
		s.info.runID = hex.EncodeToString(b[:])
	})
	return s.info.runID
}

// usedMemory returns used_memory, the bytes the keys cost (what maxmemory
// bounds), and records it as the peak if it is one.
func (s *Server) usedMemory() int64 {
	used := s.store.Used()
	for {
		peak := s.info.peakMemory.Load()
		if used <= peak || s.info.peakMemory.CompareAndSwap(peak, used) {
			return used
		}
	}
}

// infoSection is one INFO section: its title and the function writing its
// fields. Default sections are those INFO with no argument shows.
type infoSection struct {
	title       string
	inDefault   bool
	writeFields func(s *Server, w *infoWriter)
}

// infoSections are INFO's sections in Redis's order.
var infoSections = []infoSection{
	{"Server", true, (*Server).infoServer},
	{"Clients", true, (*Server).infoClients},
	{"Memory", true, (*Server).infoMemory},
	{"Persistence", true, (*Server).infoPersistence},
	{"Stats", true, (*Server).infoStats},
	{"Replication", true, (*Server).infoReplication},
	{"CPU", true, (*Server).infoCPU},
	{"Modules", true, func(*Server, *infoWriter) {}},
	{"Commandstats", false, (*Server).infoCommandStats}, // cmdstats.go
	{"Errorstats", true, (*Server).infoErrorStats},
	{"Latencystats", false, (*Server).infoLatencyStats},
	{"Cluster", true, (*Server).infoCluster},
	{"Keyspace", true, (*Server).infoKeyspace},
	// Strata's own: the CACHE.STATS counters (cmd_stats.go).
	{"Strata", true, (*Server).infoStrata},
}

// infoWriter accumulates INFO's text.
type infoWriter struct{ b strings.Builder }

func (w *infoWriter) field(name string, v any) { fmt.Fprintf(&w.b, "%s:%v\r\n", name, v) }

// infoText returns INFO's text for the requested section names ("default",
// "all" and "everything" included); unknown names add nothing.
func (s *Server) infoText(names []string) string {
	want := map[string]bool{}
	if len(names) == 0 {
		names = []string{"default"}
	}
	for _, n := range names {
		want[strings.ToLower(n)] = true
	}
	all := want["all"] || want["everything"]
	var w infoWriter
	for _, sec := range infoSections {
		if !all && !want[strings.ToLower(sec.title)] && !(want["default"] && sec.inDefault) {
			continue
		}
		if w.b.Len() > 0 {
			w.b.WriteString("\r\n")
		}
		w.b.WriteString("# " + sec.title + "\r\n")
		sec.writeFields(s, &w)
	}
	return w.b.String()
}

func cmdInfo(c *client, args [][]byte) {
	names := make([]string, len(args)-1)
	for i, a := range args[1:] {
		names[i] = string(a)
	}
	c.out.Verbatim("txt", c.srv.infoText(names))
}

// port returns the TCP port the server listens on.
func (s *Server) port() int {
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	if len(s.listeners) > 0 {
		if a, ok := s.listeners[0].Addr().(*net.TCPAddr); ok {
			return a.Port
		}
	}
	return s.cfg.Port
}

func (s *Server) infoServer(w *infoWriter) {
	now := time.Now()
	uptime := int64(now.Sub(s.started).Seconds())
	exe, _ := os.Executable()
	w.field("redis_version", RedisVersion)
	w.field("strata_version", Version)
	w.field("redis_git_sha1", "00000000")
	w.field("redis_git_dirty", 0)
	w.field("redis_build_id", "0")
	w.field("redis_mode", s.redisMode())
	w.field("os", osName())
	w.field("arch_bits", strconv.IntSize)
	w.field("go_version", runtime.Version())
	w.field("go_goroutines", runtime.NumGoroutine()) // for leak checks (bench --soak)
	w.field("go_maxprocs", runtime.GOMAXPROCS(0))    // the Ps Go code runs on (bench --server-cpus reports it)
	w.field("process_id", os.Getpid())
	w.field("process_supervised", "no")
	w.field("run_id", s.runID())
	w.field("tcp_port", s.port())
	w.field("server_time_usec", now.UnixMicro())
	w.field("uptime_in_seconds", uptime)
	w.field("uptime_in_days", uptime/86400)
	w.field("hz", 10) // the server cron's fixed rate
	s.cfgMu.RLock()
	w.field("configured_hz", s.configValue(configParams["hz"]))
	s.cfgMu.RUnlock()
	w.field("lru_clock", now.Unix()&(1<<24-1))
	w.field("executable", exe)
	w.field("config_file", s.cfg.ConfigFile)
	w.field("io_threads_active", 0)
}

// osName is Redis's "os" field: kernel name, release and machine.
func osName() string {
	name := strings.ToUpper(runtime.GOOS[:1]) + runtime.GOOS[1:]
	if runtime.GOOS == "darwin" {
		name = "Darwin"
	}
	if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		name += " " + strings.TrimSpace(string(rel))
	}
	machine := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]
	if machine == "" {
		machine = runtime.GOARCH
	}
	return name + " " + machine
}

func (s *Server) infoClients(w *infoWriter) {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	w.field("connected_clients", n)
	w.field("cluster_connections", 0)
	w.field("maxclients", s.maxClients())
	w.field("blocked_clients", s.blocking.blocked())
	w.field("tracking_clients", s.tracking.active.Load())
	w.field("clients_in_timeout_table", s.blocking.timed())
}

func (s *Server) infoMemory(w *infoWriter) {
	used := s.usedMemory()
	peak := s.info.peakMemory.Load()
	rss := residentMemory()
	max := s.store.MaxMemory()
	w.field("used_memory", used)
	w.field("used_memory_human", bytesToHuman(used))
	w.field("used_memory_rss", rss)
	w.field("used_memory_rss_human", bytesToHuman(rss))
	w.field("used_memory_peak", peak)
	w.field("used_memory_peak_human", bytesToHuman(peak))
	w.field("used_memory_peak_perc", percent(used, peak))
	w.field("used_memory_overhead", 0)
	w.field("used_memory_startup", 0)
	w.field("used_memory_dataset", used)
	w.field("used_memory_dataset_perc", percent(used, used))
	if total := systemMemory(); total > 0 {
		w.field("total_system_memory", total)
		w.field("total_system_memory_human", bytesToHuman(total))
	}
	w.field("maxmemory", max)
	w.field("maxmemory_human", bytesToHuman(max))
	w.field("maxmemory_policy", s.store.Policy().String())
	w.field("mem_fragmentation_ratio", ratio(rss, used))
	w.field("mem_allocator", runtime.Version())
	w.field("lazyfree_pending_objects", 0)
}

// percent formats part/whole as Redis's "%.2f%%" (0 when whole is 0).
func percent(part, whole int64) string {
	if whole == 0 {
		return "0.00%"
	}
	return fmt.Sprintf("%.2f%%", float64(part)*100/float64(whole))
}

func ratio(a, b int64) string {
	if b == 0 {
		return "0.00"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// bytesToHuman formats n as Redis's bytesToHuman: 1023B, 1.50K, 2.00M...
func bytesToHuman(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + "B"
	}
	d := float64(n)
	for _, unit := range []string{"K", "M", "G", "T", "P"} {
		d /= 1024
		if d < 1024 || unit == "P" {
			return fmt.Sprintf("%.2f%s", d, unit)
		}
	}
	return "" // not reached
}

// residentMemory returns the process's resident set size: from
// /proc/self/statm where there is one, else the memory Go holds from the
// operating system.
func residentMemory() int64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return pages * int64(os.Getpagesize())
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.Sys)
}

// systemMemory returns the machine's memory from /proc/meminfo, 0 where
// that is unknown.
func systemMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func (s *Server) infoPersistence(w *infoWriter) {
	w.field("loading", 0)
	w.field("async_loading", 0)
	w.field("rdb_changes_since_last_save", 0)
	w.field("rdb_bgsave_in_progress", 0)
	w.field("rdb_last_save_time", s.started.Unix())
	w.field("rdb_last_bgsave_status", "ok")
	w.field("rdb_last_bgsave_time_sec", -1)
	w.field("rdb_current_bgsave_time_sec", -1)
	w.field("rdb_saves", 0)
	w.field("aof_enabled", 0)
	w.field("aof_rewrite_in_progress", 0)
	w.field("aof_rewrite_scheduled", 0)
	w.field("aof_last_rewrite_time_sec", -1)
	w.field("aof_current_rewrite_time_sec", -1)
	w.field("aof_last_bgrewrite_status", "ok")
	w.field("aof_rewrites", 0)
	w.field("aof_last_write_status", "ok")
	s.diskTierInfo(w)
}

// diskTierInfo writes the persistence section's disk tier fields.
func (s *Server) diskTierInfo(w *infoWriter) {
	t := s.cache.Tier()
	if t == nil {
		w.field("disk_tier_enabled", 0)
		return
	}
	st := t.Stats()
	status := func(failed bool) string {
		if failed {
			return "err"
		}
		return "ok"
	}
	w.field("disk_tier_enabled", 1)
	w.field("disk_keys", st.Keys)
	w.field("disk_bytes", st.Bytes)
	w.field("disk_max_bytes", st.MaxBytes)
	w.field("write_back_backlog_keys", st.BacklogKeys)
	w.field("write_back_backlog_bytes", st.BacklogBytes)
	w.field("disk_last_flush_time", st.LastFlush/1000)
	w.field("disk_last_flush_duration_ms", st.LastFlushDuration)
	w.field("disk_last_flush_status", status(st.FlushFailed))
	w.field("disk_wal_status", status(st.WALFailed))
	w.field("disk_evicted_keys", st.Evicted)
	w.field("disk_rejected_writes", st.Refused)
}

func (s *Server) infoStats(w *infoWriter) {
	st := s.store.Stats()
	w.field("total_connections_received", s.stats.connections.Load())
	w.field("total_commands_processed", s.stats.commands.Load())
	w.field("instantaneous_ops_per_sec", s.opsPerSec())
	w.field("rejected_connections", s.stats.rejected.Load())
	w.field("expired_keys", st.Expired.Load())
	w.field("evicted_keys", st.Evicted.Load())
	w.field("evicted_clients", s.stats.evictedClients.Load())
	w.field("keyspace_hits", st.Hits.Load())
	w.field("keyspace_misses", st.Misses.Load())
	w.field("latest_fork_usec", 0)
	w.field("total_forks", 0)
	keys, items, prefixes := s.tracking.counts()
	w.field("tracking_total_keys", keys)
	w.field("tracking_total_items", items)
	w.field("tracking_total_prefixes", prefixes)
	w.field("unexpected_error_replies", 0)
	w.field("total_error_replies", s.errors.total.Load())
}

func (s *Server) infoReplication(w *infoWriter) {
	w.field("role", "master")
	w.field("connected_slaves", 0)
	w.field("master_failover_state", "no-failover")
	w.field("master_replid", s.runID())
	w.field("master_replid2", strings.Repeat("0", 40))
	w.field("master_repl_offset", 0)
	w.field("second_repl_offset", -1)
	w.field("repl_backlog_active", 0)
	w.field("repl_backlog_size", 1048576)
	w.field("repl_backlog_first_byte_offset", 0)
	w.field("repl_backlog_histlen", 0)
}

func (s *Server) infoCPU(w *infoWriter) {
	user, sys, ok := cpuTimes()
	if !ok {
		return
	}
	w.field("used_cpu_sys", fmt.Sprintf("%.6f", sys.Seconds()))
	w.field("used_cpu_user", fmt.Sprintf("%.6f", user.Seconds()))
	w.field("used_cpu_sys_children", "0.000000")
	w.field("used_cpu_user_children", "0.000000")
}

func (s *Server) infoKeyspace(w *infoWriter) {
	for i := 0; i < s.store.Databases(); i++ {
		db := s.store.DB(i)
		if n := db.Len(); n > 0 {
			w.field("db"+strconv.Itoa(i), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=0", n, db.Expires()))
		}
	}
}
