// Package geohash is the arithmetic of Redis 7.0's geo commands, ported
// from its geohash.c and geohash_helper.c so that Strata stores the same
// scores, searches the same boxes and computes the same distances as Redis.
//
// A position is stored as a sorted set score: its longitude and latitude,
// each scaled to 26 bits over its range (longitude -180..180, latitude
// -85.05112878..85.05112878, the Web Mercator limits), interleaved into a
// 52-bit integer (latitude in the even bits, longitude in the odd ones).
// Score and FromScore convert; Hash is a geohash of any precision (Step
// bits per coordinate), and a Shape (a circle or a box around a point)
// finds the nine boxes that cover it (Shape.Boxes) and tells which points
// are inside it (Shape.Contains).
//
// # Caveats
//
// The expressions keep C's order of operations and its conversions, so
// results match Redis's to the bit where the math functions agree. sin,
// cos and asin are correctly rounded here (libm.go); glibc's are in all
// but about one case in 700, so about one distance in 800 differs from
// Redis's in its last bit: invisible in the four decimals WITHDIST and
// GEODIST print, visible in the 17 digits of a STOREDIST score.
//
// FromScore decodes any score, as Redis does, including scores that no
// GEOADD wrote (a ZADD'ed -1 or inf): the score is converted to an integer
// as C's (uint64_t) cast does on x86-64, where Redis runs, and the decoded
// position is clamped to the valid range.
//
// Everything here is a pure function of its arguments and safe for
// concurrent use.
package geohash

import "math"

// The limits of a position, and the constants of Redis's geo code.
const (
	// StepMax is the precision of a stored position: 26 bits a coordinate.
	StepMax = 26
	// LongMin and LongMax bound a longitude.
	LongMin, LongMax = -180.0, 180.0
	// LatMin and LatMax bound a latitude (EPSG:900913): the poles cannot
	// be geocoded.
	LatMin, LatMax = -85.05112878, 85.05112878
	// EarthRadius is Redis's earth radius in meters (the WGS-84 quadratic
	// mean radius) for its haversine distances.
	EarthRadius = 6372797.560856
	// mercatorMax is the half width of the Mercator projection, in meters.
	mercatorMax = 20037726.37
)

// degToRad is C's M_PI / 180.0, computed in double: a Go constant
// expression would be exact and could round differently.
var degToRad = func() float64 {
	pi := math.Pi
	return pi / 180.0
}()

func degRad(ang float64) float64 { return ang * degToRad }
func radDeg(ang float64) float64 { return ang / degToRad }

// Range is the span of one coordinate.
type Range struct{ Min, Max float64 }

// The coordinate ranges of a stored position, and the standard geohash
// latitude range GEOHASH's strings are encoded over.
var (
	LongRange   = Range{LongMin, LongMax}
	LatRange    = Range{LatMin, LatMax}
	StdLatRange = Range{-90, 90}
)

// Hash is a geohash of Step bits a coordinate: latitude bits in the even
// positions of Bits, longitude bits in the odd ones. The zero Hash stands
// for no box (a neighbour a search leaves out).
type Hash struct {
	Bits uint64
	Step uint8
}

// IsZero reports whether h is the zero Hash.
func (h Hash) IsZero() bool { return h.Bits == 0 && h.Step == 0 }

// Area is the box a Hash covers.
type Area struct {
	Hash      Hash
	Long, Lat Range
}

// interleave puts the bits of x in the even positions and those of y in
// the odd ones.
func interleave(x, y uint32) uint64 {
	return spread(x) | spread(y)<<1
}

// spread moves bit i of v to bit 2i.
func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// deinterleave undoes interleave: the even bits in the low half of the
// result, the odd bits in the high half.
func deinterleave(v uint64) uint64 {
	return gather(v) | gather(v>>1)<<32
}

// gather moves bit 2i of v to bit i.
func gather(v uint64) uint64 {
	x := v & 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	return x
}

