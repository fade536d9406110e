package server

import (
	"strings"
	"testing"
	"time"
)

// TestNotifyFlags checks notify-keyspace-events as CONFIG SET then CONFIG
// GET show it on redis-server 7.0.15.
func TestNotifyFlags(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"KEA", "AKE"},
		{"KEAn", "AKE"}, // A hides the other class letters, n included
		{"Ex", "xE"},
		{"m", "m"},
		{"gg$KK", "g$K"},
		{"Kg$lshzxetd", "AK"},
		{"Kn", "nK"},
		{"EKm", "KEm"},
	}
	for _, tt := range tests {
		f, err := parseNotifyClasses(tt.in)
		if err != nil || f.String() != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.in, f.String(), err, tt.want)
		}
	}
	s := startServer(t, Config{NotifyKeyspaceEvents: "Ex"})
	if err := s.setNotifyKeyspaceEvents("Exq"); err == nil || err.Error() != "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." {
		t.Fatalf("bad flags: %v", err)
	}
	if got := s.notifyKeyspaceEvents(); got != "xE" {
		t.Fatalf("a refused value changed the setting to %q", got)
	}
}

// expectEvents reads n messages and compares their channel and payload.
func expectEvents(t *testing.T, c *rawConn, want ...string) {
	t.Helper()
	for _, w := range want {
		got := c.read()
		parts := strings.Split(got, "\r\n")
		// *4 $8 pmessage $n pattern $n channel $n payload
		if len(parts) < 9 || parts[2] != "pmessage" || parts[6]+" "+parts[8] != w {
			t.Fatalf("got %q, want %s", got, w)
		}
	}
}

func TestKeyspaceEvents(t *testing.T) {
	clk := newTestClock()
	s := startServer(t, Config{Clock: clk.Now, NotifyKeyspaceEvents: "KEA", MaxMemoryPolicy: "allkeys-lru"})
	sub, c := dial(t, s), dial(t, s)
	sub.do("PSUBSCRIBE", "__key*__:*")

	c.do("CACHE.SET", "k", "v", "PX", "100", "TAGS", "t")
	expectEvents(t, sub, "__keyspace@0__:k set", "__keyevent@0__:set k",
		"__keyspace@0__:k expire", "__keyevent@0__:expire k")

	clk.Advance(time.Second)
	c.do("GET", "k") // lazy expiry
	expectEvents(t, sub, "__keyspace@0__:k expired", "__keyevent@0__:expired k")

	c.do("SELECT", "3")
	c.do("SET", "e", "v", "PX", "1")
	expectEvents(t, sub, "__keyspace@3__:e set", "__keyevent@3__:set e",
		"__keyspace@3__:e expire", "__keyevent@3__:expire e")
	clk.Advance(time.Second)
	for i := 0; i < 100 && s.store.DB(3).Len() > 0; i++ {
		s.store.ExpireCycle(time.Second) // active expiry
	}
	expectEvents(t, sub, "__keyspace@3__:e expired", "__keyevent@3__:expired e")

	c.do("SET", "big", strings.Repeat("x", 1000))
	expectEvents(t, sub, "__keyspace@3__:big set", "__keyevent@3__:set big")
	s.store.SetMaxMemory(1)
	c.do("SET", "small", "x") // evicts big, then small's own write goes through
	expectEvents(t, sub, "__keyspace@3__:big evicted", "__keyevent@3__:evicted big",
		"__keyspace@3__:small set", "__keyevent@3__:set small")
	s.store.SetMaxMemory(0)

	s.setNotifyKeyspaceEvents("Kx") // keyspace channels, expired only
	c.do("SET", "quiet", "v", "PX", "1")
	clk.Advance(time.Second)
	c.do("GET", "quiet")
	expectEvents(t, sub, "__keyspace@3__:quiet expired")
}
