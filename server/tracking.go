package server

// Client-side caching: CLIENT TRACKING's server side, as Redis 7.0's
// tracking.c.
// https://redis.io/docs/manual/client-side-caching/
//
// In the default mode the server remembers, per key, the tracking clients
// that read it (the table); the first change of the key sends each of them
// one invalidation and forgets them. In BCAST mode a client names key
// prefixes and hears of every change under them, in batches: the keys
// changed during a command go out at its end, one message per prefix.
// OPTIN and OPTOUT make CLIENT CACHING decide which reads are remembered,
// NOLOOP leaves out the client's own changes, and REDIRECT sends the
// messages to another connection: a RESP3 one as push frames, a RESP2 one
// subscribed to anything as messages on __redis__:invalidate.
//
// Changes are heard as a storage Listener, so every way a key changes
// sends its invalidation: commands, scripts, expiry, eviction, namespace
// TTLs, CACHE.INVALIDATE, the disk tier's deletions. FLUSHDB and FLUSHALL
// send every tracking client a null invalidation instead. A key of a
// namespace with local_cache: false is never left cached: a read of it is
// followed, after its reply, by its invalidation.
//
// Who changed a key: a Listener is told the key, not the command. While a
// command runs, its client is the writer of the shards it holds (writers),
// or of the whole store when it holds all of it; a shard's lock has one
// holder, so a change heard in a shard was made by its writer (or by the
// server, when there is none). Invalidations for the writer itself go out
// after its reply, as Redis's tracking_pending_keys.
//
// Lock order: tracking.mu, then the server's client registry (a
// redirect's lookup), then the pub/sub hub's and a subscriber's locks
// (delivery). The storage locks come first of all: the Listener runs under
// them.

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// trackingChannel is the channel RESP2 redirect clients hear invalidations
// on.
const trackingChannel = "__redis__:invalidate"

// Redis's default tracking-table-max-keys.
const defaultTrackingMaxKeys = 1000000

// tracking is the server's client-side caching state. The zero value is
// ready after init.
type tracking struct {
	srv *Server
	// active counts clients with tracking on: with none, a change costs
	// one atomic load.
	active  atomic.Int64
	maxKeys atomic.Int64 // tracking-table-max-keys (0: no limit)

	mu      sync.Mutex
	clients map[int64]*client             // clients with tracking on, by ID
	table   map[string]map[int64]struct{} // key -> IDs of clients that read it
	items   int                           // IDs in table (tracking_total_items)
	bcast   map[string]*bcastPrefix       // BCAST prefixes
	// pending reports BCAST keys waiting for flushBroadcast.
	pending atomic.Bool
	// effort is Redis's timeout_counter: how many limit rounds in a row
	// ended still over tracking-table-max-keys.
	effort int

	// writers holds, per database and shard, the client whose command
	// holds that shard; all the client that holds the whole store.
	writers []atomic.Pointer[client]
	all     atomic.Pointer[client]
}

// bcastPrefix is one BCAST prefix: its clients, and the keys under it
// changed since the last broadcast with the client that changed each last
// (nil: the server).
type bcastPrefix struct {
	clients map[*client]struct{}
	keys    map[string]*client
}

// trackState is a client's CLIENT TRACKING settings. Its goroutine
// changes them under tracking.mu, which deliveries hold to read them;
// pending is the goroutine's alone.
type trackState struct {
	on, bcast, optin, optout, noloop bool
	// caching is CLIENT CACHING's choice for the next command.
	caching     bool
	redirect    int64
	brokenRedir bool
	prefixes    []string // BCAST prefixes, in the order given
	// pending are invalidations for the client's own changes and reads,
	// sent after its reply; nil elements stand for a flush's null.
	pending [][]byte
}

func (t *tracking) init(s *Server, databases int) {
	t.srv = s
	t.clients = map[int64]*client{}
	t.table = map[string]map[int64]struct{}{}
	t.bcast = map[string]*bcastPrefix{}
	t.writers = make([]atomic.Pointer[client], databases*storage.Shards)
	t.maxKeys.Store(defaultTrackingMaxKeys)
}

