package storage

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Tags is the tag index: the tags of each key and the keys of each tag, per
// database, for CACHE.SET ... TAGS, CACHE.TAG and CACHE.INVALIDATE TAG.
//
// A key's tags live exactly as long as the key: Tags is a Listener, and a
// key deleted, expired, evicted, flushed or renamed away loses its tags, so
// no tag set outlives its keys (the leak of tag schemes built on Redis
// sets). Overwriting a key keeps its tags. The disk tier carries a
// persisted key's tags in its record (it is the tier's TagKeeper): it
// reads them with Of when it writes the key and restores them with Replace
// when it reads the key in. A persisted key evicted from memory lives on
// on disk, so it keeps its tags here, and a tag invalidation still finds
// it; if it then leaves the disk tier unseen (expired or evicted there),
// the next lookup that finds it absent calls Forget.
//
// Keys without tags cost nothing: Tags keeps no per-key state for them, and
// while no key in the store has tags a removal costs one atomic load.
//
// Tags is safe for concurrent use. Its lock is taken after the Store's
// locks, which callers that change a key's tags hold for that key, and it
// never calls into the Store. The index's memory is counted in the Store's
// used bytes.
type Tags struct {
	tagged atomic.Int64 // tagged keys in every database
	mu     sync.Mutex
	dbs    map[*DB]*dbTags
}

// dbTags is one database's index. A key's string and a tag's string are
// each kept once and shared by both maps.
type dbTags struct {
	byKey map[string]*taggedKey
	byTag map[string]*tagSet
}

type taggedKey struct {
	key  string
	tags []string // sorted
}

type tagSet struct {
	name string
	keys map[string]struct{}
}

// Estimated bytes of the index's parts, for the Store's accounting: a map
// slot with its string header, a struct, and a map's own header.
const (
	tagKeyCost        = 48 + 48 // byKey slot and its taggedKey
	tagMembershipCost = 32      // a key in a tag set, and its tag in the key's list
	tagSetCost        = 48 + 48 // byTag slot, tagSet and its map header
)

// NewTags returns an empty tag index. Register it with Store.AddListener.
func NewTags() *Tags { return &Tags{dbs: map[*DB]*dbTags{}} }

func (t *Tags) forDB(db *DB) *dbTags {
	d := t.dbs[db]
	if d == nil {
		d = &dbTags{byKey: map[string]*taggedKey{}, byTag: map[string]*tagSet{}}
		t.dbs[db] = d
	}
	return d
}

// Add gives key the tags it does not have yet and returns how many it
// added. The caller holds key's lock and has checked that key exists.
func (t *Tags) Add(db *DB, key string, tags []string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.add(db, t.forDB(db), key, tags)
}

// Replace makes tags the whole of key's tags; no tags untags it. The caller
// holds key's lock.
func (t *Tags) Replace(db *DB, key string, tags []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.forDB(db)
	t.drop(db, d, key)
	t.add(db, d, key, tags)
}

func (t *Tags) add(db *DB, d *dbTags, key string, tags []string) int {
	added := 0
	cost := int64(0)
	for _, tag := range tags {
		k := d.byKey[key]
		if k == nil {
			k = &taggedKey{key: strings.Clone(key)}
			d.byKey[k.key] = k
			t.tagged.Add(1)
			cost += tagKeyCost + int64(allocSize(len(k.key)))
		}
		i, found := slices.BinarySearch(k.tags, tag)
		if found {
			continue
		}
		set := d.byTag[tag]
		if set == nil {
			set = &tagSet{name: strings.Clone(tag), keys: map[string]struct{}{}}
			d.byTag[set.name] = set
			cost += tagSetCost + int64(allocSize(len(set.name)))
		}
		set.keys[k.key] = struct{}{}
		k.tags = slices.Insert(k.tags, i, set.name)
		cost += tagMembershipCost
		added++
	}
	db.store.used.Add(0, cost)
	return added
}

// drop removes key and its memberships; a tag left with no key goes too.
func (t *Tags) drop(db *DB, d *dbTags, key string) {
	k := d.byKey[key]
	if k == nil {
		return
	}
	cost := int64(tagKeyCost + allocSize(len(k.key)))
	for _, tag := range k.tags {
		set := d.byTag[tag]
		delete(set.keys, k.key)
		cost += tagMembershipCost
		if len(set.keys) == 0 {
			delete(d.byTag, tag)
			cost += tagSetCost + int64(allocSize(len(tag)))
		}
	}
	delete(d.byKey, key)
	t.tagged.Add(-1)
	db.store.used.Add(0, -cost)
}

// Of returns key's tags, sorted, in a new slice; nil when it has none.
func (t *Tags) Of(db *DB, key string) []string {
	if t.tagged.Load() == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.dbs[db]; d != nil {
		if k := d.byKey[key]; k != nil {
			return slices.Clone(k.tags)
		}
	}
	return nil
}

// Keys returns the keys tagged tag, in no particular order, in a new
// slice. Keys that expired but were not reclaimed yet are included: check
// each under its lock.
func (t *Tags) Keys(db *DB, tag string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.dbs[db]
	if d == nil || d.byTag[tag] == nil {
		return nil
	}
	keys := make([]string, 0, len(d.byTag[tag].keys))
	for k := range d.byTag[tag].keys {
		keys = append(keys, k)
	}
	return keys
}

// Len returns the number of tagged keys and of tags in db.
func (t *Tags) Len(db *DB) (keys, tags int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.dbs[db]; d != nil {
		return len(d.byKey), len(d.byTag)
	}
	return 0, 0
}

// KeyStored keeps an overwritten key's tags (Listener).
func (t *Tags) KeyStored(*DB, string, Value) {}

// KeyRemoved drops a removed key's tags (Listener), unless the key was
// only evicted from memory and lives on in the disk tier.
func (t *Tags) KeyRemoved(db *DB, key string, _ Value, why Reason) {
	if t.tagged.Load() == 0 {
		return
	}
	if tier := db.store.tier; why == Evicted && tier != nil && tier.opts.Durability(bytesOf(key)) != MemoryOnly {
		return
	}
	t.Forget(db, key)
}

// Forget drops key's tags. Callers that find a tagged key absent from
// every tier call it, for keys whose removal the index did not see. The
// caller holds key's lock.
func (t *Tags) Forget(db *DB, key string) {
	t.mu.Lock()
	if d := t.dbs[db]; d != nil {
		t.drop(db, d, key)
	}
	t.mu.Unlock()
}
