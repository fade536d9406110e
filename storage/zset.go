package storage

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"unsafe"
)

// ZSet is the object of a sorted set value: Redis's design, a skiplist
// ordered by (score, member) whose levels carry spans so that ranks are
// O(log n), and a map from member to node for O(1) scores. It is not safe
// for concurrent use: the key's lock guards it, and a command that changes
// it stores the key again (see object.go).
//
// Members are strings: a member never changes once added, so the map's key
// and the node share one allocation.
type ZSet struct {
	dict   map[string]*zNode
	header *zNode
	tail   *zNode
	level  int
	length int
	// skiplist is what OBJECT ENCODING reports: Redis 7.0 keeps a small
	// sorted set in a listpack and converts it to a skiplist for good once
	// it outgrows zset-max-listpack-entries/value.
	skiplist bool
	bytes    int64 // the nodes, members and map slots
}

// A zNode holds its levels in its own allocation, as Redis's flexible
// array member does: lv is the first, and a node of more levels is the
// first field of a zNodeN whose array holds the rest (newNode). A search
// hop reads score and lv[0], which a node of one level (three in four of
// them) keeps in one 64-byte allocation, one cache line.
type zNode struct {
	score  float64
	back   *zNode
	member string
	height int // levels
	lv     [1]zLevel
}

type zLevel struct {
	next *zNode
	span int // nodes skipped to reach next
}

const (
	zMaxLevel = 32
	// Redis's zset-max-listpack-entries and zset-max-listpack-value
	// defaults, which decide the reported encoding.
	zsetListpackEntries = 128
	zsetListpackValue   = 64
	// zsetSlotOverhead estimates one member's map slot (key, value, hash
	// byte, at Go's load factor).
	zsetSlotOverhead = 32
)

// NewZSet returns an empty sorted set about to receive sizeHint members,
// the longest maxLenHint bytes long: as Redis's zsetTypeCreate, that
// decides its starting encoding.
func NewZSet(sizeHint, maxLenHint int) *ZSet {
	return &ZSet{
		dict:     make(map[string]*zNode, min(sizeHint, 1024)),
		header:   newNode(zMaxLevel),
		level:    1,
		skiplist: sizeHint > zsetListpackEntries || maxLenHint > zsetListpackValue,
	}
}

// ZSetValue returns a value holding z, for DB.Set.
func ZSetValue(z *ZSet) Value { return ObjectValue(KindZSet, z) }

// Len returns the number of members.
func (z *ZSet) Len() int { return z.length }

// Listpack reports whether Redis would hold the set in a listpack (its
// OBJECT ENCODING), which shows in how ZSCAN writes scores.
func (z *ZSet) Listpack() bool { return !z.skiplist }

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if n, ok := z.dict[unsafeString(member)]; ok {
		return n.score, true
	}
	return 0, false
}

// Set gives member the score, adding it when new. It reports whether the
// member was added.
func (z *ZSet) Set(member []byte, score float64) bool {
	n, ok := z.dict[unsafeString(member)]
	if !ok && (z.length+1 > zsetListpackEntries || len(member) > zsetListpackValue) {
		z.skiplist = true
	}
	if !z.skiplist && score == 0 {
		score = 0 // a listpack holds an integral score as an integer: -0 reads back 0
	}
	if ok {
		if n.score != score {
			z.updateScore(n, score)
		}
		return false
	}
	n = z.insert(score, string(member))
	z.dict[n.member] = n
	return true
}

// Remove removes member and reports whether it was there.
func (z *ZSet) Remove(member []byte) bool {
	n, ok := z.dict[unsafeString(member)]
	if !ok {
		return false
	}
	z.delete(n)
	return true
}

// Rank returns member's 0-based rank, from the lowest score or, with
// reverse, from the highest.
func (z *ZSet) Rank(member []byte, reverse bool) (int, bool) {
	n, ok := z.dict[unsafeString(member)]
	if !ok {
		return 0, false
	}
	r := z.rank(n) - 1
	if reverse {
		r = z.length - 1 - r
	}
	return r, true
}