// enable is CLIENT TRACKING ON with its options, once checked: as Redis's
// enableTracking, BCAST prefixes add to those the client has.
func (t *tracking) enable(c *client, redirect int64, bcast, optin, optout, noloop bool, prefixes []string) {
	c.subscriber() // deliveries queue on it
	t.mu.Lock()
	defer t.mu.Unlock()
	ts := c.tracking
	if ts == nil {
		ts = &trackState{}
		c.tracking = ts
	}
	if !ts.on {
		t.active.Add(1)
		t.clients[c.id] = c
	}
	ts.on, ts.redirect, ts.brokenRedir = true, redirect, false
	ts.bcast, ts.optin, ts.optout, ts.noloop = bcast, optin, optout, noloop
	if !bcast {
		return
	}
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	for _, p := range prefixes {
		if slices.Contains(ts.prefixes, p) {
			continue
		}
		ts.prefixes = append(ts.prefixes, p)
		bp := t.bcast[p]
		if bp == nil {
			bp = &bcastPrefix{clients: map[*client]struct{}{}, keys: map[string]*client{}}
			t.bcast[p] = bp
		}
		bp.clients[c] = struct{}{}
	}
}

// disable is CLIENT TRACKING OFF, and a closing client's end of tracking.
// The table keeps the client's ID until the keys change, as Redis's.
func (t *tracking) disable(c *client) {
	ts := c.tracking
	if ts == nil || !ts.on {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range ts.prefixes {
		if bp := t.bcast[p]; bp != nil {
			delete(bp.clients, c)
			if len(bp.clients) == 0 {
				delete(t.bcast, p)
			}
		}
	}
	*ts = trackState{pending: ts.pending}
	delete(t.clients, c.id)
	t.active.Add(-1)
}

// prefixCollision returns Redis's reply to BCAST prefixes of which one
// is a prefix of another, or of one c already has; "" when none is.
func prefixCollision(c *client, prefixes []string) string {
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range prefixes {
		if ts := c.tracking; ts != nil {
			for _, old := range ts.prefixes {
				if overlap(old, p) {
					return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + old + "'. Prefixes for a single client must not overlap."
				}
			}
		}
		for _, q := range prefixes[i+1:] {
			if overlap(p, q) {
				return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap."
			}
		}
	}
	return ""
}

// holding marks c as the writer of what its command's transaction holds:
// the shards of keys in database db, or the whole store when keys is nil.
// release undoes it before the locks go.
func (t *tracking) holding(c *client, db int, keys [][]byte) {
	if keys == nil {
		t.all.Store(c)
		return
	}
	for _, k := range keys {
		t.writers[db*storage.Shards+t.srv.store.ShardOf(k)].Store(c)
	}
}

func (t *tracking) release(db int, keys [][]byte) {
	if keys == nil {
		t.all.Store(nil)
		return
	}
	for _, k := range keys {
		t.writers[db*storage.Shards+t.srv.store.ShardOf(k)].Store(nil)
	}
}

// writer returns the client whose command changed key of db, nil for the
// server's own changes.
func (t *tracking) writer(db *storage.DB, key string) *client {
	if c := t.all.Load(); c != nil {
		return c
	}
	i := db.Index()*storage.Shards + t.srv.store.ShardOf(unsafe.Slice(unsafe.StringData(key), len(key)))
	return t.writers[i].Load()
}

// KeyStored invalidates a key that was written (storage.Listener).
func (t *tracking) KeyStored(db *storage.DB, key string, _ storage.Value) { t.changed(db, key) }

// KeyRemoved invalidates a key that went, except by a flush, which
// invalidates everything at once (storage.Listener).
func (t *tracking) KeyRemoved(db *storage.DB, key string, _ storage.Value, why storage.Reason) {
	if why != storage.Flushed {
		t.changed(db, key)
	}
}

// changed is Redis's trackingInvalidateKey for a key of db.
func (t *tracking) changed(db *storage.DB, key string) {
	if t.active.Load() == 0 {
		return
	}
	w := t.writer(db, key)
	t.invalidate(key, w, w)
}

// invalidate sends key's invalidation to the clients that read it, and
// notes it for the BCAST prefixes it falls under; w changed it (nil: the
// server), and from runs the command that sends it (nil: none).
func (t *tracking) invalidate(key string, w, from *client) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for p, bp := range t.bcast {
		if strings.HasPrefix(key, p) {
			bp.keys[strings.Clone(key)] = w
			t.pending.Store(true)
		}
	}
	ids := t.table[key]
	if ids == nil {
		return
	}
	delete(t.table, key)
	t.items -= len(ids)
	var frame []byte
	for id := range ids {
		target := t.clients[id]
		if target == nil || target.tracking.bcast || target.tracking.noloop && target == w {
			continue
		}
		if frame == nil {
			frame = keysPayload([]string{key})
		}
		if target == w {
			w.tracking.pending = append(w.tracking.pending, frame)
			continue
		}
		t.send(target, frame, from)
	}
}

