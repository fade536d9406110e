package server

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"testing"
)

// benchPipeline measures one connection sending pipelines of 16 commands
// built by cmd(i) and reading the replies; allocs/op include the server's.
// It cycles through pipelines distinct pipelines (cmd(0) to
// cmd(16*pipelines-1)), so a keyspace larger than a pipeline is spread
// over the caches as redis-benchmark -r spreads it.
func benchPipeline(b *testing.B, pipelines int, cmd func(i int) []string) {
	benchPipelineOn(b, startServer(b, Config{}), pipelines, cmd)
}

// benchPipelineOn is benchPipeline against s, for a benchmark that loads
// data first.
func benchPipelineOn(b *testing.B, s *Server, pipelines int, cmd func(i int) []string) {
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	const depth = 16
	raw := make([][]byte, pipelines)
	for p := range raw {
		var req strings.Builder
		for i := 0; i < depth; i++ {
			args := cmd(p*depth + i)
			fmt.Fprintf(&req, "*%d\r\n", len(args))
			for _, a := range args {
				fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
			}
		}
		raw[p] = []byte(req.String())
	}
	br := bufio.NewReader(nc)
	var sb strings.Builder
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		if _, err := nc.Write(raw[i/depth%pipelines]); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < depth; j++ {
			sb.Reset()
			if err := readReply(br, &sb); err != nil && err != io.EOF {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkSet(b *testing.B) {
	val := strings.Repeat("x", 100)
	benchPipeline(b, 1, func(i int) []string { return []string{"SET", fmt.Sprintf("key:%012d", i), val} })
}

func BenchmarkGet(b *testing.B) {
	benchPipeline(b, 1, func(i int) []string { return []string{"GET", "key:000000000001"} })
}

// BenchmarkIncrSpread is redis-benchmark's INCR -P 16 -r 100000 in
// process: counters spread over 100,000 keys.
func BenchmarkIncrSpread(b *testing.B) {
	keys := rand.New(rand.NewPCG(1, 2))
	benchPipeline(b, 8192, func(int) []string {
		return []string{"INCR", fmt.Sprintf("counter:%012d", keys.IntN(100_000))}
	})
}

// BenchmarkSetbitFlip is SETBIT on a 12.5 KB bitmap, each command flipping
// a bit: the write changes the stored string in place (bytes/op near 0;
// each had copied the string twice and allocated a new one).
func BenchmarkSetbitFlip(b *testing.B) {
	s := startServer(b, Config{})
	dial(b, s).do("setbit", "bm", "99999", "0")
	benchPipelineOn(b, s, 2, func(i int) []string {
		return []string{"SETBIT", "bm", strconv.Itoa(i % 16), strconv.Itoa(1 - i/16)} // pipeline 0 sets, 1 clears
	})
}
