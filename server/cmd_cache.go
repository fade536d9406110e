package server

// Tag, pattern and event invalidation: CACHE.SET, CACHE.MSET, CACHE.TAG,
// CACHE.TAGS, CACHE.TAGGED, CACHE.INVALIDATE.
//
// Tags live in storage.Tags, which follows the keyspace: a key's tags go
// when the key goes, and overwriting a key (SET, or CACHE.SET without
// TAGS) keeps them. CACHE.SET ... TAGS replaces them; CACHE.TAG adds.
//
// CACHE.INVALIDATE and CACHE.TAGGED may touch any number of keys, so they
// run without the dispatcher's locks (flagNoData) and lock one shard at a
// time, at most invalidateBatch keys per hold: a large invalidation never
// stops other clients for longer than one batch. They are therefore not
// atomic, and not allowed inside MULTI (EXEC holds the store lock, which a
// batch would wait for forever). A key written while an invalidation runs
// may or may not be removed.
//
// PATTERN reads the memory tier's keys from the ordered prefix index when
// the pattern's literal prefix falls under an indexed prefix (those of the
// configured events' templates, and Config.IndexPrefixes), otherwise by
// scanning the database shard by shard; then the disk tier's keys, a range
// of its ordered data file. Keys that live only on disk are read in by
// their deletion. TAG finds evicted persisted keys too, since they keep
// their tags; a persisted key not read back since a restart is not in the
// tag index until it is (the disk tier's warm-up reads keys back in). A pattern without a literal prefix ("*",
// "*:user") would scan, and could remove, the whole keyspace: it needs
// FORCE, as a guard against a mistyped pattern.
//
// Every removed key is published on the strata:invalidate channel (the
// message is the key) and as a "del" keyspace event when those are on.

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"unsafe"

	"github.com/stratakv/strata/internal/glob"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// invalidateChannel is where every invalidated key is published.
const invalidateChannel = "strata:invalidate"

// invalidateBatch is the most keys removed or checked under one shard
// lock: about a tenth of a millisecond of work.
const invalidateBatch = 512

func registerCacheCommands(t commandTable) {
	const one = 1
	t.add(
		&command{name: "cache.set", handler: cmdCacheSet, arity: -3, flags: flagWrite | flagDenyOOM, firstKey: one, lastKey: one, keyStep: one},
		// CACHE.MSET's keys start after its options, which the key
		// positions cannot say: it declares none, runs under the store
		// lock, and marks its keys' watchers itself.
		&command{name: "cache.mset", handler: cmdCacheMSet, arity: -3, flags: flagWrite | flagDenyOOM},
		&command{name: "cache.tag", handler: cmdCacheTag, arity: -3, flags: flagWrite | flagDenyOOM, firstKey: one, lastKey: one, keyStep: one},
		&command{name: "cache.tags", handler: cmdCacheTags, arity: 2, firstKey: one, lastKey: one, keyStep: one},
		&command{name: "cache.tagged", handler: cmdCacheTagged, arity: -2, flags: flagNoData | flagNoMulti},
		&command{name: "cache.invalidate", handler: cmdCacheInvalidate, arity: -3, flags: flagWrite | flagNoData | flagNoMulti},
	)
}

// cacheIndex is the server's tag index, prefix index and events.
type cacheIndex struct {
	tags     *storage.Tags
	prefixes *storage.PrefixIndex // nil: no prefix is indexed
	events   policy.Events
}

// initCache sets up pub/sub, keyspace notifications, tags and
// invalidation from the config, and registers their storage listeners.
func (s *Server) initCache() error {
	s.pubsub.init()
	if err := s.setNotifyKeyspaceEvents(s.cfg.NotifyKeyspaceEvents); err != nil {
		return fmt.Errorf("server: invalid notify-keyspace-events %q: %v", s.cfg.NotifyKeyspaceEvents, err)
	}
	events, err := policy.ParseEvents(s.cfg.Events)
	if err != nil {
		return fmt.Errorf("server: events: %w", err)
	}
	s.cache.events = events
	s.cache.tags = storage.NewTags()
	s.store.AddListener(s.cache.tags)
	if prefixes := policy.MinimalPrefixes(append(events.Prefixes(), s.cfg.IndexPrefixes...)); len(prefixes) > 0 {
		s.cache.prefixes = storage.NewPrefixIndex(prefixes)
		s.store.AddListener(s.cache.prefixes)
	}
	s.store.AddListener(notifyListener{p: &s.pubsub, now: s.store.Now})
	return nil
}

