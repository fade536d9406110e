package server

// /metrics on the admin listener (admin.go): Strata's statistics in
// Prometheus's text format, through prometheus/client_golang. Nothing is
// counted twice: the collector reads, at scrape time, the same counters
// CACHE.STATS, INFO, CACHE.WARMUP STATUS and the slow log read.

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/stratakv/strata/internal/hist"
	"github.com/stratakv/strata/storage"
)

// latencyBuckets are the upper bounds of the latency histograms, from a
// microsecond (a GET in memory) to ten seconds (a script, a slow fsync).
var latencyBuckets = []time.Duration{
	time.Microsecond, 2500 * time.Nanosecond, 5 * time.Microsecond,
	10 * time.Microsecond, 25 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// warmupBuckets are the upper bounds of the warm-up run duration
// histogram: from a few keys against a local origin to a long bulk load.
// They stop below the range internal/hist keeps apart (18 minutes):
// longer runs are in +Inf.
var warmupBuckets = []time.Duration{
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
	5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
	5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
}

// hotKeysExported is how many hot keys of each database /metrics shows.
const hotKeysExported = 10

// metricDesc describes one metric family.
type metricDesc struct {
	*prometheus.Desc
	kind prometheus.ValueType
}

func newDesc(name, help string, kind prometheus.ValueType, labels ...string) metricDesc {
	return metricDesc{prometheus.NewDesc("strata_"+name, help, labels, nil), kind}
}

// The metric families of the Strata collector.
var (
	mHits          = newDesc("hits_total", "Reads that found their key, by namespace and the tier that had it.", prometheus.CounterValue, "namespace", "tier")
	mMisses        = newDesc("misses_total", "Reads that found no key, by namespace.", prometheus.CounterValue, "namespace")
	mSets          = newDesc("sets_total", "Key writes (a TTL change included), by namespace.", prometheus.CounterValue, "namespace")
	mDeletes       = newDesc("deletes_total", "Keys deleted (DEL, UNLINK, invalidations...), by namespace.", prometheus.CounterValue, "namespace")
	mExpirations   = newDesc("expirations_total", "Keys removed by expiry, by namespace.", prometheus.CounterValue, "namespace")
	mEvictions     = newDesc("evictions_total", "Keys evicted by maxmemory, by namespace.", prometheus.CounterValue, "namespace")
	mInvalidations = newDesc("invalidations_total", "Keys removed by CACHE.INVALIDATE, by namespace and kind.", prometheus.CounterValue, "namespace", "kind")
	mRawBytes      = newDesc("compression_input_bytes_total", "Bytes of the values written compressed, before compression.", prometheus.CounterValue, "namespace")
	mStoredBytes   = newDesc("compression_output_bytes_total", "Bytes of the values written compressed, after compression.", prometheus.CounterValue, "namespace")
	mRate          = newDesc("rate_limit_decisions_total", "CACHE.RATE and CL.THROTTLE requests, by namespace and decision.", prometheus.CounterValue, "namespace", "decision")
	mThrottle      = newDesc("throttle_decisions_total", "CACHE.THROTTLE calls, by namespace and decision.", prometheus.CounterValue, "namespace", "decision")
	mNSKeys        = newDesc("namespace_keys", "Keys in the memory tier, by namespace.", prometheus.GaugeValue, "namespace")
	mNSBytes       = newDesc("namespace_memory_bytes", "What the namespace's keys cost in the memory tier.", prometheus.GaugeValue, "namespace")

	mOriginRequests = newDesc("origin_requests_total", "Requests to the namespace's origin: read-through loads, refresh-ahead and refresh jobs' reloads.", prometheus.CounterValue, "namespace")
	mOriginFailures = newDesc("origin_failures_total", "Origin requests that failed: transport errors, timeouts, statuses neither 2xx nor 404, bodies too large or cut short.", prometheus.CounterValue, "namespace")
	mOriginNotFound = newDesc("origin_not_found_total", "Origin requests answered 404.", prometheus.CounterValue, "namespace")
	mOriginNegative = newDesc("origin_negative_hits_total", "Misses answered by a remembered 404 (negative_ttl), with no request.", prometheus.CounterValue, "namespace")
	mOriginShared   = newDesc("origin_shared_loads_total", "Misses that joined a load in flight (single-flight), with no request of their own.", prometheus.CounterValue, "namespace")
	mOriginStale    = newDesc("origin_stale_served_total", "Expired values served while the origin failed (stale_if_error).", prometheus.CounterValue, "namespace")
	mOriginRefresh  = newDesc("origin_refreshes_total", "Refresh-ahead reloads started by reads close to a key's expiry.", prometheus.CounterValue, "namespace")

	mWarmupRuns     = newDesc("warmup_runs_total", "Finished runs of the warm-up job.", prometheus.CounterValue, "job")
	mWarmupFailed   = newDesc("warmup_failed_runs_total", "Runs of the warm-up job that failed a key or request.", prometheus.CounterValue, "job")
	mWarmupSkipped  = newDesc("warmup_skipped_runs_total", "Runs of the warm-up job not started because it was still running.", prometheus.CounterValue, "job")
	mWarmupDuration = newDesc("warmup_duration_seconds", "Durations of the warm-up job's finished runs.", prometheus.UntypedValue, "job")
	mWarmupKeys     = newDesc("warmup_keys_total", "Keys of the job's finished runs, by result: loaded, failed or skipped (a bulk request that fails is one failed).", prometheus.CounterValue, "job", "result")
	mWarmupRunning  = newDesc("warmup_running", "1 while a run of the warm-up job goes, else 0.", prometheus.GaugeValue, "job")
	mWarmupLastRun  = newDesc("warmup_last_run_timestamp_seconds", "When the job's last finished run started, in unix seconds (absent before the first).", prometheus.GaugeValue, "job")

	mCommands   = newDesc("command_duration_seconds", "Command run times, by command (subcommands as container|sub).", prometheus.UntypedValue, "command")
	mRejected   = newDesc("command_rejected_total", "Commands refused before they ran (arity, NOAUTH, context), by command.", prometheus.CounterValue, "command")
	mFailed     = newDesc("command_failed_total", "Commands that ran and replied with an error, by command.", prometheus.CounterValue, "command")
	mErrors     = newDesc("error_replies_total", "Error replies sent to clients, by error code.", prometheus.CounterValue, "code")
	mClients    = newDesc("connected_clients", "Client connections open.", prometheus.GaugeValue)
	mConns      = newDesc("connections_received_total", "Client connections accepted.", prometheus.CounterValue)
	mKeys       = newDesc("keys", "Keys in the memory tier, by database.", prometheus.GaugeValue, "db")
	mUsed       = newDesc("memory_used_bytes", "What the keys cost in the memory tier (INFO used_memory).", prometheus.GaugeValue)
	mMaxMemory  = newDesc("memory_max_bytes", "The maxmemory setting (0: no bound).", prometheus.GaugeValue)
	mHotKey     = newDesc("hot_key_accesses", "Decayed access counts of each database's hottest keys (halved every minute).", prometheus.GaugeValue, "db", "key")
	mDiskKeys   = newDesc("disk_keys", "Keys in the disk tier.", prometheus.GaugeValue)
	mDiskBytes  = newDesc("disk_bytes", "Live bytes in the disk tier.", prometheus.GaugeValue)
	mBacklog    = newDesc("write_back_backlog_keys", "write_back writes waiting for a flush.", prometheus.GaugeValue)
	mWALSync    = newDesc("wal_sync_duration_seconds", "Write-ahead log batches: the time to write and fdatasync each.", prometheus.UntypedValue)
	mWALRecords = newDesc("wal_synced_records_total", "Records the write-ahead log made durable (over the syncs: the mean batch size).", prometheus.CounterValue)
)

// metricsCollector is the prometheus.Collector of a Server's statistics.
type metricsCollector struct{ s *Server }

// Describe sends nothing: the collector is unchecked, as its label values
// (commands, error codes, hot keys) are known only at scrape time.
func (metricsCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the statistics into ch.
func (m metricsCollector) Collect(ch chan<- prometheus.Metric) {
	s := m.s
	emit := func(d metricDesc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d.Desc, d.kind, v, labels...)
	}
	s.collectNamespaces(emit)
	s.collectWarmups(ch, emit)
	s.commands.eachCommand(func(cmd *command, st *cmdStats) {
		ch <- histogramMetric(mCommands, st.latency.Snapshot(), latencyBuckets, cmd.name)
		emit(mRejected, float64(st.rejected.Load()), cmd.name)
		emit(mFailed, float64(st.failed.Load()), cmd.name)
	})
	codes, counts := s.errors.snapshot()
	for _, code := range codes {
		emit(mErrors, float64(counts[code]), code)
	}
	s.mu.Lock()
	clients := len(s.clients)
	s.mu.Unlock()
	emit(mClients, float64(clients))
	emit(mConns, float64(s.stats.connections.Load()))
	emit(mUsed, float64(s.store.Used()))
	emit(mMaxMemory, float64(s.store.MaxMemory()))
	for i := 0; i < s.store.Databases(); i++ {
		n := s.store.DB(i).Len()
		if n == 0 {
			continue
		}
		db := strconv.Itoa(i)
		emit(mKeys, float64(n), db)
		for _, h := range s.store.HotKeys(i, hotKeysExported, nil) {
			emit(mHotKey, h.Count, db, h.Key)
		}
	}
	if t := s.cache.Tier(); t != nil {
		st := t.Stats()
		emit(mDiskKeys, float64(st.Keys))
		emit(mDiskBytes, float64(st.Bytes))
		emit(mBacklog, float64(st.BacklogKeys))
		if st.WALSyncs != nil {
			ch <- histogramMetric(mWALSync, st.WALSyncs, latencyBuckets)
			emit(mWALRecords, float64(st.WALRecords))
		}
	}
}

// collectNamespaces emits the per-namespace counters and gauges: of each
// configured namespace, or of the whole keyspace as namespace "default"
// when none is configured.
func (s *Server) collectNamespaces(emit func(metricDesc, float64, ...string)) {
	for _, ns := range s.namespaceStats() {
		c, name := ns.ctr, ns.name
		emit(mHits, float64(ns.hits-c.DiskHits.Load()), name, "memory")
		emit(mHits, float64(c.DiskHits.Load()), name, "disk")
		emit(mMisses, float64(ns.misses), name)
		emit(mSets, float64(c.Sets.Load()), name)
		emit(mDeletes, float64(c.Deletes.Load()), name)
		emit(mExpirations, float64(ns.expired), name)
		emit(mEvictions, float64(ns.evicted), name)
		for k := range c.Invalidations {
			emit(mInvalidations, float64(c.Invalidations[k].Load()), name, storage.Invalidation(k).String())
		}
		emit(mRawBytes, float64(c.RawBytes.Load()), name)
		emit(mStoredBytes, float64(c.StoredBytes.Load()), name)
		emit(mRate, float64(c.RateAllowed.Load()), name, "allowed")
		emit(mRate, float64(c.RateDenied.Load()), name, "denied")
		emit(mThrottle, float64(c.ThrottleAllowed.Load()), name, "allowed")
		emit(mThrottle, float64(c.ThrottleSuppressed.Load()), name, "suppressed")
		emit(mNSKeys, float64(ns.keys), name)
		emit(mNSBytes, float64(ns.bytes), name)
		emit(mOriginRequests, float64(c.OriginRequests.Load()), name)
		emit(mOriginFailures, float64(c.OriginFailures.Load()), name)
		emit(mOriginNotFound, float64(c.OriginNotFound.Load()), name)
		emit(mOriginNegative, float64(c.OriginNegativeHits.Load()), name)
		emit(mOriginShared, float64(c.OriginShared.Load()), name)
		emit(mOriginStale, float64(c.OriginStale.Load()), name)
		emit(mOriginRefresh, float64(c.OriginRefreshes.Load()), name)
	}
}

// collectWarmups emits each warm-up job's totals, duration histogram and
// state: the counts CACHE.WARMUP STATUS and INFO read.
func (s *Server) collectWarmups(ch chan<- prometheus.Metric, emit func(metricDesc, float64, ...string)) {
	for _, st := range s.scheduler.List() {
		job := st.Name
		emit(mWarmupRuns, float64(st.Runs), job)
		emit(mWarmupFailed, float64(st.FailedRuns), job)
		emit(mWarmupSkipped, float64(st.SkippedRuns), job)
		ch <- histogramMetric(mWarmupDuration, st.Durations, warmupBuckets, job)
		emit(mWarmupKeys, float64(st.Loaded), job, "loaded")
		emit(mWarmupKeys, float64(st.Failed), job, "failed")
		emit(mWarmupKeys, float64(st.Skipped), job, "skipped")
		running := 0.0
		if st.Running {
			running = 1
		}
		emit(mWarmupRunning, running, job)
		if st.Last != nil {
			emit(mWarmupLastRun, float64(st.Last.Started.UnixMilli())/1000, job)
		}
	}
}

// histogramMetric turns a duration histogram into a Prometheus histogram
// in seconds with the upper bounds given.
func histogramMetric(d metricDesc, snap *hist.Snapshot, upper []time.Duration, labels ...string) prometheus.Metric {
	counts := snap.Cumulative(upper)
	buckets := make(map[float64]uint64, len(upper))
	for i, b := range upper {
		buckets[b.Seconds()] = counts[i]
	}
	return prometheus.MustNewConstHistogram(d.Desc, snap.Count(), snap.Sum().Seconds(), buckets, labels...)
}

// newMetricsRegistry returns the registry /metrics serves: Strata's
// collector, and the Go runtime's and the process's.
func (s *Server) newMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(metricsCollector{s}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