// Encode returns the geohash of step bits a coordinate of the position,
// over the given ranges, and false when the position is outside them or
// the stored position's limits, or step is not 1 to 32.
func Encode(long, lat Range, lon, la float64, step uint8) (Hash, bool) {
	if step > 32 || step == 0 || lat.Max-lat.Min == 0 || long.Max-long.Min == 0 {
		return Hash{}, false
	}
	if lon > LongMax || lon < LongMin || la > LatMax || la < LatMin ||
		la < lat.Min || la > lat.Max || lon < long.Min || lon > long.Max {
		return Hash{}, false
	}
	latOffset := (la - lat.Min) / (lat.Max - lat.Min)
	longOffset := (lon - long.Min) / (long.Max - long.Min)
	scale := float64(uint64(1) << step)
	latOffset *= scale
	longOffset *= scale
	// C converts the offsets to uint32_t, truncating.
	return Hash{Bits: interleave(uint32(latOffset), uint32(longOffset)), Step: step}, true
}

// Decode returns the box of h over the given ranges; false for the zero
// Hash.
func Decode(long, lat Range, h Hash) (Area, bool) {
	if h.IsZero() {
		return Area{}, false
	}
	sep := deinterleave(h.Bits)
	latScale := lat.Max - lat.Min
	longScale := long.Max - long.Min
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << h.Step)
	// float64() around each product keeps a compiler from fusing it with
	// the addition, which C's code does not do either.
	return Area{
		Hash: h,
		Lat: Range{
			Min: lat.Min + float64(float64(ilato)/div*latScale),
			Max: lat.Min + float64(float64(ilato+1)/div*latScale),
		},
		Long: Range{
			Min: long.Min + float64(float64(ilono)/div*longScale),
			Max: long.Min + float64(float64(ilono+1)/div*longScale),
		},
	}, true
}

// Center returns the middle of a, clamped to a stored position's limits.
func (a Area) Center() (lon, lat float64) {
	lon = (a.Long.Min + a.Long.Max) / 2
	lon = min(max(lon, LongMin), LongMax)
	lat = (a.Lat.Min + a.Lat.Max) / 2
	lat = min(max(lat, LatMin), LatMax)
	return lon, lat
}

// Align52 returns h's bits as a 52-bit score prefix.
func (h Hash) Align52() uint64 { return h.Bits << (52 - 2*uint(h.Step)) }

// ScoreRange returns the scores of the positions inside h's box: min
// included, max excluded.
func (h Hash) ScoreRange() (min, max uint64) {
	min = h.Align52()
	h.Bits++
	return min, h.Align52()
}

// Score returns the sorted set score GEOADD stores for a position, and
// false when the position is outside a stored position's limits.
func Score(lon, lat float64) (uint64, bool) {
	h, ok := Encode(LongRange, LatRange, lon, lat, StepMax)
	if !ok {
		return 0, false
	}
	return h.Align52(), true
}

// FromScore returns the position a score stands for: the center of its
// box, clamped to the limits.
func FromScore(score float64) (lon, lat float64) {
	a, _ := Decode(LongRange, LatRange, Hash{Bits: scoreBits(score), Step: StepMax})
	return a.Center()
}

// scoreBits converts a score to uint64 as C's (uint64_t) cast does on
// x86-64 (GCC's sequence): below 2^63 (and NaN) by a signed truncation,
// else by one of score-2^63; a truncation out of int64's range gives
// 1<<63. So -1 becomes 2^64-1 and +Inf 0.
func scoreBits(score float64) uint64 {
	const two63 = 1 << 63
	if !(score >= two63) {
		return uint64(truncate(score))
	}
	return uint64(truncate(score-two63)) ^ (1 << 63)
}

