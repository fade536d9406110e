package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestSetCommands replays command sequences whose replies were recorded
// from redis-server 7.0.15, each after a FLUSHALL.
func TestSetCommands(t *testing.T) { runObjectCases(t, setCases) }

var setCases = []objectCase{
	{"sadd srem scard sismember", []objectStep{
		{[]string{"SADD", "s", "3", "1", "2", "3"}, ":3\r\n"},
		{[]string{"SADD", "s", "1", "4"}, ":1\r\n"},
		{[]string{"SCARD", "s"}, ":4\r\n"},
		{[]string{"SCARD", "nokey"}, ":0\r\n"},
		{[]string{"SISMEMBER", "s", "4"}, ":1\r\n"},
		{[]string{"SISMEMBER", "s", "9"}, ":0\r\n"},
		{[]string{"SISMEMBER", "nokey", "1"}, ":0\r\n"},
		{[]string{"SMISMEMBER", "s", "1", "9", "4"}, "*3\r\n:1\r\n:0\r\n:1\r\n"},
		{[]string{"SMISMEMBER", "nokey", "1", "2"}, "*2\r\n:0\r\n:0\r\n"},
		{[]string{"SMEMBERS", "s"}, "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"SMEMBERS", "nokey"}, "*0\r\n"},
		{[]string{"SREM", "s", "9"}, ":0\r\n"},
		{[]string{"SREM", "s", "1", "9", "2"}, ":2\r\n"},
		{[]string{"SMEMBERS", "s"}, "*2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"SREM", "nokey", "a"}, ":0\r\n"},
		{[]string{"TYPE", "s"}, "+set\r\n"},
		{[]string{"SADD", "b", "", "a\x00\r\n"}, ":2\r\n"},
		{[]string{"SISMEMBER", "b", ""}, ":1\r\n"},
		{[]string{"~", "SMEMBERS", "b"}, "*2\r\n$4\r\na\x00\r\n\r\n$0\r\n\r\n"},
	}},
	{"set arity", []objectStep{
		{[]string{"SADD", "s"}, "-ERR wrong number of arguments for 'sadd' command\r\n"},
		{[]string{"SREM", "s"}, "-ERR wrong number of arguments for 'srem' command\r\n"},
		{[]string{"SMOVE", "s", "d"}, "-ERR wrong number of arguments for 'smove' command\r\n"},
		{[]string{"SISMEMBER", "s"}, "-ERR wrong number of arguments for 'sismember' command\r\n"},
		{[]string{"SMISMEMBER", "s"}, "-ERR wrong number of arguments for 'smismember' command\r\n"},
		{[]string{"SCARD"}, "-ERR wrong number of arguments for 'scard' command\r\n"},
		{[]string{"SMEMBERS"}, "-ERR wrong number of arguments for 'smembers' command\r\n"},
		{[]string{"SPOP"}, "-ERR wrong number of arguments for 'spop' command\r\n"},
		{[]string{"SPOP", "s", "1", "2"}, "-ERR syntax error\r\n"},
		{[]string{"SRANDMEMBER", "s", "1", "2"}, "-ERR syntax error\r\n"},
		{[]string{"SINTER"}, "-ERR wrong number of arguments for 'sinter' command\r\n"},
		{[]string{"SINTERSTORE", "d"}, "-ERR wrong number of arguments for 'sinterstore' command\r\n"},
		{[]string{"SINTERCARD", "1"}, "-ERR wrong number of arguments for 'sintercard' command\r\n"},
		{[]string{"SUNION"}, "-ERR wrong number of arguments for 'sunion' command\r\n"},
		{[]string{"SDIFFSTORE", "d"}, "-ERR wrong number of arguments for 'sdiffstore' command\r\n"},
		{[]string{"SSCAN", "s"}, "-ERR wrong number of arguments for 'sscan' command\r\n"},
	}},
	{"srem deletes the emptied key", []objectStep{
		{[]string{"SADD", "s", "a", "b"}, ":2\r\n"},
		{[]string{"EXPIRE", "s", "100"}, ":1\r\n"},
		{[]string{"SREM", "s", "a"}, ":1\r\n"},
		{[]string{"TTL", "s"}, ":100\r\n"},
		{[]string{"SREM", "s", "b", "c"}, ":1\r\n"},
		{[]string{"EXISTS", "s"}, ":0\r\n"},
	}},
	{"intset order and conversion", []objectStep{
		{[]string{"SADD", "s", "10", "-5", "3", "0"}, ":4\r\n"},
		{[]string{"SMEMBERS", "s"}, "*4\r\n$2\r\n-5\r\n$1\r\n0\r\n$1\r\n3\r\n$2\r\n10\r\n"},
		{[]string{"OBJECT", "ENCODING", "s"}, "$6\r\nintset\r\n"},
		{[]string{"SADD", "s", "01"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "s"}, "$9\r\nhashtable\r\n"},
		{[]string{"SREM", "s", "01"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "s"}, "$9\r\nhashtable\r\n"},
		{[]string{"SADD", "i", "9223372036854775807", "-9223372036854775808"}, ":2\r\n"},
		{[]string{"SMEMBERS", "i"}, "*2\r\n$20\r\n-9223372036854775808\r\n$19\r\n9223372036854775807\r\n"},
		{[]string{"OBJECT", "ENCODING", "i"}, "$6\r\nintset\r\n"},
		{[]string{"SADD", "j", "-0"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "j"}, "$9\r\nhashtable\r\n"},
		{[]string{"SADD", "k", "9223372036854775808"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$9\r\nhashtable\r\n"},
		{bigArgs("SADD", "big"), ":512\r\n"},
		{[]string{"OBJECT", "ENCODING", "big"}, "$6\r\nintset\r\n"},
		{[]string{"SADD", "big", "512"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "big"}, "$9\r\nhashtable\r\n"},
		{[]string{"SCARD", "big"}, ":513\r\n"},
		{[]string{"SISMEMBER", "big", "511"}, ":1\r\n"},
		{[]string{"COPY", "s", "s2"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "s2"}, "$9\r\nhashtable\r\n"},
	}},
	{"smove", []objectStep{
		{[]string{"SADD", "src", "a", "b"}, ":2\r\n"},
		{[]string{"SADD", "dst", "c"}, ":1\r\n"},
		{[]string{"SMOVE", "src", "dst", "a"}, ":1\r\n"},
		{[]string{"SMEMBERS", "src"}, "*1\r\n$1\r\nb\r\n"},
		{[]string{"SMOVE", "src", "dst", "zz"}, ":0\r\n"},
		{[]string{"SMOVE", "src", "src", "b"}, ":1\r\n"},
		{[]string{"SMOVE", "src", "src", "zz"}, ":0\r\n"},
		{[]string{"SMOVE", "src", "new", "b"}, ":1\r\n"},
		{[]string{"EXISTS", "src"}, ":0\r\n"},
		{[]string{"SMEMBERS", "new"}, "*1\r\n$1\r\nb\r\n"},
		{[]string{"SMOVE", "nokey", "dst", "a"}, ":0\r\n"},
		{[]string{"SET", "str", "v"}, "+OK\r\n"},
		{[]string{"SMOVE", "nokey", "str", "a"}, ":0\r\n"},
		{[]string{"SMOVE", "new", "str", "b"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SMOVE", "str", "new", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SADD", "dst", "b"}, ":1\r\n"},
		{[]string{"SMOVE", "new", "dst", "b"}, ":1\r\n"},
		{[]string{"EXISTS", "new"}, ":0\r\n"},
		{[]string{"~", "SMEMBERS", "dst"}, "*3\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n"},
	}},
	{"spop", []objectStep{
		{[]string{"SPOP", "nokey"}, "$-1\r\n"},
		{[]string{"SPOP", "nokey", "2"}, "*0\r\n"},
		{[]string{"SPOP", "nokey", "-1"}, "-ERR value is out of range, must be positive\r\n"},
		{[]string{"SPOP", "nokey", "x"}, "-ERR value is out of range, must be positive\r\n"},
		{[]string{"SADD", "s", "1", "2", "3"}, ":3\r\n"},
		{[]string{"SPOP", "s", "0"}, "*0\r\n"},
		{[]string{"SPOP", "s", "-1"}, "-ERR value is out of range, must be positive\r\n"},
		{[]string{"SPOP", "s", "3"}, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"EXISTS", "s"}, ":0\r\n"},
		{[]string{"SADD", "s", "1", "2", "3"}, ":3\r\n"},
		{[]string{"SPOP", "s", "10"}, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"EXISTS", "s"}, ":0\r\n"},
		{[]string{"SADD", "one", "x"}, ":1\r\n"},
		{[]string{"SPOP", "one"}, "$1\r\nx\r\n"},
		{[]string{"EXISTS", "one"}, ":0\r\n"},
		{[]string{"SADD", "s", "1"}, ":1\r\n"},
		{[]string{"SPOP", "s", "1"}, "*1\r\n$1\r\n1\r\n"},
		{[]string{"SCARD", "s"}, ":0\r\n"},
	}},
	{"srandmember", []objectStep{
		{[]string{"SRANDMEMBER", "nokey"}, "$-1\r\n"},
		{[]string{"SRANDMEMBER", "nokey", "5"}, "*0\r\n"},
		{[]string{"SRANDMEMBER", "nokey", "-5"}, "*0\r\n"},
		{[]string{"SRANDMEMBER", "nokey", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SADD", "s", "3", "1", "2"}, ":3\r\n"},
		{[]string{"SRANDMEMBER", "s", "3"}, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SRANDMEMBER", "s", "100"}, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SRANDMEMBER", "s", "0"}, "*0\r\n"},
		{[]string{"SRANDMEMBER", "s", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SADD", "one", "a"}, ":1\r\n"},
		{[]string{"SRANDMEMBER", "one"}, "$1\r\na\r\n"},
		{[]string{"SRANDMEMBER", "one", "-3"}, "*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"},
		{[]string{"SRANDMEMBER", "one", "1"}, "*1\r\n$1\r\na\r\n"},
		{[]string{"SCARD", "s"}, ":3\r\n"},
	}},
	{"sinter sintercard sinterstore", []objectStep{
		{[]string{"SADD", "a", "1", "2", "3", "4"}, ":4\r\n"},
		{[]string{"SADD", "b", "2", "3", "4", "5"}, ":4\r\n"},
		{[]string{"SADD", "c", "3", "4", "x"}, ":3\r\n"},
		{[]string{"SINTER", "a", "b"}, "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"~", "SINTER", "a", "b", "c"}, "*2\r\n$1\r\n4\r\n$1\r\n3\r\n"},
		{[]string{"SINTER", "a", "nokey"}, "*0\r\n"},
		{[]string{"SINTER", "a"}, "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"SINTER", "a", "a"}, "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"SINTERCARD", "2", "a", "b"}, ":3\r\n"},
		{[]string{"SINTERCARD", "3", "a", "b", "c", "LIMIT", "1"}, ":1\r\n"},
		{[]string{"SINTERCARD", "2", "a", "b", "LIMIT", "0"}, ":3\r\n"},
		{[]string{"SINTERCARD", "2", "a", "b", "LIMIT", "10"}, ":3\r\n"},
		{[]string{"SINTERCARD", "2", "a", "nokey"}, ":0\r\n"},
		{[]string{"SINTERCARD", "0", "a"}, "-ERR numkeys should be greater than 0\r\n"},
		{[]string{"SINTERCARD", "x", "a"}, "-ERR numkeys should be greater than 0\r\n"},
		{[]string{"SINTERCARD", "3", "a", "b"}, "-ERR Number of keys can't be greater than number of args\r\n"},
		{[]string{"SINTERCARD", "1", "a", "LIMIT"}, "-ERR syntax error\r\n"},
		{[]string{"SINTERCARD", "1", "a", "LIMIT", "-1"}, "-ERR LIMIT can't be negative\r\n"},
		{[]string{"SINTERCARD", "1", "a", "LIMIT", "x"}, "-ERR LIMIT can't be negative\r\n"},
		{[]string{"SINTERCARD", "1", "a", "FOO", "1"}, "-ERR syntax error\r\n"},
		{[]string{"SINTERSTORE", "d", "a", "b"}, ":3\r\n"},
		{[]string{"SMEMBERS", "d"}, "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"OBJECT", "ENCODING", "d"}, "$6\r\nintset\r\n"},
		{[]string{"EXPIRE", "d", "100"}, ":1\r\n"},
		{[]string{"SINTERSTORE", "d", "a", "c"}, ":2\r\n"},
		{[]string{"TTL", "d"}, ":-1\r\n"},
		{[]string{"SINTERSTORE", "d", "a", "nokey"}, ":0\r\n"},
		{[]string{"EXISTS", "d"}, ":0\r\n"},
		{[]string{"SINTERSTORE", "d", "a", "nokey"}, ":0\r\n"},
		{[]string{"SET", "str", "v"}, "+OK\r\n"},
		{[]string{"SINTERSTORE", "str", "a"}, ":4\r\n"},
		{[]string{"TYPE", "str"}, "+set\r\n"},
		{[]string{"SINTER", "nokey", "str"}, "*0\r\n"},
		{[]string{"SINTERCARD", "2", "nokey", "str"}, ":0\r\n"},
		{[]string{"SINTERSTORE", "d", "nokey", "str"}, ":0\r\n"},
	}},
	{"sunion sdiff", []objectStep{
		{[]string{"SADD", "a", "1", "2", "3"}, ":3\r\n"},
		{[]string{"SADD", "b", "3", "4"}, ":2\r\n"},
		{[]string{"SADD", "c", "5"}, ":1\r\n"},
		{[]string{"SUNION", "a", "b", "c"}, "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n"},
		{[]string{"SUNION", "a", "nokey"}, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SUNION", "nokey"}, "*0\r\n"},
		{[]string{"SDIFF", "a", "b"}, "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"SDIFF", "a", "b", "c"}, "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"SDIFF", "a", "a"}, "*0\r\n"},
		{[]string{"SDIFF", "nokey", "a"}, "*0\r\n"},
		{[]string{"SDIFF", "a", "nokey"}, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SUNIONSTORE", "d", "a", "b"}, ":4\r\n"},
		{[]string{"SMEMBERS", "d"}, "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"SDIFFSTORE", "d", "a", "b"}, ":2\r\n"},
		{[]string{"SMEMBERS", "d"}, "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"SDIFFSTORE", "d", "a", "a"}, ":0\r\n"},
		{[]string{"EXISTS", "d"}, ":0\r\n"},
		{[]string{"SUNIONSTORE", "d", "nokey"}, ":0\r\n"},
		{[]string{"SADD", "x", "b", "a"}, ":2\r\n"},
		{[]string{"SUNIONSTORE", "d", "a", "x"}, ":5\r\n"},
		{[]string{"OBJECT", "ENCODING", "d"}, "$9\r\nhashtable\r\n"},
		{[]string{"SCARD", "d"}, ":5\r\n"},
		{[]string{"SET", "str", "v"}, "+OK\r\n"},
		{[]string{"SUNION", "a", "str"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SDIFF", "nokey", "str"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SUNIONSTORE", "d", "str"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	}},
	{"set wrong type", []objectStep{
		{[]string{"SET", "str", "v"}, "+OK\r\n"},
		{[]string{"SADD", "str", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SREM", "str", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SISMEMBER", "str", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SMISMEMBER", "str", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SCARD", "str"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SMEMBERS", "str"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SPOP", "str"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SPOP", "str", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SPOP", "str", "-1"}, "-ERR value is out of range, must be positive\r\n"},
		{[]string{"SRANDMEMBER", "str"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SRANDMEMBER", "str", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SRANDMEMBER", "str", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SSCAN", "str", "0"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SSCAN", "str", "x"}, "-ERR invalid cursor\r\n"},
		{[]string{"SADD", "s", "a"}, ":1\r\n"},
		{[]string{"GET", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HSET", "s", "a", "b"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"INCR", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	}},
	{"sscan small set", []objectStep{
		{[]string{"SADD", "s", "3", "1", "2"}, ":3\r\n"},
		{[]string{"SSCAN", "s", "0"}, "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SSCAN", "s", "99", "COUNT", "1"}, "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SSCAN", "s", "0", "MATCH", "[12]"}, "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"SADD", "t", "b", "a"}, ":2\r\n"},
		{[]string{"SSCAN", "t", "0", "MATCH", "a"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"},
		{[]string{"SSCAN", "s", "0", "COUNT", "0"}, "-ERR syntax error\r\n"},
		{[]string{"SSCAN", "s", "0", "TYPE", "set"}, "-ERR syntax error\r\n"},
		{[]string{"SSCAN", "s", "0", "COUNT"}, "-ERR syntax error\r\n"},
		{[]string{"SSCAN", "nokey", "0", "BAD"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
		{[]string{"SSCAN", "s", "x"}, "-ERR invalid cursor\r\n"},
	}},
}

// TestSetRESP3 checks the RESP3 shapes Redis 7.0.15 replies with: sets
// for SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count, arrays for
// SRANDMEMBER and SMISMEMBER.
func TestSetRESP3(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.do("HELLO", "3")
	for _, st := range []objectStep{
		{[]string{"SADD", "s", "3", "1", "2"}, ":3\r\n"},
		{[]string{"SMEMBERS", "s"}, "~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SMEMBERS", "nokey"}, "~0\r\n"},
		{[]string{"SINTER", "s", "nokey"}, "~0\r\n"},
		{[]string{"SUNION", "s", "nokey"}, "~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SDIFF", "s"}, "~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SPOP", "s", "0"}, "~0\r\n"},
		{[]string{"SPOP", "nokey", "1"}, "~0\r\n"},
		{[]string{"SRANDMEMBER", "s", "5"}, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SRANDMEMBER", "nokey", "2"}, "*0\r\n"},
		{[]string{"SRANDMEMBER", "nokey"}, "_\r\n"},
		{[]string{"SPOP", "nokey"}, "_\r\n"},
		{[]string{"SMISMEMBER", "s", "1", "7"}, "*2\r\n:1\r\n:0\r\n"},
		{[]string{"SSCAN", "s", "0"}, "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SINTERCARD", "1", "s"}, ":3\r\n"},
		{[]string{"SPOP", "s", "5"}, "~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"EXISTS", "s"}, ":0\r\n"},
	} {
		c.expect(st.want, st.args...)
	}
}

// TestSetRandomCounts checks SRANDMEMBER and SPOP counts on both encodings:
// distinct members for a positive count (both of Redis's strategies),
// repetition for a negative one, and Strata's bound on the latter.
func TestSetRandomCounts(t *testing.T) {
	s := startServer(t, Config{})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	for _, prefix := range []string{"", "m"} { // an intset, a hashtable
		key := "set" + prefix
		var members []any
		for i := 0; i < 300; i++ {
			members = append(members, fmt.Sprintf("%s%d", prefix, i))
		}
		rdb.SAdd(ctx, key, members...)
		for _, count := range []int64{3, 150, 299} {
			got := rdb.SRandMemberN(ctx, key, count).Val()
			if len(got) != int(count) || len(got) != len(uniq(got)) {
				t.Errorf("%s SRANDMEMBER %d: %d members, %d distinct", key, count, len(got), len(uniq(got)))
			}
		}
		if got := rdb.SRandMemberN(ctx, key, -500).Val(); len(got) != 500 {
			t.Errorf("%s SRANDMEMBER -500: %d", key, len(got))
		}
		popped := rdb.SPopN(ctx, key, 250).Val()
		if len(uniq(popped)) != 250 || rdb.SCard(ctx, key).Val() != 50 {
			t.Errorf("%s SPOP 250: %d distinct, %d left", key, len(uniq(popped)), rdb.SCard(ctx, key).Val())
		}
		for _, m := range popped {
			if rdb.SIsMember(ctx, key, m).Val() {
				t.Errorf("%s: popped %s still a member", key, m)
			}
		}
	}
	if err := rdb.SRandMemberN(ctx, "setm", -1<<40).Err(); err == nil || err.Error() != "ERR value is out of range" {
		t.Errorf("SRANDMEMBER -2^40: %v", err)
	}
}

// uniq returns ss's distinct elements.
func uniq(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// TestSetScanLarge walks a hashtable-encoded set with SSCAN while members
// are removed and added: the members present throughout come back once.
func TestSetScanLarge(t *testing.T) {
	s := startServer(t, Config{})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	var members []any
	for i := 0; i < 1000; i++ {
		members = append(members, i) // integers, past the intset limit
	}
	rdb.SAdd(ctx, "s", members...)
	if enc := rdb.ObjectEncoding(ctx, "s").Val(); enc != "hashtable" {
		t.Fatalf("encoding %s", enc)
	}
	seen := map[string]int{}
	cursor, steps := uint64(0), 0
	for {
		page, next, err := rdb.SScan(ctx, "s", cursor, "", 20).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			seen[m]++
		}
		rdb.SRem(ctx, "s", 999-steps)
		rdb.SAdd(ctx, "s", fmt.Sprintf("new%d", steps))
		steps++
		if cursor = next; cursor == 0 || steps > 1000 {
			break
		}
	}
	for i := 0; i < 500; i++ {
		if m := strconv.Itoa(i); seen[m] != 1 {
			t.Fatalf("%s returned %d times", m, seen[m])
		}
	}
}

// TestSetKeyspaceEvents checks the events set commands publish, in order,
// against what Redis 7.0.15 published for the same commands.
func TestSetKeyspaceEvents(t *testing.T) {
	s := startServer(t, Config{NotifyKeyspaceEvents: "KEA"})
	sub, c := dial(t, s), dial(t, s)
	sub.do("PSUBSCRIBE", "__keyevent@0__:*")
	for _, args := range [][]string{
		{"SADD", "s", "1", "2", "3"}, {"SADD", "s", "1"}, {"SREM", "s", "9"}, {"SREM", "s", "1"}, {"SPOP", "s"},
		{"SPOP", "s", "0"}, {"SPOP", "s", "5"}, {"SADD", "s", "a", "b"}, {"SADD", "t", "b", "c"},
		{"SMOVE", "s", "t", "a"}, {"SMOVE", "s", "t", "b"}, {"SMOVE", "t", "t", "b"}, {"SINTERSTORE", "d", "t", "nokey"},
		{"SUNIONSTORE", "d", "t"}, {"SUNIONSTORE", "d", "nokey"}, {"SDIFFSTORE", "d", "t", "nokey"},
		{"SDIFFSTORE", "d", "t", "t"}, {"SINTERSTORE", "d", "t", "t"}, {"SINTERSTORE", "d", "nokey"},
		{"SADD", "u", "1"}, {"SMOVE", "u", "v", "1"}, {"PUBLISH", "__keyevent@0__:end", "x"},
	} {
		c.do(args...)
	}
	expectEvents(t, sub, "__keyevent@0__:sadd s", "__keyevent@0__:srem s", "__keyevent@0__:spop s",
		"__keyevent@0__:spop s", "__keyevent@0__:del s", "__keyevent@0__:sadd s", "__keyevent@0__:sadd t",
		"__keyevent@0__:srem s", "__keyevent@0__:sadd t", "__keyevent@0__:srem s", "__keyevent@0__:del s",
		"__keyevent@0__:sunionstore d", "__keyevent@0__:del d", "__keyevent@0__:sdiffstore d", "__keyevent@0__:del d",
		"__keyevent@0__:sinterstore d", "__keyevent@0__:del d", "__keyevent@0__:sadd u", "__keyevent@0__:srem u",
		"__keyevent@0__:del u", "__keyevent@0__:sadd v", "__keyevent@0__:end x")
}

// TestSetGoRedis uses the set commands through go-redis's typed API, in
// RESP2 and RESP3, as applications do (a tag set, Celery's and
// django-redis's usual shapes).
func TestSetGoRedis(t *testing.T) {
	s := startServer(t, Config{})
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto})
			t.Cleanup(func() { rdb.Close() })
			a, b := fmt.Sprintf("a%d", proto), fmt.Sprintf("b%d", proto)
			if n := rdb.SAdd(ctx, a, "x", "y", "z").Val(); n != 3 {
				t.Fatalf("SADD: %d", n)
			}
			rdb.SAdd(ctx, b, "y", "z", "w")
			if m := rdb.SMembers(ctx, a).Val(); !equalSets(m, "x", "y", "z") {
				t.Errorf("SMEMBERS: %v", m)
			}
			if m := rdb.SMembersMap(ctx, a).Val(); len(m) != 3 {
				t.Errorf("SMEMBERS as a map: %v", m)
			}
			if m := rdb.SInter(ctx, a, b).Val(); !equalSets(m, "y", "z") {
				t.Errorf("SINTER: %v", m)
			}
			if m := rdb.SUnion(ctx, a, b).Val(); !equalSets(m, "x", "y", "z", "w") {
				t.Errorf("SUNION: %v", m)
			}
			if m := rdb.SDiff(ctx, a, b).Val(); !equalSets(m, "x") {
				t.Errorf("SDIFF: %v", m)
			}
			if n := rdb.SInterCard(ctx, 1, a, b).Val(); n != 1 {
				t.Errorf("SINTERCARD LIMIT 1: %d", n)
			}
			if n := rdb.SInterStore(ctx, "dst", a, b).Val(); n != 2 {
				t.Errorf("SINTERSTORE: %d", n)
			}
			if v := rdb.SMIsMember(ctx, a, "x", "w").Val(); len(v) != 2 || !v[0] || v[1] {
				t.Errorf("SMISMEMBER: %v", v)
			}
			if ok := rdb.SMove(ctx, a, b, "x").Val(); !ok {
				t.Error("SMOVE")
			}
			if m := rdb.SPopN(ctx, a, 5).Val(); !equalSets(m, "y", "z") {
				t.Errorf("SPOP 5: %v", m)
			}
			if n := rdb.Exists(ctx, a).Val(); n != 0 {
				t.Error("the emptied set still exists")
			}
			if err := rdb.SPop(ctx, a).Err(); err != redis.Nil {
				t.Errorf("SPOP on a missing key: %v", err)
			}
		})
	}
}

// equalSets reports whether got holds exactly want, in any order.
func equalSets(got []string, want ...string) bool {
	return len(got) == len(want) && len(uniq(got)) == len(want) && !slices.ContainsFunc(want, func(w string) bool { return !uniq(got)[w] })
}
