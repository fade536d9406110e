package server

// Namespace rules applied to writes, and the disk tier's durability wait.
//
// Every write command of a server with namespaces runs through policyCall
// (client.call sends it there). Before the handler, a write of a key whose
// namespace persists is refused when the disk tier cannot take it (a full
// disk); after it, each key the command wrote gets its namespace's TTL
// rules, and the client notes what it must wait for before its replies go
// out: the write-ahead log's sequence for write_through keys, the write
// back backlog for write_back keys. The wait itself happens in
// client.flush, outside all storage locks, so that clients writing at the
// same time share one fsync.
//
// Which TTL a write gets depends on what kind of write it is:
//   - a command that replaces the value (SET, SETEX, MSET, GETSET,
//     CACHE.SET, ...) gets the client's TTL jittered and capped, or without
//     one the namespace's default (ttl_by_field, else ttl; max_ttl when
//     only that is set): overwriting a key re-applies ttl_by_field. SET
//     KEEPTTL keeps the TTL it had, capped by max_ttl.
//   - a command that changes the value in place (INCR, APPEND, SETRANGE,
//     ...) leaves an existing key's TTL alone (so INCR does not extend a
//     rate window, and a key made persistent stays so); a key it creates
//     gets the namespace's default.
//   - EXPIRE and its family, and GETEX, jitter and cap the TTL they set;
//     PERSIST removes the TTL unless the namespace has max_ttl, which it
//     then gets: max_ttl is a bound no key of the namespace outlives.
//   - RENAME, COPY and MOVE carry the TTL with the value; a key landing in
//     a namespace with a TTL rule without one gets the default, and every
//     carried TTL is capped.
//   - CACHE.RATE, CL.THROTTLE and CACHE.THROTTLE keep the TTLs they set:
//     those are their windows, and a jittered or capped window would admit
//     more than its limit. They are the one exception to max_ttl.

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// cachePolicy is a server's namespaces and disk tier.
type cachePolicy struct {
	rules *policy.Rules
	tier  *storage.Tier // nil when no namespace persists
	// uniform draws the jitter factor's U in [0, 1).
	uniform func() float64
	// dicts holds, by namespace ID, the dictionary new values of the
	// namespace compress with (0: none); CACHE.DICT TRAIN changes it.
	dicts []atomic.Uint32
}

// defaultRules serves CACHE.POLICY on a server without namespaces.
var defaultRules, _ = policy.New(nil)

