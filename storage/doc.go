// Package storage is Strata's keyspace engine: typed values, expiry, and the
// memory tier.
//
// # Basics
//
// A Store holds a fixed number of databases (DB). Each DB splits its keys over
// shards by hash; every shard is an exact LRU (a compact hash table of
// entries linked in use order, keytable.go) with its own mutex, and the
// Store accounts the bytes every entry costs so that maxmemory can be
// enforced by evicting from the LRU tails.
// Under AllKeys2Q a shard also keeps a probation queue of new keys' hashes
// and a ghost filter of keys evicted from it (evict_2q.go), which evictions
// take from first; both are counted in the bytes. Under AllKeysTinyLFU a
// shard keeps a window of new keys' hashes and a count-min sketch of its
// reads (evict_tinylfu.go, sketch.go), which admit a key leaving the
// window only over a less frequently read one; both are counted too.
//
// Values are stored inline in the LRU entries (see Value), so a string key
// costs one entry and one record holding its key and payload: nothing else.
//
// # Transactions
//
// Every access to the keys goes through a Tx: Store.Begin fills one over
// the keys a command names (Update and View wrap it around a function, as
// bbolt's do), takes the locks those keys need, and End releases them. A
// Tx reads and writes one DB; one holding the whole store may also look
// into, copy and move keys to the others.
//
// A Tx is poisoned by the first disk error it meets: the lookup reports
// the key absent to its caller, every later write of the Tx is refused,
// and End returns the error, which the caller answers instead of the
// command's reply. A write naming several keys reads those that live only
// on disk before it starts, so a disk error stops it before it changes
// anything.
//
// # Disk tier
//
// A Tier (OpenTier) keeps the keys of persisted namespaces in a bbolt file
// under dir, with a write-ahead log in front for write_through keys, and
// for write_back keys with TierOptions.WriteBack, whose records it syncs
// within FlushInterval instead of at once (see wal.go for the log's
// design). It follows the memory tier as a Listener;
// a memory miss on a persisted key reads it back (Tx.Lookup, Tx.Delete),
// and memory is a hot subset of the disk for those keys. Compressed values
// (FlagCompressed) are zstd frames in both tiers; Lookup decompresses them
// unless asked for LookupRaw. A read of the file that fails, or an entry
// that does not decode, is ErrDiskRead: never "absent".
//
// # Generations
//
// A Store given Generations (SetGenerations) stamps every value with its
// key's generation when it is written, and treats a value of an older one
// as gone, in both tiers: the cache layer invalidates a whole namespace
// in O(1) by bumping its generation (generation.go). Values of generation
// 0 cost nothing more, in memory or on disk.
//
// # Locking
//
// The Store has one reader-writer lock (split in stripes, so that readers
// on different cores do not contend) and every shard has a Mutex. Lock
// order: the Store lock first, then shard locks in ascending order. Begin
// chooses:
//
//   - keys that all hash to one shard: the Store lock shared and that
//     shard's lock;
//   - keys in a few shards (up to 32): the Store lock shared and those
//     shards' locks, in ascending order;
//   - no keys (nil: the whole keyspace), or keys in many shards: the Store
//     lock exclusively and no shard lock;
//   - TxHeld: nothing, inside an enclosing Tx that holds the whole store
//     (MULTI/EXEC, scripts).
//
// Background work (active expiry, the tier's warm-up and eviction) locks
// like a single-shard Tx. Listeners are called with the locks held and
// must not call back into the Store.
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
