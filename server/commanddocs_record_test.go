package server

import (
	"bufio"
	"net"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/internal/resp"
)

// TestRecordCommandDocs records redis-server's COMMAND INFO and COMMAND
// DOCS into commanddocs/, which Strata embeds and replays. It runs only when
// STRATA_RECORD_REDIS names a Redis 7.0 server (host:port):
//
//	redis-server --port 7300 --save '' --daemonize yes
//	STRATA_RECORD_REDIS=127.0.0.1:7300 go test ./server -run TestRecordCommandDocs
//
// It also checks that replaying the RESP3 recording to a RESP2 client gives
// exactly the bytes Redis sends a RESP2 client.
func TestRecordCommandDocs(t *testing.T) {
	addr := os.Getenv("STRATA_RECORD_REDIS")
	if addr == "" {
		t.Skip("set STRATA_RECORD_REDIS=host:port of a redis-server 7.0 to record")
	}
	resp3 := redisConn(t, addr)
	resp3.query("HELLO", "3")
	info := resp3.query("COMMAND", "INFO")
	docs := resp3.query("COMMAND", "DOCS")
	sortInfo(info.Elems)
	sortDocs(&docs)

	var w resp.Writer
	w.SetRESP3(true)
	for i := range info.Elems {
		w.Node(&info.Elems[i])
	}
	writeFile(t, "commanddocs/info.resp", w.Bytes())
	w.Reset(0)
	for i := range docs.Elems {
		w.Node(&docs.Elems[i])
	}
	writeFile(t, "commanddocs/docs.resp", w.Bytes())

	// Redis's own RESP2 replies, normalized the same way, must equal the
	// RESP3 recording downgraded by Writer.Node.
	resp2 := redisConn(t, addr)
	info2 := resp2.query("COMMAND", "INFO")
	docs2 := resp2.query("COMMAND", "DOCS")
	sortInfo(info2.Elems)
	sortDocs(&docs2)
	for _, tc := range []struct {
		name      string
		recorded  resp.Node
		fromRESP2 resp.Node
	}{{"info", info, info2}, {"docs", docs, docs2}} {
		var got, want resp.Writer
		got.Node(&tc.recorded)
		want.Node(&tc.fromRESP2)
		if string(got.Bytes()) != string(want.Bytes()) {
			t.Errorf("%s: the RESP3 recording downgraded to RESP2 differs from Redis's RESP2 reply", tc.name)
		}
	}
}

// sortInfo orders COMMAND INFO entries, and their subcommands, by name.
func sortInfo(entries []resp.Node) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].Elems[infoName].Str < entries[j].Elems[infoName].Str })
	for i := range entries {
		sortInfo(entries[i].Elems[infoSubcommands].Elems)
	}
}

// sortDocs orders the pairs of a COMMAND DOCS map, and of the subcommands
// maps inside, by name. A RESP2 reply's flat arrays are sorted alike.
func sortDocs(m *resp.Node) {
	type pair struct{ k, v resp.Node }
	pairs := make([]pair, len(m.Elems)/2)
	for i := range pairs {
		pairs[i] = pair{m.Elems[2*i], m.Elems[2*i+1]}
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].k.Str < pairs[j].k.Str })
	for i, p := range pairs {
		for j := 0; j+1 < len(p.v.Elems); j += 2 {
			if p.v.Elems[j].Str == "subcommands" {
				sortDocs(&p.v.Elems[j+1])
			}
		}
		m.Elems[2*i], m.Elems[2*i+1] = p.k, p.v
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(b))
}

// redisTestConn is a connection to a real redis-server that returns parsed
// replies.
type redisTestConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func redisConn(t *testing.T, addr string) *redisTestConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial redis-server: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	return &redisTestConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *redisTestConn) query(args ...string) resp.Node {
	r.t.Helper()
	var w resp.Writer
	w.Strings(args)
	r.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.nc.Write(w.Bytes()); err != nil {
		r.t.Fatal(err)
	}
	var raw strings.Builder
	if err := readReply(r.br, &raw); err != nil {
		r.t.Fatal(err)
	}
	nodes, err := resp.Parse([]byte(raw.String()))
	if err != nil || len(nodes) != 1 {
		r.t.Fatalf("%v: cannot parse reply %.200q: %v", args, raw.String(), err)
	}
	return nodes[0]
}
