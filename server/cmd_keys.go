package server

// Keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RENAME,
// RENAMENX, COPY, MOVE, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, TOUCH, OBJECT,
// SWAPDB.
// https://redis.io/commands/?group=generic
//
// Commands over the whole keyspace or over another database (KEYS, SCAN,
// RANDOMKEY, FLUSHDB, FLUSHALL, SWAPDB, COPY, MOVE) declare no key
// positions, so the dispatcher runs them under the exclusive store lock.
// COPY and MOVE can name another database, which a shard lock of the
// client's own database would not cover; they mark their keys' watchers
// themselves since the dispatcher cannot see those keys.

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

func registerKeyCommands(t commandTable) {
	t.add(
		&command{name: "del", handler: cmdDel, arity: -2, flags: flagWrite, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "unlink", handler: cmdDel, arity: -2, flags: flagWrite, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "exists", handler: cmdExists, arity: -2, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "touch", handler: cmdTouch, arity: -2, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "type", handler: cmdType, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "keys", handler: cmdKeys, arity: 2},
		&command{name: "scan", handler: cmdScan, arity: -2},
		&command{name: "randomkey", handler: cmdRandomKey, arity: 1},
		&command{name: "dbsize", handler: cmdDBSize, arity: 1, flags: flagNoData},
		&command{name: "rename", handler: cmdRename, arity: 3, flags: flagWrite, firstKey: 1, lastKey: 2, keyStep: 1, write: cache.WriteMove},
		&command{name: "renamenx", handler: cmdRenameNX, arity: 3, flags: flagWrite, firstKey: 1, lastKey: 2, keyStep: 1, write: cache.WriteMove},
		&command{name: "copy", handler: cmdCopy, arity: -3, flags: flagWrite | flagDenyOOM, write: cache.WriteMove},
		&command{name: "move", handler: cmdMove, arity: 3, flags: flagWrite, write: cache.WriteMove},
		&command{name: "flushdb", handler: cmdFlushDB, arity: -1, flags: flagWrite},
		&command{name: "flushall", handler: cmdFlushAll, arity: -1, flags: flagWrite},
		&command{name: "swapdb", handler: cmdSwapDB, arity: 3, flags: flagWrite},
	)
	t.container("object", -2,
		&command{name: "encoding", handler: cmdObjectEncoding, arity: 3, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "freq", handler: cmdObjectFreq, arity: 3, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "idletime", handler: cmdObjectIdletime, arity: 3, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "refcount", handler: cmdObjectRefcount, arity: 3, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "help", handler: cmdObjectHelp, arity: 2, flags: flagNoData},
	)
}

// cmdDel serves DEL and UNLINK: memory is reclaimed by the garbage
// collector either way, so UNLINK's lazy freeing is DEL.
func cmdDel(c *client, args [][]byte) {
	n := int64(0)
	for _, k := range args[1:] {
		if c.tx.Delete(k) {
			c.notify(notifyGeneric, "del", k)
			n++
		}
	}
	c.out.Int(n)
}

// cmdExists counts a key as often as it is named, as Redis does.
func cmdExists(c *client, args [][]byte) {
	n := int64(0)
	for _, k := range args[1:] {
		if _, ok := c.tx.Lookup(k, storage.LookupNoTouch|storage.LookupRaw); ok {
			n++
		}
	}
	c.out.Int(n)
}

// cmdTouch is a read of each key that only updates its access time.
func cmdTouch(c *client, args [][]byte) {
	n := int64(0)
	for _, k := range args[1:] {
		if _, ok := c.tx.Lookup(k, storage.LookupRaw); ok {
			n++
		}
	}
	c.out.Int(n)
}

func cmdType(c *client, args [][]byte) {
	v, ok := c.tx.Lookup(args[1], storage.LookupNoTouch|storage.LookupRaw)
	if !ok {
		c.out.Simple("none")
		return
	}
	c.out.Simple(v.Kind().String())
}

