package policy

import (
	"errors"
	"math"
	"testing"
	"time"
)

// TestGCRARedisCellCases replays redis-cell's own it_rate_limits table
// (redis-cell-impl/src/lib.rs): limit 5 (max_burst 4), one request per
// second, the stored TAT carried from case to case.
func TestGCRARedisCellCases(t *testing.T) {
	g, err := NewGCRA(4, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()
	ms := func(n int64) int64 { return start + n*int64(time.Millisecond) }
	cases := []struct {
		name      string
		now       int64
		quantity  int64
		remaining int64
		reset     time.Duration
		retry     time.Duration
		limited   bool
	}{
		{"0 larger than the bucket never fits", start, 6, 5, 0, -time.Second, true},
		{"1", start, 1, 4, time.Second, -time.Second, false},
		{"2", start, 1, 3, 2 * time.Second, -time.Second, false},
		{"3", start, 1, 2, 3 * time.Second, -time.Second, false},
		{"4", start, 1, 1, 4 * time.Second, -time.Second, false},
		{"5", start, 1, 0, 5 * time.Second, -time.Second, false},
		{"6 limited", start, 1, 0, 5 * time.Second, time.Second, true},
		{"7", ms(3000), 1, 2, 3000 * time.Millisecond, -time.Second, false},
		{"8", ms(3100), 1, 1, 3900 * time.Millisecond, -time.Second, false},
		{"9", ms(4000), 1, 1, 4000 * time.Millisecond, -time.Second, false},
		{"10", ms(8000), 1, 4, 1000 * time.Millisecond, -time.Second, false},
		{"11", ms(9500), 1, 4, 1000 * time.Millisecond, -time.Second, false},
		{"12 zero quantity peeks", ms(9500), 0, 4, time.Second, -time.Second, false},
		{"13 quantity 2", ms(9500), 2, 2, 3 * time.Second, -time.Second, false},
		{"14 large request limited", ms(9500), 5, 2, 3 * time.Second, 3 * time.Second, true},
	}
	var tat int64
	ok := false
	for _, c := range cases {
		res, newTAT, ttl, store, err := g.Take(tat, ok, c.now, c.quantity)
		if err != nil {
			t.Fatalf("case %s: %v", c.name, err)
		}
		want := Throttle{Limited: c.limited, Limit: 5, Remaining: c.remaining, RetryAfter: c.retry, ResetAfter: c.reset}
		if res != want {
			t.Errorf("case %s: got %+v, want %+v", c.name, res, want)
		}
		if store == c.limited {
			t.Errorf("case %s: store = %v for limited = %v", c.name, store, c.limited)
		}
		if store {
			if ttl != c.reset || newTAT != c.now+int64(ttl) {
				t.Errorf("case %s: new TAT %d ttl %v, want now+%v", c.name, newTAT, ttl, c.reset)
			}
			tat, ok = newTAT, true
		}
	}
}

// TestGCRAReply checks the five integers, including redis-cell's rounding
// of durations to seconds.
func TestGCRAReply(t *testing.T) {
	cases := []struct {
		name string
		in   Throttle
		want [5]int64
	}{
		{"allowed", Throttle{Limit: 16, Remaining: 15, RetryAfter: -time.Second, ResetAfter: 2 * time.Second}, [5]int64{0, 16, 15, -1, 2}},
		{"limited rounds up", Throttle{Limited: true, Limit: 5, RetryAfter: 900 * time.Millisecond, ResetAfter: 3900 * time.Millisecond}, [5]int64{1, 5, 0, 1, 4}},
		{"sub-millisecond dropped", Throttle{Limit: 1, RetryAfter: 2*time.Second + 999*time.Microsecond, ResetAfter: 999 * time.Microsecond}, [5]int64{0, 1, 0, 2, 0}},
		{"negative truncates toward zero", Throttle{Limit: 1, RetryAfter: -time.Second, ResetAfter: -1500 * time.Millisecond}, [5]int64{0, 1, 0, -1, -1}},
	}
	for _, c := range cases {
		if got := c.in.Reply(); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestNewGCRA(t *testing.T) {
	cases := []struct {
		name                     string
		burst, count, period     int64
		err                      error
		emission, tolerance, lim int64
	}{
		{"readme 15 30 60", 15, 30, 60, nil, 2e9, 32e9, 16},
		{"emission truncates", 0, 3, 1, nil, 333333333, 333333333, 1},
		{"zero count", 1, 0, 60, ErrZeroRate, 0, 0, 0},
		{"zero period", 1, 10, 0, ErrZeroRate, 0, 0, 0},
		{"below a nanosecond", 1, 2e9, 1, ErrZeroRate, 0, 0, 0},
		{"negative burst", -1, 1, 1, ErrRateRange, 0, 0, 0},
		{"negative count", 1, -1, 1, ErrRateRange, 0, 0, 0},
		{"negative period", 1, 1, -1, ErrRateRange, 0, 0, 0},
		{"period overflows", 1, 1, math.MaxInt64 / int64(time.Second) * 2, ErrRateRange, 0, 0, 0},
		{"tolerance overflows", math.MaxInt64 / 2, 1, 1, ErrRateRange, 0, 0, 0},
		{"burst max", math.MaxInt64, 1, 1, ErrRateRange, 0, 0, 0},
	}
	for _, c := range cases {
		g, err := NewGCRA(c.burst, c.count, c.period)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.err)
			continue
		}
		if err == nil && (g.emission != c.emission || g.tolerance != c.tolerance || g.limit != c.lim) {
			t.Errorf("%s: got %+v", c.name, g)
		}
	}
}

func TestGCRATakeRange(t *testing.T) {
	g, _ := NewGCRA(1, 1, 1)
	now := time.Now().UnixNano()
	if _, _, _, _, err := g.Take(0, false, now, -1); !errors.Is(err, ErrRateRange) {
		t.Errorf("negative quantity: %v", err)
	}
	if _, _, _, _, err := g.Take(0, false, now, math.MaxInt64/int64(time.Second)+1); !errors.Is(err, ErrRateRange) {
		t.Errorf("huge quantity: %v", err)
	}
	if _, _, _, _, err := g.Take(math.MaxInt64-1, true, now, 1); !errors.Is(err, ErrRateRange) {
		t.Errorf("TAT overflow: %v", err)
	}
}

// TestGCRASubMicrosecondEmission: redis-cell divides whole microseconds,
// so an emission interval under 1µs divides by zero and saturates.
func TestGCRASubMicrosecondEmission(t *testing.T) {
	g, err := NewGCRA(10, 1e7, 1) // 100ns per request
	if err != nil {
		t.Fatal(err)
	}
	res, _, _, _, _ := g.Take(0, false, time.Now().UnixNano(), 1)
	if res.Limited || res.Remaining != math.MaxInt64 {
		t.Errorf("got %+v", res)
	}
}