// cmdCacheSet is SET with TAGS: CACHE.SET key value [SET's options] [TAGS
// tag ...]. TAGS comes last; the tags replace the key's.
func cmdCacheSet(c *client, args [][]byte) {
	end := len(args)
	for i := 3; i < len(args); i++ {
		if is(args[i], "tags") {
			end = i
			break
		}
	}
	tags := args[min(end+1, len(args)):]
	if end < len(args) && len(tags) == 0 {
		c.out.Error(msgSyntax)
		return
	}
	o, at, ok := parseSetOptions(c, args[:end], "cache.set")
	if !ok {
		return
	}
	key := args[1]
	if end < len(args) && willSet(c, key, o.flags) {
		// Tags first, so that the tiers following the key see them when
		// the value is stored.
		c.srv.cache.tags.Replace(c.db, string(key), argStrings(tags))
	}
	stored, ok := setString(c, key, args[2], o.flags, at) // publishes set and expire
	switch {
	case !ok || o.flags&setGet != 0:
	case stored:
		c.out.OK()
	default:
		c.out.Null()
	}
}

// willSet reports whether setString will store key with flags: the key's
// lock is held, so the answer stands.
func willSet(c *client, key []byte, f setFlags) bool {
	old, exists := c.db.Lookup(key, storage.LookupWrite|storage.LookupNoTouch)
	if f&setGet != 0 && exists && old.Kind() != storage.KindString {
		return false
	}
	return !(f&setNX != 0 && exists || f&setXX != 0 && !exists)
}

// cmdCacheMSet is CACHE.MSET [EX seconds|PX ms] key value [key value ...]:
// MSET with one TTL for every key. A leading EX or PX is always the
// option, so a key named "ex" or "px" must not come first.
func cmdCacheMSet(c *client, args [][]byte) {
	first := 1
	var at int64
	if is(args[1], "ex") || is(args[1], "px") {
		if len(args) < 3 {
			c.out.Error(msgSyntax)
			return
		}
		unit := setEX
		if is(args[1], "px") {
			unit = setPX
		}
		var errMsg string
		if at, errMsg = (stringOptions{flags: unit, expire: args[2]}).expireAt(c, "cache.mset"); errMsg != "" {
			c.out.Error(errMsg)
			return
		}
		first = 3
	}
	if len(args) == first || (len(args)-first)%2 != 0 {
		c.out.Error(wrongArity("cache.mset"))
		return
	}
	for i := first; i < len(args); i += 2 {
		setString(c, args[i], args[i+1], 0, at) // publishes set and expire
		c.srv.watches.touch(c.dbIndex, args[i])
	}
	c.out.OK()
}

// cmdCacheTag is CACHE.TAG key tag [tag ...]: it adds tags to an existing
// key and replies with how many were new.
func cmdCacheTag(c *client, args [][]byte) {
	key := args[1]
	if _, ok := c.db.Lookup(key, storage.LookupWrite|storage.LookupNoTouch); !ok {
		c.out.Error(msgNoSuchKey)
		return
	}
	n := c.srv.cache.tags.Add(c.db, string(key), argStrings(args[2:]))
	if t := c.srv.store.Tier(); n > 0 && t != nil {
		t.TagsChanged(c.db, key) // a persisted key's record carries its tags
	}
	c.out.Int(int64(n))
}

// cmdCacheTags is CACHE.TAGS key: the key's tags, sorted; none for a
// missing key.
func cmdCacheTags(c *client, args [][]byte) {
	var tags []string
	if _, ok := c.db.Lookup(args[1], storage.LookupNoTouch); ok {
		tags = c.srv.cache.tags.Of(c.db, string(args[1]))
	}
	c.out.Set(len(tags))
	for _, t := range tags {
		c.out.BulkString(t)
	}
}