func cmdKeys(c *client, args [][]byte) {
	pattern := string(args[1])
	var keys []string
	for i := 0; i < storage.Shards; i++ {
		c.tx.ScanShard(i, func(k string, _ storage.Value) {
			if policy.Match(pattern, k) {
				keys = append(keys, k)
			}
		})
	}
	c.out.Strings(keys)
}

// scanDefaultCount is SCAN's COUNT when none is given.
const scanDefaultCount = 10

// cmdScan walks the keyspace one shard at a time: the cursor is the next
// shard to visit, and a key never changes shard, so a full iteration
// returns every key present throughout it (and a key at most once unless it
// is deleted and added again). COUNT is the number of keys to look at
// before replying; whole shards are visited, so a reply may hold more.
func cmdScan(c *client, args [][]byte) {
	cursor, ok := parseCursor(args[1])
	if !ok {
		c.out.Error(msgInvalidCursor)
		return
	}
	count := int64(scanDefaultCount)
	var pattern, typ string
	usePattern, useType := false, false
	for i := 2; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.out.Error(msgSyntax)
			return
		}
		switch a := args[i]; {
		case is(a, "count"):
			n, ok := argInt(args[i+1])
			if !ok {
				c.out.Error(msgNotInteger)
				return
			}
			if n < 1 {
				c.out.Error(msgSyntax)
				return
			}
			count = n
		case is(a, "match"):
			pattern = string(args[i+1])
			usePattern = pattern != "*"
		case is(a, "type"):
			typ, useType = string(args[i+1]), true
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	var keys []string
	shard, seen := cursor, int64(0)
	for ; shard < storage.Shards && seen < count; shard++ {
		c.tx.ScanShard(int(shard), func(k string, v storage.Value) {
			seen++
			if usePattern && !policy.Match(pattern, k) || useType && !strings.EqualFold(typ, v.Kind().String()) {
				return
			}
			keys = append(keys, k)
		})
	}
	if shard >= storage.Shards {
		shard = 0
	}
	c.out.Array(2)
	c.out.BulkString(strconv.FormatUint(shard, 10))
	c.out.Strings(keys)
}

// parseCursor reads a SCAN cursor as Redis does with strtoul: no leading
// space, an optional sign (a negative cursor wraps around), digits that fit
// in 64 bits; the empty string is cursor 0.
func parseCursor(arg []byte) (uint64, bool) {
	neg := false
	s := arg
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
		if len(s) == 0 {
			return 0, false
		}
	}
	var n uint64
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}

func cmdRandomKey(c *client, args [][]byte) {
	k, ok := c.tx.RandomKey()
	if !ok {
		c.out.Null()
		return
	}
	c.out.BulkString(k)
}

// cmdDBSize runs without locks: the key count is kept atomically.
func cmdDBSize(c *client, args [][]byte) { c.out.Int(int64(c.srv.store.DB(c.dbIndex).Len())) }

func cmdRename(c *client, args [][]byte) {
	if _, ok := rename(c, args, false); ok {
		c.out.OK()
	}
}

func cmdRenameNX(c *client, args [][]byte) {
	renamed, ok := rename(c, args, true)
	switch {
	case !ok:
	case renamed:
		c.out.Int(1)
	default:
		c.out.Int(0)
	}
}

// rename runs RENAME or RENAMENX and publishes their events. It reports
// whether the key moved, and false in ok after replying with an error.
func rename(c *client, args [][]byte, nx bool) (renamed, ok bool) {
	src, dst := args[1], args[2]
	renamed, err := c.tx.Rename(src, dst, nx)
	if err != nil {
		c.out.Error(msgNoSuchKey)
		return false, false
	}
	if renamed && !bytes.Equal(src, dst) {
		c.notify(notifyGeneric, "rename_from", src)
		c.notify(notifyGeneric, "rename_to", dst)
	}
	return renamed, true
}