// keysPayload encodes an invalidation's array of keys.
func keysPayload(keys []string) []byte {
	b := strconv.AppendInt([]byte{'*'}, int64(len(keys)), 10)
	b = append(b, "\r\n"...)
	for _, k := range keys {
		b = appendBulkString(b, k)
	}
	return b
}

// Invalidation frames, before their payload, encoded for RESP2 (a RESP3
// target gets '>' for the first '*').
const (
	invalidatePush    = "*2\r\n$10\r\ninvalidate\r\n"
	invalidateMessage = "*3\r\n$7\r\nmessage\r\n$20\r\n" + trackingChannel + "\r\n"
	redirBrokenPush   = "*2\r\n$21\r\ntracking-redir-broken\r\n"
)

// send delivers an invalidation payload for tracking client c, as Redis's
// sendTrackingMessage: to c in RESP3, or to its redirect target (a push
// in RESP3, a message on __redis__:invalidate to a RESP2 subscriber).
// from is the client running the command that sends it, nil for the
// server. t.mu is held.
func (t *tracking) send(c *client, payload []byte, from *client) {
	ts := c.tracking
	target := c
	if ts.redirect != 0 {
		target = t.srv.clientByID(ts.redirect)
		if target == nil {
			ts.brokenRedir = true
			if c.listed.resp3.Load() {
				frame := strconv.AppendInt([]byte(redirBrokenPush+":"), ts.redirect, 10)
				t.deliver(c, append(frame, "\r\n"...), from)
			}
			return
		}
	}
	switch {
	case target.listed.resp3.Load():
		t.deliver(target, append([]byte(invalidatePush), payload...), from)
	case target != c && t.srv.pubsub.hasSubscriptions(target):
		t.deliver(target, append([]byte(invalidateMessage), payload...), from)
	}
}

// deliver queues frame for target (its pub/sub queue), or appends it to
// its replies when target runs the command that sends it.
func (t *tracking) deliver(target *client, frame []byte, from *client) {
	s := target.psShared.Load()
	if s == nil {
		return // not subscribed and never tracked: RESP3 redirect targets only
	}
	t.srv.pubsub.deliver(s, frame, from, t.srv.store.Now())
}

// remember is Redis's trackingRememberKeys, after a read command of c (or
// of a script c runs) named keys: in the default mode, and unless OPTIN
// or OPTOUT says otherwise, c hears of their next change. A key of a
// namespace kept out of client-side caches is invalidated after the
// reply instead, in BCAST mode too.
func (t *tracking) remember(c *client, keys [][]byte) {
	ts := c.tracking
	if ts == nil || !ts.on || len(keys) == 0 {
		return
	}
	remember := !ts.bcast && !(ts.optin && !ts.caching) && !(ts.optout && ts.caching)
	rules := t.srv.cache.Rules()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if rules.Lookup(k).NoLocalCache {
			if remember || ts.bcast && t.underPrefix(ts, k) {
				ts.pending = append(ts.pending, keysPayload([]string{string(k)}))
			}
			continue
		}
		if !remember {
			continue
		}
		ids := t.table[string(k)]
		if ids == nil {
			ids = map[int64]struct{}{}
			t.table[string(k)] = ids
		}
		if _, ok := ids[c.id]; !ok {
			ids[c.id] = struct{}{}
			t.items++
		}
	}
}

// underPrefix reports whether key falls under one of a BCAST client's
// prefixes.
func (t *tracking) underPrefix(ts *trackState, key []byte) bool {
	for _, p := range ts.prefixes {
		if strings.HasPrefix(string(key), p) {
			return true
		}
	}
	return false
}

// afterCommand runs when c's top-level command cmd has replied: the
// invalidations of its own changes and reads follow the reply, then the
// BCAST batches of every change since the last. CLIENT CACHING's choice
// lasts for one command, a transaction or a CLIENT command.
func (t *tracking) afterCommand(c *client, cmd *command) {
	if ts := c.tracking; ts != nil && ts.caching && c.multi == nil && containerName(cmd) != "client" {
		ts.caching = false
	}
	if ts := c.tracking; ts != nil && len(ts.pending) > 0 {
		t.mu.Lock()
		for _, payload := range ts.pending {
			if ts.on {
				if payload == nil {
					payload = nullPayload(c)
				}
				t.send(c, payload, c)
			}
		}
		t.mu.Unlock()
		ts.pending = ts.pending[:0]
	}
	if c.tracking != nil || t.pending.Load() {
		t.broadcast(c)
	}
}

