package server

// Tag, pattern and event invalidation: CACHE.SET, CACHE.MSET, CACHE.TAG,
// CACHE.TAGS, CACHE.TAGGED, CACHE.INVALIDATE. The work is the cache
// layer's (cache/invalidate.go); these handlers parse, reply and publish.
//
// Tags live in storage.Tags, which follows the keyspace: a key's tags go
// when the key goes, and overwriting a key (SET, or CACHE.SET without
// TAGS) keeps them. CACHE.SET ... TAGS replaces them; CACHE.TAG adds.
//
// CACHE.INVALIDATE and CACHE.TAGGED may touch any number of keys, so they
// run without the dispatcher's transaction (flagNoData) and lock one shard
// at a time: they are not atomic, and not allowed inside MULTI (EXEC holds
// the store lock, which a batch would wait for forever). A pattern without
// a literal prefix ("*", "*:user") would scan, and could remove, the whole
// keyspace: it needs FORCE, as a guard against a mistyped pattern.
//
// Every removed key is published on the strata:invalidate channel (the
// message is the key) and as a "del" keyspace event when those are on.
//
// CACHE.INVALIDATE NAMESPACE name empties a namespace in O(1), by bumping
// its generation (cache/generation.go): it takes no lock and removes
// nothing itself, and its keys are reclaimed as commands meet them.