// cmdCacheTagged is CACHE.TAGGED tag [COUNT n]: the live keys carrying
// tag, sorted; with COUNT, n of them (which n is unspecified).
func cmdCacheTagged(c *client, args [][]byte) {
	limit := -1
	switch {
	case len(args) == 4 && is(args[2], "count"):
		n, ok := argInt(args[3])
		if !ok || n < 0 {
			c.out.Error(msgNotInteger)
			return
		}
		limit = int(min(n, 1<<31))
	case len(args) != 2:
		c.out.Error(msgSyntax)
		return
	}
	keys := c.srv.cache.tags.Keys(c.srv.dbAt(c.dbIndex), string(args[1]))
	var live []string
	c.srv.inShardBatches(c.dbIndex, keys, func(db *storage.DB, batch []string) bool {
		for _, k := range batch {
			if len(live) == limit {
				return false
			}
			if _, ok := db.Lookup(keyBytes(k), storage.LookupWrite|storage.LookupNoTouch); ok {
				live = append(live, k)
			} else {
				c.srv.cache.tags.Forget(db, k)
			}
		}
		return true
	}, nil)
	slices.Sort(live)
	c.out.Strings(live)
}

// cmdCacheInvalidate is CACHE.INVALIDATE TAG tag [tag ...] | PATTERN glob
// [glob ...] [FORCE] | EVENT name [field value ...], replying with the
// number of keys removed.
func cmdCacheInvalidate(c *client, args [][]byte) {
	var patterns []string
	var kind storage.Invalidation
	switch mode := args[1]; {
	case is(mode, "tag"):
		db := c.srv.dbAt(c.dbIndex)
		var keys, tags []string
		for _, tag := range args[2:] {
			tags = append(tags, string(tag))
			keys = append(keys, c.srv.cache.tags.Keys(db, string(tag))...)
		}
		if tier := c.srv.store.Tier(); tier != nil {
			// Keys only on disk since a start are not in the index yet.
			onDisk, err := tier.UnindexedTaggedKeys(c.dbIndex, tags)
			if err != nil {
				c.srv.log.Error("reading the disk tier's tags for an invalidation", "err", err)
			}
			keys = append(keys, onDisk...)
		}
		c.out.Int(c.srv.removeKeys(c, keys, storage.InvalidateTag))
		return
	case is(mode, "pattern"):
		kind = storage.InvalidatePattern
		rest := args[2:]
		force := len(rest) > 1 && is(rest[len(rest)-1], "force")
		if force {
			rest = rest[:len(rest)-1]
		}
		for _, p := range rest {
			if lit, _ := glob.Literal(string(p)); lit == "" && !force {
				c.out.Error(fmt.Sprintf(msgInvalidateNoPrefix, p))
				return
			}
			patterns = append(patterns, string(p))
		}
	case is(mode, "event"):
		kind = storage.InvalidateEvent
		if len(args)%2 == 0 {
			c.out.Error(msgSyntax)
			return
		}
		fields := make(map[string]string, (len(args)-3)/2)
		for i := 3; i < len(args); i += 2 {
			fields[string(args[i])] = string(args[i+1])
		}
		var err error
		if patterns, err = c.srv.cache.events.Expand(string(args[2]), fields); err != nil {
			var missing *policy.MissingFieldError
			if errors.As(err, &missing) {
				c.out.Error(fmt.Sprintf(msgEventMissingField, missing.Event, missing.Field))
			} else {
				c.out.Error(fmt.Sprintf(msgUnknownEvent, args[2]))
			}
			return
		}
	default:
		c.out.Error(msgSyntax)
		return
	}
	n := int64(0)
	for _, p := range patterns {
		n += c.srv.invalidatePattern(c, p, kind)
	}
	c.out.Int(n)
}

// invalidatePattern removes the keys of c's database matching pattern
// from both tiers: the memory tier's, then the disk tier's (keys that live
// only there are read in by the deletion).
func (s *Server) invalidatePattern(c *client, pattern string, kind storage.Invalidation) int64 {
	n := s.invalidateMemoryPattern(c, pattern, kind)
	tier := s.store.Tier()
	if tier == nil {
		return n
	}
	lit, _ := glob.Literal(pattern)
	keys, err := tier.PersistedKeys(c.dbIndex, lit)
	if err != nil {
		s.log.Error("reading the disk tier's keys for an invalidation", "pattern", pattern, "err", err)
	}
	matched := keys[:0]
	for _, k := range keys {
		if glob.Match(pattern, k) {
			matched = append(matched, k)
		}
	}
	return n + s.removeKeys(c, matched, kind)
}

