// Package scheduler fills the cache ahead of its readers: warm-up jobs run
// on cron schedules (github.com/robfig/cron/v3), and the read-through
// Loader loads keys from their namespace's origin when a read misses.
// Both write through the cache layer (package cache) exactly as a SET
// does, so a loaded key gets its namespace's TTL, jitter, compression and
// durability; the scheduler never reaches into the server.
//
// # Warm-up jobs
//
// A Scheduler (New) runs the configured Jobs: on their schedule, once on
// start (on_start), and on demand (Run, RunAsync, Clear). A job fills its
// key and URL templates from each of its parameter sets and reads values
// from a source:
//
//   - http: one GET per key, the body is the value;
//   - bulk: one GET per parameter set, a JSON array or NDJSON of
//     {"key", "value", "ttl"} entries;
//   - file: an NDJSON file of the same entries;
//   - refresh: the hottest keys of the memory tier whose TTL ends soon,
//     reloaded from their namespace's origin.
//
// Requests run with the job's concurrency, each bounded by its timeout and
// max_value_size, retried with exponential backoff when a retry can help.
// Writes wait for durability once per batch (batch_size), so that a batch
// of write_through keys shares one fsync. A job never overlaps itself: a
// run due while the last one is still going is skipped and counted. Every
// finished run logs one line (job, trigger, loaded, failed, skipped,
// duration), is kept as the job's last Result for Status, and is added to
// the job's Totals (runs, failed runs, keys, a histogram of durations),
// which ResetStats zeroes.
//
// # In a cluster
//
// With Config.Cluster (cluster.go), a job that loads keys from a source
// runs its schedule on one node of the cluster, and each key it loads is
// written on the node that owns it; hot and refresh jobs run on every
// node, for its own keys.
//
// # Read-through
//
// A Loader (NewLoader) serves the namespaces that name an origin; see
// loader.go for single-flight, negative caching, stale-if-error and
// refresh-ahead.
//
// # Caveats
//
// A failure of a source is a failure of its keys, never of the server:
// nothing it sent is stored, and a panic in a run is recovered into the
// run's error. The keys a bulk or file job loaded are remembered in
// memory only, for CLEAR: after a restart, CLEAR of such a job reloads
// without removing first. Schedules read the wall clock (robfig/cron has
// no injectable clock); TTLs and the loader's expiry decisions read the
// store's clock.
package scheduler
