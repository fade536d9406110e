package server

import (
	"bufio"
	"context"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/storage"
)

// step is one command and the raw reply Redis 7.0.15 gave to it.
type step struct {
	args []string
	want string
}

// stringCase is a named sequence of steps run on an empty keyspace.
type stringCase struct {
	name  string
	steps []step
}

// putNonString gives key a value of another kind, for WRONGTYPE cases: with
// LPUSH when the list commands exist, else straight into the store.
func putNonString(t *testing.T, s *Server, c *rawConn, key string) {
	t.Helper()
	if s.commands["lpush"] != nil {
		c.expect(":1\r\n", "LPUSH", key, "x")
		return
	}
	put(t, s, key, storage.ObjectValue(storage.KindList, &struct{ elems [][]byte }{}))
}

// runSteps runs steps on c; an LPUSH step makes its key a non-string.
func runSteps(t *testing.T, s *Server, c *rawConn, steps []step) {
	t.Helper()
	for _, st := range steps {
		if strings.EqualFold(st.args[0], "lpush") {
			putNonString(t, s, c, st.args[1])
			continue
		}
		c.expect(st.want, st.args...)
	}
}

// TestStringCommands replays command sequences whose replies were recorded
// from redis-server 7.0.15 (each sequence after a FLUSHALL) and checks
// Strata's replies byte for byte. Time does not pass during a sequence:
// the server runs on a test clock, so TTL replies are exact.
func TestStringCommands(t *testing.T) {
	for _, tc := range stringCases {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, Config{Clock: newTestClock().Now})
			runSteps(t, s, dial(t, s), tc.steps)
		})
	}
}

