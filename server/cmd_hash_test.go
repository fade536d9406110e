package server

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// objectStep is one command and the raw reply Redis 7.0.15 gave to it.
// When args starts with "~" (not sent) the reply is an aggregate compared
// after sorting its elements: it lists a hashtable, whose order is Redis's
// hash order and Strata's insertion order.
type objectStep struct {
	args []string
	want string
}

// objectCase is a named sequence of steps run on an empty keyspace.
type objectCase struct {
	name  string
	steps []objectStep
}

// runObjectCases runs each case on a fresh server whose clock does not
// move, so TTL replies are exact.
func runObjectCases(t *testing.T, cases []objectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, Config{Clock: newTestClock().Now})
			c := dial(t, s)
			for _, st := range tc.steps {
				args, unordered := st.args, st.args[0] == "~"
				if unordered {
					args = args[1:]
				}
				got, want := c.do(args...), st.want
				if unordered {
					got, want = sortedAggregate(t, got), sortedAggregate(t, want)
				}
				if got != want {
					t.Errorf("%.80q: got %q, want %q", st.args, got, want)
				}
			}
		})
	}
}

// sortedAggregate returns a raw aggregate reply with its elements sorted.
func sortedAggregate(t *testing.T, raw string) string {
	t.Helper()
	br := bufio.NewReader(strings.NewReader(raw))
	header, err := br.ReadString('\n')
	if err != nil || !strings.ContainsAny(header[:1], "*~") {
		t.Fatalf("not an aggregate: %q", raw)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(header[1:]))
	elems := make([]string, n)
	for i := range elems {
		var b strings.Builder
		if err := readReply(br, &b); err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		elems[i] = b.String()
	}
	slices.Sort(elems)
	return header + strings.Join(elems, "")
}

// bigArgs returns cmd key followed by 512 fields and values (HSET) or
// members (SADD): the most a listpack or an intset holds by default.
func bigArgs(cmd, key string) []string {
	args := []string{cmd, key}
	for i := 0; i < 512; i++ {
		if cmd == "HSET" {
			args = append(args, fmt.Sprintf("f%d", i), "v")
		} else {
			args = append(args, strconv.Itoa(i))
		}
	}
	return args
}

// TestHashCommands replays command sequences whose replies were recorded
// from redis-server 7.0.15, each after a FLUSHALL.
func TestHashCommands(t *testing.T) { runObjectCases(t, hashCases) }