// ByRank returns the member of 0-based rank r (0 <= r < Len()).
func (z *ZSet) ByRank(r int) (string, float64) {
	n := z.byRank(r + 1)
	return n.member, n.score
}

// Range calls fn for the members of ranks start to stop (0 <= start <=
// stop < Len()), in order or, with reverse, counting ranks from the
// highest score.
func (z *ZSet) Range(start, stop int, reverse bool, fn func(member string, score float64)) {
	var n *zNode
	if reverse {
		n = z.byRank(z.length - start)
	} else {
		n = z.byRank(start + 1)
	}
	for i := start; i <= stop && n != nil; i++ {
		fn(n.member, n.score)
		n = step(n, reverse)
	}
}

func step(n *zNode, reverse bool) *zNode {
	if reverse {
		return n.back
	}
	return n.lvl(0).next
}

// Each calls fn for every member in order until fn returns false.
func (z *ZSet) Each(fn func(member string, score float64) bool) {
	for n := z.header.lvl(0).next; n != nil; n = n.lvl(0).next {
		if !fn(n.member, n.score) {
			return
		}
	}
}

// PopMin removes and returns the member with the lowest score (the
// highest with max); the set must not be empty.
func (z *ZSet) PopMin(max bool) (string, float64) {
	n := z.header.lvl(0).next
	if max {
		n = z.tail
	}
	z.delete(n)
	return n.member, n.score
}

// ScoreRange is a range of scores, each end open or closed (ZRANGEBYSCORE's
// "(1" and "1").
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// LexBound is one end of a range of members: Inf -1 is "-" (below every
// member), 1 is "+" (above every member), 0 a member, excluded when Ex.
type LexBound struct {
	Value string
	Inf   int
	Ex    bool
}

// LexRange is a range of members (ZRANGEBYLEX's "[a" "(b" "-" "+").
type LexRange struct{ Min, Max LexBound }

