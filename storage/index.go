package storage

import (
	"slices"
	"strings"
	"sync"
)

// PrefixIndex keeps, per database, the keys under chosen prefixes in
// order, so that invalidating a pattern with a literal prefix reads a range
// of the index instead of scanning the whole keyspace.
//
// Only keys under an indexed prefix cost anything: one string header and a
// copy of the key in a sorted block. Other keys cost a map lookup per
// distinct prefix length when they are stored or removed, and nothing when
// the server indexes no prefix (it then registers no PrefixIndex).
//
// A PrefixIndex follows the keyspace as a Listener; it is safe for
// concurrent use, and its lock comes after the Store's locks. The index's
// memory is counted in the Store's used bytes.
type PrefixIndex struct {
	prefixes map[string]struct{}
	lengths  []int // the distinct prefix lengths, ascending

	mu  sync.Mutex
	dbs map[*DB]*sortedKeys
}

// indexEntryCost is what an indexed key costs beside its bytes: its string
// header in a block, with the block's slack.
const indexEntryCost = 24

// NewPrefixIndex returns an index of the keys that start with one of
// prefixes; empty prefixes are ignored.
func NewPrefixIndex(prefixes []string) *PrefixIndex {
	x := &PrefixIndex{prefixes: map[string]struct{}{}, dbs: map[*DB]*sortedKeys{}}
	for _, p := range prefixes {
		if p == "" {
			continue
		}
		if _, dup := x.prefixes[p]; !dup {
			x.prefixes[p] = struct{}{}
			if !slices.Contains(x.lengths, len(p)) {
				x.lengths = append(x.lengths, len(p))
			}
		}
	}
	slices.Sort(x.lengths)
	return x
}

// Covers reports whether every key that starts with prefix is indexed.
func (x *PrefixIndex) Covers(prefix string) bool { return x.indexed(prefix) }

// indexed reports whether key starts with an indexed prefix.
func (x *PrefixIndex) indexed(key string) bool {
	for _, n := range x.lengths {
		if n > len(key) {
			return false
		}
		if _, ok := x.prefixes[key[:n]]; ok {
			return true
		}
	}
	return false
}

// Range returns, in order, up to max indexed keys of db that start with
// prefix and sort after after ("" for the first ones). The keys may have
// expired without being reclaimed yet: check each under its lock.
func (x *PrefixIndex) Range(db *DB, prefix, after string, max int) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	sk := x.dbs[db]
	if sk == nil {
		return nil
	}
	from := prefix
	if after > from {
		from = after
	}
	var out []string
	sk.ascend(from, func(k string) bool {
		if !strings.HasPrefix(k, prefix) || len(out) == max {
			return false
		}
		if k != after {
			out = append(out, k)
		}
		return true
	})
	return out
}

// Len returns the number of keys indexed in db.
func (x *PrefixIndex) Len(db *DB) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	if sk := x.dbs[db]; sk != nil {
		return sk.n
	}
	return 0
}

// KeyStored indexes a key under an indexed prefix (Listener).
func (x *PrefixIndex) KeyStored(db *DB, key string, _ Value) {
	if !x.indexed(key) {
		return
	}
	x.mu.Lock()
	sk := x.dbs[db]
	if sk == nil {
		sk = &sortedKeys{}
		x.dbs[db] = sk
	}
	if sk.insert(key) {
		db.store.used.Add(0, indexEntryCost+int64(allocSize(len(key))))
	}
	x.mu.Unlock()
}

// KeyRemoved forgets a removed key (Listener).
func (x *PrefixIndex) KeyRemoved(db *DB, key string, _ Value, _ Reason) {
	if !x.indexed(key) {
		return
	}
	x.mu.Lock()
	if sk := x.dbs[db]; sk != nil && sk.remove(key) {
		db.store.used.Add(0, -indexEntryCost-int64(allocSize(len(key))))
	}
	x.mu.Unlock()
}

// sortedKeys is an ordered set of strings kept as a list of sorted blocks
// of at most blockMax keys: a search is two binary searches, an insert or
// a removal moves at most a block's keys, and memory is one string header
// per key. Not safe for concurrent use.
type sortedKeys struct {
	blocks [][]string
	n      int
}

const blockMax = 256

// find returns the block that holds k or would, and k's position in it.
func (s *sortedKeys) find(k string) (bi, i int, found bool) {
	bi, _ = slices.BinarySearchFunc(s.blocks, k, func(b []string, k string) int {
		return strings.Compare(b[len(b)-1], k)
	})
	if bi == len(s.blocks) {
		return bi, 0, false
	}
	i, found = slices.BinarySearch(s.blocks[bi], k)
	return bi, i, found
}

// insert adds k, copying it, and reports whether it was new.
func (s *sortedKeys) insert(k string) bool {
	if len(s.blocks) == 0 {
		s.blocks = [][]string{{strings.Clone(k)}}
		s.n = 1
		return true
	}
	bi, i, found := s.find(k)
	if found {
		return false
	}
	if bi == len(s.blocks) { // beyond the last key: append to the last block
		bi = len(s.blocks) - 1
		i = len(s.blocks[bi])
	}
	b := slices.Insert(s.blocks[bi], i, strings.Clone(k))
	if len(b) > blockMax {
		half := len(b) / 2
		right := slices.Clone(b[half:])
		clear(b[half:])
		b = b[:half:half]
		s.blocks = slices.Insert(s.blocks, bi+1, right)
	}
	s.blocks[bi] = b
	s.n++
	return true
}

// remove deletes k and reports whether it was there. A block that becomes
// small is merged into its successor when both fit in one.
func (s *sortedKeys) remove(k string) bool {
	bi, i, found := s.find(k)
	if !found {
		return false
	}
	b := slices.Delete(s.blocks[bi], i, i+1)
	s.n--
	switch {
	case len(b) == 0:
		s.blocks = slices.Delete(s.blocks, bi, bi+1)
	case len(b) < blockMax/4 && bi+1 < len(s.blocks) && len(b)+len(s.blocks[bi+1]) <= blockMax/2:
		s.blocks[bi] = append(b, s.blocks[bi+1]...)
		s.blocks = slices.Delete(s.blocks, bi+1, bi+2)
	default:
		s.blocks[bi] = b
	}
	return true
}

// ascend calls fn with each key not less than from, in order, until fn
// returns false.
func (s *sortedKeys) ascend(from string, fn func(k string) bool) {
	bi, i, _ := s.find(from)
	for ; bi < len(s.blocks); bi, i = bi+1, 0 {
		for _, k := range s.blocks[bi][i:] {
			if !fn(k) {
				return
			}
		}
	}
}
