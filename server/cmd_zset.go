package server

// Sorted set commands.
// https://redis.io/commands/?group=sorted-set
//
// Each handler follows its counterpart in Redis 7.0's t_zset.c: the same
// order of checks, lookups and replies, the same keyspace events (class z,
// plus a generic "del" when a sorted set empties) and the same number
// formats: scores are replied as doubles (RESP2 bulk strings in %.17g,
// RESP3 doubles), ZSCAN's scores as Redis's d2string writes them. Score,
// range and weight arguments are parsed with C's strtod syntax (hex floats
// and "inf" included), each with the checks Redis makes on top. A handler
// that changes a sorted set in place stores the key again
// (DB.StoreObject), which accounts its memory and tells WATCH, the disk
// tier and BZPOPMIN's waiters.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/internal/resp"
	"github.com/stratakv/strata/storage"
)

func registerZSetCommands(t commandTable) {
	const w, grow = flagWrite, flagWrite | flagDenyOOM
	const blk = flagWrite | flagBlocking
	t.add(
		&command{name: "zadd", handler: cmdZAdd, arity: -4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zincrby", handler: cmdZIncrBy, arity: 4, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zrem", handler: cmdZRem, arity: -3, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zcard", handler: cmdZCard, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zscore", handler: cmdZScore, arity: 3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zmscore", handler: cmdZMScore, arity: -3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zrank", handler: cmdZRank, arity: 3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zrevrank", handler: cmdZRevRank, arity: 3, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zrange", handler: cmdZRange, arity: -4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zrangestore", handler: cmdZRangeStore, arity: -5, flags: grow, firstKey: 1, lastKey: 2, keyStep: 1, write: cache.WriteReplace},
		&command{name: "zrevrange", handler: cmdZRevRange, arity: -4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zrangebyscore", handler: cmdZRangeByScore, arity: -4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zrevrangebyscore", handler: cmdZRevRangeByScore, arity: -4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zrangebylex", handler: cmdZRangeByLex, arity: -4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zrevrangebylex", handler: cmdZRevRangeByLex, arity: -4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zcount", handler: cmdZCount, arity: 4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zlexcount", handler: cmdZLexCount, arity: 4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zpopmin", handler: cmdZPopMin, arity: -2, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zpopmax", handler: cmdZPopMax, arity: -2, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zrandmember", handler: cmdZRandMember, arity: -2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zremrangebyrank", handler: cmdZRemRangeByRank, arity: 4, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zremrangebyscore", handler: cmdZRemRangeByScore, arity: 4, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zremrangebylex", handler: cmdZRemRangeByLex, arity: 4, flags: w, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "zscan", handler: cmdZScan, arity: -3, firstKey: 1, lastKey: 1, keyStep: 1},
		// The commands below name their keys after a count: with no fixed
		// key positions they run under the exclusive lock.
		&command{name: "zunionstore", handler: cmdZUnionStore, arity: -4, flags: grow, write: cache.WriteReplace},
		&command{name: "zinterstore", handler: cmdZInterStore, arity: -4, flags: grow, write: cache.WriteReplace},
		&command{name: "zdiffstore", handler: cmdZDiffStore, arity: -4, flags: grow, write: cache.WriteReplace},
		&command{name: "zunion", handler: cmdZUnion, arity: -3},
		&command{name: "zinter", handler: cmdZInter, arity: -3},
		&command{name: "zdiff", handler: cmdZDiff, arity: -3},
		&command{name: "zintercard", handler: cmdZInterCard, arity: -3},
		&command{name: "zmpop", handler: cmdZMPop, arity: -4, flags: w},
		&command{name: "bzpopmin", handler: cmdBZPopMin, arity: -3, flags: blk, firstKey: 1, lastKey: -2, keyStep: 1},
		&command{name: "bzpopmax", handler: cmdBZPopMax, arity: -3, flags: blk, firstKey: 1, lastKey: -2, keyStep: 1},
		&command{name: "bzmpop", handler: cmdBZMPop, arity: -5, flags: blk},
	)
}

// Float arguments.

// viewString views b as a string for parsing; it must not be retained.
func viewString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// cFloatSyntax checks that s is, in full, a number in the syntax of C's
// strtod in the C locale: an optional sign, then a decimal or hexadecimal
// (0x) float with an optional exponent, or inf, infinity or nan (any
// case). With space, leading white space is allowed (and dropped). It
// returns s in a form Go's parsers take: a hexadecimal float without an
// exponent gets "p0".
func cFloatSyntax(s string, space bool) (string, bool) {
	if space {
		s = strings.TrimLeft(s, " \t\n\v\f\r")
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	rest := s[i:]
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		return "", false // one sign only: isInfText and isNaNText would take a second
	}
	if isInfText(rest) || isNaNText(rest) {
		return s, true
	}
	hex := len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')
	isDigit := func(ch byte) bool {
		return '0' <= ch && ch <= '9' || hex && ('a' <= ch|0x20 && ch|0x20 <= 'f')
	}
	j, digits := 0, 0
	if hex {
		j = 2
	}
	for ; j < len(rest) && isDigit(rest[j]); j++ {
		digits++
	}
	if j < len(rest) && rest[j] == '.' {
		for j++; j < len(rest) && isDigit(rest[j]); j++ {
			digits++
		}
	}
	if digits == 0 {
		return "", false
	}
	exp := false
	if j < len(rest) && (!hex && rest[j]|0x20 == 'e' || hex && rest[j]|0x20 == 'p') {
		k := j + 1
		if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
			k++
		}
		if k < len(rest) && '0' <= rest[k] && rest[k] <= '9' {
			for k < len(rest) && '0' <= rest[k] && rest[k] <= '9' {
				k++
			}
			j, exp = k, true
		}
	}
	if j != len(rest) {
		return "", false
	}
	if hex && !exp {
		return s + "p0", true
	}
	return s, true
}

