package server

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// psStep is one command of a scripted exchange and the raw replies Redis
// 7.0.15 gives (recorded with a raw socket). A step with no args reads one
// more reply (a message published by another client).
type psStep struct {
	conn string
	args []string
	want string
}

// runPubSubScript runs a script over named raw connections.
func runPubSubScript(t *testing.T, s *Server, steps []psStep) {
	t.Helper()
	conns := map[string]*rawConn{}
	for i, st := range steps {
		c := conns[st.conn]
		if c == nil {
			c = dial(t, s)
			conns[st.conn] = c
		}
		got := readReplies(c, st.args, st.want)
		if got != st.want {
			t.Fatalf("psStep %d: %s %v: got %q, want %q", i, st.conn, st.args, got, st.want)
		}
	}
}

// readReplies sends args (none: only reads) and reads replies until it has
// as many bytes as want: a command such as SUBSCRIBE a b answers with
// several replies.
func readReplies(c *rawConn, args []string, want string) string {
	c.t.Helper()
	var got string
	if len(args) == 0 {
		got = c.read()
	} else {
		got = c.do(args...)
	}
	for len(got) < len(want) {
		got += c.read()
	}
	return got
}

func sub(word, name string, n int) string {
	if name == "" {
		return fmt.Sprintf("*3\r\n$%d\r\n%s\r\n$-1\r\n:%d\r\n", len(word), word, n)
	}
	return fmt.Sprintf("*3\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n:%d\r\n", len(word), word, len(name), name, n)
}

func push(raw string) string { return ">" + raw[1:] }

func TestPubSubRESP2(t *testing.T) {
	s := startServer(t, Config{})
	notAllowed := "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
	runPubSubScript(t, s, []psStep{
		{"a", []string{"SUBSCRIBE", "x", "y", "x"}, sub("subscribe", "x", 1) + sub("subscribe", "y", 2) + sub("subscribe", "x", 2)},
		{"a", []string{"PING"}, "*2\r\n$4\r\npong\r\n$0\r\n\r\n"},
		{"a", []string{"PING", "hello"}, "*2\r\n$4\r\npong\r\n$5\r\nhello\r\n"},
		{"a", []string{"GET", "k"}, notAllowed},
		{"a", []string{"UNSUBSCRIBE", "x", "z"}, sub("unsubscribe", "x", 1) + sub("unsubscribe", "z", 1)},
		{"b", []string{"PUBLISH", "y", "msg1"}, ":1\r\n"},
		{"a", nil, "*3\r\n$7\r\nmessage\r\n$1\r\ny\r\n$4\r\nmsg1\r\n"},
		{"a", []string{"PSUBSCRIBE", "p*", "y"}, sub("psubscribe", "p*", 2) + sub("psubscribe", "y", 3)},
		{"b", []string{"PUBLISH", "y", "msg2"}, ":2\r\n"},
		{"a", nil, "*3\r\n$7\r\nmessage\r\n$1\r\ny\r\n$4\r\nmsg2\r\n"},
		{"a", nil, "*4\r\n$8\r\npmessage\r\n$1\r\ny\r\n$1\r\ny\r\n$4\r\nmsg2\r\n"},
		{"b", []string{"PUBSUB", "CHANNELS"}, "*1\r\n$1\r\ny\r\n"},
		{"b", []string{"PUBSUB", "NUMSUB", "y", "x"}, "*4\r\n$1\r\ny\r\n:1\r\n$1\r\nx\r\n:0\r\n"},
		{"b", []string{"PUBSUB", "NUMPAT"}, ":2\r\n"},
		{"b", []string{"PUBSUB", "CHANNELS", "y*"}, "*1\r\n$1\r\ny\r\n"},
		{"b", []string{"PUBSUB", "CHANNELS", "z*"}, "*0\r\n"},
		{"a", []string{"PUNSUBSCRIBE"}, sub("punsubscribe", "p*", 2) + sub("punsubscribe", "y", 1)},
		{"a", []string{"UNSUBSCRIBE"}, sub("unsubscribe", "y", 0)},
		{"a", []string{"UNSUBSCRIBE"}, sub("unsubscribe", "", 0)},
		{"a", []string{"PUNSUBSCRIBE"}, sub("punsubscribe", "", 0)},
		{"a", []string{"PING"}, "+PONG\r\n"},
		{"a", []string{"GET", "k"}, "$-1\r\n"},
		{"b", []string{"PUBLISH", "y", "nobody"}, ":0\r\n"},
		{"b", []string{"PUBSUB"}, "-ERR wrong number of arguments for 'pubsub' command\r\n"},
		{"b", []string{"PUBSUB", "FOO"}, "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n"},
		{"b", []string{"PUBSUB", "NUMPAT", "x"}, "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"},
		{"b", []string{"PUBSUB", "CHANNELS", "a", "b"}, "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"},
		{"b", []string{"PUBSUB", "NUMSUB"}, "*0\r\n"},
		{"b", []string{"SUBSCRIBE"}, "-ERR wrong number of arguments for 'subscribe' command\r\n"},
		{"b", []string{"PUBLISH", "a"}, "-ERR wrong number of arguments for 'publish' command\r\n"},
	})
}

