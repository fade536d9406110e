// Package policy holds Strata's pure decisions: functions of their inputs
// (and, for the rate algorithms, of a state and the time) with no I/O and no
// locks, so that each can be tested without a store or a socket.
//
// # Rate algorithms
//
// Window runs CACHE.RATE's fixed windows (Fixed) and sliding-window counters
// (Sliding); GCRA runs CL.THROTTLE's generic cell rate algorithm with
// redis-cell's exact arithmetic. Each takes the state its key holds and the
// time, and returns a decision with the state to store; the server keeps
// that state in an ordinary string key with a TTL and runs each call under
// the key's lock, which makes every request atomic.
//
// # Namespaces
//
// New validates the config file's namespaces into Rules; Rules.Lookup finds
// the namespace of a key (most specific match, then the catch-all) without
// allocating, so per-namespace counters can call it on every command.
// Space.ExpireAt and Space.Cap resolve TTLs (the namespace default,
// ttl_by_field, jitter, max_ttl) as functions of the time and a uniform
// draw the caller supplies.
//
// # Caveats
//
// The rate functions trust their callers to have validated limits, windows
// and costs as their documentation states; NewGCRA validates its own.
package policy