// isInfText and isNaNText recognize strtod's infinity and NaN spellings,
// after any sign.
func isInfText(s string) bool {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return strings.EqualFold(s, "inf") || strings.EqualFold(s, "infinity")
}

func isNaNText(s string) bool {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if len(s) < 3 || !strings.EqualFold(s[:3], "nan") {
		return false
	}
	s = s[3:]
	if s == "" {
		return true
	}
	if s[0] != '(' || s[len(s)-1] != ')' {
		return false
	}
	for _, ch := range []byte(s[1 : len(s)-1]) {
		if !(ch == '_' || '0' <= ch && ch <= '9' || 'a' <= ch|0x20 && ch|0x20 <= 'z') {
			return false
		}
	}
	return true
}

// parseScore parses a score, increment or weight as Redis's
// getDoubleFromObject: strtod's syntax with nothing around it, not NaN,
// and neither overflowing to infinity nor underflowing to zero.
func parseScore(arg []byte) (float64, bool) {
	norm, ok := cFloatSyntax(viewString(arg), false)
	if !ok || isNaNText(norm) {
		return 0, false
	}
	f, err := strconv.ParseFloat(norm, 64)
	if err != nil { // out of range: strtod's HUGE_VAL
		return 0, false
	}
	if f == 0 && strings.ContainsAny(mantissa(norm), "123456789abcdefABCDEF") {
		return 0, false // underflowed to zero
	}
	return f, true
}

// mantissa returns the digits of a float's text before its exponent.
func mantissa(s string) string {
	if i := strings.IndexAny(s, "xX"); i >= 0 {
		s = s[i+1:]
		if j := strings.IndexAny(s, "pP"); j >= 0 {
			return s[:j]
		}
		return s
	}
	if j := strings.IndexAny(s, "eE"); j >= 0 {
		return s[:j]
	}
	return s
}

// parseScoreBound parses one end of a score range as Redis's zslParseRange:
// "(" makes it exclusive, then strtod's syntax with leading space allowed,
// any magnitude, not NaN. Like strtod, it takes "" (and "(") as 0.
func parseScoreBound(arg []byte) (v float64, ex, ok bool) {
	s := viewString(arg)
	if len(s) > 0 && s[0] == '(' {
		s, ex = s[1:], true
	}
	if s == "" {
		return 0, ex, true
	}
	norm, ok := cFloatSyntax(s, true)
	if !ok || isNaNText(norm) {
		return 0, ex, false
	}
	f, err := strconv.ParseFloat(norm, 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, ex, false
	}
	return f, ex, true
}

// parseScoreRange parses ZRANGEBYSCORE's min and max, replying with
// Redis's error when either is not a float.
func parseScoreRange(c *client, min, max []byte) (storage.ScoreRange, bool) {
	var r storage.ScoreRange
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseScoreBound(min)
	r.Max, r.MaxEx, ok2 = parseScoreBound(max)
	if !ok1 || !ok2 {
		c.out.Error(msgZMinMaxFloat)
		return r, false
	}
	return r, true
}

// parseLexBound parses one end of a member range: "-", "+", "(member"
// or "[member".
func parseLexBound(arg []byte) (storage.LexBound, bool) {
	if len(arg) == 0 {
		return storage.LexBound{}, false
	}
	switch arg[0] {
	case '+', '-':
		if len(arg) != 1 {
			return storage.LexBound{}, false
		}
		inf := 1
		if arg[0] == '-' {
			inf = -1
		}
		return storage.LexBound{Inf: inf, Ex: true}, true
	case '(':
		return storage.LexBound{Value: string(arg[1:]), Ex: true}, true
	case '[':
		return storage.LexBound{Value: string(arg[1:])}, true
	}
	return storage.LexBound{}, false
}

// parseLexRange parses ZRANGEBYLEX's min and max, replying with Redis's
// error when either is not a valid range item.
func parseLexRange(c *client, min, max []byte) (storage.LexRange, bool) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	if !ok1 || !ok2 {
		c.out.Error(msgZMinMaxLex)
		return storage.LexRange{}, false
	}
	return storage.LexRange{Min: lo, Max: hi}, true
}

// appendScanScore formats a score as ZSCAN replies it: as the listpack
// holds it (an integer within ±2^62 as an integer: Redis's double2ll), or
// for a skiplist as Redis's d2string writes it (an integer within ±2^52 as
// an integer, else %.17g).
func appendScanScore(b []byte, f float64, listpack bool) []byte {
	switch {
	case listpack && f >= -math.MaxInt64/2 && f <= math.MaxInt64/2 && f == math.Trunc(f):
		return strconv.AppendInt(b, int64(f), 10)
	case f == 0 && math.Signbit(f):
		return append(b, "-0"...)
	case f > -4503599627370495 && f < 4503599627370496 && f == math.Trunc(f):
		return strconv.AppendInt(b, int64(f), 10)
	}
	return resp.AppendDouble(b, f)
}

