package server

// Geo commands: GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH,
// GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the _RO forms.
// https://redis.io/commands/?group=geo
//
// A geo set is a sorted set whose scores are 52-bit geohashes
// (internal/geohash), so every sorted set command works on it and the geo
// commands work on any sorted set. Each handler follows Redis 7.0's geo.c:
// the same order of checks and lookups, the same replies (distances in
// %.4f, coordinates as addReplyHumanLongDouble writes them) and the same
// events (GEOADD is a ZADD and fires "zadd"). A search gathers the points
// of the nine boxes around its center in Redis's order, then sorts them as
// Redis does: a stable sort (glibc's qsort) for all of them, or Redis's
// partial quicksort when COUNT keeps fewer, so points at equal distances
// come back in Redis's order.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/internal/geohash"
	"github.com/stratakv/strata/internal/pqsort"
	"github.com/stratakv/strata/storage"
)

func registerGeoCommands(t commandTable) {
	const grow = flagWrite | flagDenyOOM
	t.add(
		&command{name: "geoadd", handler: cmdGeoAdd, arity: -5, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "geodist", handler: cmdGeoDist, arity: -4, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "geohash", handler: cmdGeoHash, arity: -2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "geopos", handler: cmdGeoPos, arity: -2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "geosearch", handler: cmdGeoSearch, arity: -7, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "geosearchstore", handler: cmdGeoSearchStore, arity: -8, flags: grow, firstKey: 1, lastKey: 2, keyStep: 1, write: cache.WriteReplace},
		&command{name: "georadius_ro", handler: cmdGeoRadiusRO, arity: -6, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "georadiusbymember_ro", handler: cmdGeoRadiusByMemberRO, arity: -5, firstKey: 1, lastKey: 1, keyStep: 1},
		// A STORE or STOREDIST option names a second key anywhere among
		// the options: georadiusKeys finds it.
		&command{name: "georadius", handler: cmdGeoRadius, arity: -6, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1, keys: georadiusKeys, write: cache.WriteReplace},
		&command{name: "georadiusbymember", handler: cmdGeoRadiusByMember, arity: -5, flags: grow, firstKey: 1, lastKey: 1, keyStep: 1, keys: georadiusKeys, write: cache.WriteReplace},
	)
}

// georadiusKeys finds GEORADIUS's keys: the source, and the argument
// after every STORE or STOREDIST (more than the one the command uses
// when an option is repeated or a member is named "store", which only
// locks more).
func georadiusKeys(args [][]byte, fn func(pos int)) {
	fn(1)
	for i := 2; i+1 < len(args); i++ {
		if is(args[i], "store") || is(args[i], "storedist") {
			fn(i + 1)
		}
	}
}

// Arguments.