// cmpLex compares a member (inf 0) or an infinite bound, as Redis's
// sdscmplex: each infinity equals only itself.
func cmpLex(a string, ainf int, b string, binf int) int {
	if ainf != 0 || binf != 0 {
		if ainf == binf {
			return 0
		}
		if ainf < 0 || binf > 0 {
			return -1
		}
		return 1
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// zRange is a score or member range, as the skiplist searches need it.
// The searches take it as a type parameter, not as an interface value,
// which would box each range they are passed (a geo search passes nine).
type zRange interface {
	ScoreRange | LexRange
	empty() bool
	gteMin(n *zNode) bool
	lteMax(n *zNode) bool
}

func (r ScoreRange) empty() bool {
	return r.Min > r.Max || r.Min == r.Max && (r.MinEx || r.MaxEx)
}

func (r ScoreRange) gteMin(n *zNode) bool {
	if r.MinEx {
		return n.score > r.Min
	}
	return n.score >= r.Min
}

func (r ScoreRange) lteMax(n *zNode) bool {
	if r.MaxEx {
		return n.score < r.Max
	}
	return n.score <= r.Max
}

func (r LexRange) empty() bool {
	c := cmpLex(r.Min.Value, r.Min.Inf, r.Max.Value, r.Max.Inf)
	return c > 0 || c == 0 && (r.Min.Ex || r.Max.Ex)
}

func (r LexRange) gteMin(n *zNode) bool {
	c := cmpLex(n.member, 0, r.Min.Value, r.Min.Inf)
	return c > 0 || c == 0 && !r.Min.Ex
}

func (r LexRange) lteMax(n *zNode) bool {
	c := cmpLex(n.member, 0, r.Max.Value, r.Max.Inf)
	return c < 0 || c == 0 && !r.Max.Ex
}

// inRange reports whether some part of the set may be in r (Redis's
// zslIsInRange). Lex ranges assume members of one score, as Redis does.
func inRange[R zRange](z *ZSet, r R) bool {
	if r.empty() || z.tail == nil || !r.gteMin(z.tail) {
		return false
	}
	first := z.header.lvl(0).next
	return first != nil && r.lteMax(first)
}

// firstIn returns the first node in r, nil when none.
func firstIn[R zRange](z *ZSet, r R) *zNode {
	if !inRange(z, r) {
		return nil
	}
	x := z.header
	for i := z.level - 1; i >= 0; i-- {
		for x.lvl(i).next != nil && !r.gteMin(x.lvl(i).next) {
			x = x.lvl(i).next
		}
	}
	x = x.lvl(0).next
	if !r.lteMax(x) {
		return nil
	}
	return x
}

// lastIn returns the last node in r, nil when none.
func lastIn[R zRange](z *ZSet, r R) *zNode {
	if !inRange(z, r) {
		return nil
	}
	x := z.header
	for i := z.level - 1; i >= 0; i-- {
		for x.lvl(i).next != nil && r.lteMax(x.lvl(i).next) {
			x = x.lvl(i).next
		}
	}
	if !r.gteMin(x) {
		return nil
	}
	return x
}

// RangeByScore calls fn for the members with scores in r, lowest first
// or, with reverse, highest first, skipping the first offset of them and
// stopping after limit (a negative limit: no limit). A negative offset
// yields nothing, as in Redis.
func (z *ZSet) RangeByScore(r ScoreRange, reverse bool, offset, limit int64, fn func(member string, score float64)) {
	rangeBy(z, r, reverse, offset, limit, fn)
}

// RangeByLex is RangeByScore for a range of members.
func (z *ZSet) RangeByLex(r LexRange, reverse bool, offset, limit int64, fn func(member string, score float64)) {
	rangeBy(z, r, reverse, offset, limit, fn)
}

func rangeBy[R zRange](z *ZSet, r R, reverse bool, offset, limit int64, fn func(member string, score float64)) {
	if offset > 0 && offset >= int64(z.length) {
		return
	}
	var n *zNode
	if reverse {
		n = lastIn(z, r)
	} else {
		n = firstIn(z, r)
	}
	for ; n != nil && offset != 0; offset-- {
		n = step(n, reverse)
	}
	for ; n != nil && limit != 0; limit-- {
		if reverse && !r.gteMin(n) || !reverse && !r.lteMax(n) {
			return
		}
		fn(n.member, n.score)
		n = step(n, reverse)
	}
}

// Bounds of PrefetchScoreRanges: ranges walked side by side, and nodes
// of each walked past its first.
const (
	prefetchRanges = 16
	prefetchNodes  = 64
)

// PrefetchScoreRanges reads, without a result, the nodes that scans of
// each of rs (ScanByScore) would read, the first prefetchNodes of each
// range, so that the scans find them in the CPU cache. A node is a cache
// miss, and a scan's next node is known only once its node is read: one
// range's misses come one after another. Walked side by side, one hop of
// each range in turn, the ranges' misses overlap. A geo search scans up to
// nine ranges (Redis scans them in turn).
func (z *ZSet) PrefetchScoreRanges(rs []ScoreRange) {
	for len(rs) > prefetchRanges {
		z.PrefetchScoreRanges(rs[:prefetchRanges])
		rs = rs[prefetchRanges:]
	}
	type cursor struct {
		x     *zNode // the last node passed; nil when done
		level int    // the level a descent is at; -1 once at the range
		left  int    // nodes left to walk
	}
	var cs [prefetchRanges]cursor
	for i := range rs {
		cs[i] = cursor{z.header, z.level - 1, prefetchNodes}
	}
	// Descend to each range as firstIn does, one hop of each in turn.
	for busy := true; busy; {
		busy = false
		for i := range rs {
			c := &cs[i]
			if c.level < 0 {
				continue
			}
			busy = true
			if next := c.x.lvl(c.level).next; next != nil && !rs[i].gteMin(next) {
				c.x = next
			} else {
				c.level--
			}
		}
	}
	// Walk each range, one node of each in turn.
	for busy := true; busy; {
		busy = false
		for i := range rs {
			c := &cs[i]
			if c.x == nil || c.left == 0 {
				continue
			}
			if n := c.x.lvl(0).next; n != nil && rs[i].lteMax(n) {
				c.x, c.left, busy = n, c.left-1, true
			} else {
				c.x = nil
			}
		}
	}
}

// ScanByScore calls fn for the members with scores in r, lowest first,
// until fn returns false (a geo search stops at its COUNT ANY).
func (z *ZSet) ScanByScore(r ScoreRange, fn func(member string, score float64) bool) {
	for n := firstIn(z, r); n != nil && r.lteMax(n); n = n.lvl(0).next {
		if !fn(n.member, n.score) {
			return
		}
	}
}

// CountByScore returns the number of members with scores in r.
func (z *ZSet) CountByScore(r ScoreRange) int { return countIn(z, r) }

// CountByLex returns the number of members in r.
func (z *ZSet) CountByLex(r LexRange) int { return countIn(z, r) }

func countIn[R zRange](z *ZSet, r R) int {
	first := firstIn(z, r)
	if first == nil {
		return 0
	}
	return z.rank(lastIn(z, r)) - z.rank(first) + 1
}

// RemoveRangeByRank removes the members of ranks start to stop (0 <= start
// <= stop < Len()) and returns how many it removed.
func (z *ZSet) RemoveRangeByRank(start, stop int) int {
	n := z.byRank(start + 1)
	removed := 0
	for i := start; i <= stop && n != nil; i++ {
		next := n.lvl(0).next
		z.delete(n)
		removed++
		n = next
	}
	return removed
}

// RemoveRangeByScore removes the members with scores in r and returns how
// many it removed.
func (z *ZSet) RemoveRangeByScore(r ScoreRange) int { return removeRange(z, r) }

// RemoveRangeByLex removes the members in r and returns how many it
// removed.
func (z *ZSet) RemoveRangeByLex(r LexRange) int { return removeRange(z, r) }

func removeRange[R zRange](z *ZSet, r R) int {
	removed := 0
	for n := firstIn(z, r); n != nil && r.lteMax(n); {
		next := n.lvl(0).next
		z.delete(n)
		removed++
		n = next
	}
	return removed
}

// Skiplist internals, after Redis's t_zset.c.

func zLess(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || s1 == s2 && m1 < m2
}

// randomLevel draws a node's level: each level up with probability 1/4.
func randomLevel() int {
	l := 1
	for l < zMaxLevel && rand.Uint32()&0xffff < 0xffff/4 {
		l++
	}
	return l
}

// The node types of more than one level: zNode followed by the rest of
// its levels. A node of over four levels (1 in 256) takes the next of 8,
// 16 or 32.
type (
	zNode2 struct {
		zNode
		more [1]zLevel
	}
	zNode3 struct {
		zNode
		more [2]zLevel
	}
	zNode4 struct {
		zNode
		more [3]zLevel
	}
	zNode8 struct {
		zNode
		more [7]zLevel
	}
	zNode16 struct {
		zNode
		more [15]zLevel
	}
	zNode32 struct {
		zNode
		more [zMaxLevel - 1]zLevel
	}
)

// lvl returns level i of n (i < n.height): lv's array goes on in the
// node's allocation.
func (n *zNode) lvl(i int) *zLevel {
	return (*zLevel)(unsafe.Add(unsafe.Pointer(&n.lv[0]), uintptr(i)*unsafe.Sizeof(zLevel{})))
}

// levelRoom returns how many levels the node newNode makes for levels
// holds.
func levelRoom(levels int) int {
	switch {
	case levels <= 4:
		return levels
	case levels <= 8:
		return 8
	case levels <= 16:
		return 16
	}
	return zMaxLevel
}

// newNode returns a node of the given number of levels (1 to zMaxLevel).
func newNode(levels int) *zNode {
	var n *zNode
	switch levelRoom(levels) {
	case 1:
		n = new(zNode)
	case 2:
		n = &new(zNode2).zNode
	case 3:
		n = &new(zNode3).zNode
	case 4:
		n = &new(zNode4).zNode
	case 8:
		n = &new(zNode8).zNode
	case 16:
		n = &new(zNode16).zNode
	default:
		n = &new(zNode32).zNode
	}
	n.height = levels
	return n
}

// nodeSize is what a member of levels levels costs.
func nodeSize(levels, memberLen int) int64 {
	node := int(unsafe.Sizeof(zNode{})) + (levelRoom(levels)-1)*int(unsafe.Sizeof(zLevel{}))
	return int64(allocSize(node)+allocSize(memberLen)) + zsetSlotOverhead
}

// insert adds a node for a member not in the set.
func (z *ZSet) insert(score float64, member string) *zNode {
	var update [zMaxLevel]*zNode
	var rank [zMaxLevel]int
	x := z.header
	for i := z.level - 1; i >= 0; i-- {
		if i < z.level-1 {
			rank[i] = rank[i+1]
		}
		for x.lvl(i).next != nil && zLess(x.lvl(i).next.score, x.lvl(i).next.member, score, member) {
			rank[i] += x.lvl(i).span
			x = x.lvl(i).next
		}
		update[i] = x
	}
	level := randomLevel()
	if level > z.level {
		for i := z.level; i < level; i++ {
			rank[i] = 0
			update[i] = z.header
			update[i].lvl(i).span = z.length
		}
		z.level = level
	}
	n := newNode(level)
	n.member, n.score = member, score
	for i := 0; i < level; i++ {
		n.lvl(i).next = update[i].lvl(i).next
		update[i].lvl(i).next = n
		n.lvl(i).span = update[i].lvl(i).span - (rank[0] - rank[i])
		update[i].lvl(i).span = rank[0] - rank[i] + 1
	}
	for i := level; i < z.level; i++ {
		update[i].lvl(i).span++
	}
	if update[0] != z.header {
		n.back = update[0]
	}
	if n.lvl(0).next != nil {
		n.lvl(0).next.back = n
	} else {
		z.tail = n
	}
	z.length++
	z.bytes += nodeSize(level, len(member))
	return n
}

// unlink takes n out of the skiplist (not out of the map).
func (z *ZSet) unlink(n *zNode) {
	var update [zMaxLevel]*zNode
	x := z.header
	for i := z.level - 1; i >= 0; i-- {
		for x.lvl(i).next != nil && zLess(x.lvl(i).next.score, x.lvl(i).next.member, n.score, n.member) {
			x = x.lvl(i).next
		}
		update[i] = x
	}
	for i := 0; i < z.level; i++ {
		if update[i].lvl(i).next == n {
			update[i].lvl(i).span += n.lvl(i).span - 1
			update[i].lvl(i).next = n.lvl(i).next
		} else {
			update[i].lvl(i).span--
		}
	}
	if n.lvl(0).next != nil {
		n.lvl(0).next.back = n.back
	} else {
		z.tail = n.back
	}
	for z.level > 1 && z.header.lvl(z.level-1).next == nil {
		z.level--
	}
	z.length--
	z.bytes -= nodeSize(n.height, len(n.member))
}

// delete removes node n and its member.
func (z *ZSet) delete(n *zNode) {
	z.unlink(n)
	delete(z.dict, n.member)
}

// updateScore moves n to score, in place when its position does not
// change (Redis's zslUpdateScore).
func (z *ZSet) updateScore(n *zNode, score float64) {
	prev, next := n.back, n.lvl(0).next
	if (prev == nil || zLess(prev.score, prev.member, score, n.member)) &&
		(next == nil || zLess(score, n.member, next.score, next.member)) {
		n.score = score
		return
	}
	z.unlink(n)
	m := z.insert(score, n.member)
	z.dict[m.member] = m
}

// rank returns n's 1-based rank.
func (z *ZSet) rank(n *zNode) int {
	r := 0
	x := z.header
	for i := z.level - 1; i >= 0; i-- {
		for x.lvl(i).next != nil && !zLess(n.score, n.member, x.lvl(i).next.score, x.lvl(i).next.member) {
			r += x.lvl(i).span
			x = x.lvl(i).next
		}
		if x == n {
			return r
		}
	}
	return 0
}

// byRank returns the node of 1-based rank r, nil when out of range.
func (z *ZSet) byRank(r int) *zNode {
	if r < 1 || r > z.length {
		return nil
	}
	traversed := 0
	x := z.header
	for i := z.level - 1; i >= 0; i-- {
		for x.lvl(i).next != nil && traversed+x.lvl(i).span <= r {
			traversed += x.lvl(i).span
			x = x.lvl(i).next
		}
		if traversed == r {
			return x
		}
	}
	return nil
}

// size is what the sorted set costs: the struct, its header node and map,
// and each member.
func (z *ZSet) size() int64 {
	return int64(allocSize(int(unsafe.Sizeof(ZSet{})))) + nodeSize(zMaxLevel, 0) + z.bytes
}

// clone returns an independent copy of z, in the same encoding.
func (z *ZSet) clone() *ZSet {
	c := NewZSet(z.length, 0)
	z.Each(func(m string, s float64) bool {
		n := c.insert(s, m)
		c.dict[n.member] = n
		return true
	})
	c.skiplist = z.skiplist
	return c
}

// SettleEncoding gives a sorted set built by a command (ZUNIONSTORE,
// ZRANGESTORE) or loaded from disk the encoding Redis gives such a set:
// listpack when it is small enough, whatever it went through.
func (z *ZSet) SettleEncoding() {
	longest := 0
	if z.length <= zsetListpackEntries {
		for m := range z.dict {
			longest = max(longest, len(m))
		}
	}
	z.skiplist = z.length > zsetListpackEntries || longest > zsetListpackValue
	if !z.skiplist {
		for n := z.header.lvl(0).next; n != nil; n = n.lvl(0).next {
			if n.score == 0 {
				n.score = 0 // as Set does in a listpack
			}
		}
	}
}

// errBadZSet means a sorted set's disk encoding does not decode.
var errBadZSet = errors.New("storage: corrupt sorted set encoding")

// A sorted set's disk encoding is its length, then each member in order
// as a uvarint length, its bytes and its score's 8 bytes (IEEE 754, little
// endian).

func appendZSet(dst []byte, v Value) []byte {
	z := Object[ZSet](v)
	dst = binary.AppendUvarint(dst, uint64(z.length))
	z.Each(func(m string, s float64) bool {
		dst = binary.AppendUvarint(dst, uint64(len(m)))
		dst = append(dst, m...)
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s))
		return true
	})
	return dst
}