// Lookups and replies.

// lookupZSet is a sorted set command's lookup of key, for a write (no hit
// or miss counted) or a read. z is nil when the key does not exist; ok is
// false after replying WRONGTYPE.
func lookupZSet(c *client, key []byte, write bool) (z *storage.ZSet, v storage.Value, ok bool) {
	flags := storage.LookupFlags(0)
	if write {
		flags = storage.LookupWrite
	}
	z, v, err := c.tx.LookupZSet(key, flags)
	if err != nil {
		c.out.Error(msgWrongType)
		return nil, v, false
	}
	return z, v, true
}

// storeZSet stores key's sorted set after a change: a new set is added,
// an existing one stored again or, when it emptied, deleted with Redis's
// "del" event.
func storeZSet(c *client, key []byte, z *storage.ZSet, v storage.Value, created bool) {
	if created {
		c.tx.Set(key, storage.ZSetValue(z))
		return
	}
	if c.tx.StoreObject(key, v, z.Len() == 0) {
		c.notify(notifyGeneric, "del", key)
	}
}

// scored is a member with its score, as a range collects them.
type scored struct {
	member string
	score  float64
}

// writeScored replies with members, and with their scores when asked:
// member, score, ... in RESP2; [member, score] pairs in RESP3.
func writeScored(c *client, items []scored, withScores bool) {
	writeScoredHeader(c, len(items), withScores)
	for _, it := range items {
		writeScoredItem(c, it.member, it.score, withScores)
	}
}

// writeScoredHeader starts writeScored's reply for n members.
func writeScoredHeader(c *client, n int, withScores bool) {
	if withScores && !c.out.RESP3() {
		c.out.Array(2 * n)
	} else {
		c.out.Array(n)
	}
}

// writeScoredItem writes one member of writeScored's reply.
func writeScoredItem(c *client, member string, score float64, withScores bool) {
	if withScores && c.out.RESP3() {
		c.out.Array(2)
	}
	c.out.BulkString(member)
	if withScores {
		c.out.Double(score)
	}
}

// ZADD and ZINCRBY.

// zaddFlags are ZADD's options.
type zaddFlags struct{ nx, xx, gt, lt, ch, incr bool }

// zaddOne applies one score-member pair as Redis's zsetAdd. It reports
// whether the member was added or its score changed, whether the pair was
// a no-op (NX, XX, GT, LT said no), the resulting score, and nan when an
// increment produced NaN (nothing changed then).
func zaddOne(z *storage.ZSet, member []byte, score float64, f zaddFlags) (added, updated, nop bool, result float64, nan bool) {
	cur, exists := z.Score(member)
	if !exists {
		if f.xx {
			return false, false, true, 0, false
		}
		z.Set(member, score)
		return true, false, false, score, false
	}
	if f.nx {
		return false, false, true, 0, false
	}
	if f.incr {
		score += cur
		if math.IsNaN(score) {
			return false, false, false, 0, true
		}
	}
	if f.lt && score >= cur || f.gt && score <= cur {
		return false, false, true, 0, false
	}
	if score != cur {
		z.Set(member, score)
		updated = true
	}
	return false, updated, false, score, false
}

func cmdZAdd(c *client, args [][]byte) { zaddCommand(c, args, zaddFlags{}) }

// cmdZIncrBy is ZADD INCR, options included: Redis parses ZINCRBY's
// arguments as ZADD's, so "ZINCRBY key nx member" is a syntax error.
func cmdZIncrBy(c *client, args [][]byte) { zaddCommand(c, args, zaddFlags{incr: true}) }

// zaddCommand parses ZADD's options, then the pairs.
func zaddCommand(c *client, args [][]byte, f zaddFlags) {
	i := 2
	for ; i < len(args); i++ {
		switch a := args[i]; {
		case is(a, "nx"):
			f.nx = true
		case is(a, "xx"):
			f.xx = true
		case is(a, "ch"):
			f.ch = true
		case is(a, "incr"):
			f.incr = true
		case is(a, "gt"):
			f.gt = true
		case is(a, "lt"):
			f.lt = true
		default:
			zadd(c, args[1], args[i:], f)
			return
		}
	}
	c.out.Error(msgSyntax)
}

