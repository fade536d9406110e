// Package storage is Strata's keyspace engine: typed values, expiry, and the
// memory tier.
//
// # Basics
//
// A Store holds a fixed number of databases (DB). Each DB splits its keys over
// shards by hash; every shard is an exact LRU (hashicorp/golang-lru/v2
// simplelru) with its own mutex, and the Store accounts the bytes every entry
// costs so that maxmemory can be enforced by evicting from the LRU tails.
//
// Values are stored inline in the LRU entries (see Value), so a string key
// costs one LRU entry, its key and its payload: nothing else.
//
// # Disk tier
//
// A Tier (OpenTier) keeps the keys of persisted namespaces in a bbolt file
// under dir, with a write-ahead log in front for write_through keys (see
// wal.go for the log's design). It follows the memory tier as a Listener;
// a memory miss on a persisted key reads it back (DB.Lookup, DB.Delete),
// and memory is a hot subset of the disk for those keys. Compressed values
// (FlagCompressed) are zstd frames in both tiers; Lookup decompresses them
// unless asked for LookupRaw.
//
// # Locking
//
// The Store has one reader-writer lock (split in stripes, so that readers
// on different cores do not contend) and every shard has a Mutex. Lock
// order: the Store lock first, then at most one shard lock.
//
//   - A command whose keys fall in a few shards holds the Store lock shared
//     and those shards' locks, taken in ascending order (LockShards).
//   - A command whose keys all hash to one shard holds the Store lock shared
//     and that shard's lock (Store.Lock with the command's keys).
//   - Any other command that touches data (several shards, no key but the
//     whole keyspace, MULTI/EXEC) holds the Store lock exclusively and no
//     shard lock.
//   - Background work (active expiry) locks like a single-shard command.
//
// DB methods assume the caller holds one of these; they never lock.
// Listeners are called with the locks held and must not call back into the
// Store.
//
// The disk tier's locks come after these: an overlay stripe, then the
// write-ahead log's mutex. Its goroutines (the log writer, the flusher,
// the warm-up) take Store locks only while holding none of the tier's, and
// never inside a bbolt transaction; the wait for a write_through write to
// be synced (Tier.Await) happens with no lock held at all.
//
// # Caveats
//
// Byte accounting estimates Go's allocation size classes; it tracks what keys
// cost, not the runtime's own overhead. Eviction is exact LRU per shard and
// approximate across shards, as Redis's sampled LRU is.
package storage
