package policy

import (
	"testing"
	"time"
)

func space(t *testing.T, ns Namespace) *Space {
	t.Helper()
	if ns.Match == "" {
		ns.Match = "k:*"
	}
	r, err := New([]Namespace{ns})
	if err != nil {
		t.Fatal(err)
	}
	return r.Spaces()[0]
}

func TestExpireAt(t *testing.T) {
	const now = int64(1_000_000)
	const s, m = int64(1000), int64(60_000)
	task := &FieldTTL{Field: "status", TTL: map[string]time.Duration{
		"processing": 5 * time.Minute, "success": time.Hour, "failed": 30 * time.Minute, "7": time.Second, "true": 2 * time.Second,
	}, Default: 10 * time.Minute}
	cases := []struct {
		name  string
		ns    Namespace
		given int64
		value string
		u     float64
		want  int64
	}{
		{"no rule no ttl", Namespace{}, 0, "v", 0.5, 0},
		{"client ttl kept", Namespace{}, now + 10*s, "v", 0.5, now + 10*s},
		{"namespace ttl", Namespace{TTL: time.Minute}, 0, "v", 0.5, now + m},
		{"client ttl beats namespace ttl", Namespace{TTL: time.Minute}, now + 10*s, "v", 0.5, now + 10*s},
		{"max caps client", Namespace{MaxTTL: time.Minute}, now + 2*m, "v", 0.5, now + m},
		{"max gives none a ttl", Namespace{MaxTTL: time.Minute}, 0, "v", 0.5, now + m},
		{"max leaves shorter", Namespace{MaxTTL: time.Minute}, now + s, "v", 0.5, now + s},
		{"jitter low end", Namespace{TTL: 100 * time.Second, Jitter: 0.2}, 0, "v", 0, now + 80*s},
		{"jitter middle", Namespace{TTL: 100 * time.Second, Jitter: 0.2}, 0, "v", 0.5, now + 100*s},
		{"jitter on client ttl", Namespace{Jitter: 0.5}, now + 100*s, "v", 0.75, now + 125*s},
		{"jitter then cap", Namespace{TTL: time.Minute, MaxTTL: time.Minute, Jitter: 0.5}, 0, "v", 0.99, now + m},
		{"jitter leaves no ttl alone", Namespace{Jitter: 0.5}, 0, "v", 0, 0},
		{"past expiry unchanged", Namespace{Jitter: 0.5, MaxTTL: time.Second}, now - 5, "v", 0.9, now - 5},
		{"by field", Namespace{TTL: time.Second, TTLByField: task}, 0, `{"id":1,"status":"success"}`, 0.5, now + 60*m},
		{"by field nested skipped", Namespace{TTLByField: task}, 0, `{"x":{"status":"success"},"status":"failed"}`, 0.5, now + 30*m},
		{"by field number", Namespace{TTLByField: task}, 0, `{"status":7}`, 0.5, now + s},
		{"by field bool", Namespace{TTLByField: task}, 0, `{"status":true}`, 0.5, now + 2*s},
		{"by field unknown value", Namespace{TTLByField: task}, 0, `{"status":"queued"}`, 0.5, now + 10*m},
		{"by field missing", Namespace{TTLByField: task}, 0, `{"state":"success"}`, 0.5, now + 10*m},
		{"by field not json", Namespace{TTLByField: task}, 0, `success`, 0.5, now + 10*m},
		{"by field broken json", Namespace{TTLByField: task}, 0, `{"status":`, 0.5, now + 10*m},
		{"by field object value", Namespace{TTLByField: task}, 0, `{"status":{"a":1}}`, 0.5, now + 10*m},
		{"by field no default uses ttl", Namespace{TTL: time.Second, TTLByField: &FieldTTL{Field: "s"}}, 0, `{}`, 0.5, now + s},
		{"by field client wins", Namespace{TTLByField: task}, now + s, `{"status":"success"}`, 0.5, now + s},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := space(t, tc.ns).ExpireAt(now, tc.given, []byte(tc.value), tc.u); got != tc.want {
				t.Errorf("ExpireAt = now%+d, want now%+d", got-now, tc.want-now)
			}
		})
	}
}

func TestCap(t *testing.T) {
	const now = int64(5000)
	cases := []struct {
		name    string
		max     time.Duration
		exp     int64
		wantExp int64
	}{
		{"no cap keeps none", 0, 0, 0},
		{"no cap keeps ttl", 0, now + 9e9, now + 9e9},
		{"cap gives none max", time.Second, 0, now + 1000},
		{"cap shortens", time.Second, now + 5000, now + 1000},
		{"cap keeps shorter", time.Second, now + 10, now + 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := space(t, Namespace{MaxTTL: tc.max}).Cap(now, tc.exp); got != tc.wantExp {
				t.Errorf("Cap(%d) = %d, want %d", tc.exp, got, tc.wantExp)
			}
		})
	}
}

func TestJitterSpreadsExpiries(t *testing.T) {
	s := space(t, Namespace{TTL: 1000 * time.Second, Jitter: 0.2})
	seen := map[int64]bool{}
	for i := 0; i < 100; i++ {
		at := s.ExpireAt(0, 0, nil, float64(i)/100)
		if at < 800_000 || at > 1_200_000 {
			t.Fatalf("u=%v: expiry %d outside [0.8, 1.2] x TTL", float64(i)/100, at)
		}
		seen[at] = true
	}
	if len(seen) != 100 {
		t.Errorf("100 writes gave %d distinct expiries", len(seen))
	}
}

// TestNoClientJitter: with NoClientJitter a client's TTL stays exact (only
// capped) while the default TTL is still jittered.
func TestNoClientJitter(t *testing.T) {
	const now = int64(1_000_000)
	s := &Space{Namespace: Namespace{Match: "k:*", TTL: 100 * time.Second, Jitter: 0.5, MaxTTL: 300 * time.Second, NoClientJitter: true}}
	if got := s.ExpireAt(now, now+60_000, nil, 0.9); got != now+60_000 {
		t.Errorf("client TTL 60s: expires in %d ms, want exactly 60000", got-now)
	}
	if got := s.ExpireAt(now, now+900_000, nil, 0.9); got != now+300_000 {
		t.Errorf("client TTL 900s: expires in %d ms, want max_ttl 300000", got-now)
	}
	if got := s.ExpireAt(now, 0, nil, 0.9); got != now+140_000 {
		t.Errorf("default TTL: expires in %d ms, want 100s x 1.4", got-now)
	}
	s.NoClientJitter = false
	if got := s.ExpireAt(now, now+60_000, nil, 0.9); got != now+84_000 {
		t.Errorf("client TTL 60s with client jitter: expires in %d ms, want 60s x 1.4", got-now)
	}
}
