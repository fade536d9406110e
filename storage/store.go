package storage

import (
	"errors"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
)

// EvictionPolicy is what the Store does when maxmemory is reached; the names
// are Redis's maxmemory-policy values, and Strata's own allkeys-2q and
// allkeys-tinylfu.
type EvictionPolicy uint8

// The eviction policies.
const (
	NoEviction EvictionPolicy = iota
	AllKeysLRU
	VolatileLRU
	AllKeysRandom
	VolatileRandom
	VolatileTTL
	AllKeysLFU
	VolatileLFU
	// AllKeys2Q evicts any key by 2Q: new keys on probation, the LRU for
	// keys read since (evict_2q.go). It resists one-off scans.
	AllKeys2Q
	// AllKeysTinyLFU evicts any key by W-TinyLFU: new keys in a small
	// window, then admitted over the main queue's victim only if read
	// more often, by a per-shard frequency sketch (evict_tinylfu.go).
	AllKeysTinyLFU
)

var policyNames = [...]string{"noeviction", "allkeys-lru", "volatile-lru", "allkeys-random",
	"volatile-random", "volatile-ttl", "allkeys-lfu", "volatile-lfu", "allkeys-2q",
	"allkeys-tinylfu"}

// String returns the Redis name of the policy.
func (p EvictionPolicy) String() string { return policyNames[p] }

// ParseEvictionPolicy returns the policy named name (Redis's spelling, or
// allkeys-2q or allkeys-tinylfu).
func ParseEvictionPolicy(name string) (EvictionPolicy, bool) {
	for i, n := range policyNames {
		if n == name {
			return EvictionPolicy(i), true
		}
	}
	return 0, false
}

// Options configures a Store. The zero value of each field is its default.
type Options struct {
	// Databases is the number of databases (default 16).
	Databases int
	// MaxMemory bounds the bytes keys may cost (0: no bound).
	MaxMemory int64
	// Policy chooses what to evict at MaxMemory (default NoEviction).
	Policy EvictionPolicy
	// Clock returns the time in unix milliseconds (default: the wall clock).
	// Tests inject one to move time without sleeping.
	Clock func() int64
}

// shardsPerDB is a power of two; more shards mean less lock contention and a
// finer SCAN cursor, at ~200 bytes per empty shard.
const shardsPerDB = 256

// Store is the keyspace: Options.Databases databases sharing one memory
// budget. It is safe for concurrent use under the locking rules in the
// package documentation.
type Store struct {
	mu        storeLock
	dbs       []atomic.Pointer[DB] // atomic: commands that hold no lock read them; SwapDB swaps them
	seed      maphash.Seed
	clock     func() int64
	mono      *monoClock                  // the default clock; nil when Options.Clock is set
	lruSecs   atomic.Uint32               // the cached access clock (see lruClock)
	startSecs uint32                      // the clock's unix seconds at New, from which hot key weights count
	hotW      atomic.Pointer[hotWeightAt] // the last hotWeight computed (hotkeys.go)
	listeners []Listener
	reads     ReadListener
	sizes     SizeListener
	gens      atomic.Pointer[Generations] // nil until a generation is bumped (generation.go)
	tier      *Tier                       // the disk tier (tier.go), nil when nothing persists
	codec     codec                       // zstd encoders and dictionaries (codec_zstd.go)
	maxMemory atomic.Int64
	policy    atomic.Uint32
	used      Counter // bytes keys cost; striped: every write adds to it
	stats     Stats
	counters  Counters // Strata's own statistics (counters.go)
	expiry    expiryCycle
}

// New returns a Store configured by opts.
func New(opts Options) (*Store, error) {
	if opts.Databases == 0 {
		opts.Databases = 16
	}
	if opts.Databases < 1 || opts.Databases > math.MaxInt32 {
		return nil, errors.New("storage: databases must be at least 1")
	}
	if opts.MaxMemory < 0 {
		return nil, errors.New("storage: maxmemory must not be negative")
	}
	s := &Store{seed: maphash.MakeSeed(), clock: opts.Clock}
	if opts.Clock == nil {
		s.mono = newMonoClock()
		s.clock = s.mono.Now
		s.tickLRUClock()
	}
	s.startSecs = uint32(s.clock() / 1000)
	s.maxMemory.Store(opts.MaxMemory)
	s.policy.Store(uint32(opts.Policy))
	s.AddListener(&s.counters)
	s.dbs = make([]atomic.Pointer[DB], opts.Databases)
	for i := range s.dbs {
		s.dbs[i].Store(newDB(s, i))
	}
	return s, nil
}

// Databases returns the number of databases.
func (s *Store) Databases() int { return len(s.dbs) }

// DB returns database i; it panics if i is out of range.
func (s *Store) DB(i int) *DB { return s.dbs[i].Load() }

// Now returns the Store's clock in unix milliseconds.
func (s *Store) Now() int64 { return s.clock() }

// Used returns the bytes keys cost now (INFO's used_memory dataset part).
func (s *Store) Used() int64 { return s.used.Load() }

// MaxMemory returns the memory bound, 0 for none.
func (s *Store) MaxMemory() int64 { return s.maxMemory.Load() }