// cFixed formats f as C's printf %f: six decimals, inf and -inf.
func cFixed(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// parseLonLat parses a longitude and a latitude (Redis's
// extractLongLatOrReply), replying with Redis's error when either is not
// a float or the pair is outside what a geohash can encode.
func parseLonLat(c *client, lon, lat []byte) (x, y float64, ok bool) {
	if x, ok = parseScore(lon); ok {
		y, ok = parseScore(lat)
	}
	if !ok {
		c.out.Error(msgNotFloat)
		return 0, 0, false
	}
	if x < geohash.LongMin || x > geohash.LongMax || y < geohash.LatMin || y > geohash.LatMax {
		c.out.Error(fmt.Sprintf(msgGeoInvalidPair, cFixed(x), cFixed(y)))
		return 0, 0, false
	}
	return x, y, true
}

// parseUnit parses a distance unit, returning its size in meters; it
// replies with Redis's error for an unknown one.
func parseUnit(c *client, unit []byte) (float64, bool) {
	switch {
	case is(unit, "m"):
		return 1, true
	case is(unit, "km"):
		return 1000, true
	case is(unit, "ft"):
		return 0.3048, true
	case is(unit, "mi"):
		return 1609.34, true
	}
	c.out.Error(msgGeoUnit)
	return 0, false
}

// parseSize parses a radius, width or height as a float, replying with
// notNumeric when it is not one. The callers refuse a negative size (a
// box's once both are read, as Redis does).
func parseSize(c *client, arg []byte, notNumeric string) (float64, bool) {
	f, ok := parseScore(arg)
	if !ok {
		c.out.Error(notNumeric)
	}
	return f, ok
}

// parseRadius parses "radius unit" into a circular shape.
func parseRadius(c *client, args [][]byte, s *geohash.Shape) bool {
	r, ok := parseSize(c, args[0], msgGeoNeedRadius)
	if !ok {
		return false
	}
	if r < 0 {
		c.out.Error(msgGeoRadiusNegative)
		return false
	}
	conv, ok := parseUnit(c, args[1])
	if !ok {
		return false
	}
	s.Box, s.Radius, s.Conversion = false, r, conv
	return true
}

// parseBox parses "width height unit" into a box shape.
func parseBox(c *client, args [][]byte, s *geohash.Shape) bool {
	w, ok := parseSize(c, args[0], msgGeoNeedWidth)
	if !ok {
		return false
	}
	h, ok := parseSize(c, args[1], msgGeoNeedHeight)
	if !ok {
		return false
	}
	if h < 0 || w < 0 {
		c.out.Error(msgGeoBoxNegative)
		return false
	}
	conv, ok := parseUnit(c, args[2])
	if !ok {
		return false
	}
	s.Box, s.Width, s.Height, s.Conversion = true, w, h, conv
	return true
}

// memberPosition returns a member's position, replying with Redis's
// error when it is not in the set.
func memberPosition(c *client, z *storage.ZSet, member []byte) (lon, lat float64, ok bool) {
	score, found := z.Score(member)
	if !found {
		c.out.Error(msgGeoNoMember)
		return 0, 0, false
	}
	lon, lat = geohash.FromScore(score)
	return lon, lat, true
}

// appendDistance formats a distance as Redis replies with it: %.4f.
func appendDistance(b []byte, d float64) []byte { return strconv.AppendFloat(b, d, 'f', 4, 64) }

// GEOADD, GEODIST, GEOHASH, GEOPOS.

// cmdGeoAdd is GEOADD key [NX|XX] [CH] lon lat member ...: Redis turns
// it into a ZADD of the positions' scores, which replies and fires the
// "zadd" event.
func cmdGeoAdd(c *client, args [][]byte) {
	var f zaddFlags
	i := 2
options:
	for ; i < len(args); i++ {
		switch a := args[i]; {
		case is(a, "nx"):
			f.nx = true
		case is(a, "xx"):
			f.xx = true
		case is(a, "ch"):
			f.ch = true
		default:
			break options
		}
	}
	triples := args[i:]
	if len(triples)%3 != 0 || f.nx && f.xx {
		c.out.Error(msgSyntax)
		return
	}
	pairs := make([][]byte, 0, len(triples)/3*2)
	for j := 0; j < len(triples); j += 3 {
		lon, lat, ok := parseLonLat(c, triples[j], triples[j+1])
		if !ok {
			return
		}
		score, _ := geohash.Score(lon, lat)
		pairs = append(pairs, strconv.AppendUint(nil, score, 10), triples[j+2])
	}
	zadd(c, args[1], pairs, f)
}

func cmdGeoDist(c *client, args [][]byte) {
	toMeters := 1.0
	switch {
	case len(args) == 5:
		u, ok := parseUnit(c, args[4])
		if !ok {
			return
		}
		toMeters = u
	case len(args) > 5:
		c.out.Error(msgSyntax)
		return
	}
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.out.Null()
		return
	}
	s1, ok1 := z.Score(args[2])
	s2, ok2 := z.Score(args[3])
	if !ok1 || !ok2 {
		c.out.Null()
		return
	}
	lon1, lat1 := geohash.FromScore(s1)
	lon2, lat2 := geohash.FromScore(s2)
	var buf [32]byte
	c.out.Bulk(appendDistance(buf[:0], geohash.Distance(lon1, lat1, lon2, lat2)/toMeters))
}