// newCachePolicy builds the namespaces of cfg and opens the disk tier when
// one persists. It returns nil for a server without namespaces, so that
// commands pay nothing for them.
func newCachePolicy(cfg Config, store *storage.Store, tags storage.TagKeeper) (*cachePolicy, error) {
	if len(cfg.Namespaces) == 0 {
		return nil, nil
	}
	rules, err := policy.New(cfg.Namespaces)
	if err != nil {
		return nil, err
	}
	p := &cachePolicy{rules: rules, uniform: rand.Float64, dicts: make([]atomic.Uint32, len(rules.Spaces()))}
	if !rules.Persists() {
		return p, nil
	}
	writeThrough := false
	for _, s := range rules.Spaces() {
		writeThrough = writeThrough || s.Strategy == policy.WriteThrough
	}
	p.tier, err = storage.OpenTier(store, storage.TierOptions{
		Dir:           cfg.Dir,
		Durability:    func(key []byte) storage.Durability { return durability(rules.Lookup(key).Strategy) },
		WriteThrough:  writeThrough,
		FlushInterval: cfg.FlushInterval,
		MaxDiskSize:   cfg.MaxDiskSize,
		Warm:          true,
		Logger:        cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	p.tier.SetTagKeeper(tags)
	for _, sp := range rules.Spaces() {
		if id, ok := p.tier.Dicts()[sp.Name]; ok && sp.Compress != nil {
			p.dicts[sp.ID].Store(id)
		}
	}
	return p, nil
}

// durability maps a strategy to how the disk tier keeps its keys.
func durability(s policy.Strategy) storage.Durability {
	switch s {
	case policy.WriteThrough:
		return storage.WriteThrough
	case policy.WriteBack:
		return storage.WriteBack
	}
	return storage.MemoryOnly
}

// rules returns the server's namespaces (the default one alone when none
// is configured). Rules.Lookup is the cheap "namespace of a key".
func (s *Server) rules() *policy.Rules {
	if s.policy != nil {
		return s.policy.rules
	}
	return defaultRules
}

// diskTierInfo writes INFO's disk tier fields (persistence section) with
// field: disk_tier_enabled, then, when the tier exists, Tier.Info's.
func (s *Server) diskTierInfo(field func(name string, v any)) {
	if s.policy == nil || s.policy.tier == nil {
		field("disk_tier_enabled", 0)
		return
	}
	field("disk_tier_enabled", 1)
	s.policy.tier.Info(func(name, v string) { field(name, v) })
}

// close flushes and closes the disk tier: the last step of Server.Close.
func (p *cachePolicy) close() error {
	if p == nil || p.tier == nil {
		return nil
	}
	return p.tier.Close()
}

// writeKind is how a write command treats a key's TTL (see the file
// comment).
type writeKind uint8

const (
	writeInPlace writeKind = iota // the default: INCR, APPEND, list and hash writes
	writeReplace                  // SET and its family
	writeExpire                   // EXPIRE and its family, GETEX, PERSIST
	writeMove                     // RENAME, COPY, MOVE: the TTL travels with the value
	writeOwnTTL                   // rate limits and throttles: their TTLs are their windows, left exact
)

var writeKinds = map[string]writeKind{
	"set": writeReplace, "setnx": writeReplace, "setex": writeReplace, "psetex": writeReplace,
	"getset": writeReplace, "mset": writeReplace, "msetnx": writeReplace, "restore": writeReplace,
	"cache.set": writeReplace, "cache.mset": writeReplace,
	"sinterstore": writeReplace, "sunionstore": writeReplace, "sdiffstore": writeReplace,
	"zunionstore": writeReplace, "zinterstore": writeReplace, "zdiffstore": writeReplace, "zrangestore": writeReplace,
	"sort": writeReplace, "geosearchstore": writeReplace, "georadius": writeReplace, "georadiusbymember": writeReplace,
	"expire": writeExpire, "pexpire": writeExpire, "expireat": writeExpire, "pexpireat": writeExpire,
	"getex": writeExpire, "persist": writeExpire,
	"rename": writeMove, "renamenx": writeMove, "copy": writeMove, "move": writeMove,
	"cache.rate": writeOwnTTL, "cl.throttle": writeOwnTTL, "cache.throttle": writeOwnTTL,
}

// maxTrackedKeys bounds the keys of one command whose prior state is kept
// on the stack; a command with more (a big MSET) allocates.
const maxTrackedKeys = 8

// prior is a key's state before a write command.
type prior struct {
	space *policy.Space
	v     storage.Value
	found bool
}

// policyCall runs a write command's handler with the namespace rules of
// its keys (client.call calls it when the server has namespaces).
func (c *client) policyCall(cmd *command, args [][]byte) {
	p := c.srv.policy
	var stack [maxTrackedKeys]prior
	before := stack[:0]
	refused := error(nil)
	c.writeKeys(cmd, args, func(key []byte) {
		s := p.rules.Lookup(key)
		pr := prior{space: s}
		if p.tier != nil && s.Strategy.Persists() && refused == nil {
			refused = p.tier.Writable(durability(s.Strategy))
		}
		if s.ShapesTTL() || s.Compress != nil {
			pr.v, pr.found = c.db.Lookup(key, storage.LookupWrite|storage.LookupNoTouch|storage.LookupRaw)
		}
		before = append(before, pr)
	})
	if refused != nil {
		c.out.Error(diskTierError(refused))
		return
	}
	cmd.handler(c, args)
	kind := writeKinds[cmd.name]
	i := 0
	c.writeKeys(cmd, args, func(key []byte) {
		pr := before[i]
		i++
		if pr.space.ShapesTTL() && kind != writeOwnTTL || pr.space.Compress != nil {
			c.shape(p, kind, args, key, pr)
		}
		switch pr.space.Strategy {
		case policy.WriteThrough:
			c.syncSeq = p.tier.Appended()
		case policy.WriteBack:
			c.throttle = true
		}
	})
	if cmd.firstKey == 0 && p.tier != nil && cmd.name != "cache.mset" {
		// A write over the whole keyspace (FLUSHALL, SWAPDB, an
		// invalidation) may have changed write_through keys.
		c.syncSeq = p.tier.Appended()
	}
}

// writeKeys calls fn with each key a write command names: its key
// positions, or for CACHE.MSET (whose options come first) its keys.
func (c *client) writeKeys(cmd *command, args [][]byte, fn func(key []byte)) {
	if cmd.name != "cache.mset" {
		cmd.keyArgs(args, fn)
		return
	}
	first := 1
	if len(args) > 3 && (is(args[1], "ex") || is(args[1], "px")) {
		first = 3
	}
	for i := first; i+1 < len(args); i += 2 {
		fn(args[i])
	}
}

// shape gives key the TTL its namespace rules make of the write that just
// ran (see the file comment), and compresses a value its namespace
// compresses, in one store. pr is the key's state before the write.
func (c *client) shape(p *cachePolicy, kind writeKind, args [][]byte, key []byte, pr prior) {
	v, ok := c.db.Lookup(key, storage.LookupWrite|storage.LookupNoTouch|storage.LookupRaw)
	if !ok || pr.found && storage.SameRecord(v, pr.v) {
		return // absent, or not written (SET NX on an existing key)
	}
	s, exp := pr.space, v.ExpireAt()
	want := exp
	if s.ShapesTTL() && kind != writeOwnTTL {
		want = c.resolveTTL(p, kind, args, pr, v)
	}
	var packed []byte
	if v.Kind() == storage.KindString && v.Flags()&storage.FlagCompressed == 0 && s.Compresses(v.Len()) {
		buf := compressBuffers.Get().(*[]byte)
		defer compressBuffers.Put(buf)
		packed = c.srv.store.Compress((*buf)[:0], v.Bytes(), storageLevel(s.Compress.Level), p.dicts[s.ID].Load())
		if cap(packed) <= maxPooledBuffer {
			*buf = packed
		}
	}
	switch {
	case packed != nil:
		for _, ctr := range [...]*storage.Counters{c.srv.store.Counters(), c.srv.namespaceCounters(key)} {
			if ctr != nil {
				ctr.RawBytes.Add(uint(c.id), int64(v.Len()))
				ctr.StoredBytes.Add(uint(c.id), int64(len(packed)))
			}
		}
		c.db.Set(key, storage.StringValue(packed).WithFlags(v.Flags()|storage.FlagCompressed).WithExpireAt(want))
	case want != exp:
		c.db.Set(key, v.WithExpireAt(want))
	}
}

// compressBuffers holds buffers to compress into: Set copies the result,
// so a buffer serves write after write without becoming garbage.
var compressBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBuffer is the largest compression buffer kept for reuse.
const maxPooledBuffer = 64 << 10

// resolveTTL returns the expiry the namespace of a key gives the value v
// that a write of kind just stored.
func (c *client) resolveTTL(p *cachePolicy, kind writeKind, args [][]byte, pr prior, v storage.Value) int64 {
	s, now, exp := pr.space, c.srv.store.Now(), v.ExpireAt()
	switch {
	case kind == writeReplace && hasKeepTTL(args):
		return s.Cap(now, exp)
	case kind == writeReplace, kind == writeInPlace && !pr.found:
		return s.ExpireAt(now, exp, c.plainBytes(v), p.uniform())
	case kind == writeInPlace:
		return s.Cap(now, exp)
	case kind == writeExpire && exp != 0 && exp != pr.v.ExpireAt():
		return s.ExpireAt(now, exp, nil, p.uniform())
	case kind == writeExpire:
		return s.Cap(now, exp)
	case kind == writeMove && exp == 0:
		return s.ExpireAt(now, 0, c.plainBytes(v), p.uniform())
	}
	return s.Cap(now, exp)
}

// plainBytes returns a string value's bytes decompressed, for
// ttl_by_field to read; nil when there are none to read.
func (c *client) plainBytes(v storage.Value) []byte {
	if v.Kind() != storage.KindString {
		return nil
	}
	if v.Flags()&storage.FlagCompressed == 0 {
		return v.Bytes()
	}
	b, _ := c.srv.store.Plain(v)
	return b
}

// storageLevel maps a namespace's compression level to zstd's.
func storageLevel(l policy.Level) storage.Level {
	switch l {
	case policy.LevelFastest:
		return storage.LevelFastest
	case policy.LevelBetter:
		return storage.LevelBetter
	case policy.LevelBest:
		return storage.LevelBest
	}
	return storage.LevelDefault
}

// hasKeepTTL reports whether SET or CACHE.SET was given KEEPTTL.
func hasKeepTTL(args [][]byte) bool {
	for _, a := range args[3:] {
		if is(a, "keepttl") {
			return true
		}
	}
	return false
}

// awaitDurable waits until the client's write_through writes are durable
// and, after write_back writes, while the backlog is over its bound. It
// runs before the client's replies are written. An error means a write
// may not be durable: the connection is closed without its replies, so
// that no client is told a write succeeded that a crash could lose.
func (c *client) awaitDurable() error {
	seq, throttle := c.syncSeq, c.throttle
	c.syncSeq, c.throttle = 0, false
	if err := c.srv.policy.tier.Await(seq, throttle); err != nil {
		c.srv.log.Error("closing a client: its write_through writes may not be durable", "addr", c.addr, "err", err)
		return err
	}
	return nil
}

// diskTierError maps a disk tier refusal to its reply.
func diskTierError(err error) string {
	if errors.Is(err, storage.ErrDiskFull) {
		return msgDiskTierFull
	}
	return msgDiskTierIO
}
