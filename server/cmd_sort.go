package server

// SORT and SORT_RO.
// https://redis.io/commands/sort/
//
// The handler follows Redis 7.0's sort.c: the same parse, the same lookups
// of BY and GET patterns, and the same orders. A numeric sort breaks ties
// between equal scores by the elements' bytes, so its order is total; an
// ALPHA sort by a BY pattern can leave elements equal, and those come back
// as Redis leaves them: in the source's order after a whole sort (glibc's
// qsort is a stable merge sort), or in its partial quicksort's order when
// LIMIT asks for part of the result. A set's members come in its own order
// (an intset's is ascending), a list's and a sorted set's in theirs.
//
// Patterns and values are read as C strings where Redis reads them so: a
// pattern's '*' and "->" are looked for before any NUL byte, and an ALPHA
// comparison (strcoll, in the C locale strcmp) and a numeric value (strtod)
// end at the first NUL.

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/internal/pqsort"
	"github.com/stratakv/strata/storage"
)

func registerSortCommands(t commandTable) {
	t.add(
		// BY and GET read keys their patterns name, so the commands
		// declare no key positions and run under the exclusive lock;
		// their key finders give the source and STORE's destination.
		&command{name: "sort", handler: cmdSort, arity: -2, flags: flagWrite | flagDenyOOM, keys: sortKeys, write: cache.WriteReplace},
		&command{name: "sort_ro", handler: cmdSortRO, arity: -2, keys: func(_ [][]byte, fn func(pos int)) { fn(1) }},
	)
}

// sortKeys finds SORT's keys as Redis's sortGetKeys does: the source,
// then the argument after the last STORE, skipping the arguments of LIMIT,
// GET and BY.
func sortKeys(args [][]byte, fn func(pos int)) {
	fn(1)
	store := 0
	for i := 2; i < len(args); i++ {
		switch a := args[i]; {
		case is(a, "limit"):
			i += 2
		case is(a, "get"), is(a, "by"):
			i++
		case is(a, "store") && i+1 < len(args):
			store = i + 1
		}
	}
	if store > 0 {
		fn(store)
	}
}

