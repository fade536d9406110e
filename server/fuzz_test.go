package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratakv/strata/internal/resp"
	"github.com/stratakv/strata/policy"
)

// FuzzCommands runs request streams through a real server's dispatcher,
// as a connection does: a fresh server (one database, namespaces that
// compress and shape TTLs, no disk) and client per input, up to
// fuzzMaxCommands requests, each through execute (lookup, arity, MULTI,
// blocking, the write path, the handler). A command may reply anything;
// it must not panic (a handler's recovered panic fails the target too),
// hang, or leave the client without a reply.
//
// Two things are kept out, because they are not bugs: SHUTDOWN, which ends
// the server, and changes to the script time limit, which would let a
// script loop for good. The connection reads EOF, so a blocking command
// that waits gives up at once.
func FuzzCommands(f *testing.F) {
	for _, seed := range commandSeeds() {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		panics := &panicLog{}
		s, err := New(Config{Databases: 1, Logger: slog.New(panics), Namespaces: []policy.Namespace{
			{Match: "c:", Compress: &policy.Compress{MinSize: 8}},
			{Match: "t:", TTL: time.Minute, MaxTTL: time.Hour, Jitter: 0.5},
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.scriptLimit.Store(20) // milliseconds: a looping script ends fast
		c := newClient(s, fuzzConn{})
		defer s.clientClosed(c)
		done := make(chan struct{})
		go func() {
			defer close(done)
			rd := resp.NewReader(bytes.NewReader(data), resp.DefaultMaxBulk, func() bool { return true })
			for n := 0; n < fuzzMaxCommands; n++ {
				args, err := rd.Next(func() error { return nil })
				if err != nil {
					return
				}
				if excludedFromFuzz(args) {
					continue
				}
				mark := c.out.Len()
				c.execute(args)
				if c.multi == nil && c.out.Len() == mark && !c.subscribed() && !c.closeAfter {
					t.Errorf("%q: no reply", args)
				}
				c.out.Reset(outFlushAt)
			}
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("hang on %q", data)
		}
		if p := panics.first(); p != "" {
			t.Fatalf("a command panicked on %q: %s", data, p)
		}
	})
}

// fuzzMaxCommands bounds the requests of one input, so each stays fast.
const fuzzMaxCommands = 32

// excludedFromFuzz reports whether FuzzCommands skips a request (see
// there).
func excludedFromFuzz(args [][]byte) bool {
	if is(args[0], "shutdown") {
		return true
	}
	for _, a := range args[1:] {
		if is(a, "busy-reply-threshold") || is(a, "lua-time-limit") {
			return true
		}
	}
	return false
}

// commandSeeds are FuzzCommands' seed corpus: a few realistic sessions,
// and every command and subcommand of the table with typical arguments,
// so that the fuzzer starts from each.
func commandSeeds() []string {
	seeds := []string{
		"SET k v\r\nGET k\r\nAPPEND k xyz\r\nGETRANGE k 0 -1\r\nSETRANGE k 10 abc\r\nINCR n\r\nINCRBYFLOAT n 1.5\r\n",
		"SET c:json {\"status\":\"ok\",\"n\":12345678} EX 100\r\nGET c:json\r\nOBJECT ENCODING c:json\r\nRENAME c:json t:x\r\nTTL t:x\r\n",
		"RPUSH l a b c\r\nLPOS l b RANK -1\r\nLMOVE l l2 LEFT RIGHT\r\nBLPOP l 0\r\nLRANGE l2 0 -1\r\n",
		"ZADD z 1 a 2 b 3 c\r\nZRANGE z (1 +inf BYSCORE LIMIT 0 2 WITHSCORES\r\nZUNIONSTORE d 2 z z WEIGHTS 1 2\r\nBZPOPMIN z 0.1\r\n",
		"HSET h f v g 1\r\nHINCRBYFLOAT h g 2.5\r\nHRANDFIELD h -3 WITHVALUES\r\nSADD s a b\r\nSINTERCARD 1 s LIMIT 1\r\n",
		"MULTI\r\nSET k v\r\nINCR k\r\nEXEC\r\nWATCH k\r\nMULTI\r\nGET k\r\nDISCARD\r\n",
		"EVAL \"return redis.call('set', KEYS[1], ARGV[1])\" 1 k v\r\nEVAL \"return cjson.encode({1,2})\" 0\r\nSCRIPT LOAD \"return 1\"\r\n",
		"SETBIT b 7 1\r\nBITFIELD b SET i5 100 7 INCRBY u2 3 1 OVERFLOW FAIL GET i8 0\r\nBITPOS b 1 0 -1 BIT\r\nPFADD p a b c\r\nPFCOUNT p\r\n",
		"CACHE.SET t:a v TAGS x y\r\nCACHE.INVALIDATE TAG x\r\nCACHE.RATE r 10 60 COST 2 SLIDING\r\nCL.THROTTLE g 5 10 60 1\r\nCACHE.THROTTLE q 10\r\n",
		"SUBSCRIBE ch\r\nPUBLISH ch hi\r\nPSUBSCRIBE c*\r\nPING\r\nRESET\r\nHELLO 3\r\nCLIENT SETNAME x\r\n",
		"CONFIG SET maxmemory 1 maxmemory-policy allkeys-lru\r\nSET k v\r\nCONFIG SET client-output-buffer-limit \"normal 1 1 1\"\r\nGET k\r\n",
	}
	t := newCommandTable()
	names := make([]string, 0, len(t))
	for name := range t {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cmd := t[name]
		if len(cmd.subcommands) == 0 {
			seeds = append(seeds, name+" k v 1\r\n")
			continue
		}
		subs := make([]string, 0, len(cmd.subcommands))
		for _, sub := range cmd.subcommands {
			_, subName, _ := strings.Cut(sub.name, "|")
			subs = append(subs, subName)
		}
		sort.Strings(subs)
		for _, sub := range subs {
			seeds = append(seeds, name+" "+sub+" k 1\r\n")
		}
	}
	return seeds
}

// fuzzConn is a connection that discards what is written and reads EOF.
type fuzzConn struct{}

func (fuzzConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (fuzzConn) Write(p []byte) (int, error)      { return len(p), nil }
func (fuzzConn) Close() error                     { return nil }
func (fuzzConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6379} }
func (fuzzConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000} }
func (fuzzConn) SetDeadline(time.Time) error      { return nil }
func (fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (fuzzConn) SetWriteDeadline(time.Time) error { return nil }

// panicLog is a slog handler that keeps the first "command panicked"
// record: run recovers a handler's panic and logs it.
type panicLog struct {
	mu  sync.Mutex
	msg string
}

func (p *panicLog) Enabled(context.Context, slog.Level) bool { return true }
func (p *panicLog) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *panicLog) WithGroup(string) slog.Handler            { return p }

func (p *panicLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "command panicked" {
		return nil
	}
	var b strings.Builder
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(a.Key + "=" + a.Value.String() + "\n")
		return true
	})
	p.mu.Lock()
	if p.msg == "" {
		p.msg = b.String()
	}
	p.mu.Unlock()
	return nil
}

func (p *panicLog) first() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.msg
}