func cmdGeoHash(c *client, args [][]byte) {
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	c.out.Array(len(args) - 2)
	for _, m := range args[2:] {
		score, found := 0.0, false
		if z != nil {
			score, found = z.Score(m)
		}
		if !found {
			c.out.Null()
			continue
		}
		c.out.BulkString(geohash.String(score))
	}
}

func cmdGeoPos(c *client, args [][]byte) {
	z, _, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	c.out.Array(len(args) - 2)
	for _, m := range args[2:] {
		score, found := 0.0, false
		if z != nil {
			score, found = z.Score(m)
		}
		if !found {
			c.out.NullArray()
			continue
		}
		lon, lat := geohash.FromScore(score)
		c.out.Array(2)
		c.out.HumanDouble(lon)
		c.out.HumanDouble(lat)
	}
}

// Searches.

// geoVariant is which search command runs georadius.
type geoVariant uint8

const (
	variantRadius         geoVariant = iota // GEORADIUS: around a position given
	variantRadiusByMember                   // GEORADIUSBYMEMBER: around a member
	variantSearch                           // GEOSEARCH: FROMMEMBER|FROMLONLAT, BYRADIUS|BYBOX
	variantSearchStore                      // GEOSEARCHSTORE: GEOSEARCH into a key
)

func cmdGeoRadius(c *client, args [][]byte)   { georadius(c, args, variantRadius, true) }
func cmdGeoRadiusRO(c *client, args [][]byte) { georadius(c, args, variantRadius, false) }
func cmdGeoRadiusByMember(c *client, args [][]byte) {
	georadius(c, args, variantRadiusByMember, true)
}
func cmdGeoRadiusByMemberRO(c *client, args [][]byte) {
	georadius(c, args, variantRadiusByMember, false)
}
func cmdGeoSearch(c *client, args [][]byte)      { georadius(c, args, variantSearch, false) }
func cmdGeoSearchStore(c *client, args [][]byte) { georadius(c, args, variantSearchStore, false) }

// geoSort is a search's order.
type geoSort uint8

const (
	geoUnsorted geoSort = iota
	geoAsc
	geoDesc
)

// geoOptions are a search's options.
type geoOptions struct {
	withDist, withHash, withCoord bool
	fromMember, fromLonLat        bool
	byRadius, byBox               bool
	any                           bool
	sort                          geoSort
	count                         int64 // 0: no COUNT
	store                         []byte
	storeDist                     bool
}

// geoPoint is a point a search found.
type geoPoint struct {
	member   string
	lon, lat float64
	dist     float64 // from the center: in meters, then in the search's unit
	score    float64
}