import (
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// invalidateChannel is where every invalidated key is published;
// invalidateNamespaceChannel is where the match of every namespace
// invalidated as a whole is.
const (
	invalidateChannel          = "strata:invalidate"
	invalidateNamespaceChannel = "strata:invalidate-namespace"
)

// invalidateBatch is the most keys removed or checked under one shard
// lock: about a tenth of a millisecond of work.
const invalidateBatch = 512

func registerCacheCommands(t commandTable) {
	const one = 1
	t.add(
		&command{name: "cache.set", handler: cmdCacheSet, arity: -3, flags: flagWrite | flagDenyOOM, firstKey: one, lastKey: one, keyStep: one, write: cache.WriteReplace,
			categories: "@write @string @slow @cache"},
		// CACHE.MSET's keys start after its options, which the key
		// positions cannot say: it declares none, runs under the store
		// lock, and marks its keys' watchers itself; keys finds them for
		// ACL key patterns and COMMAND GETKEYS.
		&command{name: "cache.mset", handler: cmdCacheMSet, arity: -3, flags: flagWrite | flagDenyOOM, write: cache.WriteReplace,
			keys: cacheMSetKeys, categories: "@write @string @slow @cache"},
		&command{name: "cache.tag", handler: cmdCacheTag, arity: -3, flags: flagWrite | flagDenyOOM, firstKey: one, lastKey: one, keyStep: one,
			categories: "@write @slow @cache"},
		&command{name: "cache.tags", handler: cmdCacheTags, arity: 2, firstKey: one, lastKey: one, keyStep: one,
			categories: "@read @slow @cache"},
		&command{name: "cache.tagged", handler: cmdCacheTagged, arity: -2, flags: flagNoData | flagNoMulti,
			categories: "@read @keyspace @slow @cache"},
		// INVALIDATE PATTERN can empty the keyspace, as FLUSHDB can: it is
		// @dangerous.
		&command{name: "cache.invalidate", handler: cmdCacheInvalidate, arity: -3, flags: flagWrite | flagNoData | flagNoMulti,
			categories: "@write @keyspace @slow @dangerous @cache"},
	)
}

// initCache sets up pub/sub, keyspace notifications and the write path
// (namespaces, the disk tier, tags and invalidation) from the config.
func (s *Server) initCache() error {
	s.pubsub.init()
	if err := s.setNotifyKeyspaceEvents(s.cfg.NotifyKeyspaceEvents); err != nil {
		return fmt.Errorf("server: invalid notify-keyspace-events %q: %v", s.cfg.NotifyKeyspaceEvents, err)
	}
	c, err := cache.Open(s.store, cache.Config{
		Namespaces:    s.cfg.Namespaces,
		Events:        s.cfg.Events,
		IndexPrefixes: s.cfg.IndexPrefixes,
		Dir:           s.cfg.Dir,
		FlushInterval: s.cfg.FlushInterval,
		MaxDiskSize:   s.cfg.MaxDiskSize,
		Logger:        s.cfg.Logger,
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.cache = c
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
		c.srv.cache.Tags().Replace(c.tx.DB, string(key), argStrings(tags))
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
	old, exists := c.tx.Lookup(key, storage.LookupWrite|storage.LookupNoTouch)
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
	if _, ok := c.tx.Lookup(key, storage.LookupWrite|storage.LookupNoTouch); !ok {
		c.out.Error(msgNoSuchKey)
		return
	}
	n := c.srv.cache.Tags().Add(c.tx.DB, string(key), argStrings(args[2:]))
	if t := c.srv.cache.Tier(); n > 0 && t != nil {
		t.TagsChanged(c.tx.DB, key) // a persisted key's record carries its tags
	}
	c.out.Int(int64(n))
}

// cmdCacheTags is CACHE.TAGS key: the key's tags, sorted; none for a
// missing key.
func cmdCacheTags(c *client, args [][]byte) {
	var tags []string
	if _, ok := c.tx.Lookup(args[1], storage.LookupNoTouch); ok {
		tags = c.srv.cache.Tags().Of(c.tx.DB, string(args[1]))
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
	live, err := c.srv.cache.TaggedKeys(c.dbIndex, string(args[1]), limit)
	if err != nil {
		c.out.Error(storageError(err))
		return
	}
	slices.Sort(live)
	c.out.Strings(live)
}

// cmdCacheInvalidate is CACHE.INVALIDATE [LOCAL] TAG tag [tag ...] |
// PATTERN glob [glob ...] [FORCE] | EVENT name [field value ...], replying
// with the number of keys removed; a disk error stops it and is the
// reply. CACHE.INVALIDATE NAMESPACE name replies with the namespace's new
// generation instead (invalidateNamespace). In cluster mode it reaches
// every node and replies the total (for NAMESPACE, the highest
// generation), unless LOCAL keeps it to this node (as the node that fans
// it out asks the others).
func cmdCacheInvalidate(c *client, args [][]byte) {
	what := args[1:]
	local := is(what[0], "local")
	if local {
		if what = what[1:]; len(what) < 2 {
			c.out.Error(wrongArity("cache.invalidate"))
			return
		}
	}
	n, msg := c.invalidate(what)
	if msg == "" && !local && c.srv.cluster != nil {
		var others []int64
		others, msg = c.srv.cluster.invalidateOthers(what)
		for _, m := range others {
			if is(what[0], "namespace") {
				n = max(n, m)
			} else {
				n += m
			}
		}
	}
	if msg != "" {
		c.out.Error(msg)
		return
	}
	c.out.Int(n)
}

// invalidate runs the invalidation what asks for (TAG tag ..., PATTERN
// glob ..., EVENT name ...) on this node and returns how many keys it
// removed, or the error to reply.
func (c *client) invalidate(what [][]byte) (int64, string) {
	var n int64
	var err error
	switch mode := what[0]; {
	case is(mode, "namespace"):
		return c.invalidateNamespace(what)
	case is(mode, "tag"):
		n, err = c.srv.cache.InvalidateTags(c.dbIndex, argStrings(what[1:]), c.invalidated)
	case is(mode, "pattern"):
		rest := what[1:]
		force := len(rest) > 1 && is(rest[len(rest)-1], "force")
		if force {
			rest = rest[:len(rest)-1]
		}
		for _, p := range rest {
			if lit, _ := policy.Literal(string(p)); lit == "" && !force {
				return 0, fmt.Sprintf(msgInvalidateNoPrefix, p)
			}
		}
		for _, p := range rest {
			m, perr := c.srv.cache.InvalidatePattern(c.dbIndex, string(p), storage.InvalidatePattern, c.invalidated)
			if n += m; perr != nil {
				err = perr
				break
			}
		}
	case is(mode, "event"):
		if len(what)%2 != 0 {
			return 0, msgSyntax
		}
		fields := make(map[string]string, (len(what)-2)/2)
		for i := 2; i < len(what); i += 2 {
			fields[string(what[i])] = string(what[i+1])
		}
		n, err = c.srv.cache.InvalidateEvent(c.dbIndex, string(what[1]), fields, c.invalidated)
		var missing *policy.MissingFieldError
		switch {
		case errors.As(err, &missing):
			return 0, fmt.Sprintf(msgEventMissingField, missing.Event, missing.Field)
		case errors.Is(err, policy.ErrUnknownEvent):
			return 0, fmt.Sprintf(msgUnknownEvent, what[1])
		}
	default:
		return 0, msgSyntax
	}
	if err != nil {
		return 0, storageError(err)
	}
	return n, ""
}

// invalidateNamespace is CACHE.INVALIDATE NAMESPACE name on this node: it
// empties the namespace at once, by generation (cache/generation.go), and
// returns its new generation: its keys are reclaimed lazily, so there is
// no count. The namespace's match is published on the
// strata:invalidate-namespace channel.
func (c *client) invalidateNamespace(what [][]byte) (int64, string) {
	if len(what) != 2 {
		return 0, msgSyntax
	}
	sp, ok := c.srv.cache.Rules().ByName(string(what[1]))
	if !ok {
		return 0, msgNoNamespace
	}
	gen, err := c.srv.cache.InvalidateNamespace(sp)
	if err != nil {
		c.srv.log.Error("CACHE.INVALIDATE NAMESPACE failed", "namespace", sp.Name, "err", err)
		return 0, storageError(err)
	}
	c.srv.loader.ForgetNamespace(sp)
	c.srv.tracking.namespaceInvalidated(c, sp)
	c.srv.pubsub.publish(c, kindChannel, []byte(invalidateNamespaceChannel), []byte(sp.Match), c.srv.store.Now())
	return int64(gen), ""
}

// invalidated publishes keys c's invalidation removed (a
// cache.RemovedFunc): on the strata:invalidate channel, as "del" keyspace
// events, and to their watchers.
func (c *client) invalidated(removed []string) {
	s := c.srv
	now := s.store.Now()
	ch := []byte(invalidateChannel)
	for _, k := range removed {
		key := keyBytes(k)
		s.pubsub.publish(c, kindChannel, ch, key, now)
		c.notify(notifyGeneric, "del", key)
		s.watches.touch(c.dbIndex, key)
	}
}

// keyBytes views a key string as bytes for a call that only reads it.
func keyBytes(k string) []byte { return unsafe.Slice(unsafe.StringData(k), len(k)) }

// argStrings copies arguments into strings.
func argStrings(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

// cacheMSetKeys finds CACHE.MSET's keys, after its EX or PX option.
func cacheMSetKeys(args [][]byte, fn func(pos int)) {
	first := 1
	if len(args) > 1 && (is(args[1], "ex") || is(args[1], "px")) {
		first = 3
	}
	for i := first; i+1 < len(args); i += 2 {
		fn(i)
	}
}