// truncate is x86-64's cvttsd2si: truncation toward zero, or math.MinInt64
// (the "integer indefinite") when the result does not fit.
func truncate(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// geoAlphabet is the standard geohash base32 alphabet.
const geoAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// String returns the 11-character standard geohash GEOHASH replies with
// for a stored score: the position decoded, encoded again over the
// standard latitude range (-90..90), and its 52 bits written 5 a
// character, the last character 0.
func String(score float64) string {
	lon, lat := FromScore(score)
	h, _ := Encode(LongRange, StdLatRange, lon, lat, StepMax)
	var buf [11]byte
	for i := range 10 {
		buf[i] = geoAlphabet[(h.Bits>>(52-(uint(i)+1)*5))&0x1f]
	}
	buf[10] = geoAlphabet[0]
	return string(buf[:])
}

// moveX moves h one box east (d > 0) or west (d < 0), wrapping around.
func (h *Hash) moveX(d int) {
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - 2*uint(h.Step))
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - 2*uint(h.Step))
	h.Bits = x | y
}

// moveY moves h one box north (d > 0) or south (d < 0), wrapping around.
func (h *Hash) moveY(d int) {
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - 2*uint(h.Step))
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= 0x5555555555555555 >> (64 - 2*uint(h.Step))
	h.Bits = x | y
}

// neighbour returns h moved dx boxes east and dy boxes north (-1, 0 or 1).
func (h Hash) neighbour(dx, dy int) Hash {
	if dx != 0 {
		h.moveX(dx)
	}
	if dy != 0 {
		h.moveY(dy)
	}
	return h
}

// EstimateSteps returns the precision of the nine boxes that cover a
// search of the given radius at the given latitude.
func EstimateSteps(meters, lat float64) uint8 {
	if meters == 0 {
		return 26
	}
	step := 1
	for meters < mercatorMax {
		meters *= 2
		step++
	}
	step -= 2 // so that the range is inside most of the base cases
	// Wider boxes towards the poles.
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// Distance returns the great circle distance in meters between two
// positions (haversine, on a sphere of EarthRadius).
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	return newOrigin(lon1, lat1).distance(lon2, lat2)
}

// origin is a position distances are measured from, in radians, with its
// latitude's cosine worked out once.
type origin struct{ lon, lat, cosLat float64 }

func newOrigin(lon, lat float64) origin {
	latr := degRad(lat)
	return origin{lon: degRad(lon), lat: latr, cosLat: cos(latr)}
}

// distance is Distance from o to a position in degrees, computed as
// Redis's geohashGetDistance does.
func (o origin) distance(lon, lat float64) float64 {
	latr := degRad(lat)
	u := sin((latr - o.lat) / 2)
	v := sin((degRad(lon) - o.lon) / 2)
	a := u * u
	if v != 0 { // else the term is +0, and a sum with +0 is unchanged
		a += float64(float64(o.cosLat*cos(latr))*v) * v
	}
	return 2.0 * EarthRadius * asin(math.Sqrt(a))
}

// fastOrigin is origin for farther's estimates, in Go's math.
type fastOrigin struct{ lon, lat, cosLat float64 }

func newFastOrigin(lon, lat float64) fastOrigin {
	latr := degRad(lat)
	return fastOrigin{lon: degRad(lon), lat: latr, cosLat: math.Cos(latr)}
}

// haversineBound returns the haversine term a = sin²(d/2R) of a distance
// d in meters, raised by a margin far above the few ulps by which
// fastOrigin.farther's a may be off: a position whose a exceeds it is
// certainly farther than d. It is +Inf when d reaches half the earth's
// circumference (or is NaN): then nothing is.
func haversineBound(meters float64) float64 {
	h := meters / (2 * EarthRadius)
	if !(h < math.Pi/2) {
		return math.Inf(1)
	}
	s := math.Sin(h)
	return s * s * (1 + 1e-9)
}

// farther reports whether a position is certainly farther from o than the
// distance bound stands for (see haversineBound). It costs a third of an
// exact distance, so a search skips the exact one for most of the points
// its boxes hold; false only means the exact distance must decide.
func (o fastOrigin) farther(lon, lat, bound float64) bool {
	latr := degRad(lat)
	u := math.Sin((latr - o.lat) / 2)
	v := math.Sin((degRad(lon) - o.lon) / 2)
	return u*u+o.cosLat*math.Cos(latr)*v*v > bound
}