// zadd is ZADD (and ZINCRBY) after the options: pairs holds the
// score-member pairs.
func zadd(c *client, key []byte, pairs [][]byte, f zaddFlags) {
	if len(pairs)%2 != 0 || len(pairs) == 0 {
		c.out.Error(msgSyntax)
		return
	}
	n := len(pairs) / 2
	switch {
	case f.nx && f.xx:
		c.out.Error(msgZAddXXNX)
		return
	case f.gt && f.nx || f.lt && f.nx || f.gt && f.lt:
		c.out.Error(msgZAddGTLTNX)
		return
	case f.incr && n > 1:
		c.out.Error(msgZAddIncrPair)
		return
	}
	scores := make([]float64, n)
	for j := range scores {
		s, ok := parseScore(pairs[2*j])
		if !ok {
			c.out.Error(msgNotFloat)
			return
		}
		scores[j] = s
	}
	z, v, ok := lookupZSet(c, key, true)
	if !ok {
		return
	}
	var added, updated, processed int64
	var score float64
	created := z == nil && !f.xx
	if created {
		// Redis 7.0 picks a new set's encoding by its first member alone.
		z = storage.NewZSet(1, len(pairs[1]))
		v = storage.ZSetValue(z)
	}
	failed := false
	if z != nil {
		for j, s := range scores {
			a, u, nop, result, nan := zaddOne(z, pairs[2*j+1], s, f)
			if nan {
				c.out.Error(msgZScoreNaN)
				failed = true
				break
			}
			if a {
				added++
			}
			if u {
				updated++
			}
			if !nop {
				processed++
			}
			score = result
		}
		if created || added > 0 || updated > 0 {
			c.tx.Set(key, v)
		}
	}
	if !failed {
		switch {
		case f.incr && processed > 0:
			c.out.Double(score)
		case f.incr:
			c.out.Null()
		case f.ch:
			c.out.Int(added + updated)
		default:
			c.out.Int(added)
		}
	}
	if added > 0 || updated > 0 {
		event := "zadd"
		if f.incr {
			event = "zincr"
		}
		c.notify(notifyZSet, event, key)
	}
}

func cmdZRem(c *client, args [][]byte) {
	key := args[1]
	z, v, ok := lookupZSet(c, key, true)
	if !ok {
		return
	}
	if z == nil {
		c.out.Int(0)
		return
	}
	removed := int64(0)
	for _, m := range args[2:] {
		if z.Remove(m) {
			removed++
			if z.Len() == 0 {
				break
			}
		}
	}
	if removed > 0 {
		c.notify(notifyZSet, "zrem", key)
		storeZSet(c, key, z, v, false)
	}
	c.out.Int(removed)
}

func cmdZCard(c *client, args [][]byte) {
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.out.Int(0)
		return
	}
	c.out.Int(int64(z.Len()))
}

func cmdZScore(c *client, args [][]byte) {
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z != nil {
		if s, found := z.Score(args[2]); found {
			c.out.Double(s)
			return
		}
	}
	c.out.Null()
}

func cmdZMScore(c *client, args [][]byte) {
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	c.out.Array(len(args) - 2)
	for _, m := range args[2:] {
		if z != nil {
			if s, found := z.Score(m); found {
				c.out.Double(s)
				continue
			}
		}
		c.out.Null()
	}
}

func cmdZRank(c *client, args [][]byte)    { zrank(c, args, false) }
func cmdZRevRank(c *client, args [][]byte) { zrank(c, args, true) }

func zrank(c *client, args [][]byte, reverse bool) {
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z != nil {
		if r, found := z.Rank(args[2], reverse); found {
			c.out.Int(int64(r))
			return
		}
	}
	c.out.Null()
}

// ZRANGE and its family.

// zrangeKind is how a ZRANGE names its range.
type zrangeKind uint8

const (
	zrangeAuto zrangeKind = iota // ZRANGE: by rank unless BYSCORE or BYLEX
	zrangeRank
	zrangeScore
	zrangeLex
)

// zrangeDir is a ZRANGE's direction.
type zrangeDir uint8

const (
	zrangeDirAuto zrangeDir = iota // ZRANGE: forward unless REV
	zrangeForward
	zrangeReverse
)

func cmdZRange(c *client, args [][]byte) { zrange(c, args, 1, nil, zrangeAuto, zrangeDirAuto) }
func cmdZRangeStore(c *client, args [][]byte) {
	zrange(c, args, 2, args[1], zrangeAuto, zrangeDirAuto)
}
func cmdZRevRange(c *client, args [][]byte) { zrange(c, args, 1, nil, zrangeRank, zrangeReverse) }
func cmdZRangeByScore(c *client, args [][]byte) {
	zrange(c, args, 1, nil, zrangeScore, zrangeForward)
}
func cmdZRevRangeByScore(c *client, args [][]byte) {
	zrange(c, args, 1, nil, zrangeScore, zrangeReverse)
}
func cmdZRangeByLex(c *client, args [][]byte) { zrange(c, args, 1, nil, zrangeLex, zrangeForward) }
func cmdZRevRangeByLex(c *client, args [][]byte) {
	zrange(c, args, 1, nil, zrangeLex, zrangeReverse)
}

