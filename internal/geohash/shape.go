package geohash

import "math"

// Shape is the area of a search: a circle of Radius or, with Box, a box
// of Width by Height, around the position (Lon, Lat). Its sizes are in a
// unit of Conversion meters (1 for m, 1000 for km, ...).
type Shape struct {
	Lon, Lat      float64
	Box           bool
	Radius        float64
	Width, Height float64
	Conversion    float64

	// Worked out by the first Contains.
	prepared bool
	center   origin
	fast     fastOrigin
	// The limits as haversineBound gives them: the radius, or half the
	// width and half the height.
	radiusBound, halfWidthBound, halfHeightBound float64
	// A circle's cells (latitude and longitude offsets, as a score holds
	// them) outside of which no position is inside it: ContainsScore's
	// test before it decodes a score.
	latCells, lonCells cellRange
}

// cellRange is a range of a coordinate's 26-bit cell offsets, both ends
// included.
type cellRange struct{ lo, hi uint32 }

// bounds returns the shape's bounding box. Its longitude span is taken at
// the latitude, north or south of the center, where it is widest.
func (s *Shape) bounds() (minLon, minLat, maxLon, maxLat float64) {
	height, width := s.Radius, s.Radius
	if s.Box {
		height, width = s.Height/2, s.Width/2
	}
	height *= s.Conversion
	width *= s.Conversion
	latDelta := radDeg(height / EarthRadius)
	longDeltaTop := radDeg(width / EarthRadius / cos(degRad(s.Lat+latDelta)))
	longDeltaBottom := radDeg(width / EarthRadius / cos(degRad(s.Lat-latDelta)))
	longDelta := longDeltaTop
	if s.Lat < 0 { // southern hemisphere
		longDelta = longDeltaBottom
	}
	return s.Lon - longDelta, s.Lat - latDelta, s.Lon + longDelta, s.Lat + latDelta
}

// The nine boxes around a position, in the order Redis searches them.
const (
	boxCenter = iota
	boxNorth
	boxSouth
	boxEast
	boxWest
	boxNorthEast
	boxNorthWest
	boxSouthEast
	boxSouthWest
	boxCount
)

// around returns h and its eight neighbours, indexed as above.
func around(h Hash) [boxCount]Hash {
	return [boxCount]Hash{
		boxCenter:    h,
		boxNorth:     h.neighbour(0, 1),
		boxSouth:     h.neighbour(0, -1),
		boxEast:      h.neighbour(1, 0),
		boxWest:      h.neighbour(-1, 0),
		boxNorthEast: h.neighbour(1, 1),
		boxNorthWest: h.neighbour(-1, 1),
		boxSouthEast: h.neighbour(1, -1),
		boxSouthWest: h.neighbour(-1, -1),
	}
}

// AppendBoxes appends to dst the geohash boxes to search for the points
// of s, at most nine, in the order Redis searches them: the center's box,
// then its neighbours to the north, south, east, west, north-east,
// north-west, south-east and south-west, leaving out the neighbours that
// cannot hold a point of s and a box equal to the one searched before it
// (huge radii wrap around). A search passes an array of its own, which
// spares it an allocation.
func (s *Shape) AppendBoxes(dst []Hash) []Hash {
	minLon, minLat, maxLon, maxLat := s.bounds()
	meters := s.Radius
	if s.Box {
		// From the center to a corner.
		meters = math.Sqrt(float64(s.Width/2*(s.Width/2)) + float64(s.Height/2*(s.Height/2)))
	}
	meters *= s.Conversion
	steps := EstimateSteps(meters, s.Lat)
	hash, _ := Encode(LongRange, LatRange, s.Lon, s.Lat, steps)
	boxes := around(hash)
	// Near an edge of the center's box the estimated step may be too
	// fine for a neighbour to reach the end of the search: one step
	// coarser then.
	north, _ := Decode(LongRange, LatRange, boxes[boxNorth])
	south, _ := Decode(LongRange, LatRange, boxes[boxSouth])
	east, _ := Decode(LongRange, LatRange, boxes[boxEast])
	west, _ := Decode(LongRange, LatRange, boxes[boxWest])
	if steps > 1 && (north.Lat.Max < maxLat || south.Lat.Min > minLat || east.Long.Max < maxLon || west.Long.Min > minLon) {
		steps--
		hash, _ = Encode(LongRange, LatRange, s.Lon, s.Lat, steps)
		boxes = around(hash)
	}
	area, _ := Decode(LongRange, LatRange, hash)
	if steps >= 2 {
		drop := func(idx ...int) {
			for _, i := range idx {
				boxes[i] = Hash{}
			}
		}
		if area.Lat.Min < minLat {
			drop(boxSouth, boxSouthWest, boxSouthEast)
		}
		if area.Lat.Max > maxLat {
			drop(boxNorth, boxNorthEast, boxNorthWest)
		}
		if area.Long.Min < minLon {
			drop(boxWest, boxSouthWest, boxNorthWest)
		}
		if area.Long.Max > maxLon {
			drop(boxEast, boxSouthEast, boxNorthEast)
		}
	}
	// Redis compares a box with the last one searched, but never with
	// the center's (its "none searched yet" is index 0).
	last := 0
	for i, b := range boxes {
		if b.IsZero() || last != 0 && b == boxes[last] {
			continue
		}
		dst = append(dst, b)
		last = i
	}
	return dst
}