// nullPayload is a flush's invalidation for c: a null in c's protocol,
// as Redis sends it even to a redirect target.
func nullPayload(c *client) []byte {
	if c.listed.resp3.Load() {
		return []byte("_\r\n")
	}
	return []byte("$-1\r\n")
}

// broadcast is Redis's trackingBroadcastInvalidationMessages: for each
// BCAST prefix with changed keys, in order as Redis's radix tree walks
// them, one message with its keys, in order, to each of its clients
// (without a NOLOOP client's own changes). from is the client running the
// command that sends it, nil for the server.
func (t *tracking) broadcast(from *client) {
	if !t.pending.Swap(false) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	prefixes := make([]string, 0, len(t.bcast))
	for p := range t.bcast {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	for _, p := range prefixes {
		bp := t.bcast[p]
		if len(bp.keys) == 0 {
			continue
		}
		keys := make([]string, 0, len(bp.keys))
		for k := range bp.keys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		all := keysPayload(keys)
		for c := range bp.clients {
			payload := all
			if c.tracking.noloop {
				var theirs []string
				for _, k := range keys {
					if bp.keys[k] != c {
						theirs = append(theirs, k)
					}
				}
				if len(theirs) == 0 {
					continue
				}
				payload = keysPayload(theirs)
			}
			t.send(c, payload, from)
		}
		clear(bp.keys)
	}
}

// flushed is Redis's trackingInvalidateKeysOnFlush, for FLUSHDB and
// FLUSHALL run by c: every tracking client gets a null invalidation (c
// after its reply), and the table is emptied.
func (t *tracking) flushed(c *client) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range t.clients {
		if o == c {
			c.tracking.pending = append(c.tracking.pending, nil)
		} else {
			t.send(o, nullPayload(o), c)
		}
	}
	t.table = map[string]map[int64]struct{}{}
	t.items = 0
}

// namespaceInvalidated tells the tracking clients of CACHE.INVALIDATE
// NAMESPACE, which removes no key one by one (it bumps the namespace's
// generation): the keys of namespace sp that were read are invalidated,
// and a BCAST client whose prefixes may cover some of its keys gets a
// null invalidation, which drops its whole cache. c ran the command.
func (t *tracking) namespaceInvalidated(c *client, sp *policy.Space) {
	if t.active.Load() == 0 {
		return
	}
	rules := t.srv.cache.Rules()
	lit, _ := policy.Literal(sp.Match)
	t.mu.Lock()
	var keys []string
	for k := range t.table {
		if rules.Lookup([]byte(k)).ID == sp.ID {
			keys = append(keys, k)
		}
	}
	told := map[*client]bool{}
	for p, bp := range t.bcast {
		if !strings.HasPrefix(lit, p) && !strings.HasPrefix(p, lit) {
			continue
		}
		for o := range bp.clients {
			if told[o] {
				continue
			}
			told[o] = true
			if o == c {
				c.tracking.pending = append(c.tracking.pending, nil)
			} else {
				t.send(o, nullPayload(o), c)
			}
		}
	}
	t.mu.Unlock()
	for _, k := range keys {
		t.invalidate(k, c, c)
	}
}

// limit is Redis's trackingLimitUsedSlots: over tracking-table-max-keys,
// it invalidates keys chosen at random until the table is back within the
// limit, with an effort that grows each round it does not get there. from
// is the client about to run a command, nil for the cron.
func (t *tracking) limit(from *client) {
	max := int(t.maxKeys.Load())
	if t.active.Load() == 0 || max == 0 {
		return
	}
	t.mu.Lock()
	if len(t.table) <= max {
		t.effort = 0
		t.mu.Unlock()
		return
	}
	effort := 100 * (t.effort + 1)
	var victims []string
	for k := range t.table { // Go's map order is random, as Redis's random walk
		if effort == 0 || len(t.table)-len(victims) <= max {
			break
		}
		victims = append(victims, k)
		effort--
	}
	if len(t.table)-len(victims) <= max {
		t.effort = 0
	} else {
		t.effort++
	}
	t.mu.Unlock()
	for _, k := range victims {
		t.invalidate(k, nil, from)
	}
}

// counts returns INFO's tracking_total_keys, tracking_total_items and
// tracking_total_prefixes.
func (t *tracking) counts() (keys, items, prefixes int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.table), t.items, len(t.bcast)
}

// clientByID returns the connected client with that ID, nil when there
// is none or it is on its way out.
func (s *Server) clientByID(id int64) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[id]; c != nil && !c.killed.Load() {
		return c
	}
	return nil
}
