package main

import (
	"fmt"
	"strconv"
	"strings"
)

// A commandTest is a throughput row for a command redis-benchmark has no
// -t test for: redis-benchmark sends its command line (with -r, a
// __rand_int__ in it is replaced per request), after prepare has set the
// server up for a run of n requests. A scenario lists it by name among
// its tests.
type commandTest struct {
	// args returns the command line for values of size bytes.
	args func(size int) []string
	// prepare readies the server at c for a run of n requests.
	prepare func(c *conn, n, size int) error
}

// The stream rows: XADD appends to one stream, the commonest use (an
// event log, a job queue); XREADGROUP reads it back one entry at a time
// through a consumer group, each read a delivery recorded as pending,
// the work loop of a queue's consumers.
const (
	benchStream = "bench:stream"
	benchGroup  = "bench"
)

var commandTests = map[string]commandTest{
	"xadd": {
		args: func(size int) []string {
			return []string{"XADD", benchStream, "*", "payload", strings.Repeat("x", size)}
		},
		prepare: func(c *conn, _, _ int) error {
			_, err := c.do("DEL", benchStream)
			return err
		},
	},
	"xreadgroup": {
		args: func(int) []string {
			return []string{"XREADGROUP", "GROUP", benchGroup, "consumer", "COUNT", "1", "STREAMS", benchStream, ">"}
		},
		prepare: prepareGroupRead,
	},
}

// prepareGroupRead gives the stream at least n entries and a group that
// has read none of them, so that every one of n reads delivers an entry.
func prepareGroupRead(c *conn, n, size int) error {
	length, err := c.do("XLEN", benchStream)
	if err != nil {
		return err
	}
	have, _ := strconv.Atoi(length)
	value := strings.Repeat("x", size)
	for have < n {
		batch := min(n-have, 1000)
		for i := 0; i < batch; i++ {
			c.send("XADD", benchStream, "*", "payload", value)
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

// commandArgs returns redis-benchmark's arguments that choose what test
// runs against addr: -t with the value size, or a command test's command
// line after preparing the server for n requests.
func commandArgs(addr, test string, n, size int) ([]string, error) {
	ct, ok := commandTests[test]
	if !ok {
		return []string{"-t", test, "-d", strconv.Itoa(size)}, nil
	}
	c, err := dial(addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := ct.prepare(c, n, size); err != nil {
		return nil, fmt.Errorf("preparing %s: %w", test, err)
	}
	return ct.args(size), nil
}