// georadius is Redis's georadiusGeneric for each search command; store
// says whether GEORADIUS's STORE and STOREDIST options are accepted.
func georadius(c *client, args [][]byte, variant geoVariant, store bool) {
	srcIdx := 1
	if variant == variantSearchStore {
		srcIdx = 2
	}
	z, _, ok := lookupZSet(c, args[srcIdx], false)
	if !ok {
		return
	}
	var shape geohash.Shape
	var o geoOptions
	base := 2
	switch variant {
	case variantRadius:
		base = 6
		if shape.Lon, shape.Lat, ok = parseLonLat(c, args[2], args[3]); !ok || !parseRadius(c, args[4:6], &shape) {
			return
		}
	case variantRadiusByMember:
		// With no set, the options are still parsed (for their errors
		// and for what to reply), but not the member or the radius.
		base = 5
		if z != nil {
			if shape.Lon, shape.Lat, ok = memberPosition(c, z, args[2]); !ok || !parseRadius(c, args[3:5], &shape) {
				return
			}
		}
	case variantSearchStore:
		base, o.store = 3, args[1]
	}
	search := variant == variantSearch || variant == variantSearchStore
	for i := base; i < len(args); i++ {
		left := len(args) - i - 1
		switch a := args[i]; {
		case is(a, "withdist"):
			o.withDist = true
		case is(a, "withhash"):
			o.withHash = true
		case is(a, "withcoord"):
			o.withCoord = true
		case is(a, "any"):
			o.any = true
		case is(a, "asc"):
			o.sort = geoAsc
		case is(a, "desc"):
			o.sort = geoDesc
		case is(a, "count") && left >= 1:
			n, ok := argInt(args[i+1])
			if !ok {
				c.out.Error(msgNotInteger)
				return
			}
			if n <= 0 {
				c.out.Error(msgGeoCountPositive)
				return
			}
			o.count = n
			i++
		case (is(a, "store") || is(a, "storedist")) && left >= 1 && store:
			o.store, o.storeDist = args[i+1], is(a, "storedist")
			i++
		case is(a, "storedist") && variant == variantSearchStore:
			o.storeDist = true
		case is(a, "frommember") && left >= 1 && search && !o.fromLonLat:
			if z != nil {
				if shape.Lon, shape.Lat, ok = memberPosition(c, z, args[i+1]); !ok {
					return
				}
			}
			o.fromMember = true
			i++
		case is(a, "fromlonlat") && left >= 2 && search && !o.fromMember:
			if shape.Lon, shape.Lat, ok = parseLonLat(c, args[i+1], args[i+2]); !ok {
				return
			}
			o.fromLonLat = true
			i += 2
		case is(a, "byradius") && left >= 2 && search && !o.byBox:
			if !parseRadius(c, args[i+1:i+3], &shape) {
				return
			}
			o.byRadius = true
			i += 2
		case is(a, "bybox") && left >= 3 && search && !o.byRadius:
			if !parseBox(c, args[i+1:i+4], &shape) {
				return
			}
			o.byBox = true
			i += 3
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	switch {
	case o.store != nil && (o.withDist || o.withHash || o.withCoord):
		what := "STORE option in GEORADIUS"
		if variant == variantSearchStore {
			what = "GEOSEARCHSTORE"
		}
		c.out.Error(fmt.Sprintf(msgGeoStoreWith, what))
		return
	case search && !o.fromMember && !o.fromLonLat:
		c.out.Error(fmt.Sprintf(msgGeoFrom, args[0]))
		return
	case search && !o.byRadius && !o.byBox:
		c.out.Error(fmt.Sprintf(msgGeoBy, args[0]))
		return
	case o.any && o.count == 0:
		c.out.Error(msgGeoAnyCount)
		return
	}
	if z == nil {
		if o.store != nil {
			storeGeoResult(c, o.store, nil, variant)
			return
		}
		c.out.Array(0)
		return
	}
	if o.count != 0 && o.sort == geoUnsorted && !o.any {
		o.sort = geoAsc // the closest COUNT need a sort
	}
	limit := int64(0)
	if o.any {
		limit = o.count
	}
	buf := geoPointBuffers.Get().(*[]geoPoint)
	defer func() {
		if cap(*buf) <= maxGeoPointBuffer {
			clear(*buf) // drop the members
			geoPointBuffers.Put(buf)
		}
	}()
	*buf = geoMembers((*buf)[:0], z, &shape, limit)
	points := *buf
	if len(points) == 0 && o.store == nil {
		c.out.Array(0)
		return
	}
	n := len(points)
	if o.count != 0 && o.count < int64(n) {
		n = int(o.count)
	}
	sortPoints(points, o.sort, n)
	points = points[:n]
	for i := range points {
		points[i].dist /= shape.Conversion
	}
	if o.store != nil {
		items := make([]scored, n)
		for i, p := range points {
			items[i] = scored{p.member, p.score}
			if o.storeDist {
				items[i].score = p.dist
			}
		}
		storeGeoResult(c, o.store, items, variant)
		return
	}
	writeGeoPoints(c, points, &o)
}

// geoPointBuffers hold the points searches gather, so that a search
// does not grow a fresh slice point by point.
var geoPointBuffers = sync.Pool{New: func() any { return new([]geoPoint) }}

// maxGeoPointBuffer is the most points a buffer kept for reuse holds.
const maxGeoPointBuffer = 4096

// geoMembers appends to points the points of z inside shape, box by box
// in Redis's order, stopping once it has limit of them (0: no limit).
func geoMembers(points []geoPoint, z *storage.ZSet, shape *geohash.Shape, limit int64) []geoPoint {
	full := func() bool { return limit > 0 && int64(len(points)) >= limit }
	// One closure for every box: each literal passed would be allocated.
	visit := func(m string, score float64) bool {
		if lon, lat, d, in := shape.ContainsScore(score); in {
			points = append(points, geoPoint{member: m, lon: lon, lat: lat, dist: d, score: score})
		}
		return !full()
	}
	var boxes [9]geohash.Hash
	var ranges [9]storage.ScoreRange
	n := 0
	for _, box := range shape.AppendBoxes(boxes[:0]) {
		lo, hi := box.ScoreRange()
		ranges[n] = storage.ScoreRange{Min: float64(lo), Max: float64(hi), MaxEx: true}
		n++
	}
	z.PrefetchScoreRanges(ranges[:n]) // the boxes' cache misses together, not in turn
	for _, r := range ranges[:n] {
		if full() {
			break
		}
		z.ScanByScore(r, visit)
	}
	return points
}

// sortPoints sorts points by distance as Redis does when the first n are
// kept: all of them with glibc's qsort (a merge sort: stable), or only
// the first n with Redis's partial quicksort.
func sortPoints(points []geoPoint, how geoSort, n int) {
	if how == geoUnsorted {
		return
	}
	cmp := func(a, b geoPoint) int { // Redis's sort_gp_asc
		switch {
		case a.dist > b.dist:
			return 1
		case a.dist == b.dist:
			return 0
		}
		return -1
	}
	if how == geoDesc {
		asc := cmp
		cmp = func(a, b geoPoint) int { return -asc(a, b) }
	}
	if n == len(points) {
		slices.SortStableFunc(points, cmp)
		return
	}
	pqsort.Sort(points, cmp, 0, n-1)
}

// writeGeoPoints replies with a search's points: each a member alone, or
// with the options asked for, an array of the member, its distance, its
// score and its coordinates.
func writeGeoPoints(c *client, points []geoPoint, o *geoOptions) {
	extra := 0
	for _, with := range []bool{o.withDist, o.withHash, o.withCoord} {
		if with {
			extra++
		}
	}
	c.out.Array(len(points))
	var buf [32]byte
	for _, p := range points {
		if extra > 0 {
			c.out.Array(extra + 1)
		}
		c.out.BulkString(p.member)
		if o.withDist {
			c.out.Bulk(appendDistance(buf[:0], p.dist))
		}
		if o.withHash {
			c.out.Int(int64(p.score))
		}
		if o.withCoord {
			c.out.Array(2)
			c.out.HumanDouble(p.lon)
			c.out.HumanDouble(p.lat)
		}
	}
}

// storeGeoResult replaces dst with a sorted set of items, or deletes it
// when there are none, and replies with their number; Redis publishes
// the event before the reply.
func storeGeoResult(c *client, dst []byte, items []scored, variant geoVariant) {
	if len(items) == 0 {
		if c.tx.Delete(dst) {
			c.notify(notifyGeneric, "del", dst)
		}
		c.out.Int(0)
		return
	}
	event := "georadiusstore"
	if variant == variantSearchStore {
		event = "geosearchstore"
	}
	c.tx.Set(dst, storage.ZSetValue(newZSetOf(items)))
	c.notify(notifyZSet, event, dst)
	c.out.Int(int64(len(items)))
}