// cmdCopy parses every option before checking the database number, in
// Redis's order, so the same bad input gets the same error.
func cmdCopy(c *client, args [][]byte) {
	src, dst := args[1], args[2]
	dbIndex, replace := c.dbIndex, false
	for i := 3; i < len(args); i++ {
		switch {
		case is(args[i], "replace"):
			replace = true
		case is(args[i], "db") && i+1 < len(args):
			n, ok := argInt32(c, args[i+1])
			if !ok {
				return
			}
			dbIndex = n
			i++
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	if !c.validDB(dbIndex) {
		c.out.Error(msgDBIndex)
		return
	}
	if c.srv.clusterEnabled() && dbIndex != 0 {
		c.out.Error(msgCopyDBCluster)
		return
	}
	if dbIndex == c.dbIndex && string(src) == string(dst) {
		c.out.Error(msgSameObject)
		return
	}
	if !c.tx.Copy(src, dbIndex, dst, replace) {
		c.out.Int(0)
		return
	}
	c.srv.watches.touch(dbIndex, dst)
	c.notifyIn(dbIndex, notifyGeneric, "copy_to", dst)
	c.out.Int(1)
}

func cmdMove(c *client, args [][]byte) {
	if c.srv.clusterEnabled() {
		c.out.Error(msgMoveCluster)
		return
	}
	n, ok := argInt32(c, args[2])
	if !ok {
		return
	}
	if !c.validDB(n) {
		c.out.Error(msgDBIndex)
		return
	}
	if n == c.dbIndex {
		c.out.Error(msgSameObject)
		return
	}
	key := args[1]
	if !c.tx.Move(key, n) {
		c.out.Int(0)
		return
	}
	c.srv.watches.touch(c.dbIndex, key)
	c.srv.watches.touch(n, key)
	c.notify(notifyGeneric, "move_from", key)
	c.notifyIn(n, notifyGeneric, "move_to", key)
	c.out.Int(1)
}

// notifyIn is notify for a key of database db, which COPY and MOVE may
// name instead of the client's own.
func (c *client) notifyIn(db int, class notifyClass, event string, key []byte) {
	if notifyClass(c.srv.pubsub.events.Load())&class == 0 {
		return
	}
	c.srv.pubsub.keyEvent(c, event, db, key, c.srv.store.Now())
}

// argInt32 parses an integer that must fit in 32 bits, as Redis's
// getIntFromObjectOrReply; it writes the error reply when it does not.
func argInt32(c *client, arg []byte) (int, bool) {
	n, ok := argInt(arg)
	if !ok {
		c.out.Error(msgNotInteger)
		return 0, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.out.Error(msgIntRange)
		return 0, false
	}
	return int(n), true
}

// validDB reports whether n names a database.
func (c *client) validDB(n int) bool { return n >= 0 && n < c.srv.store.Databases() }

// flushArgsOK checks FLUSHDB's and FLUSHALL's optional ASYNC|SYNC. Both
// flush at once: the garbage collector frees the memory in the background
// anyway.
func flushArgsOK(c *client, args [][]byte) bool {
	if len(args) > 2 || len(args) == 2 && !is(args[1], "async") && !is(args[1], "sync") {
		c.out.Error(msgSyntax)
		return false
	}
	return true
}

func cmdFlushDB(c *client, args [][]byte) {
	if !flushArgsOK(c, args) {
		return
	}
	c.srv.watches.touchDB(c.dbIndex, c.liveIn)
	c.tx.Flush()
	c.srv.tracking.flushed(c)
	c.out.OK()
}

func cmdFlushAll(c *client, args [][]byte) {
	if !flushArgsOK(c, args) {
		return
	}
	c.srv.watches.touchDB(-1, c.liveIn)
	c.tx.FlushAll()
	c.srv.tracking.flushed(c)
	c.out.OK()
}

// liveIn reports whether key exists in database db, for the watchers of
// commands that replace whole databases. It runs under the exclusive store
// lock those commands hold.
func (c *client) liveIn(db int, key string) bool {
	_, ok := c.tx.LookupIn(db, []byte(key), storage.LookupWrite|storage.LookupNoTouch)
	return ok
}

func cmdSwapDB(c *client, args [][]byte) {
	if c.srv.clusterEnabled() {
		c.out.Error(msgSwapDBCluster)
		return
	}
	a, okA := argInt(args[1])
	if !okA || a < math.MinInt32 || a > math.MaxInt32 {
		c.out.Error(msgInvalidFirstDB)
		return
	}
	b, okB := argInt(args[2])
	if !okB || b < math.MinInt32 || b > math.MaxInt32 {
		c.out.Error(msgInvalidSecondDB)
		return
	}
	if !c.validDB(int(a)) || !c.validDB(int(b)) {
		c.out.Error(msgDBIndex)
		return
	}
	if a != b {
		// A watched key changes if it exists on either side of the swap.
		either := func(_ int, key string) bool { return c.liveIn(int(a), key) || c.liveIn(int(b), key) }
		c.srv.watches.touchDB(int(a), either)
		c.srv.watches.touchDB(int(b), either)
		c.tx.SwapDB(int(a), int(b))
		c.srv.blocking.wakeDB(int(a)) // clients blocked on keys the swap brought
		c.srv.blocking.wakeDB(int(b))
	}
	c.out.OK()
}

// objectLookup finds OBJECT's key without touching it, replying null when
// it is absent.
func objectLookup(c *client, key []byte) (storage.Value, bool) {
	v, ok := c.tx.Lookup(key, storage.LookupNoTouch)
	if !ok {
		c.out.Null()
	}
	return v, ok
}

func cmdObjectEncoding(c *client, args [][]byte) {
	if v, ok := objectLookup(c, args[2]); ok {
		c.out.BulkString(v.Encoding())
	}
}

// lfuPolicy reports whether the eviction policy tracks access frequency
// rather than recency.
func lfuPolicy(p storage.EvictionPolicy) bool {
	return p == storage.AllKeysLFU || p == storage.VolatileLFU
}

func cmdObjectFreq(c *client, args [][]byte) {
	v, ok := objectLookup(c, args[2])
	if !ok {
		return
	}
	if !lfuPolicy(c.srv.store.Policy()) {
		c.out.Error(msgLFUNotSelected)
		return
	}
	c.out.Int(int64(c.tx.Frequency(v)))
}

func cmdObjectIdletime(c *client, args [][]byte) {
	v, ok := objectLookup(c, args[2])
	if !ok {
		return
	}
	if lfuPolicy(c.srv.store.Policy()) {
		c.out.Error(msgLFUSelected)
		return
	}
	c.out.Int(c.tx.IdleSeconds(v))
}

// sharedRefcount is what Redis reports as the reference count of its
// shared small integers (OBJ_SHARED_REFCOUNT), and sharedIntegers how many
// there are.
const (
	sharedRefcount = math.MaxInt32
	sharedIntegers = 10000
)

// cmdObjectRefcount reports 1, except for the small integers Redis would
// share: it stores 0..9999 as shared objects unless maxmemory is set with
// an LRU or LFU policy, which needs a per-key access clock.
func cmdObjectRefcount(c *client, args [][]byte) {
	v, ok := objectLookup(c, args[2])
	if !ok {
		return
	}
	store := c.srv.store
	p := store.Policy()
	sharing := store.MaxMemory() == 0 || !(lfuPolicy(p) || p == storage.AllKeysLRU || p == storage.VolatileLRU)
	if sharing && v.Encoding() == "int" {
		if n, err := strconv.ParseInt(string(v.Bytes()), 10, 64); err == nil && n >= 0 && n < sharedIntegers {
			c.out.Int(sharedRefcount)
			return
		}
	}
	c.out.Int(1)
}

var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

func cmdObjectHelp(c *client, args [][]byte) { c.out.Help(objectHelp) }