func TestPubSubShardChannels(t *testing.T) {
	s := startServer(t, Config{})
	runPubSubScript(t, s, []psStep{
		{"a", []string{"SSUBSCRIBE", "s1", "s2"}, sub("ssubscribe", "s1", 1) + sub("ssubscribe", "s2", 2)},
		{"a", []string{"SUBSCRIBE", "c1"}, sub("subscribe", "c1", 1)},
		{"a", []string{"PSUBSCRIBE", "p*"}, sub("psubscribe", "p*", 2)},
		{"a", []string{"SUNSUBSCRIBE", "s1"}, sub("sunsubscribe", "s1", 1)},
		{"b", []string{"PSUBSCRIBE", "p*"}, sub("psubscribe", "p*", 1)},
		{"c", []string{"PUBSUB", "NUMPAT"}, ":1\r\n"},
		{"c", []string{"SPUBLISH", "s2", "hi"}, ":1\r\n"},
		{"a", nil, "*3\r\n$8\r\nsmessage\r\n$2\r\ns2\r\n$2\r\nhi\r\n"},
		{"c", []string{"PUBLISH", "s2", "hi"}, ":0\r\n"},
		{"c", []string{"PUBSUB", "SHARDCHANNELS"}, "*1\r\n$2\r\ns2\r\n"},
		{"c", []string{"PUBSUB", "SHARDNUMSUB", "s2", "s1"}, "*4\r\n$2\r\ns2\r\n:1\r\n$2\r\ns1\r\n:0\r\n"},
		{"a", []string{"SUNSUBSCRIBE"}, sub("sunsubscribe", "s2", 0)},
		{"a", []string{"SUNSUBSCRIBE"}, sub("sunsubscribe", "", 0)},
		{"a", []string{"UNSUBSCRIBE"}, sub("unsubscribe", "c1", 1)},
		{"a", []string{"PUNSUBSCRIBE"}, sub("punsubscribe", "p*", 0)},
		{"a", []string{"SSUBSCRIBE", "s3"}, sub("ssubscribe", "s3", 1)},
		{"a", []string{"GET", "x"}, "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"},
	})
}