// zrange is Redis's zrangeGenericCommand: args[start] is the source key,
// then min and max, then options; dst, when not nil, receives the range
// (ZRANGESTORE) instead of the reply.
func zrange(c *client, args [][]byte, start int, dst []byte, kind zrangeKind, dir zrangeDir) {
	store := dst != nil
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := start + 3; j < len(args); j++ {
		left := len(args) - j - 1
		switch a := args[j]; {
		case !store && is(a, "withscores"):
			withScores = true
		case is(a, "limit") && left >= 2:
			r, ok := argInts(c, args[j+1], args[j+2])
			if !ok {
				return
			}
			offset, limit = r[0], r[1]
			j += 2
		case dir == zrangeDirAuto && is(a, "rev"):
			dir = zrangeReverse
		case kind == zrangeAuto && is(a, "bylex"):
			kind = zrangeLex
		case kind == zrangeAuto && is(a, "byscore"):
			kind = zrangeScore
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	if kind == zrangeAuto {
		kind = zrangeRank
	}
	reverse := dir == zrangeReverse
	// Redis checks the limit's value, so LIMIT 0 -1 passes by rank.
	if limit != -1 && kind == zrangeRank {
		c.out.Error(msgZRangeLimit)
		return
	}
	if withScores && kind == zrangeLex {
		c.out.Error(msgZRangeLexScore)
		return
	}
	minArg, maxArg := args[start+1], args[start+2]
	if reverse && kind != zrangeRank {
		minArg, maxArg = maxArg, minArg // given as max min
	}
	var ranks []int64
	var scores storage.ScoreRange
	var lex storage.LexRange
	var ok bool
	switch kind {
	case zrangeRank:
		ranks, ok = argInts(c, minArg, maxArg)
	case zrangeScore:
		scores, ok = parseScoreRange(c, minArg, maxArg)
	case zrangeLex:
		lex, ok = parseLexRange(c, minArg, maxArg)
	}
	if !ok {
		return
	}
	z, _, ok := lookupZSet(c, args[start], false)
	if !ok {
		return
	}
	var items []scored
	collect := func(m string, s float64) { items = append(items, scored{m, s}) }
	if z != nil {
		switch kind {
		case zrangeRank:
			if lo, hi, ok := clampRange(ranks[0], ranks[1], z.Len()); ok {
				z.Range(lo, hi, reverse, collect)
			}
		case zrangeScore:
			z.RangeByScore(scores, reverse, offset, limit, collect)
		case zrangeLex:
			z.RangeByLex(lex, reverse, offset, limit, collect)
		}
	}
	if store {
		storeResult(c, dst, items, "zrangestore")
		return
	}
	writeScored(c, items, withScores)
}

// storeResult replaces dst with a new sorted set of items (ZRANGESTORE,
// ZUNIONSTORE...) and replies with its size; no items delete dst.
func storeResult(c *client, dst []byte, items []scored, event string) {
	if len(items) == 0 {
		c.out.Int(0)
		if c.tx.Delete(dst) {
			c.notify(notifyGeneric, "del", dst)
		}
		return
	}
	c.tx.Set(dst, storage.ZSetValue(newZSetOf(items)))
	c.out.Int(int64(len(items)))
	c.notify(notifyZSet, event, dst)
}

// newZSetOf returns a new sorted set of items (their members distinct),
// in the encoding Redis gives a set a command builds.
func newZSetOf(items []scored) *storage.ZSet {
	z := storage.NewZSet(len(items), 0)
	for _, it := range items {
		z.Set([]byte(it.member), it.score)
	}
	z.SettleEncoding()
	return z
}

func cmdZCount(c *client, args [][]byte) {
	r, ok := parseScoreRange(c, args[2], args[3])
	if !ok {
		return
	}
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.out.Int(0)
		return
	}
	c.out.Int(int64(z.CountByScore(r)))
}

func cmdZLexCount(c *client, args [][]byte) {
	r, ok := parseLexRange(c, args[2], args[3])
	if !ok {
		return
	}
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.out.Int(0)
		return
	}
	c.out.Int(int64(z.CountByLex(r)))
}

func cmdZRemRangeByRank(c *client, args [][]byte) {
	r, ok := argInts(c, args[2], args[3])
	if !ok {
		return
	}
	zremrange(c, args[1], "zremrangebyrank", func(z *storage.ZSet) int {
		lo, hi, ok := clampRange(r[0], r[1], z.Len())
		if !ok {
			return 0
		}
		return z.RemoveRangeByRank(lo, hi)
	})
}

func cmdZRemRangeByScore(c *client, args [][]byte) {
	r, ok := parseScoreRange(c, args[2], args[3])
	if !ok {
		return
	}
	zremrange(c, args[1], "zremrangebyscore", func(z *storage.ZSet) int { return z.RemoveRangeByScore(r) })
}

func cmdZRemRangeByLex(c *client, args [][]byte) {
	r, ok := parseLexRange(c, args[2], args[3])
	if !ok {
		return
	}
	zremrange(c, args[1], "zremrangebylex", func(z *storage.ZSet) int { return z.RemoveRangeByLex(r) })
}

// zremrange runs a ZREMRANGEBY* whose range is parsed: remove removes it
// from the key's sorted set and returns how many it removed.
func zremrange(c *client, key []byte, event string, remove func(z *storage.ZSet) int) {
	z, v, ok := lookupZSet(c, key, true)
	if !ok {
		return
	}
	if z == nil {
		c.out.Int(0)
		return
	}
	n := remove(z)
	if n > 0 {
		c.notify(notifyZSet, event, key)
		storeZSet(c, key, z, v, false)
	}
	c.out.Int(int64(n))
}

// Pops.

