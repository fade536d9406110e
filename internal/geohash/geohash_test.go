package geohash

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// The values below were read from redis-server 7.0 (GEOADD, ZSCORE,
// GEOPOS, GEOHASH, GEODIST, GEOSEARCH).

func TestDegToRadIsCs(t *testing.T) {
	if got := math.Float64bits(degToRad); got != 0x3F91DF46A2529D39 {
		t.Errorf("degToRad bits %#x, C's M_PI/180.0 is 0x3F91DF46A2529D39", got)
	}
}

// human formats a coordinate as GEOPOS replies it (%.17f, trailing zeros
// dropped).
func human(f float64) string {
	s := strconv.FormatFloat(f, 'f', 17, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func TestScoreAndBack(t *testing.T) {
	for _, tc := range []struct {
		name           string
		lon, lat       float64
		score          uint64
		gotLon, gotLat string
		hash           string
	}{
		{"Palermo", 13.361389, 38.115556, 3479099956230698, "13.36138933897018433", "38.11555639549629859", "sqc8b49rny0"},
		{"Catania", 15.087269, 37.502669, 3479447370796909, "15.08726745843887329", "37.50266842333162032", "sqdtr74hyu0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			score, ok := Score(tc.lon, tc.lat)
			if !ok || score != tc.score {
				t.Fatalf("Score = %d, %v; want %d", score, ok, tc.score)
			}
			lon, lat := FromScore(float64(score))
			if human(lon) != tc.gotLon || human(lat) != tc.gotLat {
				t.Errorf("FromScore = %s %s, want %s %s", human(lon), human(lat), tc.gotLon, tc.gotLat)
			}
			if h := String(float64(score)); h != tc.hash {
				t.Errorf("String = %s, want %s", h, tc.hash)
			}
		})
	}
}

func TestScoreOutOfRange(t *testing.T) {
	for _, p := range [][2]float64{{180.1, 0}, {-180.1, 0}, {0, 85.06}, {0, -85.06}, {math.Inf(1), 0}} {
		if _, ok := Score(p[0], p[1]); ok {
			t.Errorf("Score(%v, %v) accepted", p[0], p[1])
		}
	}
}

// TestFromScoreOfAnyScore covers scores GEOADD never writes, decoded
// through C's (uint64_t) cast on x86-64.
func TestFromScoreOfAnyScore(t *testing.T) {
	for _, tc := range []struct {
		score    float64
		lon, lat string
		hash     string
	}{
		{-1, "180", "85.0511287799999991", "bp05b5048p0"},
		{math.Inf(1), "-179.99999731779098511", "-85.05112751263942528", "00bh0hbj200"},
		{math.Inf(-1), "180", "-85.05112751263942528", "00bh0hbj200"},
		{1e300, "-179.99999731779098511", "-85.05112751263942528", "00bh0hbj200"},
		{1 << 52, "-179.99999731779098511", "85.0511287799999991", "bp05b5048p0"},
		{1 << 53, "180", "-85.05112751263942528", "00bh0hbj200"},
		{-9.3e18, "180", "-85.05112751263942528", "00bh0hbj200"},
		{0, "-179.99999731779098511", "-85.05112751263942528", "00bh0hbj200"},
		{1<<52 - 1, "179.99999731779098511", "85.05112751263942528", "zzpgzgpfxz0"},
		{1.5, "-179.99999731779098511", "-85.05112497791824921", "00bh0hbj210"},
	} {
		lon, lat := FromScore(tc.score)
		if human(lon) != tc.lon || human(lat) != tc.lat {
			t.Errorf("FromScore(%v) = %s %s, want %s %s", tc.score, human(lon), human(lat), tc.lon, tc.lat)
		}
		if h := String(tc.score); h != tc.hash {
			t.Errorf("String(%v) = %s, want %s", tc.score, h, tc.hash)
		}
	}
}

func TestDistance(t *testing.T) {
	lon1, lat1 := FromScore(3479099956230698)
	lon2, lat2 := FromScore(3479447370796909)
	if got := strconv.FormatFloat(Distance(lon1, lat1, lon2, lat2), 'f', 4, 64); got != "166274.1516" {
		t.Errorf("Palermo to Catania: %s m, want 166274.1516", got)
	}
	if d := Distance(lon1, lat1, lon1, lat1); d != 0 {
		t.Errorf("distance to itself %v", d)
	}
}

func TestEstimateSteps(t *testing.T) {
	for _, tc := range []struct {
		meters, lat float64
		want        uint8
	}{
		{0, 0, 26},
		{1, 0, 24},
		{200_000, 0, 6},
		{200_000, 70, 5},
		{200_000, -81, 4},
		{5_000_000, 0, 2},
		{50_000_000, 0, 1},
		{math.Inf(1), 0, 1},
		{1e-300, 0, 26},
	} {
		if got := EstimateSteps(tc.meters, tc.lat); got != tc.want {
			t.Errorf("EstimateSteps(%v, %v) = %d, want %d", tc.meters, tc.lat, got, tc.want)
		}
	}
}

func TestNeighbours(t *testing.T) {
	h := Hash{Bits: 0b0011, Step: 2} // lat 01, lon 01
	b := around(h)
	lat, lon := func(h Hash) uint64 { return deinterleave(h.Bits) & 0xffffffff }, func(h Hash) uint64 { return deinterleave(h.Bits) >> 32 }
	for _, tc := range []struct {
		i          int
		dLat, dLon uint64
	}{
		{boxNorth, 2, 1}, {boxSouth, 0, 1}, {boxEast, 1, 2}, {boxWest, 1, 0},
		{boxNorthEast, 2, 2}, {boxNorthWest, 2, 0}, {boxSouthEast, 0, 2}, {boxSouthWest, 0, 0},
	} {
		if lat(b[tc.i]) != tc.dLat || lon(b[tc.i]) != tc.dLon || b[tc.i].Step != 2 {
			t.Errorf("neighbour %d: lat %d lon %d, want %d %d", tc.i, lat(b[tc.i]), lon(b[tc.i]), tc.dLat, tc.dLon)
		}
	}
	// Moving past an edge wraps around.
	if w := (Hash{Bits: 0, Step: 2}).neighbour(-1, 0); lon(w) != 3 {
		t.Errorf("west of the west edge: lon %d, want 3", lon(w))
	}
}

func TestBoxes(t *testing.T) {
	s := Shape{Lon: 15, Lat: 37, Radius: 200, Conversion: 1000}
	boxes := s.AppendBoxes(nil)
	if len(boxes) == 0 || boxes[0].Step != 6 {
		t.Fatalf("boxes %v: want the center's first, at step 6", boxes)
	}
	// Every point of the circle's own box is found in one of the boxes.
	score, _ := Score(15, 37)
	found := false
	for _, b := range boxes {
		lo, hi := b.ScoreRange()
		found = found || lo <= score && score < hi
	}
	if !found {
		t.Error("the center's score is in no box")
	}
	// A radius around the earth wraps the neighbours onto each other:
	// consecutive duplicates are searched once.
	huge := Shape{Lon: 0, Lat: 0, Radius: 20_000, Conversion: 1000}
	hb := huge.AppendBoxes(nil)
	for i := 1; i < len(hb); i++ {
		if hb[i] == hb[i-1] && i > 1 {
			t.Errorf("box %d repeats the one before it: %v", i, hb)
		}
	}
	if slices.ContainsFunc(hb, Hash.IsZero) {
		t.Errorf("a zero box is searched: %v", hb)
	}
}

func TestContains(t *testing.T) {
	catLon, catLat := FromScore(3479447370796909)
	palLon, palLat := FromScore(3479099956230698)
	circle := Shape{Lon: 15, Lat: 37, Radius: 200, Conversion: 1000}
	if d, ok := circle.Contains(catLon, catLat); !ok || strconv.FormatFloat(d/1000, 'f', 4, 64) != "56.4413" {
		t.Errorf("Catania: %v %v, want inside at 56.4413 km", d, ok)
	}
	if d, ok := circle.Contains(palLon, palLat); !ok || strconv.FormatFloat(d/1000, 'f', 4, 64) != "190.4424" {
		t.Errorf("Palermo: %v %v, want inside at 190.4424 km", d, ok)
	}
	small := Shape{Lon: 15, Lat: 37, Radius: 100, Conversion: 1000}
	if _, ok := small.Contains(palLon, palLat); ok {
		t.Error("Palermo is inside 100 km")
	}
	box := Shape{Lon: 15, Lat: 37, Box: true, Width: 400, Height: 400, Conversion: 1000}
	if _, ok := box.Contains(palLon, palLat); !ok {
		t.Error("Palermo is outside the 400 km box")
	}
	narrow := Shape{Lon: 15, Lat: 37, Box: true, Width: 100, Height: 400, Conversion: 1000}
	if _, ok := narrow.Contains(palLon, palLat); ok {
		t.Error("Palermo is inside the 100 km wide box")
	}
}

// TestFartherNeverWrong checks the cheap rejection against the exact
// distance at limits just above and below it: a position it calls farther
// is farther.
func TestFartherNeverWrong(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 20000 {
		lon1, lat1 := r.Float64()*360-180, r.Float64()*170-85
		lon2, lat2 := lon1+r.NormFloat64()*math.Pow(10, -float64(r.IntN(6))), lat1+r.NormFloat64()*0.1
		if r.IntN(10) == 0 { // anywhere, near antipodes included
			lon2, lat2 = -lon1+r.NormFloat64()*1e-3, -lat1
		}
		lat2 = min(max(lat2, LatMin), LatMax)
		d := Distance(lon1, lat1, lon2, lat2)
		o := newFastOrigin(lon1, lat1)
		for _, limit := range []float64{d, d * (1 - 1e-12), d * (1 + 1e-12), math.Nextafter(d, 0), d * 0.999} {
			if o.farther(lon2, lat2, haversineBound(limit)) && !(d > limit) {
				t.Fatalf("(%v,%v) to (%v,%v): %v m called farther than %v", lon1, lat1, lon2, lat2, d, limit)
			}
		}
		if limit := d * 0.5; d > 1 && !o.farther(lon2, lat2, haversineBound(limit)) && d < 1e7 {
			t.Errorf("(%v,%v) to (%v,%v): %v m not found farther than %v", lon1, lat1, lon2, lat2, d, limit)
		}
	}
	if !math.IsInf(haversineBound(21_000_000), 1) || !math.IsInf(haversineBound(math.Inf(1)), 1) {
		t.Error("a limit past half the circumference bounds something")
	}
}

// TestContainsScoreAsContains checks that ContainsScore answers as
// FromScore and Contains do, for positions near circles' edges (where
// its cells must rule nothing wrongly out) and for any score, and that a
// small circle's cells do rule positions out.
func TestContainsScoreAsContains(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for range 2000 {
		s := Shape{Lon: r.Float64()*360 - 180, Lat: r.Float64()*170 - 85, Conversion: 1}
		if r.IntN(4) == 0 { // near the antimeridian or a limit of latitude
			s.Lon = math.Copysign(180-r.Float64()*1e-3, s.Lon)
			s.Lat = math.Copysign(LatMax-r.Float64()*1e-2, s.Lat)
		}
		s.Radius = math.Pow(10, r.Float64()*7) // 1 m to 10,000 km
		for range 100 {
			// A position about the radius away, in any direction.
			d := s.Radius * (1 + r.NormFloat64()*math.Pow(10, -float64(r.IntN(9)))) / EarthRadius
			bearing := r.Float64() * 2 * math.Pi
			lat1 := degRad(s.Lat)
			lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(bearing))
			lon2 := degRad(s.Lon) + math.Atan2(math.Sin(bearing)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
			lon := math.Remainder(radDeg(lon2), 360)
			lat := min(max(radDeg(lat2), LatMin), LatMax)
			score, ok := Score(min(max(lon, LongMin), LongMax), lat)
			if !ok {
				t.Fatalf("no score for (%v, %v)", lon, lat)
			}
			scores := []float64{float64(score), r.Float64() * (1 << 52), -r.Float64(), math.Inf(1)}
			for _, sc := range scores {
				glon, glat, gdist, gok := s.ContainsScore(sc)
				wlon, wlat := FromScore(sc)
				wdist, wok := s.Contains(wlon, wlat)
				if gok != wok || gok && (glon != wlon || glat != wlat || gdist != wdist) {
					t.Fatalf("%+v score %v: ContainsScore (%v, %v) %v %v, Contains (%v, %v) %v %v",
						s, sc, glon, glat, gdist, gok, wlon, wlat, wdist, wok)
				}
			}
		}
	}
	rome := Shape{Lon: 12.5, Lat: 41.9, Radius: 1, Conversion: 1000}
	rome.prepare()
	if rome.latCells.hi-rome.latCells.lo > 10000 || rome.lonCells.hi-rome.lonCells.lo > 10000 {
		t.Errorf("a 1 km circle's cells are %+v %+v", rome.latCells, rome.lonCells)
	}
}
