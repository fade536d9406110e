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

// TestPubSubClosedSubscriberForgotten: a subscriber whose connection
// closes leaves its channels. (RESET's is in conformance/testdata/pubsub.txt.)
func TestPubSubClosedSubscriberForgotten(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s), dial(t, s)
	a.expect("*3\r\n$9\r\nsubscribe\r\n$1\r\nq\r\n:1\r\n", "SUBSCRIBE", "q")
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

// A RESP3 subscriber that switches to RESP2 with HELLO gets in RESP2
// every message published after it read HELLO's reply: the switch takes
// effect as HELLO runs, not once its reply is written.
func TestPubSubProtocolSwitchTakesEffectAtOnce(t *testing.T) {
	s := startServer(t, Config{})
	sub, pub := dial(t, s), dial(t, s)
	for i := 0; i < 200; i++ {
		sub.do("HELLO", "3")
		sub.do("SUBSCRIBE", "ch")
		sub.do("HELLO", "2")
		pub.expect(":1\r\n", "PUBLISH", "ch", "m")
		if got := sub.read(); !strings.HasPrefix(got, "*3\r\n") {
			t.Fatalf("round %d: message after HELLO 2 is %q, want a RESP2 array", i, got)
		}
		sub.expect("+RESET\r\n", "RESET")
	}
}