// zsetEnd parses MIN or MAX (ZMPOP, BZMPOP), reporting whether it is MIN;
// it replies with a syntax error otherwise.
func zsetEnd(c *client, arg []byte) (min, ok bool) {
	switch {
	case is(arg, "min"):
		return true, true
	case is(arg, "max"):
		return false, true
	}
	c.out.Error(msgSyntax)
	return false, false
}

func popMinEvent(min bool) string {
	if min {
		return "zpopmin"
	}
	return "zpopmax"
}

// zpopReply is how a pop writes what it popped.
type zpopReply uint8

const (
	zpopFlat   zpopReply = iota // member, score, ... (ZPOPMIN, RESP2 or no count)
	zpopPairs                   // [member, score] pairs (ZPOPMIN with count in RESP3)
	zpopKeyed                   // key, member, score (BZPOPMIN)
	zpopNested                  // [key, [[member, score] ...]] (ZMPOP, BZMPOP)
)

// zpopFrom pops up to count members of key's sorted set z (not empty)
// from its low end (min) or high end, replies in the form given and
// publishes the events.
func zpopFrom(c *client, key []byte, z *storage.ZSet, v storage.Value, min bool, count int64, form zpopReply) {
	n := int(count)
	if count > int64(z.Len()) {
		n = z.Len()
	}
	switch form {
	case zpopFlat:
		c.out.Array(2 * n)
	case zpopPairs:
		c.out.Array(n)
	case zpopKeyed:
		c.out.Array(2*n + 1)
		c.out.Bulk(key)
	case zpopNested:
		c.out.Array(2)
		c.out.Bulk(key)
		c.out.Array(n)
	}
	for i := 0; i < n; i++ {
		m, s := z.PopMin(!min)
		if i == 0 {
			// Redis publishes the event after the first pop, before its
			// reply (a RESP3 subscriber sees it inside the array).
			c.notify(notifyZSet, popMinEvent(min), key)
		}
		if form == zpopPairs || form == zpopNested {
			c.out.Array(2)
		}
		c.out.BulkString(m)
		c.out.Double(s)
	}
	storeZSet(c, key, z, v, false)
}

func cmdZPopMin(c *client, args [][]byte) { zpopCommand(c, args, true) }
func cmdZPopMax(c *client, args [][]byte) { zpopCommand(c, args, false) }

// zpopCommand is ZPOPMIN and ZPOPMAX key [count].
func zpopCommand(c *client, args [][]byte, min bool) {
	if len(args) > 3 {
		c.out.Error(msgSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		n, ok := argInt(args[2])
		if !ok || n < 0 {
			c.out.Error(msgMustBePositive)
			return
		}
		count = n
	}
	z, v, ok := lookupZSet(c, args[1], true)
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.out.Array(0)
		return
	}
	form := zpopFlat
	if count != -1 && c.out.RESP3() {
		form = zpopPairs
	}
	zpopFrom(c, args[1], z, v, min, max(count, 1), form)
}

// zpopFirst pops from the first sorted set of keys that exists (ZMPOP,
// BZPOPMIN, BZMPOP), reporting whether there was one, and false in ok
// after replying WRONGTYPE. In the re-run of a woken blocking command,
// keys of another kind are passed over, as for lists.
func zpopFirst(c *client, keys [][]byte, min bool, count int64, form zpopReply) (served, ok bool) {
	for _, key := range keys {
		z, v, err := c.tx.LookupZSet(key, storage.LookupWrite)
		if err != nil {
			if c.rerun() {
				continue
			}
			c.out.Error(msgWrongType)
			return false, false
		}
		if z != nil {
			zpopFrom(c, key, z, v, min, count, form)
			return true, true
		}
	}
	return false, true
}

func cmdZMPop(c *client, args [][]byte) {
	a, ok := parseMPop(c, args, 1, zsetEnd)
	if !ok {
		return
	}
	if served, ok := zpopFirst(c, a.keys, a.left, a.count, zpopNested); ok && !served {
		c.out.NullArray()
	}
}

func cmdBZPopMin(c *client, args [][]byte) { bzpop(c, args, true) }
func cmdBZPopMax(c *client, args [][]byte) { bzpop(c, args, false) }

// bzpop is BZPOPMIN and BZPOPMAX key [key ...] timeout.
func bzpop(c *client, args [][]byte, min bool) {
	timeout, ok := parseBlockTimeout(c, args[len(args)-1])
	if !ok {
		return
	}
	keys := args[1 : len(args)-1]
	if served, ok := zpopFirst(c, keys, min, 1, zpopKeyed); ok && !served && !c.blockFor(storage.KindZSet, keys, timeout) {
		c.out.NullArray()
	}
}

func cmdBZMPop(c *client, args [][]byte) {
	a, ok := parseMPop(c, args, 2, zsetEnd)
	if !ok {
		return
	}
	timeout, ok := parseBlockTimeout(c, args[1])
	if !ok {
		return
	}
	if served, ok := zpopFirst(c, a.keys, a.left, a.count, zpopNested); ok && !served && !c.blockFor(storage.KindZSet, a.keys, timeout) {
		c.out.NullArray()
	}
}

// ZRANDMEMBER.

