package server

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stratakv/strata/internal/geohash"
	"github.com/stratakv/strata/storage"
)

// TestGeoRadiusKeys checks that GEORADIUS names its STORE destination as
// a key (so the dispatcher locks its shard and namespace rules reach it),
// and that the other geo commands keep their fixed positions.
func TestGeoRadiusKeys(t *testing.T) {
	table := newCommandTable()
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"georadius g 1 2 3 km", []string{"g"}},
		{"georadius g 1 2 3 km STORE d", []string{"g", "d"}},
		{"georadius g 1 2 3 km storedist d ASC", []string{"g", "d"}},
		{"georadius g 1 2 3 km STORE a STOREDIST b", []string{"g", "a", "b"}},
		{"georadius g 1 2 3 km STORE", []string{"g"}},
		{"georadiusbymember g m 3 km STORE d", []string{"g", "d"}},
		{"georadius_ro g 1 2 3 km", []string{"g"}},
		{"geosearchstore d g FROMMEMBER m BYRADIUS 1 km", []string{"d", "g"}},
	} {
		args := argsOf(tc.line)
		var got []string
		table[string(args[0])].keyArgs(args, func(k []byte) { got = append(got, string(k)) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: keys %q, want %q", tc.line, got, tc.want)
		}
	}
}

func argsOf(line string) [][]byte {
	var args [][]byte
	for _, f := range strings.Fields(line) {
		args = append(args, []byte(f))
	}
	return args
}

// TestGeoStoreNamespaceTTL checks that a stored search result is a write
// like any other: its namespace's TTL applies.
func TestGeoStoreNamespaceTTL(t *testing.T) {
	_, c := ttlServer(t, 0.5)
	c.expect(":1\r\n", "GEOADD", "src", "13.361389", "38.115556", "Palermo")
	c.expect(":1\r\n", "GEOSEARCHSTORE", "ttl:a", "src", "FROMLONLAT", "13", "38", "BYRADIUS", "100", "km")
	c.expect(":300000\r\n", "PTTL", "ttl:a")
	c.expect(":1\r\n", "GEORADIUS", "src", "13", "38", "100", "km", "STORE", "ttl:b")
	c.expect(":300000\r\n", "PTTL", "ttl:b")
	c.expect(":1\r\n", "GEORADIUSBYMEMBER", "src", "Palermo", "1", "km", "STOREDIST", "ttl:c")
	c.expect(":300000\r\n", "PTTL", "ttl:c")
	c.expect(":-1\r\n", "PTTL", "src")
}

// BenchmarkGeoSearch is bench/'s GEOSEARCH row in process: the 10 points
// nearest a member within 1 km, among points spread 10 to the km².
func BenchmarkGeoSearch(b *testing.B) {
	const points = 20_000
	s := startServer(b, Config{})
	c := dial(b, s)
	r := rand.New(rand.NewPCG(1, 2))
	side := math.Sqrt(points / 10.0) // km
	for i := 0; i < points; i += 500 {
		args := []string{"GEOADD", "geo"}
		for j := i; j < i+500; j++ {
			lon := 12.5 + (r.Float64()-0.5)*side/(111.32*math.Cos(41.9*math.Pi/180))
			lat := 41.9 + (r.Float64()-0.5)*side/111.32
			args = append(args, strconv.FormatFloat(lon, 'f', 6, 64), strconv.FormatFloat(lat, 'f', 6, 64), fmt.Sprintf("m:%012d", j))
		}
		c.expect(":500\r\n", args...)
	}
	members := rand.New(rand.NewPCG(3, 4))
	benchPipelineOn(b, s, 256, func(int) []string {
		return strings.Fields(fmt.Sprintf("GEOSEARCH geo FROMMEMBER m:%012d BYRADIUS 1 km ASC COUNT 10 WITHDIST", members.IntN(points)))
	})
}

// TestGeoSurvivesRestart: a geo set in a write_through namespace, and a
// search stored into one, come back after a restart.
func TestGeoSurvivesRestart(t *testing.T) {
	cfg := tieredConfig(t.TempDir())
	s := startServer(t, cfg)
	c := dial(t, s)
	c.expect(":2\r\n", "GEOADD", "wt:g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
	c.expect(":2\r\n", "GEOSEARCHSTORE", "wt:d", "wt:g", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "STOREDIST")
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	c.expect("*1\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n", "GEOPOS", "wt:g", "Palermo")
	c.expect(bulks("Palermo", "0", "Catania", "166.27415156960032"), "ZRANGE", "wt:d", "0", "-1", "WITHSCORES")
}

// TestGeoMembersDoesNotAllocate: gathering a search's points into a
// buffer with room allocates nothing: not the boxes, not their score
// ranges.
func TestGeoMembersDoesNotAllocate(t *testing.T) {
	z := storage.NewZSet(1000, 16)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		score, _ := geohash.Score(12.5+(r.Float64()-0.5)*0.1, 41.9+(r.Float64()-0.5)*0.1)
		z.Set([]byte(fmt.Sprintf("m:%d", i)), float64(score))
	}
	shape := geohash.Shape{Lon: 12.5, Lat: 41.9, Radius: 1, Conversion: 1000}
	points := make([]geoPoint, 0, 1000)
	if n := testing.AllocsPerRun(100, func() { points = geoMembers(points[:0], z, &shape, 0) }); n != 0 {
		t.Errorf("%v allocations per search", n)
	}
	if len(points) == 0 {
		t.Error("the search found no point")
	}
}