// SetMaxMemory changes the memory bound; it applies from the next write.
func (s *Store) SetMaxMemory(n int64) { s.maxMemory.Store(n) }

// Policy returns the eviction policy.
func (s *Store) Policy() EvictionPolicy { return EvictionPolicy(s.policy.Load()) }

// SetPolicy changes the eviction policy.
func (s *Store) SetPolicy(p EvictionPolicy) { s.policy.Store(uint32(p)) }

// Stats returns the Store's counters; they are safe to read at any time.
func (s *Store) Stats() *Stats { return &s.stats }

// storeLock is the Store lock, split into lockStripes reader-writer locks:
// a single-shard command holds the one its shard maps to shared, so
// commands running on different cores do not bounce one reader count
// between them; the exclusive lock holds every stripe.
type storeLock [lockStripes]struct {
	sync.RWMutex
	_ [64 - 24]byte // one stripe per cache line
}

// lockStripes is a power of two, above the cores that usually run commands
// at once.
const lockStripes = 8

func stripeOf(shard int) int { return shard & (lockStripes - 1) }

func (l *storeLock) rlock(shard int)   { l[stripeOf(shard)].RLock() }
func (l *storeLock) runlock(shard int) { l[stripeOf(shard)].RUnlock() }

func (l *storeLock) lock() {
	for i := range l {
		l[i].Lock()
	}
}

func (l *storeLock) unlock() {
	for i := len(l) - 1; i >= 0; i-- {
		l[i].Unlock()
	}
}

// locks are the locks returned by lockShard, lockShards or lockAll; pass
// it to unlock.
type locks struct {
	held  bool   // shared with an enclosing transaction: nothing to release
	shard *shard // the one shard held; nil with several, or exclusively
	index int    // the shard's index, for its stripe of the Store lock
	db    *DB    // with several shards: their DB and sorted indexes
	many  []int
}

// ShardOf returns the shard index of key in any DB. Commands use it to tell
// whether all their keys share one shard.
func (s *Store) ShardOf(key []byte) int {
	return int(s.hash(key) & (shardsPerDB - 1))
}

func (s *Store) hash(key []byte) uint64 { return maphash.Bytes(s.seed, key) }

// lockShard holds the Store lock shared and shard i of database db: what a
// command whose keys all fall in shard i needs.
func (s *Store) lockShard(db, i int) locks {
	s.mu.rlock(i)
	sh := &s.dbs[db].Load().shards[i]
	sh.mu.Lock()
	return locks{shard: sh, index: i}
}

// lockShards holds the Store lock shared and shards of database db: what
// a command whose keys fall in several shards needs. shards must be sorted,
// distinct, and stay unchanged until Unlock. Every multi-shard locker takes
// stripes, then shards, in ascending order, so they cannot deadlock.
func (s *Store) lockShards(db int, shards []int) locks {
	stripes := stripeSet(shards)
	for i := range s.mu {
		if stripes&(1<<i) != 0 {
			s.mu[i].RLock()
		}
	}
	d := s.dbs[db].Load()
	for _, i := range shards {
		d.shards[i].mu.Lock()
	}
	return locks{db: d, many: shards}
}

// stripeSet returns the stripes of shards as a bit set.
func stripeSet(shards []int) uint {
	var set uint
	for _, i := range shards {
		set |= 1 << stripeOf(i)
	}
	return set
}

// lockAll holds the Store lock exclusively: what a command over several
// shards, or over the whole keyspace, needs.
func (s *Store) lockAll() locks {
	s.mu.lock()
	return locks{}
}

// unlock releases l.
func (s *Store) unlock(l locks) {
	switch {
	case l.held:
	case l.shard != nil:
		l.shard.mu.Unlock()
		s.mu.runlock(l.index)
	case l.db != nil:
		for j := len(l.many) - 1; j >= 0; j-- {
			l.db.shards[l.many[j]].mu.Unlock()
		}
		stripes := stripeSet(l.many)
		for i := len(s.mu) - 1; i >= 0; i-- {
			if stripes&(1<<i) != 0 {
				s.mu[i].RUnlock()
			}
		}
	default:
		s.mu.unlock()
	}
}

// shard is one LRU of a DB with its lock. The LRU is keyed by the key's
// 64-bit hash (the key itself lives in the value's record; keytable.go);
// the rare key whose hash collides with another key's lives in overflow
// instead. volatile indexes the hashes of LRU keys
// that have a TTL, for active expiry and the volatile-* policies.
type shard struct {
	mu       sync.Mutex
	lru      keyTable
	volatile map[uint64]struct{}
	overflow map[string]Value
	hot      *hotSet   // the shard's hottest keys (hotkeys.go), nil until a key is touched
	q2       *twoQueue // allkeys-2q's queues (evict_2q.go), nil under other policies
	tlfu     *tinyLFU  // allkeys-tinylfu's window and sketch (evict_tinylfu.go), nil under other policies
	_        [64]byte  // keep neighbouring shard locks off one cache line
}

func newShard() shard {
	return shard{lru: newKeyTable(), volatile: map[uint64]struct{}{}}
}