// Contains reports whether the position is inside s, with its distance
// in meters from s's center. Its results are those of Redis's exact tests
// (geohashGetDistanceIfInRadius and geohashGetDistanceIfInRectangle); a
// cheap estimate only spares the exact distances of positions it finds
// certainly outside.
func (s *Shape) Contains(lon, lat float64) (dist float64, ok bool) {
	if !s.prepared {
		s.prepare()
	}
	if !s.Box {
		if s.fast.farther(lon, lat, s.radiusBound) {
			return 0, false
		}
		dist = s.center.distance(lon, lat)
		return dist, !(dist > s.Radius*s.Conversion)
	}
	// The distances to the center's meridian and parallel, along the
	// position's parallel and meridian.
	here := newFastOrigin(lon, lat)
	if here.farther(s.Lon, lat, s.halfWidthBound) || here.farther(lon, s.Lat, s.halfHeightBound) {
		return 0, false
	}
	widthM, heightM := s.Width*s.Conversion, s.Height*s.Conversion
	lonDist := Distance(lon, lat, s.Lon, lat)
	latDist := Distance(lon, lat, lon, s.Lat)
	if lonDist > widthM/2 || latDist > heightM/2 {
		return 0, false
	}
	return s.center.distance(lon, lat), true
}

// ContainsScore is Contains for the position a score stands for, which
// it returns too (FromScore's). For a circle it rules out most positions
// outside it from the score's bits, before it decodes them: a search's
// boxes hold several times the points its circle does.
func (s *Shape) ContainsScore(score float64) (lon, lat, dist float64, ok bool) {
	if !s.prepared {
		s.prepare()
	}
	sep := deinterleave(scoreBits(score))
	ilat, ilon := uint32(sep), uint32(sep>>32)
	if ilat < s.latCells.lo || ilat > s.latCells.hi || ilon < s.lonCells.lo || ilon > s.lonCells.hi {
		return 0, 0, 0, false
	}
	lon, lat = FromScore(score)
	dist, ok = s.Contains(lon, lat)
	return lon, lat, dist, ok
}

func (s *Shape) prepare() {
	s.center = newOrigin(s.Lon, s.Lat)
	s.fast = newFastOrigin(s.Lon, s.Lat)
	s.radiusBound = haversineBound(s.Radius * s.Conversion)
	s.halfWidthBound = haversineBound(s.Width * s.Conversion / 2)
	s.halfHeightBound = haversineBound(s.Height * s.Conversion / 2)
	s.latCells, s.lonCells = cellRange{0, math.MaxUint32}, cellRange{0, math.MaxUint32}
	if !s.Box {
		s.circleCells()
	}
	s.prepared = true
}

// circleCells narrows latCells and lonCells to a circle's, when it is
// small enough to have any. The haversine term a = sin²(Δlat/2) +
// cos(lat0)·cos(lat)·sin²(Δlon/2) of a position inside is at most
// radiusBound: so is each of its two terms, which bounds Δlat, and then,
// with cos(lat) at its least over that band of latitudes, Δlon. Each
// bound is widened by a relative 1e-9 and a cell on either side, far
// more than rounding can move a position, so that the cells only rule
// out what Contains would.
func (s *Shape) circleCells() {
	const margin = 1 + 1e-9
	bound := s.radiusBound
	if !(bound < 1) {
		return // NaN, or half the earth or more
	}
	dLat := radDeg(2*math.Asin(math.Sqrt(bound))) * margin
	if s.Lat-dLat > LatMin { // else positions clamped to LatMin may be inside
		s.latCells.lo = max(cellOf(s.Lat-dLat, LatRange), 1) - 1
	}
	if s.Lat+dLat < LatMax {
		s.latCells.hi = cellOf(s.Lat+dLat, LatRange) + 1
	}
	cosMin := math.Cos(degRad(math.Abs(s.Lat)+dLat) * margin)
	q := math.Sqrt(bound/(s.fast.cosLat*cosMin)) * margin
	if !(cosMin > 0 && q < 1) {
		return
	}
	dLon := radDeg(2*math.Asin(q)) * margin
	// A band across ±180 wraps: Δlon near 360 is near.
	if s.Lon-dLon > LongMin && s.Lon+dLon < LongMax {
		s.lonCells = cellRange{max(cellOf(s.Lon-dLon, LongRange), 1) - 1, cellOf(s.Lon+dLon, LongRange) + 1}
	}
}

// cellOf returns the 26-bit cell offset of coordinate x over r, x inside
// r.
func cellOf(x float64, r Range) uint32 {
	return uint32((x - r.Min) / (r.Max - r.Min) * (1 << StepMax))
}