var hashCases = []objectCase{
	{"hset hget hmget", []objectStep{
		{[]string{"HSET", "h", "f1", "v1", "f2", "v2"}, ":2\r\n"},
		{[]string{"HSET", "h", "f1", "x", "f3", "v3"}, ":1\r\n"},
		{[]string{"HGET", "h", "f1"}, "$1\r\nx\r\n"},
		{[]string{"HGET", "h", "nofield"}, "$-1\r\n"},
		{[]string{"HGET", "nokey", "f"}, "$-1\r\n"},
		{[]string{"HMGET", "h", "f1", "nofield", "f3"}, "*3\r\n$1\r\nx\r\n$-1\r\n$2\r\nv3\r\n"},
		{[]string{"HMGET", "nokey", "a", "b"}, "*2\r\n$-1\r\n$-1\r\n"},
		{[]string{"HMSET", "h", "f4", "v4"}, "+OK\r\n"},
		{[]string{"HLEN", "h"}, ":4\r\n"},
		{[]string{"HLEN", "nokey"}, ":0\r\n"},
		{[]string{"HSTRLEN", "h", "f3"}, ":2\r\n"},
		{[]string{"HSTRLEN", "h", "nofield"}, ":0\r\n"},
		{[]string{"HSTRLEN", "nokey", "f"}, ":0\r\n"},
		{[]string{"HEXISTS", "h", "f1"}, ":1\r\n"},
		{[]string{"HEXISTS", "h", "nofield"}, ":0\r\n"},
		{[]string{"HEXISTS", "nokey", "f"}, ":0\r\n"},
		{[]string{"HGETALL", "h"}, "*8\r\n$2\r\nf1\r\n$1\r\nx\r\n$2\r\nf2\r\n$2\r\nv2\r\n$2\r\nf3\r\n$2\r\nv3\r\n$2\r\nf4\r\n$2\r\nv4\r\n"},
		{[]string{"HKEYS", "h"}, "*4\r\n$2\r\nf1\r\n$2\r\nf2\r\n$2\r\nf3\r\n$2\r\nf4\r\n"},
		{[]string{"HVALS", "h"}, "*4\r\n$1\r\nx\r\n$2\r\nv2\r\n$2\r\nv3\r\n$2\r\nv4\r\n"},
		{[]string{"HGETALL", "nokey"}, "*0\r\n"},
		{[]string{"HKEYS", "nokey"}, "*0\r\n"},
		{[]string{"HVALS", "nokey"}, "*0\r\n"},
		{[]string{"TYPE", "h"}, "+hash\r\n"},
		{[]string{"HSET", "h", "", ""}, ":1\r\n"},
		{[]string{"HGET", "h", ""}, "$0\r\n\r\n"},
		{[]string{"HSET", "bin", "a\x00\r\nb", "\xff\x00"}, ":1\r\n"},
		{[]string{"HGETALL", "bin"}, "*2\r\n$5\r\na\x00\r\nb\r\n$2\r\n\xff\x00\r\n"},
	}},
	{"hash arity", []objectStep{
		{[]string{"HSET", "h", "a"}, "-ERR wrong number of arguments for 'hset' command\r\n"},
		{[]string{"HSET", "h", "a", "b", "c"}, "-ERR wrong number of arguments for 'hset' command\r\n"},
		{[]string{"HMSET", "h", "a", "b", "c"}, "-ERR wrong number of arguments for 'hmset' command\r\n"},
		{[]string{"HMSET", "h", "a"}, "-ERR wrong number of arguments for 'hmset' command\r\n"},
		{[]string{"HGET", "h"}, "-ERR wrong number of arguments for 'hget' command\r\n"},
		{[]string{"HSETNX", "h", "a"}, "-ERR wrong number of arguments for 'hsetnx' command\r\n"},
		{[]string{"HDEL", "h"}, "-ERR wrong number of arguments for 'hdel' command\r\n"},
		{[]string{"HMGET", "h"}, "-ERR wrong number of arguments for 'hmget' command\r\n"},
		{[]string{"HLEN", "h", "x"}, "-ERR wrong number of arguments for 'hlen' command\r\n"},
		{[]string{"HINCRBY", "h", "f"}, "-ERR wrong number of arguments for 'hincrby' command\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "1", "2"}, "-ERR wrong number of arguments for 'hincrbyfloat' command\r\n"},
		{[]string{"HRANDFIELD"}, "-ERR wrong number of arguments for 'hrandfield' command\r\n"},
		{[]string{"HSCAN", "h"}, "-ERR wrong number of arguments for 'hscan' command\r\n"},
		{[]string{"EXISTS", "h"}, ":0\r\n"},
	}},
	{"insertion order and update in place", []objectStep{
		{[]string{"HSET", "h", "c", "1", "a", "2", "b", "3"}, ":3\r\n"},
		{[]string{"HSET", "h", "a", "9"}, ":0\r\n"},
		{[]string{"HDEL", "h", "c"}, ":1\r\n"},
		{[]string{"HSET", "h", "c", "4"}, ":1\r\n"},
		{[]string{"HGETALL", "h"}, "*6\r\n$1\r\na\r\n$1\r\n9\r\n$1\r\nb\r\n$1\r\n3\r\n$1\r\nc\r\n$1\r\n4\r\n"},
	}},
	{"hdel deletes the emptied key", []objectStep{
		{[]string{"HSET", "h", "a", "1", "b", "2"}, ":2\r\n"},
		{[]string{"HDEL", "h", "a", "zz", "a"}, ":1\r\n"},
		{[]string{"HDEL", "h", "zz"}, ":0\r\n"},
		{[]string{"HDEL", "h", "b", "c"}, ":1\r\n"},
		{[]string{"EXISTS", "h"}, ":0\r\n"},
		{[]string{"HDEL", "nokey", "a"}, ":0\r\n"},
		{[]string{"HSET", "h", "a", "1"}, ":1\r\n"},
		{[]string{"EXPIRE", "h", "100"}, ":1\r\n"},
		{[]string{"HSET", "h", "b", "2"}, ":1\r\n"},
		{[]string{"TTL", "h"}, ":100\r\n"},
	}},
	{"hsetnx", []objectStep{
		{[]string{"HSETNX", "h", "f", "v"}, ":1\r\n"},
		{[]string{"HSETNX", "h", "f", "w"}, ":0\r\n"},
		{[]string{"HGET", "h", "f"}, "$1\r\nv\r\n"},
		{[]string{"HSETNX", "h", "g", "w"}, ":1\r\n"},
		{[]string{"HGETALL", "h"}, "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n"},
	}},
	{"hincrby", []objectStep{
		{[]string{"HINCRBY", "h", "n", "5"}, ":5\r\n"},
		{[]string{"HINCRBY", "h", "n", "-7"}, ":-2\r\n"},
		{[]string{"HINCRBY", "h", "n", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HINCRBY", "h", "n", "1.5"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HINCRBY", "h", "n", "9223372036854775807"}, ":9223372036854775805\r\n"},
		{[]string{"HINCRBY", "h", "n", "9223372036854775808"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HSET", "h", "max", "9223372036854775807", "min", "-9223372036854775808", "s", "abc", "e", "empty", "sp", "x"}, ":5\r\n"},
		{[]string{"HSET", "h", "sp", " 1"}, ":0\r\n"},
		{[]string{"HINCRBY", "h", "max", "1"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"HINCRBY", "h", "min", "-1"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"HINCRBY", "h", "max", "0"}, ":9223372036854775807\r\n"},
		{[]string{"HINCRBY", "h", "s", "1"}, "-ERR hash value is not an integer\r\n"},
		{[]string{"HINCRBY", "h", "sp", "1"}, "-ERR hash value is not an integer\r\n"},
		{[]string{"HSET", "h", "lz", "01", "plus", "+1"}, ":2\r\n"},
		{[]string{"HINCRBY", "h", "lz", "1"}, "-ERR hash value is not an integer\r\n"},
		{[]string{"HINCRBY", "h", "plus", "1"}, "-ERR hash value is not an integer\r\n"},
		{[]string{"HINCRBY", "nokey", "n", "1"}, ":1\r\n"},
		{[]string{"HGETALL", "h"}, "*16\r\n$1\r\nn\r\n$19\r\n9223372036854775805\r\n$3\r\nmax\r\n$19\r\n9223372036854775807\r\n$3\r\nmin\r\n$20\r\n-9223372036854775808\r\n$1\r\ns\r\n$3\r\nabc\r\n$1\r\ne\r\n$5\r\nempty\r\n$2\r\nsp\r\n$2\r\n 1\r\n$2\r\nlz\r\n$2\r\n01\r\n$4\r\nplus\r\n$2\r\n+1\r\n"},
	}},
	{"hincrbyfloat", []objectStep{
		{[]string{"HINCRBYFLOAT", "h", "f", "10.5"}, "$4\r\n10.5\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "0.1"}, "$4\r\n10.6\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "-5"}, "$3\r\n5.6\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "1e3"}, "$22\r\n1005.59999999999999998\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "x"}, "-ERR value is not a valid float\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "inf"}, "-ERR value is NaN or Infinity\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "-inf"}, "-ERR value is NaN or Infinity\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "nan"}, "-ERR value is not a valid float\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "0x10"}, "$22\r\n1021.59999999999999998\r\n"},
		{[]string{"HSET", "h", "s", "abc", "big", "1.7e308", "i", "3"}, ":3\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "s", "1"}, "-ERR hash value is not a float\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "i", "0"}, "$1\r\n3\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "big", "1.7e308"}, "$309\r\n340000000000000000006273556050395193590540427779388267466087171526404912102411641988123739177800600673957047683771263425322806997836001586961457274820033393094901317200013624802610872515245814124760542925564488876540887382670905522638137419003805178364056052028734561012664811529831035124023358619554802565120\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "g", "1.5e1"}, "$2\r\n15\r\n"},
		{[]string{"HGET", "h", "i"}, "$1\r\n3\r\n"},
		{[]string{"~", "HKEYS", "h"}, "*5\r\n$3\r\nbig\r\n$1\r\ni\r\n$1\r\ns\r\n$1\r\ng\r\n$1\r\nf\r\n"},
	}},
	{"wrong type", []objectStep{
		{[]string{"SET", "s", "v"}, "+OK\r\n"},
		{[]string{"HSET", "s", "a", "b"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HMSET", "s", "a", "b"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HSETNX", "s", "a", "b"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HGET", "s", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HMGET", "s", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HGETALL", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HKEYS", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HVALS", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HDEL", "s", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HLEN", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HSTRLEN", "s", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HEXISTS", "s", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HINCRBY", "s", "a", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HINCRBYFLOAT", "s", "a", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HINCRBY", "s", "a", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HRANDFIELD", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HRANDFIELD", "s", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HRANDFIELD", "s", "1", "x"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "s", "0"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HSCAN", "s", "x"}, "-ERR invalid cursor\r\n"},
		{[]string{"HSET", "h", "a", "1"}, ":1\r\n"},
		{[]string{"GET", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SET", "h", "v", "GET"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"APPEND", "h", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"INCR", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"INCRBYFLOAT", "h", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"STRLEN", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETRANGE", "h", "0", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SETRANGE", "h", "0", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETDEL", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETEX", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETSET", "h", "v"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"MGET", "h", "s"}, "*2\r\n$-1\r\n$1\r\nv\r\n"},
		{[]string{"LCS", "h", "s"}, "-ERR The specified keys must contain string values\r\n"},
		{[]string{"SADD", "h", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SMEMBERS", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SET", "h", "v"}, "+OK\r\n"},
		{[]string{"GET", "h"}, "$1\r\nv\r\n"},
	}},
	{"hash encodings", []objectStep{
		{[]string{"HSET", "h", "a", "1"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$8\r\nlistpack\r\n"},
		{[]string{"HSET", "h", "b", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$8\r\nlistpack\r\n"},
		{[]string{"HSET", "h", "c", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$9\r\nhashtable\r\n"},
		{[]string{"HDEL", "h", "c"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$9\r\nhashtable\r\n"},
		{[]string{"HSET", "k", "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "1"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$9\r\nhashtable\r\n"},
		{[]string{"HINCRBY", "i", "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "1"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "i"}, "$9\r\nhashtable\r\n"},
		{bigArgs("HSET", "big"), ":512\r\n"},
		{[]string{"OBJECT", "ENCODING", "big"}, "$8\r\nlistpack\r\n"},
		{[]string{"HSET", "big", "one", "more"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "big"}, "$9\r\nhashtable\r\n"},
		{[]string{"COPY", "h", "h2"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h2"}, "$9\r\nhashtable\r\n"},
	}},
	{"hscan small hash", []objectStep{
		{[]string{"HSET", "h", "b", "1", "a", "2", "c", "3"}, ":3\r\n"},
		{[]string{"HSCAN", "h", "0"}, "*2\r\n$1\r\n0\r\n*6\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HSCAN", "h", "7", "COUNT", "1"}, "*2\r\n$1\r\n0\r\n*6\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HSCAN", "h", "0", "MATCH", "a*"}, "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n2\r\n"},
		{[]string{"HSCAN", "h", "0", "match", "[bc]", "count", "100"}, "*2\r\n$1\r\n0\r\n*4\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HSCAN", "h", "0", "MATCH", "*", "COUNT", "1"}, "*2\r\n$1\r\n0\r\n*6\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HSCAN", "h", "x"}, "-ERR invalid cursor\r\n"},
		{[]string{"HSCAN", "h", "-1"}, "*2\r\n$1\r\n0\r\n*6\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HSCAN", "h", "18446744073709551616"}, "-ERR invalid cursor\r\n"},
		{[]string{"HSCAN", "h", "0", "COUNT", "0"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "h", "0", "COUNT", "-1"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "h", "0", "COUNT", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HSCAN", "h", "0", "MATCH"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "h", "0", "TYPE", "hash"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "h", "0", "FOO", "bar"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "nokey", "0"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
		{[]string{"HSCAN", "nokey", "0", "FOO"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
		{[]string{"HSCAN", "nokey", "x"}, "-ERR invalid cursor\r\n"},
	}},
	{"hrandfield", []objectStep{
		{[]string{"HRANDFIELD", "nokey"}, "$-1\r\n"},
		{[]string{"HRANDFIELD", "nokey", "3"}, "*0\r\n"},
		{[]string{"HRANDFIELD", "nokey", "3", "WITHVALUES"}, "*0\r\n"},
		{[]string{"HSET", "h", "a", "1", "b", "2", "c", "3"}, ":3\r\n"},
		{[]string{"HRANDFIELD", "h", "3"}, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"},
		{[]string{"HRANDFIELD", "h", "10"}, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"},
		{[]string{"HRANDFIELD", "h", "4", "WITHVALUES"}, "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HRANDFIELD", "h", "0"}, "*0\r\n"},
		{[]string{"HRANDFIELD", "h", "0", "WITHVALUES"}, "*0\r\n"},
		{[]string{"HRANDFIELD", "h", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HRANDFIELD", "h", "1", "WITHVALUE"}, "-ERR syntax error\r\n"},
		{[]string{"HRANDFIELD", "h", "1", "WITHVALUES", "x"}, "-ERR syntax error\r\n"},
		{[]string{"HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"}, "-ERR value is out of range\r\n"},
		{[]string{"HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"}, "-ERR value is out of range\r\n"},
		{[]string{"HRANDFIELD", "nokey", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HSET", "one", "f", "v"}, ":1\r\n"},
		{[]string{"HRANDFIELD", "one"}, "$1\r\nf\r\n"},
		{[]string{"HRANDFIELD", "one", "-3"}, "*3\r\n$1\r\nf\r\n$1\r\nf\r\n$1\r\nf\r\n"},
		{[]string{"HRANDFIELD", "one", "-2", "WITHVALUES"}, "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n"},
		{[]string{"HRANDFIELD", "one", "1", "withvalues"}, "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"},
	}},
}

// TestHashRESP3 checks the RESP3 shapes Redis 7.0.15 replies with: a map
// for HGETALL, nulls in HMGET, pairs for HRANDFIELD WITHVALUES.
func TestHashRESP3(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.do("HELLO", "3")
	for _, st := range []objectStep{
		{[]string{"HSET", "h", "a", "1", "b", "2"}, ":2\r\n"},
		{[]string{"HGETALL", "h"}, "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{[]string{"HGETALL", "nokey"}, "%0\r\n"},
		{[]string{"HMGET", "h", "a", "zz"}, "*2\r\n$1\r\n1\r\n_\r\n"},
		{[]string{"HGET", "h", "zz"}, "_\r\n"},
		{[]string{"HRANDFIELD", "h", "2", "WITHVALUES"}, "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{[]string{"HRANDFIELD", "nokey", "2", "WITHVALUES"}, "*0\r\n"},
		{[]string{"HRANDFIELD", "nokey"}, "_\r\n"},
		{[]string{"HSCAN", "h", "0"}, "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{[]string{"HKEYS", "h"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{[]string{"HEXISTS", "h", "a"}, ":1\r\n"},
	} {
		c.expect(st.want, st.args...)
	}
	if got := c.do("HRANDFIELD", "h", "-3", "WITHVALUES"); !strings.HasPrefix(got, "*3\r\n*2\r\n$1\r\n") {
		t.Errorf("HRANDFIELD -3 WITHVALUES: %q", got)
	}
}

// TestHashRandomCounts checks HRANDFIELD's counts on a hashtable: distinct
// fields for a positive count (both of Redis's strategies), repetition for
// a negative one, and Strata's bound on the latter.
func TestHashRandomCounts(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	args := []string{"HSET", "h"}
	for i := 0; i < 600; i++ {
		args = append(args, fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i))
	}
	c.do(args...)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	for _, count := range []int{5, 300, 599} {
		kvs, err := rdb.HRandFieldWithValues(ctx, "h", count).Result()
		if err != nil || len(kvs) != count {
			t.Fatalf("HRANDFIELD %d WITHVALUES: %d pairs, %v", count, len(kvs), err)
		}
		seen := map[string]bool{}
		for _, kv := range kvs {
			if seen[kv.Key] || "v"+kv.Key[1:] != kv.Value {
				t.Errorf("count %d: %s=%s repeated or mismatched", count, kv.Key, kv.Value)
			}
			seen[kv.Key] = true
		}
	}
	if n := len(rdb.HRandField(ctx, "h", -1000).Val()); n != 1000 {
		t.Errorf("HRANDFIELD -1000: %d fields", n)
	}
	c.expect("-ERR value is out of range\r\n", "HRANDFIELD", "h", "-9223372036854775807")
}

// TestHashScanLarge walks a hashtable-encoded hash with HSCAN's cursor, raw
// and through go-redis's iterator, changing it between steps: the fields
// present throughout come back exactly once.
func TestHashScanLarge(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	args := []string{"HSET", "h"}
	for i := 0; i < 1000; i++ {
		args = append(args, fmt.Sprintf("f%d", i), "v")
	}
	c.expect(":1000\r\n", args...)
	c.expect("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "h")
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	seen := map[string]int{}
	cursor, steps := uint64(0), 0
	for {
		kvs, next, err := rdb.HScan(ctx, "h", cursor, "f*", 25).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(kvs); i += 2 {
			seen[kvs[i]]++
		}
		rdb.HDel(ctx, "h", fmt.Sprintf("f%d", 999-steps))
		rdb.HSet(ctx, "h", fmt.Sprintf("new%d", steps), "v")
		steps++
		if cursor = next; cursor == 0 || steps > 1000 {
			break
		}
	}
	if steps < 10 {
		t.Errorf("a 1000-field hash scanned in %d steps of COUNT 25", steps)
	}
	for i := 0; i < 500; i++ {
		if f := fmt.Sprintf("f%d", i); seen[f] != 1 {
			t.Fatalf("%s returned %d times", f, seen[f])
		}
	}
	for f := range seen {
		if strings.HasPrefix(f, "new") {
			t.Fatalf("MATCH f* returned %s", f)
		}
	}
	n := 0
	iter := rdb.HScan(ctx, "h", 0, "", 50).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil || n != 2*int(rdb.HLen(ctx, "h").Val()) {
		t.Errorf("iterator: %d fields and values, %v", n, err)
	}
}

// TestHashKeyspaceEvents checks the events hash commands publish, in
// order, against what Redis 7.0.15 published for the same commands.
func TestHashKeyspaceEvents(t *testing.T) {
	s := startServer(t, Config{NotifyKeyspaceEvents: "KEA"})
	sub, c := dial(t, s), dial(t, s)
	sub.do("PSUBSCRIBE", "__keyevent@0__:*")
	for _, args := range [][]string{
		{"HSET", "h", "a", "1"}, {"HSET", "h", "a", "1"}, {"HMSET", "h", "b", "2"}, {"HSETNX", "h", "a", "2"},
		{"HSETNX", "h", "c", "2"}, {"HINCRBY", "h", "n", "1"}, {"HINCRBYFLOAT", "h", "n", "1"}, {"HINCRBY", "h", "a", "x"},
		{"HDEL", "h", "zz"}, {"HDEL", "h", "a", "b"}, {"HDEL", "h", "c", "n"}, {"PUBLISH", "__keyevent@0__:end", "x"},
	} {
		c.do(args...)
	}
	expectEvents(t, sub, "__keyevent@0__:hset h", "__keyevent@0__:hset h", "__keyevent@0__:hset h",
		"__keyevent@0__:hset h", "__keyevent@0__:hincrby h", "__keyevent@0__:hincrbyfloat h",
		"__keyevent@0__:hdel h", "__keyevent@0__:hdel h", "__keyevent@0__:del h", "__keyevent@0__:end x")
}

// TestHashGoRedis uses the hash commands through go-redis's typed API, in
// RESP2 and RESP3, as applications do.
func TestHashGoRedis(t *testing.T) {
	s := startServer(t, Config{})
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto})
			t.Cleanup(func() { rdb.Close() })
			key := fmt.Sprintf("user:%d", proto)
			if n, err := rdb.HSet(ctx, key, "name", "ada", "visits", 1, "score", "1.5").Result(); err != nil || n != 3 {
				t.Fatalf("HSET: %d, %v", n, err)
			}
			if m := rdb.HGetAll(ctx, key).Val(); len(m) != 3 || m["name"] != "ada" || m["visits"] != "1" {
				t.Errorf("HGETALL: %v", m)
			}
			if n := rdb.HIncrBy(ctx, key, "visits", 41).Val(); n != 42 {
				t.Errorf("HINCRBY: %d", n)
			}
			if f := rdb.HIncrByFloat(ctx, key, "score", 0.25).Val(); f != 1.75 {
				t.Errorf("HINCRBYFLOAT: %v", f)
			}
			if v := rdb.HMGet(ctx, key, "name", "missing").Val(); len(v) != 2 || v[0] != "ada" || v[1] != nil {
				t.Errorf("HMGET: %#v", v)
			}
			if ok := rdb.HSetNX(ctx, key, "name", "bob").Val(); ok {
				t.Error("HSETNX overwrote a field")
			}
			if ok := rdb.HExists(ctx, key, "name").Val(); !ok {
				t.Error("HEXISTS: false")
			}
			if keys := rdb.HKeys(ctx, key).Val(); !slices.Equal(keys, []string{"name", "visits", "score"}) {
				t.Errorf("HKEYS: %v", keys)
			}
			if kvs := rdb.HRandFieldWithValues(ctx, key, 10).Val(); len(kvs) != 3 {
				t.Errorf("HRANDFIELD WITHVALUES: %v", kvs)
			}
			if err := rdb.HGet(ctx, key, "missing").Err(); err != redis.Nil {
				t.Errorf("HGET missing: %v", err)
			}
			if n := rdb.HDel(ctx, key, "name", "visits", "score").Val(); n != 3 {
				t.Errorf("HDEL: %d", n)
			}
			if n := rdb.Exists(ctx, key).Val(); n != 0 {
				t.Error("the emptied hash still exists")
			}
			rdb.Set(ctx, key, "string", 0)
			if err := rdb.HGet(ctx, key, "f").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
				t.Errorf("HGET on a string: %v", err)
			}
		})
	}
}

// TestHashAndSetWithKeyCommands checks that the keyspace commands treat
// hashes and sets as values like any other: TYPE, SCAN TYPE, MEMORY USAGE
// (which follows in-place growth), COPY (a deep copy), RENAME, MOVE,
// EXPIRE (kept by in-place writes) and DEL.
func TestHashAndSetWithKeyCommands(t *testing.T) {
	s := startServer(t, Config{Clock: newTestClock().Now})
	c := dial(t, s)
	c.expect(":2\r\n", "HSET", "h", "a", "1", "b", "2")
	c.expect(":2\r\n", "SADD", "s", "1", "2")
	c.expect("+hash\r\n", "TYPE", "h")
	c.expect("+set\r\n", "TYPE", "s")
	c.expect("*2\r\n$1\r\n0\r\n"+bulks("h"), "SCAN", "0", "TYPE", "hash", "COUNT", "1000")
	c.expect("*2\r\n$1\r\n0\r\n"+bulks("s"), "SCAN", "0", "TYPE", "set", "COUNT", "1000")

	memory := func(key string) int64 {
		t.Helper()
		n, err := strconv.ParseInt(strings.Trim(c.do("MEMORY", "USAGE", key), ":\r\n"), 10, 64)
		if err != nil {
			t.Fatalf("MEMORY USAGE %s: %v", key, err)
		}
		return n
	}
	hashBefore, setBefore, usedBefore := memory("h"), memory("s"), s.store.Used()
	big := strings.Repeat("v", 100)
	for i := 0; i < 100; i++ {
		c.do("HSET", "h", fmt.Sprintf("field%d", i), big)
		c.do("SADD", "s", fmt.Sprintf("member%d-%s", i, big))
	}
	if grown := memory("h") - hashBefore; grown < 100*100 {
		t.Errorf("MEMORY USAGE of the hash grew by %d after 10 kB of values", grown)
	}
	if grown := memory("s") - setBefore; grown < 100*100 {
		t.Errorf("MEMORY USAGE of the set grew by %d after 10 kB of members", grown)
	}
	if grown := s.store.Used() - usedBefore; grown < 2*100*100 {
		t.Errorf("used memory grew by %d", grown)
	}

	c.expect(":1\r\n", "COPY", "h", "h2")
	c.expect(":1\r\n", "HSET", "h2", "only", "copy")
	c.expect(":0\r\n", "HEXISTS", "h", "only")
	c.expect(":1\r\n", "COPY", "s", "s2")
	c.expect(":1\r\n", "SREM", "s2", "1")
	c.expect(":1\r\n", "SISMEMBER", "s", "1")

	c.expect("+OK\r\n", "RENAME", "h", "h3")
	c.expect(":0\r\n", "EXISTS", "h")
	c.expect("$1\r\n2\r\n", "HGET", "h3", "b")
	c.expect(":1\r\n", "EXPIRE", "h3", "100")
	c.expect(":1\r\n", "HSET", "h3", "c", "3")
	c.expect(":1\r\n", "HDEL", "h3", "c")
	c.expect(":100\r\n", "TTL", "h3")
	c.expect(":1\r\n", "MOVE", "s", "1")
	c.expect("+OK\r\n", "SELECT", "1")
	c.expect(":1\r\n", "SISMEMBER", "s", "2")
	c.expect(":1\r\n", "DEL", "s")
	c.expect("+OK\r\n", "SELECT", "0")
	c.expect(":3\r\n", "DEL", "h3", "h2", "s2")
	c.expect(":0\r\n", "DBSIZE")
	if used := s.store.Used(); used != 0 {
		t.Errorf("used memory %d with no keys left", used)
	}
}

// TestHashAndSetWatch checks that a write that changes a hash or a set
// aborts the transactions watching it, and that one that changes nothing
// does not, as in Redis.
func TestHashAndSetWatch(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	b.do("HSET", "h", "f", "v")
	b.do("SADD", "s", "m")
	tests := []struct {
		name    string
		key     string
		write   []string
		aborted bool
	}{
		{"hset", "h", []string{"HSET", "h", "f", "v"}, true},
		{"hsetnx of an existing field", "h", []string{"HSETNX", "h", "f", "w"}, false},
		{"hdel of a missing field", "h", []string{"HDEL", "h", "zz"}, false},
		{"hincrby", "h", []string{"HINCRBY", "h", "n", "1"}, true},
		{"sadd of a member", "s", []string{"SADD", "s", "m"}, false},
		{"sadd", "s", []string{"SADD", "s", "n"}, true},
		{"srem", "s", []string{"SREM", "s", "n"}, true},
		{"smove into", "s", []string{"SMOVE", "h2", "s", "x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.expect("+OK\r\n", "WATCH", tt.key)
			b.do(tt.write...)
			a.expect("+OK\r\n", "MULTI")
			a.expect("+QUEUED\r\n", "PING")
			want := "*1\r\n+PONG\r\n"
			if tt.aborted {
				want = "*-1\r\n"
			}
			a.expect(want, "EXEC")
		})
	}
}

// TestHashAndSetSurviveRestart: hashes and sets persist through the disk
// tier's codec like strings, in a write_through and a write_back
// namespace, with their order, encodings and TTLs; in-place changes and
// deletions reach the disk too.
func TestHashAndSetSurviveRestart(t *testing.T) {
	cfg := tieredConfig(t.TempDir())
	s := startServer(t, cfg)
	c := dial(t, s)
	long := strings.Repeat("x", 100)
	for _, p := range []string{"wt:", "wb:"} {
		c.expect(":3\r\n", "HSET", p+"h", "c", "1", "a", "2", "b", "3")
		c.expect(":1\r\n", "HSET", p+"big", "f", long)
		c.expect(":3\r\n", "SADD", p+"ints", "30", "-1", "2")
		c.expect(":2\r\n", "SADD", p+"s", "x", "y")
		c.expect(":1\r\n", "EXPIRE", p+"h", "1000")
		c.expect(":1\r\n", "HSET", p+"gone", "f", "v")
		c.expect(":1\r\n", "HDEL", p+"gone", "f")
	}
	c.expect(":2\r\n", "HSET", "ca:h", "a", "1", "b", "2")
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	for _, p := range []string{"wt:", "wb:"} {
		c.expect("*6\r\n$1\r\nc\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n3\r\n", "HGETALL", p+"h")
		if ttl := c.do("TTL", p+"h"); ttl != ":1000\r\n" && ttl != ":999\r\n" {
			t.Errorf("TTL %sh after restart: %q", p, ttl)
		}
		c.expect("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", p+"big")
		c.expect(bulks("-1", "2", "30"), "SMEMBERS", p+"ints")
		c.expect("$6\r\nintset\r\n", "OBJECT", "ENCODING", p+"ints")
		c.expect(":2\r\n", "SCARD", p+"s")
		c.expect(":0\r\n", "EXISTS", p+"gone")
		// In-place changes after the restart persist as well.
		c.expect(":1\r\n", "HDEL", p+"h", "a")
		c.expect(":1\r\n", "SREM", p+"s", "x")
		c.expect(":42\r\n", "HINCRBY", p+"h", "c", "41")
	}
	c.expect("*0\r\n", "HGETALL", "ca:h")
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	for _, p := range []string{"wt:", "wb:"} {
		c.expect("*4\r\n$1\r\nc\r\n$2\r\n42\r\n$1\r\nb\r\n$1\r\n3\r\n", "HGETALL", p+"h")
		c.expect(bulks("y"), "SMEMBERS", p+"s")
	}
}

// TestHashAndSetNamespaceTTL: a hash or set that a write creates in a
// namespace with a TTL gets it; later in-place writes leave it alone.
func TestHashAndSetNamespaceTTL(t *testing.T) {
	_, c := ttlServer(t, 0.5)
	c.expect(":1\r\n", "HSET", "ttl:h", "a", "1")
	c.expect(":300000\r\n", "PTTL", "ttl:h")
	c.expect(":1\r\n", "PEXPIRE", "ttl:h", "1000")
	c.expect(":1\r\n", "HSET", "ttl:h", "b", "2")
	c.expect(":1000\r\n", "PTTL", "ttl:h")
	c.expect(":1\r\n", "SADD", "ttl:s", "a")
	c.expect(":300000\r\n", "PTTL", "ttl:s")
	c.expect(":1\r\n", "SUNIONSTORE", "ttl:u", "ttl:s")
	c.expect(":300000\r\n", "PTTL", "ttl:u")
	c.expect(":1\r\n", "HSET", "plain", "a", "1")
	c.expect(":-1\r\n", "PTTL", "plain")
}