func cmdZRandMember(c *client, args [][]byte) {
	if len(args) == 2 {
		z, _, ok := lookupZSet(c, args[1], false)
		if !ok {
			return
		}
		if z == nil {
			c.out.Null()
			return
		}
		m, _ := z.ByRank(rand.IntN(z.Len()))
		c.out.BulkString(m)
		return
	}
	count, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if count == math.MinInt64 {
		c.out.Error(msgOutOfRangeLong)
		return
	}
	withScores := false
	if len(args) > 4 || len(args) == 4 && !is(args[3], "withscores") {
		c.out.Error(msgSyntax)
		return
	}
	if len(args) == 4 {
		withScores = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.out.Error(msgOutOfRange)
			return
		}
	}
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.out.Array(0)
		return
	}
	// The reply is written as it is drawn: a large negative count asks
	// for that many members whatever the set's size.
	n := z.Len()
	emit := func(r int) {
		m, s := z.ByRank(r)
		writeScoredItem(c, m, s, withScores)
	}
	switch {
	case count < 0: // with repetitions
		writeScoredHeader(c, int(-count), withScores)
		for i := int64(0); i < -count; i++ {
			emit(rand.IntN(n))
		}
	case count >= int64(n): // the whole set, highest first as a listpack replies it
		writeScoredHeader(c, n, withScores)
		for r := n - 1; r >= 0; r-- {
			emit(r)
		}
	case count*3 > int64(n): // distinct, most of the set: shuffle
		writeScoredHeader(c, int(count), withScores)
		for _, r := range rand.Perm(n)[:count] {
			emit(r)
		}
	default: // distinct, a few: draw until enough
		writeScoredHeader(c, int(count), withScores)
		picked := make(map[int]bool, count)
		for len(picked) < int(count) {
			if r := rand.IntN(n); !picked[r] {
				picked[r] = true
				emit(r)
			}
		}
	}
}

// ZSCAN.

// cmdZScan returns a sorted set whole, with cursor 0, whatever the cursor
// and COUNT: Redis does so for a listpack, and a bigger set returned whole
// still keeps SCAN's promise (every member present throughout is
// returned), where a cursor over ranks would skip members when others are
// removed between calls.
func cmdZScan(c *client, args [][]byte) {
	if _, ok := parseCursor(args[2]); !ok {
		c.out.Error(msgInvalidCursor)
		return
	}
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z == nil { // before the options, as Redis
		writeEmptyScan(c)
		return
	}
	// COUNT is checked but unused: the whole set comes back at once.
	o, ok := parseObjectScan(c, args[3:])
	if !ok {
		return
	}
	var items []scored
	z.Each(func(m string, s float64) bool {
		if o.matches(m) {
			items = append(items, scored{m, s})
		}
		return true
	})
	c.out.Array(2)
	c.out.BulkString("0")
	c.out.Array(2 * len(items))
	var buf []byte
	for _, it := range items {
		c.out.BulkString(it.member)
		buf = appendScanScore(buf[:0], it.score, z.Listpack())
		c.out.Bulk(buf)
	}
}

// ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD.

// zsetOp is the operation of zsetOpCommand.
type zsetOp uint8

const (
	zopUnion zsetOp = iota
	zopInter
	zopDiff
)

// zsource is one input of a set operation: a sorted set, a set (whose
// members score 1, as Redis allows), or nothing (a missing key).
type zsource struct {
	z      *storage.ZSet
	set    *storage.Set
	weight float64
}

func (s zsource) len() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.set != nil:
		return s.set.Len()
	}
	return 0
}

// each calls fn with every member and its score until fn returns false.
func (s zsource) each(fn func(m string, score float64) bool) {
	switch {
	case s.z != nil:
		s.z.Each(fn)
	case s.set != nil:
		s.set.Each(func(m []byte) bool { return fn(string(m), 1) })
	}
}

// find returns a member's score.
func (s zsource) find(m string) (float64, bool) {
	b := unsafe.Slice(unsafe.StringData(m), len(m))
	switch {
	case s.z != nil:
		return s.z.Score(b)
	case s.set != nil && s.set.Has(b):
		return 1, true
	}
	return 0, false
}

// same reports whether two inputs are one object (a key given twice).
func (s zsource) same(o zsource) bool {
	return s.z != nil && s.z == o.z || s.set != nil && s.set == o.set
}

// aggregate folds value into target as AGGREGATE SUM, MIN or MAX does;
// a sum of opposite infinities is 0, as in Redis.
func aggregate(target *float64, value float64, how string) {
	switch how {
	case "sum":
		*target += value
		if math.IsNaN(*target) {
			*target = 0
		}
	case "min":
		if value < *target {
			*target = value
		}
	case "max":
		if value > *target {
			*target = value
		}
	}
}

func cmdZUnionStore(c *client, args [][]byte) { zsetOpCommand(c, args, "zunionstore", zopUnion) }
func cmdZInterStore(c *client, args [][]byte) { zsetOpCommand(c, args, "zinterstore", zopInter) }
func cmdZDiffStore(c *client, args [][]byte)  { zsetOpCommand(c, args, "zdiffstore", zopDiff) }
func cmdZUnion(c *client, args [][]byte)      { zsetOpCommand(c, args, "zunion", zopUnion) }
func cmdZInter(c *client, args [][]byte)      { zsetOpCommand(c, args, "zinter", zopInter) }
func cmdZDiff(c *client, args [][]byte)       { zsetOpCommand(c, args, "zdiff", zopDiff) }
func cmdZInterCard(c *client, args [][]byte)  { zsetOpCommand(c, args, "zintercard", zopInter) }