func decodeZSet(b []byte) (Value, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return Value{}, errBadZSet
	}
	b = b[w:]
	z := NewZSet(int(n), 0)
	for ; n > 0; n-- {
		m, w := binary.Uvarint(b)
		if w <= 0 || m > uint64(len(b)-w) || len(b)-w-int(m) < 8 {
			return Value{}, errBadZSet
		}
		member := b[w : w+int(m)]
		s := math.Float64frombits(binary.LittleEndian.Uint64(b[w+int(m):]))
		if math.IsNaN(s) || !z.Set(member, s) {
			return Value{}, errBadZSet
		}
		b = b[w+int(m)+8:]
	}
	if len(b) != 0 || z.length == 0 {
		return Value{}, errBadZSet
	}
	z.SettleEncoding()
	return ZSetValue(z), nil
}

func init() {
	registerObjectKind(KindZSet, objectKind{
		size: func(v Value) int64 { return Object[ZSet](v).size() },
		encoding: func(v Value) string {
			if Object[ZSet](v).skiplist {
				return "skiplist"
			}
			return "listpack"
		},
		clone: func(v Value) Value { return ZSetValue(Object[ZSet](v).clone()) },
	})
	RegisterKindCodec(KindZSet, KindCodec{Append: appendZSet, Decode: decodeZSet})
}

// LookupZSet returns key's sorted set for a command: nil when the key does
// not exist, ErrWrongType when it holds another kind. flags are Lookup's.
func (tx *Tx) LookupZSet(key []byte, flags LookupFlags) (*ZSet, Value, error) {
	v, ok := tx.Lookup(key, flags)
	if !ok {
		return nil, v, nil
	}
	if v.Kind() != KindZSet {
		return nil, v, ErrWrongType
	}
	return Object[ZSet](v), v, nil
}
