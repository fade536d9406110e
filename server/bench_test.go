package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

// benchPipeline measures one connection sending pipelines of 16 commands
// built by cmd(i) and reading the replies; allocs/op include the server's.
func benchPipeline(b *testing.B, cmd func(i int) []string) {
	s := startServer(b, Config{})
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	const depth = 16
	var req strings.Builder
	for i := 0; i < depth; i++ {
		args := cmd(i)
		fmt.Fprintf(&req, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	raw := []byte(req.String())
	br := bufio.NewReader(nc)
	var sb strings.Builder
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		if _, err := nc.Write(raw); err != nil {
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
	benchPipeline(b, func(i int) []string { return []string{"SET", fmt.Sprintf("key:%012d", i), val} })
}

func BenchmarkGet(b *testing.B) {
	benchPipeline(b, func(i int) []string { return []string{"GET", "key:000000000001"} })
}
