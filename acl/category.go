package acl

import "strings"

// Category is a set of command categories (@read, @write, ...).
type Category uint32

// The categories, in the order ACL CAT lists them: Redis 7.0's, then
// Strata's own @cache (the CACHE.* and CL.* commands).
const (
	CatKeyspace Category = 1 << iota
	CatRead
	CatWrite
	CatSet
	CatSortedSet
	CatList
	CatHash
	CatString
	CatBitmap
	CatHyperLogLog
	CatGeo
	CatStream
	CatPubSub
	CatAdmin
	CatFast
	CatSlow
	CatBlocking
	CatDangerous
	CatConnection
	CatTransaction
	CatScripting
	CatCache
	numCategories = iota
)

var categoryNames = [numCategories]string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting", "cache",
}

// CategoryNames returns the category names, without '@', in ACL CAT's
// order. The slice is the caller's.
func CategoryNames() []string { return append([]string(nil), categoryNames[:]...) }

// ParseCategory returns the category named name (without '@', in any
// case); false when there is none.
func ParseCategory(name string) (Category, bool) {
	for i, n := range categoryNames {
		if strings.EqualFold(n, name) {
			return 1 << i, true
		}
	}
	return 0, false
}

// ParseCategories reads names such as "@read @fast" (as COMMAND INFO lists
// them); false when one is unknown.
func ParseCategories(names ...string) (Category, bool) {
	var c Category
	for _, n := range names {
		cat, ok := ParseCategory(strings.TrimPrefix(n, "@"))
		if !ok {
			return 0, false
		}
		c |= cat
	}
	return c, true
}

// Names returns c's categories with their '@', in ACL CAT's order.
func (c Category) Names() []string {
	var out []string
	for i, n := range categoryNames {
		if c&(1<<i) != 0 {
			out = append(out, "@"+n)
		}
	}
	return out
}