func TestPubSubRESP3(t *testing.T) {
	s := startServer(t, Config{})
	a := dial(t, s)
	a.do("HELLO", "3")
	b := dial(t, s)
	steps := []struct {
		c    *rawConn
		args []string
		want string
	}{
		{a, []string{"SUBSCRIBE", "x"}, push(sub("subscribe", "x", 1))},
		{a, []string{"PING"}, "+PONG\r\n"}, // any command runs in RESP3
		{a, []string{"PING", "hi"}, "$2\r\nhi\r\n"},
		{a, []string{"GET", "k"}, "_\r\n"},
		{a, []string{"PSUBSCRIBE", "x*"}, push(sub("psubscribe", "x*", 2))},
		{b, []string{"PUBLISH", "x", "m"}, ":2\r\n"},
		{a, nil, ">3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$1\r\nm\r\n"},
		{a, nil, ">4\r\n$8\r\npmessage\r\n$2\r\nx*\r\n$1\r\nx\r\n$1\r\nm\r\n"},
		{a, []string{"UNSUBSCRIBE"}, push(sub("unsubscribe", "x", 1))},
		{a, []string{"PUNSUBSCRIBE"}, push(sub("punsubscribe", "x*", 0))},
		{a, []string{"UNSUBSCRIBE"}, ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"},
		{a, []string{"SUBSCRIBE", "x"}, push(sub("subscribe", "x", 1))},
		// Publishing to itself: the push comes before PUBLISH's reply.
		{a, []string{"PUBLISH", "x", "self"}, ">3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$4\r\nself\r\n:1\r\n"},
		// HELLO 2 while subscribed: messages follow in RESP2.
		{a, []string{"HELLO", "2"}, ""},
		{b, []string{"PUBLISH", "x", "m2"}, ":1\r\n"},
		{a, nil, "*3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$2\r\nm2\r\n"},
		{a, []string{"PING"}, "*2\r\n$4\r\npong\r\n$0\r\n\r\n"},
	}
	for i, st := range steps {
		got := readReplies(st.c, st.args, st.want)
		if st.want != "" && got != st.want {
			t.Fatalf("psStep %d %v: got %q, want %q", i, st.args, got, st.want)
		}
	}
}

func TestPubSubInMulti(t *testing.T) {
	s := startServer(t, Config{})
	runPubSubScript(t, s, []psStep{
		{"b", []string{"MULTI"}, "+OK\r\n"},
		{"b", []string{"SUBSCRIBE", "z"}, "+QUEUED\r\n"},
		{"b", []string{"PING"}, "+QUEUED\r\n"},
		{"b", []string{"EXEC"}, "*2\r\n" + sub("subscribe", "z", 1) + "*2\r\n$4\r\npong\r\n$0\r\n\r\n"},
		{"b", []string{"PING"}, "*2\r\n$4\r\npong\r\n$0\r\n\r\n"},
		{"b", []string{"MULTI"}, "-ERR Can't execute 'multi': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"},
	})
}

func TestPubSubResetAndClose(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	a.do("SUBSCRIBE", "q")
	a.do("PSUBSCRIBE", "q*")
	a.expect("+RESET\r\n", "RESET")
	a.expect("+PONG\r\n", "PING")
	b.expect(":0\r\n", "PUBLISH", "q", "m")
	b.expect("*0\r\n", "PUBSUB", "CHANNELS")
	b.expect(":0\r\n", "PUBSUB", "NUMPAT")

	a.do("SUBSCRIBE", "q")
	b.expect(":1\r\n", "PUBLISH", "q", "m")
	a.nc.Close()
	waitFor(t, "closed subscriber forgotten", func() bool { return b.do("PUBSUB", "NUMSUB", "q") == "*2\r\n$1\r\nq\r\n:0\r\n" })
}

// waitFor polls cond, for conditions another goroutine makes true.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// shrinkBuffers makes the server's side of every connection buffer little
// in the kernel, so that a subscriber that does not read backs up at once.
func shrinkBuffers(s *Server) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		if tc, ok := c.conn.(*net.TCPConn); ok {
			tc.SetWriteBuffer(4096)
		}
	}
}

func TestSlowSubscriberHardLimit(t *testing.T) {
	s := startServer(t, Config{})
	s.pubsub.hardLimit.Store(256 << 10)
	slow, pub := dial(t, s), dial(t, s)
	slow.nc.(*net.TCPConn).SetReadBuffer(4096)
	slow.do("SUBSCRIBE", "ch")
	shrinkBuffers(s)
	msg := strings.Repeat("x", 16<<10)
	// The publisher never waits for the subscriber: it gets its replies
	// while the subscriber reads nothing, until the limit drops it.
	for i := 0; i < 1000 && pub.do("PUBSUB", "NUMSUB", "ch") != "*2\r\n$2\r\nch\r\n:0\r\n"; i++ {
		pub.do("PUBLISH", "ch", msg)
	}
	waitFor(t, "slow subscriber dropped", func() bool { return pub.do("PUBSUB", "NUMSUB", "ch") == "*2\r\n$2\r\nch\r\n:0\r\n" })
}