var stringCases = []stringCase{
	{"get and set", []step{
		{[]string{"SET", "k", "v"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$1\r\nv\r\n"},
		{[]string{"GET", "nokey"}, "$-1\r\n"},
		{[]string{"SET", "k", ""}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$0\r\n\r\n"},
		{[]string{"SET", "k", "with space\r\nand crlf"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$20\r\nwith space\r\nand crlf\r\n"},
		{[]string{"set", "K", "upper"}, "+OK\r\n"},
		{[]string{"GET", "K"}, "$5\r\nupper\r\n"},
		{[]string{"GET", "k"}, "$20\r\nwith space\r\nand crlf\r\n"},
	}},
	{"set option combinations", []step{
		{[]string{"SET", "k", "v", "EX", "10", "EX", "20"}, "+OK\r\n"},
		{[]string{"TTL", "k"}, ":20\r\n"},
		{[]string{"SET", "k", "v", "ex", "10", "PX", "5000"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "EX", "abc", "NX", "XX"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "EX", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "k", "v", "EX", "0"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "k", "v", "EX", "-1"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "k", "v", "PX", "0"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "k", "v", "EXAT", "0"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "k", "v", "PXAT", "-5"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "k", "v", "PX", "9223372036854775807"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "k", "v", "EX", "9223372036854775"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "k", "v", "KEEPTTL", "EX", "10"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "EX", "10", "KEEPTTL"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "PX", "10", "PXAT", "10"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "EXAT", "10", "EX", "10"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "NX", "XX"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "XX", "NX"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "EX"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "PERSIST"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "FOO"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "NX", "NX"}, "$-1\r\n"},
		{[]string{"SET", "k", "v", "GET", "GET"}, "$1\r\nv\r\n"},
		{[]string{"SET", "k", "v", "KEEPTTL", "KEEPTTL"}, "+OK\r\n"},
		{[]string{"SET", "k", "v", "px", "1500"}, "+OK\r\n"},
		{[]string{"PTTL", "k"}, ":1500\r\n"},
		{[]string{"SET", "k", "v", "Px", "100", "Nx"}, "$-1\r\n"},
	}},
	{"set nx xx get keepttl", []step{
		{[]string{"SET", "n", "v", "XX"}, "$-1\r\n"},
		{[]string{"GET", "n"}, "$-1\r\n"},
		{[]string{"SET", "n", "v", "XX", "GET"}, "$-1\r\n"},
		{[]string{"SET", "n", "v", "NX", "GET"}, "$-1\r\n"},
		{[]string{"GET", "n"}, "$1\r\nv\r\n"},
		{[]string{"SET", "n", "v2", "NX", "GET"}, "$1\r\nv\r\n"},
		{[]string{"SET", "n", "v2", "NX"}, "$-1\r\n"},
		{[]string{"SET", "n", "v3", "XX", "GET"}, "$1\r\nv\r\n"},
		{[]string{"GET", "n"}, "$2\r\nv3\r\n"},
		{[]string{"SET", "n", "v4", "EX", "100"}, "+OK\r\n"},
		{[]string{"SET", "n", "v5", "KEEPTTL"}, "+OK\r\n"},
		{[]string{"TTL", "n"}, ":100\r\n"},
		{[]string{"SET", "n", "v6", "KEEPTTL", "GET"}, "$2\r\nv5\r\n"},
		{[]string{"TTL", "n"}, ":100\r\n"},
		{[]string{"SET", "n", "v7"}, "+OK\r\n"},
		{[]string{"TTL", "n"}, ":-1\r\n"},
		{[]string{"SET", "n", "v8", "GET", "EX", "50"}, "$2\r\nv7\r\n"},
		{[]string{"TTL", "n"}, ":50\r\n"},
	}},
	{"set with past absolute expiry", []step{
		{[]string{"SET", "k", "v", "EXAT", "10"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$-1\r\n"},
		{[]string{"SET", "k", "v"}, "+OK\r\n"},
		{[]string{"SET", "k", "v2", "PXAT", "1", "GET"}, "$1\r\nv\r\n"},
		{[]string{"EXISTS", "k"}, ":0\r\n"},
	}},
	{"setnx setex psetex", []step{
		{[]string{"SETNX", "a", "1"}, ":1\r\n"},
		{[]string{"SETNX", "a", "2"}, ":0\r\n"},
		{[]string{"GET", "a"}, "$1\r\n1\r\n"},
		{[]string{"SETEX", "a", "100", "v"}, "+OK\r\n"},
		{[]string{"TTL", "a"}, ":100\r\n"},
		{[]string{"SETEX", "a", "0", "v"}, "-ERR invalid expire time in 'setex' command\r\n"},
		{[]string{"SETEX", "a", "-1", "v"}, "-ERR invalid expire time in 'setex' command\r\n"},
		{[]string{"SETEX", "a", "abc", "v"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SETEX", "a", "9223372036854775807", "v"}, "-ERR invalid expire time in 'setex' command\r\n"},
		{[]string{"PSETEX", "a", "0", "v"}, "-ERR invalid expire time in 'psetex' command\r\n"},
		{[]string{"PSETEX", "a", "1500", "v"}, "+OK\r\n"},
		{[]string{"PTTL", "a"}, ":1500\r\n"},
		{[]string{"PSETEX", "a", "abc", "v"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SETNX", "a"}, "-ERR wrong number of arguments for 'setnx' command\r\n"},
		{[]string{"SETEX", "a", "1"}, "-ERR wrong number of arguments for 'setex' command\r\n"},
		{[]string{"PSETEX", "a"}, "-ERR wrong number of arguments for 'psetex' command\r\n"},
	}},
	{"getset getdel", []step{
		{[]string{"SETEX", "a", "100", "v"}, "+OK\r\n"},
		{[]string{"GETSET", "a", "new"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "a"}, ":-1\r\n"},
		{[]string{"GET", "a"}, "$3\r\nnew\r\n"},
		{[]string{"GETSET", "nokey", "x"}, "$-1\r\n"},
		{[]string{"GET", "nokey"}, "$1\r\nx\r\n"},
		{[]string{"GETDEL", "a"}, "$3\r\nnew\r\n"},
		{[]string{"GETDEL", "a"}, "$-1\r\n"},
		{[]string{"EXISTS", "a"}, ":0\r\n"},
		{[]string{"GETDEL", "nokey2"}, "$-1\r\n"},
	}},
	{"getex", []step{
		{[]string{"GETEX", "nokey"}, "$-1\r\n"},
		{[]string{"GETEX", "nokey", "EX", "abc"}, "$-1\r\n"},
		{[]string{"GETEX", "nokey", "EX", "0"}, "$-1\r\n"},
		{[]string{"GETEX", "nokey", "FOO"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "nokey", "EX"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v"}, "+OK\r\n"},
		{[]string{"GETEX", "k"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "k"}, ":-1\r\n"},
		{[]string{"GETEX", "k", "EX", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"GETEX", "k", "EX", "0"}, "-ERR invalid expire time in 'getex' command\r\n"},
		{[]string{"GETEX", "k", "EX", "-5"}, "-ERR invalid expire time in 'getex' command\r\n"},
		{[]string{"GETEX", "k", "PX", "9223372036854775807"}, "-ERR invalid expire time in 'getex' command\r\n"},
		{[]string{"GETEX", "k", "EX", "10", "EX", "20"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "k"}, ":20\r\n"},
		{[]string{"GETEX", "k", "PERSIST"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "k"}, ":-1\r\n"},
		{[]string{"GETEX", "k", "EX", "10", "PERSIST"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "k", "PERSIST", "EX", "10"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "k", "PERSIST", "PERSIST"}, "$1\r\nv\r\n"},
		{[]string{"GETEX", "k", "KEEPTTL"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "k", "NX"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "k", "GET"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "k", "PXAT", "9999999999000", "PX", "100"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "k", "px", "100000"}, "$1\r\nv\r\n"},
		{[]string{"PTTL", "k"}, ":100000\r\n"},
		{[]string{"GETEX", "k", "EXAT", "10"}, "$1\r\nv\r\n"},
		{[]string{"EXISTS", "k"}, ":0\r\n"},
		{[]string{"SET", "k", "v"}, "+OK\r\n"},
		{[]string{"GETEX", "k", "PXAT", "1"}, "$1\r\nv\r\n"},
		{[]string{"GET", "k"}, "$-1\r\n"},
	}},
	{"mget mset msetnx", []step{
		{[]string{"MSET", "a", "1", "b", "2"}, "+OK\r\n"},
		{[]string{"MGET", "a", "b", "nokey"}, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"},
		{[]string{"MSET", "a", "1", "b"}, "-ERR wrong number of arguments for 'mset' command\r\n"},
		{[]string{"MSET", "a"}, "-ERR wrong number of arguments for 'mset' command\r\n"},
		{[]string{"MSETNX", "a"}, "-ERR wrong number of arguments for 'msetnx' command\r\n"},
		{[]string{"MSETNX", "a", "1", "b"}, "-ERR wrong number of arguments for 'msetnx' command\r\n"},
		{[]string{"MSETNX", "a", "1", "x", "2"}, ":0\r\n"},
		{[]string{"MGET", "a", "x"}, "*2\r\n$1\r\n1\r\n$-1\r\n"},
		{[]string{"MSETNX", "x", "1", "y", "2"}, ":1\r\n"},
		{[]string{"MGET", "x", "y"}, "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"MSETNX", "m", "1", "m", "2"}, ":1\r\n"},
		{[]string{"GET", "m"}, "$1\r\n2\r\n"},
		{[]string{"MSET", "a", "10", "a", "20"}, "+OK\r\n"},
		{[]string{"GET", "a"}, "$2\r\n20\r\n"},
		{[]string{"SETEX", "t", "100", "v"}, "+OK\r\n"},
		{[]string{"MSET", "t", "v2"}, "+OK\r\n"},
		{[]string{"TTL", "t"}, ":-1\r\n"},
		{[]string{"MGET"}, "-ERR wrong number of arguments for 'mget' command\r\n"},
	}},
	{"append", []step{
		{[]string{"APPEND", "a", "123"}, ":3\r\n"},
		{[]string{"OBJECT", "ENCODING", "a"}, "$3\r\nint\r\n"},
		{[]string{"APPEND", "a", "4"}, ":4\r\n"},
		{[]string{"GET", "a"}, "$4\r\n1234\r\n"},
		{[]string{"OBJECT", "ENCODING", "a"}, "$3\r\nraw\r\n"},
		{[]string{"APPEND", "b", "hello"}, ":5\r\n"},
		{[]string{"OBJECT", "ENCODING", "b"}, "$6\r\nembstr\r\n"},
		{[]string{"SETEX", "c", "100", "5"}, "+OK\r\n"},
		{[]string{"APPEND", "c", "x"}, ":2\r\n"},
		{[]string{"TTL", "c"}, ":100\r\n"},
		{[]string{"GET", "c"}, "$2\r\n5x\r\n"},
		{[]string{"SET", "d", "123"}, "+OK\r\n"},
		{[]string{"APPEND", "d", ""}, ":3\r\n"},
		{[]string{"OBJECT", "ENCODING", "d"}, "$3\r\nraw\r\n"},
		{[]string{"GET", "d"}, "$3\r\n123\r\n"},
		{[]string{"APPEND", "e", ""}, ":0\r\n"},
		{[]string{"EXISTS", "e"}, ":1\r\n"},
	}},
	{"strlen", []step{
		{[]string{"STRLEN", "nokey"}, ":0\r\n"},
		{[]string{"SET", "k", "hello"}, "+OK\r\n"},
		{[]string{"STRLEN", "k"}, ":5\r\n"},
		{[]string{"SET", "n", "12345"}, "+OK\r\n"},
		{[]string{"STRLEN", "n"}, ":5\r\n"},
		{[]string{"SET", "e", ""}, "+OK\r\n"},
		{[]string{"STRLEN", "e"}, ":0\r\n"},
	}},
	{"getrange", []step{
		{[]string{"SET", "g", "Hello World"}, "+OK\r\n"},
		{[]string{"GETRANGE", "g", "0", "4"}, "$5\r\nHello\r\n"},
		{[]string{"GETRANGE", "g", "-5", "-1"}, "$5\r\nWorld\r\n"},
		{[]string{"GETRANGE", "g", "-1", "-5"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "g", "5", "2"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "g", "0", "100"}, "$11\r\nHello World\r\n"},
		{[]string{"GETRANGE", "g", "-100", "-50"}, "$1\r\nH\r\n"},
		{[]string{"GETRANGE", "g", "-100", "2"}, "$3\r\nHel\r\n"},
		{[]string{"GETRANGE", "g", "20", "30"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "g", "10", "10"}, "$1\r\nd\r\n"},
		{[]string{"GETRANGE", "g", "abc", "1"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"GETRANGE", "g", "1", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"GETRANGE", "nokey", "0", "-1"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "nokey", "abc", "1"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"GETRANGE", "g", "9223372036854775807", "-9223372036854775808"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "g", "-9223372036854775808", "9223372036854775807"}, "$11\r\nHello World\r\n"},
		{[]string{"SUBSTR", "g", "0", "4"}, "$5\r\nHello\r\n"},
		{[]string{"SET", "n", "12345"}, "+OK\r\n"},
		{[]string{"GETRANGE", "n", "1", "2"}, "$2\r\n23\r\n"},
		{[]string{"SET", "z", ""}, "+OK\r\n"},
		{[]string{"GETRANGE", "z", "0", "-1"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "z", "0", "0"}, "$0\r\n\r\n"},
	}},
	{"setrange", []step{
		{[]string{"SETRANGE", "d", "0", ""}, ":0\r\n"},
		{[]string{"EXISTS", "d"}, ":0\r\n"},
		{[]string{"SETRANGE", "d", "5", ""}, ":0\r\n"},
		{[]string{"SETRANGE", "d", "2", "hi"}, ":4\r\n"},
		{[]string{"GET", "d"}, "$4\r\n\x00\x00hi\r\n"},
		{[]string{"OBJECT", "ENCODING", "d"}, "$3\r\nraw\r\n"},
		{[]string{"SETRANGE", "d", "1", "XYZW"}, ":5\r\n"},
		{[]string{"GET", "d"}, "$5\r\n\x00XYZW\r\n"},
		{[]string{"SETRANGE", "d", "-1", "x"}, "-ERR offset is out of range\r\n"},
		{[]string{"SETRANGE", "d", "abc", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SETRANGE", "d", "9223372036854775807", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"},
		{[]string{"SETRANGE", "e", "9223372036854775807", ""}, ":0\r\n"},
		{[]string{"SETRANGE", "e", "-1", ""}, "-ERR offset is out of range\r\n"},
		{[]string{"SET", "f", "123"}, "+OK\r\n"},
		{[]string{"SETRANGE", "f", "0", ""}, ":3\r\n"},
		{[]string{"OBJECT", "ENCODING", "f"}, "$3\r\nint\r\n"},
		{[]string{"SETRANGE", "f", "1", "9"}, ":3\r\n"},
		{[]string{"OBJECT", "ENCODING", "f"}, "$3\r\nraw\r\n"},
		{[]string{"GET", "f"}, "$3\r\n193\r\n"},
		{[]string{"SETEX", "t", "100", "abc"}, "+OK\r\n"},
		{[]string{"SETRANGE", "t", "0", "x"}, ":3\r\n"},
		{[]string{"TTL", "t"}, ":100\r\n"},
		{[]string{"GET", "t"}, "$3\r\nxbc\r\n"},
	}},
	{"incr decr", []step{
		{[]string{"INCR", "n"}, ":1\r\n"},
		{[]string{"INCRBY", "n", "-0"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"INCRBY", "n", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"INCRBY", "n", "9223372036854775808"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"INCRBY", "n", " 1"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"DECRBY", "n", "-9223372036854775808"}, "-ERR decrement would overflow\r\n"},
		{[]string{"DECRBY", "n", "9223372036854775807"}, ":-9223372036854775806\r\n"},
		{[]string{"DECR", "n"}, ":-9223372036854775807\r\n"},
		{[]string{"DECR", "n"}, ":-9223372036854775808\r\n"},
		{[]string{"DECR", "n"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"INCR", "n"}, ":-9223372036854775807\r\n"},
		{[]string{"INCRBY", "n", "9223372036854775807"}, ":0\r\n"},
		{[]string{"SET", "n", "9223372036854775807"}, "+OK\r\n"},
		{[]string{"INCR", "n"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"INCRBY", "n", "-1"}, ":9223372036854775806\r\n"},
		{[]string{"SET", "n", "-9223372036854775808"}, "+OK\r\n"},
		{[]string{"DECR", "n"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"SET", "n", " 1"}, "+OK\r\n"},
		{[]string{"INCR", "n"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "n", "1 "}, "+OK\r\n"},
		{[]string{"INCR", "n"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "n", "+1"}, "+OK\r\n"},
		{[]string{"INCR", "n"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "n", "01"}, "+OK\r\n"},
		{[]string{"INCR", "n"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "n", "-0"}, "+OK\r\n"},
		{[]string{"INCR", "n"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "n", "1.5"}, "+OK\r\n"},
		{[]string{"INCR", "n"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "n", "abc"}, "+OK\r\n"},
		{[]string{"INCRBY", "n", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "n", "12345678901234567890"}, "+OK\r\n"},
		{[]string{"INCR", "n"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "n", "0"}, "+OK\r\n"},
		{[]string{"INCR", "n"}, ":1\r\n"},
		{[]string{"SETEX", "n", "100", "10"}, "+OK\r\n"},
		{[]string{"INCR", "n"}, ":11\r\n"},
		{[]string{"TTL", "n"}, ":100\r\n"},
		{[]string{"OBJECT", "ENCODING", "n"}, "$3\r\nint\r\n"},
		{[]string{"APPEND", "n", "1"}, ":3\r\n"},
		{[]string{"OBJECT", "ENCODING", "n"}, "$3\r\nraw\r\n"},
		{[]string{"INCR", "n"}, ":112\r\n"},
		{[]string{"OBJECT", "ENCODING", "n"}, "$3\r\nint\r\n"},
		{[]string{"DECRBY", "n", "1000"}, ":-888\r\n"},
		{[]string{"DECR", "nokey"}, ":-1\r\n"},
		{[]string{"INCRBY", "nokey2", "-5"}, ":-5\r\n"},
	}},
	{"incrbyfloat", []step{
		{[]string{"INCRBYFLOAT", "f", "10.5"}, "$4\r\n10.5\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0.1"}, "$4\r\n10.6\r\n"},
		{[]string{"INCRBYFLOAT", "f", "-5.0e3"}, "$23\r\n-4989.39999999999999991\r\n"},
		{[]string{"INCRBYFLOAT", "g", "5.0e3"}, "$4\r\n5000\r\n"},
		{[]string{"INCRBYFLOAT", "h", "0.1"}, "$3\r\n0.1\r\n"},
		{[]string{"INCRBYFLOAT", "h", "0.2"}, "$3\r\n0.3\r\n"},
		{[]string{"INCRBYFLOAT", "i", "3.0000000000000001"}, "$18\r\n3.0000000000000001\r\n"},
		{[]string{"INCRBYFLOAT", "j", "1e20"}, "$21\r\n100000000000000000000\r\n"},
		{[]string{"INCRBYFLOAT", "j", "1"}, "$21\r\n100000000000000000000\r\n"},
		{[]string{"INCRBYFLOAT", "k", "1e400"}, "$401\r\n10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880\r\n"},
		{[]string{"INCRBYFLOAT", "l", "1.5e-10"}, "$13\r\n0.00000000015\r\n"},
		{[]string{"INCRBYFLOAT", "m", "1e-20"}, "$1\r\n0\r\n"},
		{[]string{"INCRBYFLOAT", "n", "-0"}, "$1\r\n0\r\n"},
		{[]string{"INCRBYFLOAT", "n", "-0.0"}, "$1\r\n0\r\n"},
		{[]string{"INCRBYFLOAT", "s", "1.23456789012345678901234567890"}, "$19\r\n1.23456789012345679\r\n"},
		{[]string{"INCRBYFLOAT", "t", "123456789012345678901234567890"}, "$30\r\n123456789012345678899921813504\r\n"},
		{[]string{"INCRBYFLOAT", "u", "-1.1"}, "$4\r\n-1.1\r\n"},
		{[]string{"INCRBYFLOAT", "v", "0.00000000000000001"}, "$19\r\n0.00000000000000001\r\n"},
		{[]string{"INCRBYFLOAT", "w", "0.000000000000000001"}, "$1\r\n0\r\n"},
		{[]string{"INCRBYFLOAT", "x", "0.000003814697265625"}, "$19\r\n0.00000381469726562\r\n"},
		{[]string{"INCRBYFLOAT", "x2", "0.000003814697265635"}, "$19\r\n0.00000381469726563\r\n"},
		{[]string{"INCRBYFLOAT", "y", "0.6e-17"}, "$19\r\n0.00000000000000001\r\n"},
		{[]string{"INCRBYFLOAT", "y2", "-0.6e-17"}, "$20\r\n-0.00000000000000001\r\n"},
		{[]string{"INCRBYFLOAT", "y3", "0.5e-17"}, "$1\r\n0\r\n"},
		{[]string{"INCRBYFLOAT", "z", "-0.1"}, "$4\r\n-0.1\r\n"},
		{[]string{"INCRBYFLOAT", "z", "0.1"}, "$1\r\n0\r\n"},
		{[]string{"INCRBYFLOAT", "p", "1"}, "$1\r\n1\r\n"},
		{[]string{"SETEX", "r", "100", "10"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "r", "1"}, "$2\r\n11\r\n"},
		{[]string{"TTL", "r"}, ":100\r\n"},
		{[]string{"SET", "q", "1.5"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "q", "1"}, "$3\r\n2.5\r\n"},
		{[]string{"SET", "q", "0x10"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "q", "1"}, "$2\r\n17\r\n"},
		{[]string{"INCRBYFLOAT", "q", "1e5000"}, "-ERR value is not a valid float\r\n"},
	}},
	{"incrbyfloat syntax", []step{
		{[]string{"INCRBYFLOAT", "o", "inf"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"INCRBYFLOAT", "o", "+inf"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"INCRBYFLOAT", "o", "INFINITY"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"INCRBYFLOAT", "o", "-inf"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"INCRBYFLOAT", "o", "nan"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "-nan"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "abc"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", ""}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", " 1"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1 "}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "\t1"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1\x00"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1e"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1e+"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "."}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "-."}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "+"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "e5"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1.5e3.2"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1_000"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1,5"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "0x"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "0x."}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "0x1p"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "0xg"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1e5000"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1e-5000"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1.8e-4951"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1.18973149535723176509e+4932"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "0x1p16384"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1e-99999999999999999999"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "o", "0x10"}, "$2\r\n16\r\n"},
		{[]string{"INCRBYFLOAT", "o", "0X1P-2"}, "$5\r\n16.25\r\n"},
		{[]string{"INCRBYFLOAT", "o", "0x1.8"}, "$5\r\n17.75\r\n"},
		{[]string{"INCRBYFLOAT", "o", "0x.8"}, "$5\r\n18.25\r\n"},
		{[]string{"INCRBYFLOAT", "o", ".5"}, "$5\r\n18.75\r\n"},
		{[]string{"INCRBYFLOAT", "o", "5."}, "$5\r\n23.75\r\n"},
		{[]string{"INCRBYFLOAT", "o", "+3"}, "$5\r\n26.75\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1e+5"}, "$9\r\n100026.75\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1E-5"}, "$24\r\n100026.75001000000000317\r\n"},
		{[]string{"INCRBYFLOAT", "o", "00001.5"}, "$24\r\n100028.25001000000000317\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1.5e0003"}, "$24\r\n101528.25001000000000317\r\n"},
		{[]string{"INCRBYFLOAT", "o", "0e99999999999999999999"}, "$24\r\n101528.25001000000000317\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1e-4950"}, "$24\r\n101528.25001000000000317\r\n"},
		{[]string{"INCRBYFLOAT", "o", "1.9e-4951"}, "$24\r\n101528.25001000000000317\r\n"},
		{[]string{"SET", "s", "inf"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "s", "1"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"SET", "s", " 1.5"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "s", "1"}, "-ERR value is not a valid float\r\n"},
		{[]string{"SET", "s", ""}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "s", "1"}, "-ERR value is not a valid float\r\n"},
	}},
	{"lcs", []step{
		{[]string{"SET", "a", "ohmytext"}, "+OK\r\n"},
		{[]string{"SET", "b", "mynewtext"}, "+OK\r\n"},
		{[]string{"LCS", "a", "b"}, "$6\r\nmytext\r\n"},
		{[]string{"LCS", "a", "b", "LEN"}, ":6\r\n"},
		{[]string{"LCS", "a", "b", "IDX"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "MINMATCHLEN", "4"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "idx", "minmatchlen", "-5"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "LEN", "MINMATCHLEN", "3"}, ":6\r\n"},
		{[]string{"LCS", "a", "b", "WITHMATCHLEN"}, "$6\r\nmytext\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "LEN"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n"},
		{[]string{"LCS", "a", "b", "LEN", "IDX"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n"},
		{[]string{"LCS", "a", "b", "FOO"}, "-ERR syntax error\r\n"},
		{[]string{"LCS", "a", "b", "MINMATCHLEN"}, "-ERR syntax error\r\n"},
		{[]string{"LCS", "a", "b", "MINMATCHLEN", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"LCS", "a", "nokey"}, "$0\r\n\r\n"},
		{[]string{"LCS", "a", "nokey", "IDX"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"},
		{[]string{"LCS", "nokey", "nokey2", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"},
		{[]string{"LCS", "nokey", "nokey2", "LEN"}, ":0\r\n"},
		{[]string{"SET", "x", "ABCBDAB"}, "+OK\r\n"},
		{[]string{"SET", "y", "BDCABA"}, "+OK\r\n"},
		{[]string{"LCS", "x", "y", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:5\r\n:6\r\n*2\r\n:3\r\n:4\r\n:2\r\n*3\r\n*2\r\n:3\r\n:4\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:4\r\n"},
		{[]string{"LCS", "x", "y"}, "$4\r\nBDAB\r\n"},
		{[]string{"LCS", "x", "x", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:0\r\n:6\r\n*2\r\n:0\r\n:6\r\n:7\r\n$3\r\nlen\r\n:7\r\n"},
		{[]string{"LCS", "y", "x"}, "$4\r\nBCBA\r\n"},
	}},
	{"wrong type", []step{
		{[]string{"LPUSH", "l", "x"}, ":1\r\n"},
		{[]string{"GET", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SET", "l", "v", "GET"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SET", "l", "v", "NX", "GET"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETSET", "l", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETDEL", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETEX", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETEX", "l", "EX", "abc"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETEX", "l", "FOO"}, "-ERR syntax error\r\n"},
		{[]string{"MGET", "l"}, "*1\r\n$-1\r\n"},
		{[]string{"APPEND", "l", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"STRLEN", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETRANGE", "l", "0", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETRANGE", "l", "a", "1"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SETRANGE", "l", "0", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SETRANGE", "l", "0", ""}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SETRANGE", "l", "-1", "x"}, "-ERR offset is out of range\r\n"},
		{[]string{"INCR", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"INCRBY", "l", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"DECRBY", "l", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"INCRBYFLOAT", "l", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"INCRBYFLOAT", "l", "abc"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"LCS", "l", "nokey"}, "-ERR The specified keys must contain string values\r\n"},
		{[]string{"LCS", "nokey", "l", "FOO"}, "-ERR The specified keys must contain string values\r\n"},
		{[]string{"SETNX", "l", "v"}, ":0\r\n"},
		{[]string{"SET", "l", "v", "XX"}, "+OK\r\n"},
		{[]string{"GET", "l"}, "$1\r\nv\r\n"},
	}},
	{"arity", []step{
		{[]string{"GET"}, "-ERR wrong number of arguments for 'get' command\r\n"},
		{[]string{"GET", "a", "b"}, "-ERR wrong number of arguments for 'get' command\r\n"},
		{[]string{"SET", "a"}, "-ERR wrong number of arguments for 'set' command\r\n"},
		{[]string{"SETNX", "a"}, "-ERR wrong number of arguments for 'setnx' command\r\n"},
		{[]string{"SETEX", "a", "1"}, "-ERR wrong number of arguments for 'setex' command\r\n"},
		{[]string{"PSETEX", "a", "1"}, "-ERR wrong number of arguments for 'psetex' command\r\n"},
		{[]string{"GETSET", "a"}, "-ERR wrong number of arguments for 'getset' command\r\n"},
		{[]string{"GETDEL"}, "-ERR wrong number of arguments for 'getdel' command\r\n"},
		{[]string{"GETDEL", "a", "b"}, "-ERR wrong number of arguments for 'getdel' command\r\n"},
		{[]string{"GETEX"}, "-ERR wrong number of arguments for 'getex' command\r\n"},
		{[]string{"MGET"}, "-ERR wrong number of arguments for 'mget' command\r\n"},
		{[]string{"MSET"}, "-ERR wrong number of arguments for 'mset' command\r\n"},
		{[]string{"MSETNX"}, "-ERR wrong number of arguments for 'msetnx' command\r\n"},
		{[]string{"APPEND", "a"}, "-ERR wrong number of arguments for 'append' command\r\n"},
		{[]string{"STRLEN"}, "-ERR wrong number of arguments for 'strlen' command\r\n"},
		{[]string{"GETRANGE", "a", "0"}, "-ERR wrong number of arguments for 'getrange' command\r\n"},
		{[]string{"SUBSTR", "a", "0"}, "-ERR wrong number of arguments for 'substr' command\r\n"},
		{[]string{"SETRANGE", "a", "0"}, "-ERR wrong number of arguments for 'setrange' command\r\n"},
		{[]string{"INCR"}, "-ERR wrong number of arguments for 'incr' command\r\n"},
		{[]string{"DECR", "a", "b"}, "-ERR wrong number of arguments for 'decr' command\r\n"},
		{[]string{"INCRBY", "a"}, "-ERR wrong number of arguments for 'incrby' command\r\n"},
		{[]string{"DECRBY", "a"}, "-ERR wrong number of arguments for 'decrby' command\r\n"},
		{[]string{"INCRBYFLOAT", "a"}, "-ERR wrong number of arguments for 'incrbyfloat' command\r\n"},
		{[]string{"LCS", "a"}, "-ERR wrong number of arguments for 'lcs' command\r\n"},
	}},
}

// TestStringExpiry moves a test clock to check that the TTLs string
// commands set, keep or drop behave as in Redis.
func TestStringExpiry(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "px", "v", "PX", "100")
	c.expect("+OK\r\n", "SETEX", "ex", "1", "v")
	c.expect("+OK\r\n", "PSETEX", "psetex", "100", "v")
	c.expect("+OK\r\n", "SET", "keep", "v", "PX", "100")
	c.expect("+OK\r\n", "SET", "keep", "v2", "KEEPTTL")
	c.expect("+OK\r\n", "SET", "drop", "v", "PX", "100")
	c.expect("+OK\r\n", "SET", "drop", "v2")
	c.expect("+OK\r\n", "SET", "getset", "v", "PX", "100")
	c.expect("$1\r\nv\r\n", "GETSET", "getset", "v2")
	c.expect("+OK\r\n", "SET", "incr", "1", "PX", "100")
	c.expect(":2\r\n", "INCR", "incr")
	c.expect("+OK\r\n", "SET", "float", "1", "PX", "100")
	c.expect("$3\r\n1.5\r\n", "INCRBYFLOAT", "float", "0.5")
	c.expect("+OK\r\n", "SET", "append", "a", "PX", "100")
	c.expect(":2\r\n", "APPEND", "append", "b")
	c.expect("+OK\r\n", "SET", "setrange", "a", "PX", "100")
	c.expect(":2\r\n", "SETRANGE", "setrange", "1", "b")
	c.expect("+OK\r\n", "SET", "getex", "v")
	c.expect("$1\r\nv\r\n", "GETEX", "getex", "PX", "100")
	c.expect("+OK\r\n", "SET", "persist", "v", "PX", "100")
	c.expect("$1\r\nv\r\n", "GETEX", "persist", "PERSIST")
	c.expect("+OK\r\n", "SET", "pxat", "v", "PXAT", strconv.FormatInt(clk.Now()+100, 10))

	clk.Advance(99 * time.Millisecond)
	c.expect("*4\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n", "MGET", "px", "ex", "psetex", "pxat")
	c.expect(":1\r\n", "PTTL", "keep")

	clk.Advance(2 * time.Millisecond)
	for _, key := range []string{"px", "psetex", "keep", "incr", "float", "append", "setrange", "getex", "pxat"} {
		c.expect("$-1\r\n", "GET", key)
	}
	c.expect("$2\r\nv2\r\n", "GET", "drop")
	c.expect("$2\r\nv2\r\n", "GET", "getset")
	c.expect("$1\r\nv\r\n", "GET", "persist")
	c.expect("$1\r\nv\r\n", "GET", "ex")

	clk.Advance(time.Second)
	c.expect("$-1\r\n", "GET", "ex")
	// SETNX and MSETNX see an expired key as absent.
	c.expect(":1\r\n", "SETNX", "px", "new")
	c.expect(":1\r\n", "MSETNX", "psetex", "1", "keep", "2")
}

// TestStringProtoMaxBulkLen checks that APPEND and SETRANGE refuse to build
// a string beyond proto-max-bulk-len, with Redis's replies when it is 1mb.
func TestStringProtoMaxBulkLen(t *testing.T) {
	s := startServer(t, Config{ProtoMaxBulkLen: 1 << 20})
	runSteps(t, s, dial(t, s), []step{
		{[]string{"SETRANGE", "k", "1048575", "x"}, ":1048576\r\n"},
		{[]string{"STRLEN", "k"}, ":1048576\r\n"},
		{[]string{"SETRANGE", "k", "1048576", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"},
		{[]string{"APPEND", "k", "y"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"},
		{[]string{"SETRANGE", "k2", "1048576", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"},
		{[]string{"EXISTS", "k2"}, ":0\r\n"},
		{[]string{"SET", "s", "abc"}, "+OK\r\n"},
		{[]string{"SETRANGE", "s", "1048574", "xyz"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"},
		{[]string{"SETRANGE", "s", "1048573", "xyz"}, ":1048576\r\n"},
	})
}

// TestIncrbyfloatLongDoubleRange checks INCRBYFLOAT at the edges of the
// long double range against Redis's replies in
// testdata/incrbyfloat_huge.txt (lines of: key increment reply).
func TestIncrbyfloatLongDoubleRange(t *testing.T) {
	f, err := os.Open("testdata/incrbyfloat_huge.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := startServer(t, Config{})
	c := dial(t, s)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		key, rest, _ := strings.Cut(sc.Text(), " ")
		incr, reply, _ := strings.Cut(rest, " ")
		want := "$" + strconv.Itoa(len(reply)) + "\r\n" + reply + "\r\n"
		if strings.HasPrefix(reply, "-ERR") {
			want = reply + "\r\n"
		}
		c.expect(want, "INCRBYFLOAT", key, incr)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestStringKeyspaceStats checks which string commands count keyspace hits
// and misses, and how many, as Redis 7.0.15's INFO showed them.
func TestStringKeyspaceStats(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "s", "v")
	c.expect("+OK\r\n", "SET", "a", "1")
	putNonString(t, s, c, "l")
	stats := s.store.Stats()
	for _, tc := range []struct {
		args         []string
		hits, misses int64
	}{
		{[]string{"GET", "s"}, 1, 0},
		{[]string{"GET", "nokey"}, 0, 1},
		{[]string{"GET", "l"}, 1, 0},
		{[]string{"SET", "s", "v"}, 0, 0},
		{[]string{"SET", "s", "v", "GET"}, 1, 0},
		{[]string{"SET", "n", "v", "GET"}, 0, 1},
		{[]string{"SET", "n", "v", "NX"}, 0, 0},
		{[]string{"SET", "s", "v", "XX", "GET"}, 1, 0},
		{[]string{"SETNX", "s", "v"}, 0, 0},
		{[]string{"GETSET", "s", "v"}, 1, 0},
		{[]string{"GETSET", "n2", "v"}, 0, 1},
		{[]string{"GETDEL", "n2"}, 1, 0},
		{[]string{"GETDEL", "nokey"}, 0, 1},
		{[]string{"GETEX", "s"}, 1, 0},
		{[]string{"GETEX", "nokey"}, 0, 1},
		{[]string{"GETEX", "s", "EX", "10"}, 1, 0},
		{[]string{"MGET", "s", "nokey", "l"}, 2, 1},
		{[]string{"MSET", "a", "1", "b", "2"}, 0, 0},
		{[]string{"MSETNX", "a", "1", "c", "2"}, 0, 0},
		{[]string{"APPEND", "s", "x"}, 0, 0},
		{[]string{"STRLEN", "s"}, 1, 0},
		{[]string{"STRLEN", "nokey"}, 0, 1},
		{[]string{"GETRANGE", "s", "0", "1"}, 1, 0},
		{[]string{"GETRANGE", "nokey", "0", "1"}, 0, 1},
		{[]string{"GETRANGE", "s", "a", "1"}, 0, 0},
		{[]string{"SETRANGE", "s", "0", "x"}, 0, 0},
		{[]string{"INCR", "cnt"}, 0, 0},
		{[]string{"INCRBY", "cnt", "5"}, 0, 0},
		{[]string{"INCRBYFLOAT", "cnt", "1.5"}, 0, 0},
		{[]string{"DECR", "cnt2"}, 0, 0},
		{[]string{"LCS", "s", "a"}, 2, 0},
		{[]string{"LCS", "s", "nokey"}, 1, 1},
		{[]string{"LCS", "l", "s"}, 2, 0},
	} {
		h, m := stats.Hits.Load(), stats.Misses.Load()
		c.do(tc.args...)
		if dh, dm := stats.Hits.Load()-h, stats.Misses.Load()-m; dh != tc.hits || dm != tc.misses {
			t.Errorf("%v: hits +%d misses +%d, want +%d +%d", tc.args, dh, dm, tc.hits, tc.misses)
		}
	}
}

// resp3Do runs one command for a RESP3 client and returns the raw reply.
// It drives the dispatcher directly, so it needs no HELLO.
func resp3Do(s *Server, args ...string) string {
	c := &client{srv: s}
	c.out.SetRESP3(true)
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	if cmd := c.lookup(b); cmd != nil {
		c.call(cmd, b, true)
	}
	return string(c.out.Bytes())
}

// TestStringRESP3 checks the replies that differ in RESP3 (nulls and the
// LCS IDX map), as Redis 7.0.15 gave them after HELLO 3.
func TestStringRESP3(t *testing.T) {
	s := startServer(t, Config{})
	for _, st := range []step{
		{[]string{"GET", "nokey"}, "_\r\n"},
		{[]string{"SET", "k", "v"}, "+OK\r\n"},
		{[]string{"SET", "k", "v", "NX"}, "_\r\n"},
		{[]string{"SET", "n", "v", "GET"}, "_\r\n"},
		{[]string{"MGET", "k", "nokey"}, "*2\r\n$1\r\nv\r\n_\r\n"},
		{[]string{"GETEX", "nokey"}, "_\r\n"},
		{[]string{"GETDEL", "nokey"}, "_\r\n"},
		{[]string{"GETSET", "nokey2", "v"}, "_\r\n"},
		{[]string{"SET", "a", "ohmytext"}, "+OK\r\n"},
		{[]string{"SET", "b", "mynewtext"}, "+OK\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "WITHMATCHLEN"}, "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1.5"}, "$3\r\n1.5\r\n"},
		{[]string{"GETRANGE", "nokey", "0", "1"}, "$0\r\n\r\n"},
		{[]string{"SETNX", "k", "v"}, ":0\r\n"},
	} {
		if got := resp3Do(s, st.args...); got != st.want {
			t.Errorf("%v: got %q, want %q", st.args, got, st.want)
		}
	}
}

// TestStringConcurrent runs writers on several connections at once: INCR
// must lose no update, and MGET must never see half of an MSET whose keys
// fall in different shards.
func TestStringConcurrent(t *testing.T) {
	s := startServer(t, Config{})
	const clients, rounds = 4, 200
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		c := dial(t, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := strconv.Itoa(i)
			for j := 0; j < rounds; j++ {
				if got := c.do("INCR", "counter"); !strings.HasPrefix(got, ":") {
					t.Errorf("INCR: %q", got)
					return
				}
				if got := c.do("MSET", "pair:a", v, "pair:b", v, "pair:c", v); got != "+OK\r\n" {
					t.Errorf("MSET: %q", got)
					return
				}
				got := c.do("MGET", "pair:a", "pair:b", "pair:c")
				if parts := strings.Split(got, "\r\n"); len(parts) < 7 || parts[2] != parts[4] || parts[4] != parts[6] {
					t.Errorf("MGET saw a torn MSET: %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
	dial(t, s).expect(":"+strconv.Itoa(clients*rounds)+"\r\n", "INCRBY", "counter", "0")
}

// TestStringGoRedis uses the string commands through go-redis v9, as an
// application would.
func TestStringGoRedis(t *testing.T) {
	s := startServer(t, Config{})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()

	if err := rdb.Set(ctx, "greeting", "hello", time.Minute).Err(); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if v, err := rdb.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if _, err := rdb.Get(ctx, "missing").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("Get(missing) error = %v, want redis.Nil", err)
	}
	if ok, err := rdb.SetNX(ctx, "greeting", "other", 0).Result(); err != nil || ok {
		t.Fatalf("SetNX = %v, %v", ok, err)
	}
	if old, err := rdb.SetArgs(ctx, "greeting", "hi", redis.SetArgs{KeepTTL: true, Get: true}).Result(); err != nil || old != "hello" {
		t.Fatalf("SetArgs = %q, %v", old, err)
	}
	if ttl, err := rdb.TTL(ctx, "greeting").Result(); err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL after KEEPTTL = %v, %v", ttl, err)
	}
	if n, err := rdb.IncrBy(ctx, "hits", 41).Result(); err != nil || n != 41 {
		t.Fatalf("IncrBy = %d, %v", n, err)
	}
	if n, err := rdb.Incr(ctx, "hits").Result(); err != nil || n != 42 {
		t.Fatalf("Incr = %d, %v", n, err)
	}
	if f, err := rdb.IncrByFloat(ctx, "price", 10.5).Result(); err != nil || f != 10.5 {
		t.Fatalf("IncrByFloat = %v, %v", f, err)
	}
	if err := rdb.MSet(ctx, "a", "1", "b", "2").Err(); err != nil {
		t.Fatalf("MSet: %v", err)
	}
	if vs, err := rdb.MGet(ctx, "a", "missing", "b").Result(); err != nil || len(vs) != 3 || vs[0] != "1" || vs[1] != nil || vs[2] != "2" {
		t.Fatalf("MGet = %v, %v", vs, err)
	}
	if n, err := rdb.Append(ctx, "a", "23").Result(); err != nil || n != 3 {
		t.Fatalf("Append = %d, %v", n, err)
	}
	if v, err := rdb.GetRange(ctx, "a", 1, -1).Result(); err != nil || v != "23" {
		t.Fatalf("GetRange = %q, %v", v, err)
	}
	if v, err := rdb.GetEx(ctx, "a", time.Hour).Result(); err != nil || v != "123" {
		t.Fatalf("GetEx = %q, %v", v, err)
	}
	if v, err := rdb.GetDel(ctx, "a").Result(); err != nil || v != "123" {
		t.Fatalf("GetDel = %q, %v", v, err)
	}
	if err := rdb.Incr(ctx, "greeting").Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Fatalf("Incr on text: %v", err)
	}
	rdb.Set(ctx, "x", "ohmytext", 0)
	rdb.Set(ctx, "y", "mynewtext", 0)
	if v, err := rdb.LCS(ctx, &redis.LCSQuery{Key1: "x", Key2: "y"}).Result(); err != nil || v.MatchString != "mytext" {
		t.Fatalf("LCS = %+v, %v", v, err)
	}
}

// TestLCSTableLimit checks that LCS refuses strings whose table would pass
// maxLCSCells, with Redis's reply to a failed allocation, instead of
// allocating it.
func TestLCSTableLimit(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	n := int(math.Sqrt(maxLCSCells)) + 1
	c.expect("+OK\r\n", "SET", "a", strings.Repeat("a", n))
	c.expect("+OK\r\n", "SET", "b", strings.Repeat("b", n))
	c.expect("-ERR Insufficient memory, failed allocating transient memory for LCS\r\n", "LCS", "a", "b")
	c.expect(":0\r\n", "LCS", "a", "nokey", "LEN")
}

// FuzzParseLongDouble checks that parseLongDouble never panics, agrees with
// strconv.ParseFloat on plain decimal text within float64's range, and
// reads back whatever formatLongDouble writes.
func FuzzParseLongDouble(f *testing.F) {
	for _, s := range []string{
		"1.5", "-0", "0x1p3", "0x1.8", "1e400", "inf", "-Infinity", "nan", ".5", "5.", "+3", "1e", "0x", " 1",
		"3.0000000000000001", "1.18973149535723176502e+4932", "1.8e-4951", "0e99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, ok := parseLongDouble([]byte(s))
		if strings.Trim(s, "0123456789.eE+-") == "" {
			g, err := strconv.ParseFloat(s, 64)
			inRange := err == nil && math.Abs(g) > 1e-300 && math.Abs(g) < 1e300
			if inRange && !ok {
				t.Fatalf("parseLongDouble(%q) refused what ParseFloat reads as %v", s, g)
			}
			if inRange {
				if got, _ := x.Float64(); math.Abs(got-g) > 1e-15*math.Abs(g) {
					t.Fatalf("parseLongDouble(%q) = %v, ParseFloat %v", s, got, g)
				}
			}
			if err != nil && !errors.Is(err, strconv.ErrRange) && ok {
				t.Fatalf("parseLongDouble(%q) accepted what ParseFloat refuses: %v", s, err)
			}
		}
		if ok && !x.IsInf() {
			out := formatLongDouble(x)
			if _, ok := parseLongDouble(out); !ok {
				t.Fatalf("formatLongDouble(parseLongDouble(%q)) = %q does not read back", s, out)
			}
		}
	})
}

// TestStringKeyspaceEvents checks the keyspace events string commands
// publish, and their order, against what a PSUBSCRIBE to
// __keyevent@0__:* received from Redis 7.0.15 for the same commands.
func TestStringKeyspaceEvents(t *testing.T) {
	s := startServer(t, Config{NotifyKeyspaceEvents: "KEA", Clock: newTestClock().Now})
	sub, c := dial(t, s), dial(t, s)
	sub.expect("*3\r\n$10\r\npsubscribe\r\n$16\r\n__keyevent@0__:*\r\n:1\r\n", "PSUBSCRIBE", "__keyevent@0__:*")
	for _, args := range [][]string{
		{"SET", "a", "1"}, {"SET", "a", "2", "EX", "100"}, {"SET", "a", "3", "KEEPTTL"}, {"SET", "a", "4", "NX"},
		{"SET", "a", "5", "XX", "GET"}, {"SETNX", "b", "1"}, {"SETNX", "b", "1"}, {"SETEX", "c", "10", "v"},
		{"PSETEX", "d", "1000", "v"}, {"GETSET", "c", "v2"}, {"GETDEL", "c"}, {"GETDEL", "c"},
		{"GETEX", "d", "EX", "10"}, {"GETEX", "d", "PERSIST"}, {"GETEX", "d", "PERSIST"}, {"GETEX", "d", "PXAT", "1"},
		{"MSET", "e", "1", "f", "2"}, {"MSETNX", "g", "1", "h", "2"}, {"MSETNX", "g", "1", "i", "2"},
		{"APPEND", "e", "x"}, {"SETRANGE", "e", "0", ""}, {"SETRANGE", "e", "0", "y"}, {"SETRANGE", "zz", "0", ""},
		{"INCR", "n"}, {"DECRBY", "n", "5"}, {"INCRBYFLOAT", "n", "1.5"}, {"GET", "nokey"}, {"GETEX", "a"},
		{"SET", "end", "x"},
	} {
		c.do(args...)
	}
	for _, ev := range [][2]string{
		{"set", "a"}, {"set", "a"}, {"expire", "a"}, {"set", "a"}, {"set", "a"}, {"set", "b"},
		{"set", "c"}, {"expire", "c"}, {"set", "d"}, {"expire", "d"}, {"set", "c"}, {"del", "c"},
		{"expire", "d"}, {"persist", "d"}, {"del", "d"}, {"set", "e"}, {"set", "f"}, {"set", "g"}, {"set", "h"},
		{"append", "e"}, {"setrange", "e"}, {"incrby", "n"}, {"incrby", "n"}, {"incrbyfloat", "n"},
		{"set", "end"},
	} {
		ch := "__keyevent@0__:" + ev[0]
		want := "*4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$" + strconv.Itoa(len(ch)) + "\r\n" + ch + "\r\n$" +
			strconv.Itoa(len(ev[1])) + "\r\n" + ev[1] + "\r\n"
		if got := sub.read(); got != want {
			t.Fatalf("event %v: got %q, want %q", ev, got, want)
		}
	}
}
