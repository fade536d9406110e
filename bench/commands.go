package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// A commandRow is a throughput row for a command redis-benchmark has no
// -t test for: redis-benchmark runs the command line itself, after the
// row's data set is loaded into both servers. In the command,
// __rand_int__ is redis-benchmark's random 12-digit number below
// --keyspace, so a row's data names its keys or members after it.
type commandRow struct {
	name    string   // the row's name in the table and for --only
	command []string // redis-benchmark's command line
	// load writes the row's data set (keyspace items) through c; nil
	// when the command needs none.
	load func(c *conn, keyspace int) error
}

// geoKey holds the GEOSEARCH row's points.
const geoKey = "bench:geo"

// commandRows are the rows run in the cache scenario.
var commandRows = []commandRow{
	{
		// The points nearest a member within 1 km, as a store finder
		// asks: about 30 points in range among some 170 the nine boxes
		// hold, the 10 closest returned with their distances.
		name:    "geosearch",
		command: strings.Fields("GEOSEARCH " + geoKey + " FROMMEMBER m:__rand_int__ BYRADIUS 1 km ASC COUNT 10 WITHDIST"),
		load:    loadGeo,
	},
}

// geoDensity is the GEOSEARCH row's points per square kilometer, whatever
// --keyspace, so that a search does the same work.
const geoDensity = 10

// loadGeo adds keyspace points named m:<12 digits> at random positions in
// a square around Rome of geoDensity points per km², the same on every
// server.
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
		args = append(args, strconv.FormatFloat(lon, 'f', 6, 64), strconv.FormatFloat(lat, 'f', 6, 64), memberName(i))
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

// memberName is what __rand_int__ becomes for n: m: and n in 12 digits.
func memberName(n int) string { return fmt.Sprintf("m:%012d", n) }

// loadCommandRows loads the rows' data sets into each server and checks
// that both answer the rows' commands alike, so that the rows compare the
// same work.
func loadCommandRows(ctx context.Context, rows []commandRow, keyspace int, servers ...*server) error {
	for _, cr := range rows {
		var first []byte
		for i, s := range servers {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c, err := dial(s.addr)
			if err != nil {
				return err
			}
			if cr.load != nil {
				progress(fmt.Sprintf("loading %d items for %s into %s", keyspace, strings.ToUpper(cr.name), s.name))
				err = cr.load(c, keyspace)
			}
			var reply bytes.Buffer
			if err == nil {
				reply, err = probeCommand(c, cr.command, keyspace)
			}
			c.Close()
			if err != nil {
				return fmt.Errorf("%s: %s: %w", s.name, cr.name, err)
			}
			if i == 0 {
				first = reply.Bytes()
			} else if !bytes.Equal(first, reply.Bytes()) {
				return fmt.Errorf("%s: %s answers %q, %s %q", cr.name, servers[0].name, first, s.name, reply.Bytes())
			}
		}
	}
	return nil
}

// probeCommand sends command once, with __rand_int__ the middle of the
// keyspace, and returns its raw reply.
func probeCommand(c *conn, command []string, keyspace int) (bytes.Buffer, error) {
	var reply bytes.Buffer
	args := make([]string, len(command))
	for i, a := range command {
		args[i] = strings.ReplaceAll(a, "__rand_int__", fmt.Sprintf("%012d", keyspace/2))
	}
	c.send(args...)
	if err := c.flush(); err != nil {
		return reply, err
	}
	return reply, copyReply(&reply, c.br)
}