// zsetOpCommand is Redis's zunionInterDiffGenericCommand for the command
// name: the STORE forms take a destination before numkeys, ZINTERCARD
// only counts.
func zsetOpCommand(c *client, args [][]byte, name string, op zsetOp) {
	var dst []byte
	numIdx := 1
	if strings.HasSuffix(name, "store") {
		dst, numIdx = args[1], 2
	}
	cardOnly := name == "zintercard"
	numkeys, ok := argInt(args[numIdx])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if numkeys < 1 {
		c.out.Error(fmt.Sprintf(msgZNumKeys, name))
		return
	}
	if numkeys > int64(len(args)-numIdx-1) {
		c.out.Error(msgSyntax)
		return
	}
	// Redis looks the inputs up before it parses the options, so a wrong
	// type is reported before a syntax error.
	srcs := make([]zsource, numkeys)
	lookup := storage.LookupFlags(0)
	if dst != nil {
		lookup = storage.LookupWrite // Redis's STORE forms look their inputs up as writes
	}
	j := numIdx + 1
	for i := range srcs {
		srcs[i].weight = 1
		v, found := c.tx.Lookup(args[j], lookup)
		j++
		if !found {
			continue
		}
		switch v.Kind() {
		case storage.KindZSet:
			srcs[i].z = storage.Object[storage.ZSet](v)
		case storage.KindSet:
			srcs[i].set = storage.Object[storage.Set](v)
		default:
			c.out.Error(msgWrongType)
			return
		}
	}
	how, withScores, limit := "sum", false, int64(0)
	for j < len(args) {
		remaining := len(args) - j
		switch a := args[j]; {
		case op != zopDiff && !cardOnly && remaining >= len(srcs)+1 && is(a, "weights"):
			j++
			for i := range srcs {
				w, ok := parseScore(args[j])
				if !ok {
					c.out.Error(msgZWeight)
					return
				}
				srcs[i].weight = w
				j++
			}
		case op != zopDiff && !cardOnly && remaining >= 2 && is(a, "aggregate"):
			switch b := args[j+1]; {
			case is(b, "sum"), is(b, "min"), is(b, "max"):
				how = strings.ToLower(string(b))
			default:
				c.out.Error(msgSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && is(a, "withscores"):
			withScores = true
			j++
		case cardOnly && remaining >= 2 && is(a, "limit"):
			n, ok := argInt(args[j+1])
			if !ok || n < 0 {
				c.out.Error(msgZLimit)
				return
			}
			limit = n
			j += 2
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	if cardOnly {
		c.out.Int(zinterCard(srcs, limit))
		return
	}
	items := zsetCompute(srcs, op, how)
	if dst != nil {
		storeResult(c, dst, items, name)
		return
	}
	writeScored(c, items, withScores)
}

// bySize orders inputs smallest first, as Redis does before a union or an
// intersection (which fixes the order scores are summed in).
func bySize(srcs []zsource) []zsource {
	sorted := slices.Clone(srcs)
	slices.SortStableFunc(sorted, func(a, b zsource) int { return a.len() - b.len() })
	return sorted
}

// zsetCompute returns the result of op over srcs, ordered by score and
// member.
func zsetCompute(srcs []zsource, op zsetOp, how string) []scored {
	var items []scored
	switch op {
	case zopInter:
		srcs = bySize(srcs)
		first := srcs[0]
		first.each(func(m string, s float64) bool {
			score := first.weight * s
			if math.IsNaN(score) {
				score = 0
			}
			for _, o := range srcs[1:] {
				v, ok := s, true
				if !o.same(first) {
					v, ok = o.find(m)
				}
				if !ok {
					return true
				}
				aggregate(&score, v*o.weight, how)
			}
			items = append(items, scored{m, score})
			return true
		})
	case zopUnion:
		acc := map[string]int{}
		for _, src := range bySize(srcs) {
			src.each(func(m string, s float64) bool {
				score := src.weight * s
				if math.IsNaN(score) {
					score = 0
				}
				if i, ok := acc[m]; ok {
					aggregate(&items[i].score, score, how)
				} else {
					acc[m] = len(items)
					items = append(items, scored{m, score})
				}
				return true
			})
		}
	case zopDiff:
		srcs[0].each(func(m string, s float64) bool {
			for _, o := range srcs[1:] {
				if _, ok := o.find(m); ok {
					return true
				}
			}
			items = append(items, scored{m, s})
			return true
		})
	}
	slices.SortFunc(items, func(a, b scored) int {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return strings.Compare(a.member, b.member)
	})
	return items
}

// zinterCard counts the members of every input, stopping at limit (0: no
// limit).
func zinterCard(srcs []zsource, limit int64) int64 {
	srcs = bySize(srcs)
	var n int64
	srcs[0].each(func(m string, _ float64) bool {
		for _, o := range srcs[1:] {
			if _, ok := o.find(m); !ok && !o.same(srcs[0]) {
				return true
			}
		}
		n++
		return limit == 0 || n < limit
	})
	return n
}