// cString returns b up to its first NUL byte: what C's string functions
// see of it.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// cPrefix is cString for a string.
func cPrefix(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func cmdSort(c *client, args [][]byte)   { sortCommand(c, args, false) }
func cmdSortRO(c *client, args [][]byte) { sortCommand(c, args, true) }

// sortOptions are a SORT's options.
type sortOptions struct {
	desc, alpha bool
	// dontSort: a BY pattern without '*' (BY nosort): elements come in
	// the source's order.
	dontSort     bool
	start, count int64 // LIMIT; count -1: no limit
	by           []byte
	gets         [][]byte
	store        []byte
}

// sortItem is an element with what it sorts by.
type sortItem struct {
	elem  string
	score float64
	// by is the BY pattern's value for an ALPHA sort, when hasBy.
	by    []byte
	hasBy bool
}

// sortCommand is Redis's sortCommandGeneric; readonly refuses STORE.
func sortCommand(c *client, args [][]byte, readonly bool) {
	o := sortOptions{count: -1}
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch a := args[j]; {
		case is(a, "asc"):
			o.desc = false
		case is(a, "desc"):
			o.desc = true
		case is(a, "alpha"):
			o.alpha = true
		case is(a, "limit") && left >= 2:
			r, ok := argInts(c, args[j+1], args[j+2])
			if !ok {
				return
			}
			o.start, o.count = r[0], r[1]
			j += 2
		case !readonly && is(a, "store") && left >= 1:
			o.store = args[j+1]
			j++
		case is(a, "by") && left >= 1:
			o.by = args[j+1]
			// Once set it stays set, as in Redis, whatever a later BY.
			o.dontSort = o.dontSort || bytes.IndexByte(cString(o.by), '*') < 0
			j++
		case is(a, "get") && left >= 1:
			o.gets = append(o.gets, args[j+1])
			j++
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	v, found := c.tx.Lookup(args[1], 0)
	kind := storage.KindList // a missing key sorts as an empty list
	if found {
		kind = v.Kind()
		if kind != storage.KindList && kind != storage.KindSet && kind != storage.KindZSet {
			c.out.Error(msgWrongType)
			return
		}
	}
	if o.dontSort && kind == storage.KindSet && (o.store != nil || c.script != nil) {
		// A set's order is its own: what is stored or given to a script
		// must not depend on it, so it is sorted.
		o.dontSort, o.alpha, o.by = false, true, nil
	}
	start, end := sortRange(o.start, o.count, sourceLen(v, found))
	items, start, end := sortElements(v, found, kind, &o, start, end)
	if !o.dontSort {
		if !sortScores(c, items, &o) {
			return
		}
		sortItems(items, &o, start, end)
	}
	var out []sortItem
	if end >= start {
		out = items[start : end+1]
	}
	if o.store == nil {
		writeSorted(c, out, o.gets)
		return
	}
	storeSorted(c, o.store, out, o.gets)
}

// sourceLen returns the number of elements of a list, set or sorted set.
func sourceLen(v storage.Value, found bool) int {
	if !found {
		return 0
	}
	switch v.Kind() {
	case storage.KindList:
		return storage.Object[storage.List](v).Len()
	case storage.KindSet:
		return storage.Object[storage.Set](v).Len()
	}
	return storage.Object[storage.ZSet](v).Len()
}

// sortRange turns LIMIT's offset and count into the first and last
// positions of length elements to return; end < start when there are
// none.
func sortRange(offset, count int64, length int) (start, end int) {
	n := int64(length)
	s := max(offset, 0)
	e := n - 1
	if count >= 0 {
		e = s + count - 1
		if count > 0 && s > math.MaxInt64-count+1 {
			e = math.MaxInt64 // Redis's compiler keeps this from wrapping
		}
	}
	if s >= n {
		s, e = n-1, n-2
	}
	e = min(e, n-1)
	return int(s), int(e)
}

// sortElements returns the elements of the source to sort, and the range
// of them to return. With dontSort a list or a sorted set yields only
// that range, in its order (reversed by DESC), and the range is then all
// of it.
func sortElements(v storage.Value, found bool, kind storage.Kind, o *sortOptions, start, end int) ([]sortItem, int, int) {
	if !found {
		return nil, start, end
	}
	var items []sortItem
	add := func(e string) { items = append(items, sortItem{elem: e}) }
	switch kind {
	case storage.KindList:
		l := storage.Object[storage.List](v)
		if !o.dontSort {
			for i := 0; i < l.Len(); i++ {
				add(l.At(i))
			}
			break
		}
		if end < start {
			return nil, start, end
		}
		for i := start; i <= end; i++ {
			if o.desc {
				add(l.At(l.Len() - 1 - i))
			} else {
				add(l.At(i))
			}
		}
		return items, 0, end - start
	case storage.KindSet:
		storage.Object[storage.Set](v).Each(func(m []byte) bool {
			add(string(m))
			return true
		})
	case storage.KindZSet:
		z := storage.Object[storage.ZSet](v)
		if !o.dontSort {
			z.Each(func(m string, _ float64) bool {
				add(m)
				return true
			})
			break
		}
		if end >= start {
			z.Range(start, end, o.desc, func(m string, _ float64) { add(m) })
		}
		return items, 0, end - start
	}
	return items, start, end
}

// sortScores loads what each element sorts by: a BY pattern's value or
// the element, as a double unless ALPHA. It replies with Redis's error
// and returns false when a value is not a number.
func sortScores(c *client, items []sortItem, o *sortOptions) bool {
	bad := false
	for i := range items {
		by := items[i].elem
		if o.by != nil {
			val, ok := lookupByPattern(c, o.by, items[i].elem)
			if !ok {
				continue
			}
			if o.alpha {
				items[i].by, items[i].hasBy = val, true
				continue
			}
			by = viewString(val)
		}
		if o.alpha {
			continue
		}
		score, ok := sortScore(by)
		items[i].score = score
		bad = bad || !ok
	}
	if bad {
		c.out.Error(msgSortNotDouble)
	}
	return !bad
}

// sortScore parses a value as Redis's strtod call in SORT: the C string
// in full after any leading space, "" as 0, and neither NaN nor out of
// range (overflowing, or underflowing to zero or to a subnormal).
func sortScore(s string) (float64, bool) {
	s = cPrefix(s)
	if s == "" {
		return 0, true
	}
	norm, ok := cFloatSyntax(s, true)
	if !ok || isNaNText(norm) {
		return 0, false
	}
	f, err := strconv.ParseFloat(norm, 64)
	if err != nil {
		return 0, false
	}
	if math.Abs(f) < 0x1p-1022 && strings.ContainsAny(mantissa(norm), "123456789abcdefABCDEF") {
		return 0, false
	}
	return f, true
}

// sortItems sorts items as Redis does: the range start..end alone, with
// its partial quicksort, when a BY pattern is given and the range is not
// all of them; else all of them, stably.
func sortItems(items []sortItem, o *sortOptions, start, end int) {
	cmp := func(a, b sortItem) int {
		var r int
		switch {
		case !o.alpha:
			switch {
			case a.score > b.score:
				r = 1
			case a.score < b.score:
				r = -1
			default:
				r = strings.Compare(a.elem, b.elem)
			}
		case o.by != nil:
			switch {
			case !a.hasBy || !b.hasBy:
				r = cmpMissing(a.hasBy, b.hasBy)
			case o.store != nil:
				r = bytes.Compare(a.by, b.by)
			default:
				r = bytes.Compare(cString(a.by), cString(b.by))
			}
		case o.store != nil:
			r = strings.Compare(a.elem, b.elem)
		default:
			r = strings.Compare(cPrefix(a.elem), cPrefix(b.elem))
		}
		if o.desc {
			return -r
		}
		return r
	}
	if o.by != nil && (start != 0 || end != len(items)-1) {
		pqsort.Sort(items, cmp, start, end)
		return
	}
	slices.SortStableFunc(items, cmp)
}

// cmpMissing orders a missing BY value before a present one.
func cmpMissing(aHas, bHas bool) int {
	switch {
	case aHas == bHas:
		return 0
	case bHas:
		return -1
	}
	return 1
}

// lookupByPattern returns the value a BY or GET pattern names for an
// element (Redis's lookupKeyByPattern): "#" is the element itself; else
// the element replaces the pattern's first '*', and the key is read as a
// string or, with "->field" after the '*', as a hash's field. It returns
// false when there is no such value (or the pattern has no '*'). The
// bytes are the store's: read them before the next write.
func lookupByPattern(c *client, pattern []byte, elem string) ([]byte, bool) {
	cpat := cString(pattern)
	if string(cpat) == "#" {
		return []byte(elem), true
	}
	star := bytes.IndexByte(cpat, '*')
	if star < 0 {
		return nil, false
	}
	keyEnd := len(pattern)
	var field []byte
	if f := bytes.Index(cpat[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(cpat) {
		keyEnd = star + 1 + f
		field = pattern[keyEnd+2:]
	}
	key := make([]byte, 0, keyEnd-1+len(elem))
	key = append(append(append(key, pattern[:star]...), elem...), pattern[star+1:keyEnd]...)
	v, found := c.tx.Lookup(key, 0)
	if !found {
		return nil, false
	}
	if field != nil {
		if v.Kind() != storage.KindHash {
			return nil, false
		}
		val, ok := storage.Object[storage.Hash](v).Get(field)
		return []byte(val), ok
	}
	if v.Kind() != storage.KindString {
		return nil, false
	}
	return v.Bytes(), true
}

// writeSorted replies with the elements or, with GET patterns, with the
// values they name (null for none).
func writeSorted(c *client, items []sortItem, gets [][]byte) {
	if len(gets) == 0 {
		c.out.Array(len(items))
		for _, it := range items {
			c.out.BulkString(it.elem)
		}
		return
	}
	c.out.Array(len(items) * len(gets))
	for _, it := range items {
		for _, g := range gets {
			if val, ok := lookupByPattern(c, g, it.elem); ok {
				c.out.Bulk(val)
			} else {
				c.out.Null()
			}
		}
	}
}

// storeSorted replaces dst with a list of the elements or, with GET
// patterns, the values they name ("" for none); an empty result deletes
// dst. It replies with the list's length.
func storeSorted(c *client, dst []byte, items []sortItem, gets [][]byte) {
	l := storage.NewList()
	for _, it := range items {
		if len(gets) == 0 {
			l.PushBack(it.elem)
			continue
		}
		for _, g := range gets {
			val, _ := lookupByPattern(c, g, it.elem)
			l.PushBack(string(val))
		}
	}
	if l.Len() == 0 {
		if c.tx.Delete(dst) {
			c.notify(notifyGeneric, "del", dst)
		}
		c.out.Int(0)
		return
	}
	c.tx.Set(dst, storage.ListValue(l))
	c.notify(notifyList, "sortstore", dst)
	c.out.Int(int64(l.Len()))
}
