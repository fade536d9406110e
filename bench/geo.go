package main

// The geo scenario: GEOSEARCH against a set of points loaded first.

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// geoKey holds the geo scenario's points.
const geoKey = "geo"

// geoDensity is the geo scenario's points per square kilometer, whatever
// --keyspace, so that a search does the same work.
const geoDensity = 10

func init() {
	// The points nearest a point within 1 km, as a store finder asks:
	// about 30 points in range among some 170 the nine boxes hold, the 10
	// closest returned with their distances.
	commandTests["geosearch"] = commandTest{cmd: func(n int) []string {
		return []string{"GEOSEARCH", geoKey, "FROMMEMBER", geoMember(n), "BYRADIUS", "1", "km", "ASC", "COUNT", "10", "WITHDIST"}
	}}
	scenarios = append(scenarios, scenario{
		name:  "geo",
		about: "--keyspace points, 10 to the km², in one geo set: GEOSEARCH for the 10 nearest a random point within 1 km",
		tests: []string{"geosearch"},
		load:  loadGeo,
	})
}

func geoMember(n int) string { return "m:" + strconv.Itoa(n) }

// loadGeo adds keyspace points, geoMember(0) to geoMember(keyspace-1), at
// random positions in a square around Rome, geoDensity to the km², the
// same on every server.
func loadGeo(c *conn, keyspace int) error {
	r := rand.New(rand.NewPCG(1, 2))
	side := math.Sqrt(float64(keyspace) / geoDensity) // km
	lonSpan := side / (111.32 * math.Cos(41.9*math.Pi/180))
	latSpan := side / 111.32
	const batch = 500
	args := []string{"GEOADD", geoKey}
	sent := 0
	for i := 0; i < keyspace; i++ {
		lon := 12.5 + (r.Float64()-0.5)*lonSpan
		lat := 41.9 + (r.Float64()-0.5)*latSpan
		args = append(args, strconv.FormatFloat(lon, 'f', 6, 64), strconv.FormatFloat(lat, 'f', 6, 64), geoMember(i))
		if (i+1)%batch == 0 || i == keyspace-1 {
			c.send(args...)
			args = args[:2]
			sent++
		}
	}
	if err := c.flush(); err != nil {
		return err
	}
	for ; sent > 0; sent-- {
		if _, err := c.reply(); err != nil {
			return err
		}
	}
	return nil
}