// invalidateMemoryPattern removes the keys of the memory tier matching
// pattern, from the prefix index when it covers the pattern's literal
// prefix, else by scanning the database one shard at a time.
func (s *Server) invalidateMemoryPattern(c *client, pattern string, kind storage.Invalidation) int64 {
	lit, _ := glob.Literal(pattern)
	if lit != "" && s.cache.prefixes != nil && s.cache.prefixes.Covers(lit) {
		n := int64(0)
		for after := ""; ; {
			batch := s.cache.prefixes.Range(s.dbAt(c.dbIndex), lit, after, invalidateBatch)
			if len(batch) == 0 {
				return n
			}
			after = batch[len(batch)-1]
			matched := batch[:0]
			for _, k := range batch {
				if glob.Match(pattern, k) {
					matched = append(matched, k)
				}
			}
			n += s.removeKeys(c, matched, kind)
		}
	}
	n := int64(0)
	for i := 0; i < storage.Shards; i++ {
		var removed []string
		l := s.store.LockShard(c.dbIndex, i)
		db := s.store.DB(c.dbIndex)
		var matched []string
		db.ScanShard(i, func(k string, _ storage.Value) {
			if strings.HasPrefix(k, lit) && glob.Match(pattern, k) {
				matched = append(matched, strings.Clone(k))
			}
		})
		for _, k := range matched {
			if db.Delete(keyBytes(k)) {
				removed = append(removed, k)
			}
		}
		s.store.Unlock(l)
		n += s.invalidated(c, removed, kind)
		runtime.Gosched()
	}
	return n
}

// removeKeys deletes keys from c's database in per-shard batches and
// returns how many existed.
func (s *Server) removeKeys(c *client, keys []string, kind storage.Invalidation) int64 {
	n := int64(0)
	var removed []string
	s.inShardBatches(c.dbIndex, keys, func(db *storage.DB, batch []string) bool {
		removed = removed[:0]
		for _, k := range batch {
			if db.Delete(keyBytes(k)) {
				removed = append(removed, k)
			} else {
				s.cache.tags.Forget(db, k) // gone from every tier unseen, if it was tagged
			}
		}
		return true
	}, func() { n += s.invalidated(c, removed, kind) })
	return n
}

// invalidated reports removed keys, after their shard's lock is released:
// it publishes them, marks their watchers and counts them.
func (s *Server) invalidated(c *client, removed []string, kind storage.Invalidation) int64 {
	if len(removed) == 0 {
		return 0
	}
	now := s.store.Now()
	ch := []byte(invalidateChannel)
	for _, k := range removed {
		key := keyBytes(k)
		s.pubsub.publish(c, kindChannel, ch, key, now)
		c.notify(notifyGeneric, "del", key)
		s.watches.touch(c.dbIndex, key)
		if ns := s.namespaceCounters(key); ns != nil {
			ns.Invalidations[kind].Add(uint(c.id), 1)
		}
	}
	s.store.Counters().Invalidations[kind].Add(uint(c.id), int64(len(removed)))
	return int64(len(removed))
}

// inShardBatches groups keys of database idx by shard and calls fn with
// at most invalidateBatch of them at a time, holding their shard's lock,
// until fn returns false. unlocked, when not nil, runs after each batch
// once the lock is released.
func (s *Server) inShardBatches(idx int, keys []string, fn func(db *storage.DB, batch []string) bool, unlocked func()) {
	var byShard [storage.Shards][]string
	for _, k := range keys {
		i := s.store.ShardOf(keyBytes(k))
		byShard[i] = append(byShard[i], k)
	}
	for i, ks := range byShard {
		for len(ks) > 0 {
			batch := ks[:min(len(ks), invalidateBatch)]
			ks = ks[len(batch):]
			l := s.store.LockShard(idx, i)
			more := fn(s.store.DB(idx), batch)
			s.store.Unlock(l)
			if unlocked != nil {
				unlocked()
			}
			// Let other clients' goroutines run between batches too: with
			// few Ps a long loop would otherwise hold one until preempted.
			runtime.Gosched()
			if !more {
				return
			}
		}
	}
}

// dbAt returns database idx; the store lock is taken for the read since
// SWAPDB may be moving databases.
func (s *Server) dbAt(idx int) *storage.DB {
	l := s.store.LockShard(idx, 0)
	defer s.store.Unlock(l)
	return s.store.DB(idx)
}

// keyBytes views a key string as bytes for a storage call that only reads
// it.
func keyBytes(k string) []byte { return unsafe.Slice(unsafe.StringData(k), len(k)) }

// argStrings copies arguments into strings.
func argStrings(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}