func TestSlowSubscriberSoftLimit(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now})
	s.pubsub.hardLimit.Store(0)
	s.pubsub.softLimit.Store(128 << 10)
	slow, pub := dial(t, s), dial(t, s)
	slow.nc.(*net.TCPConn).SetReadBuffer(4096)
	slow.do("SUBSCRIBE", "ch")
	shrinkBuffers(s)
	msg := strings.Repeat("x", 16<<10)
	pending := func() int64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.clients {
			if c.ps != nil {
				c.ps.mu.Lock()
				defer c.ps.mu.Unlock()
				return c.ps.pending
			}
		}
		return 0
	}
	for i := 0; i < 1000 && pending() < 256<<10; i++ {
		pub.do("PUBLISH", "ch", msg)
	}
	if pending() < 256<<10 {
		t.Fatal("the subscriber's queue did not back up")
	}
	// Over the soft limit, but not for long: still subscribed.
	pub.expect(":1\r\n", "PUBLISH", "ch", msg)
	clk.Advance(61 * time.Second)
	pub.expect(":1\r\n", "PUBLISH", "ch", msg) // this one finds it over for 61s
	waitFor(t, "slow subscriber dropped", func() bool { return pub.do("PUBSUB", "NUMSUB", "ch") == "*2\r\n$2\r\nch\r\n:0\r\n" })
}

func TestPubSubGoRedis(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			// A server each: the other protocol's subscriber may not be
			// gone yet when this one publishes.
			s := startServer(t, Config{})
			ctx := context.Background()
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto})
			defer rdb.Close()
			ps := rdb.PSubscribe(ctx, "news.*")
			defer ps.Close()
			if _, err := ps.Receive(ctx); err != nil { // the confirmation
				t.Fatal(err)
			}
			if err := ps.Subscribe(ctx, "direct"); err != nil {
				t.Fatal(err)
			}
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := rdb.Publish(ctx, "news.sport", "goal").Result(); err != nil || n != 1 {
				t.Fatalf("publish = %d, %v", n, err)
			}
			rdb.Publish(ctx, "direct", "hello")
			m1, err := ps.ReceiveMessage(ctx)
			if err != nil || m1.Pattern != "news.*" || m1.Channel != "news.sport" || m1.Payload != "goal" {
				t.Fatalf("pmessage = %+v, %v", m1, err)
			}
			m2, err := ps.ReceiveMessage(ctx)
			if err != nil || m2.Channel != "direct" || m2.Payload != "hello" {
				t.Fatalf("message = %+v, %v", m2, err)
			}
			if n, err := rdb.PubSubNumPat(ctx).Result(); err != nil || n != 1 {
				t.Fatalf("numpat = %d, %v", n, err)
			}
		})
	}
}

// TestPubSubConcurrentPublishers has many publishers and subscribers at
// once: every message reaches every subscriber, in each publisher's order.
func TestPubSubConcurrentPublishers(t *testing.T) {
	s := startServer(t, Config{})
	ctx := context.Background()
	const publishers, subscribers, each = 4, 3, 200
	var subs []*redis.PubSub
	for i := 0; i < subscribers; i++ {
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2 + i%2})
		defer rdb.Close()
		ps := rdb.Subscribe(ctx, "ch")
		defer ps.Close()
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, ps)
	}
	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
			defer rdb.Close()
			for i := 0; i < each; i++ {
				if n, err := rdb.Publish(ctx, "ch", fmt.Sprintf("%d:%d", p, i)).Result(); err != nil || n != subscribers {
					t.Errorf("publish = %d, %v", n, err)
					return
				}
			}
		}()
	}
	for _, ps := range subs {
		next := make([]int, publishers)
		for i := 0; i < publishers*each; i++ {
			m, err := ps.ReceiveMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var p, n int
			fmt.Sscanf(m.Payload, "%d:%d", &p, &n)
			if n != next[p] {
				t.Fatalf("publisher %d: got message %d, want %d", p, n, next[p])
			}
			next[p]++
		}
	}
	wg.Wait()
}
