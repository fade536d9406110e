package main

// The stream rows: XADD appends to one stream, the commonest use (an event
// log, a job queue); XREADGROUP reads it back one entry at a time through a
// consumer group, each read a delivery recorded as pending: the work loop
// of a queue's consumers.

import (
	"fmt"
	"strconv"
	"strings"
)

const (
	benchStream = "bench:stream"
	benchGroup  = "bench"
)

var (
	// streamPayload is an entry's one value, as large as the -d 100 of
	// the redis-benchmark rows.
	streamPayload     = strings.Repeat("x", 100)
	xaddCommand       = []string{"XADD", benchStream, "*", "payload", streamPayload}
	xreadgroupCommand = []string{"XREADGROUP", "GROUP", benchGroup, "consumer", "COUNT", "1", "STREAMS", benchStream, ">"}
)

func init() {
	scenarios = append(scenarios, scenario{
		name:  "streams",
		about: "memory only: XADD of a 100-byte entry to one stream; XREADGROUP COUNT 1 of it back through a group",
		tests: []string{"xadd", "xreadgroup"},
	})
}

// dropStream starts XADD's run from no stream.
func dropStream(c *conn, _ int) error {
	_, err := c.do("DEL", benchStream)
	return err
}

// prepareGroupRead gives the stream at least n entries and a group that
// has read none of them, so that each of n reads delivers an entry.
func prepareGroupRead(c *conn, n int) error {
	length, err := c.do("XLEN", benchStream)
	if err != nil {
		return err
	}
	have, _ := strconv.Atoi(length)
	for have < n {
		batch := min(n-have, 1000)
		for i := 0; i < batch; i++ {
			c.send(xaddCommand...)
		}
		if err := c.flush(); err != nil {
			return err
		}
		for i := 0; i < batch; i++ {
			if _, err := c.reply(); err != nil {
				return fmt.Errorf("loading %s: %w", benchStream, err)
			}
		}
		have += batch
	}
	if _, err := c.do("XGROUP", "DESTROY", benchStream, benchGroup); err != nil {
		return err
	}
	_, err = c.do("XGROUP", "CREATE", benchStream, benchGroup, "0")
	return err
}
