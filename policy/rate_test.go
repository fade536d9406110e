package policy

import (
	"math"
	"testing"
)

func TestFixedWindow(t *testing.T) {
	w := Window{Limit: 3, Length: 1000}
	const t0 = 1_700_000_000_000
	type step struct {
		name string
		now  int64
		cost int64
		want Decision
	}
	cases := []struct {
		name  string
		start FixedState
		steps []step
	}{
		{"admits limit then denies", FixedState{}, []step{
			{"first opens the window", t0, 1, Decision{true, 1, 2, 1000}},
			{"second", t0 + 100, 1, Decision{true, 2, 1, 900}},
			{"third", t0 + 200, 1, Decision{true, 3, 0, 800}},
			{"fourth denied", t0 + 300, 1, Decision{false, 3, 0, 700}},
			{"last millisecond still counts", t0 + 1000, 1, Decision{false, 3, 0, 0}},
			{"window closed", t0 + 1001, 1, Decision{true, 1, 2, 1000}},
		}},
		{"denied cost does not consume", FixedState{}, []step{
			{"two", t0, 2, Decision{true, 2, 1, 1000}},
			{"two more denied", t0 + 1, 2, Decision{false, 2, 1, 999}},
			{"one still fits", t0 + 2, 1, Decision{true, 3, 0, 998}},
		}},
		{"zero cost peeks", FixedState{Count: 2, End: t0 + 500}, []step{
			{"peek", t0, 0, Decision{true, 2, 1, 500}},
			{"peek at limit", t0, 0, Decision{true, 2, 1, 500}},
		}},
		{"counter without TTL starts over", FixedState{Count: 99}, []step{
			{"new window", t0, 1, Decision{true, 1, 2, 1000}},
		}},
		{"negative counter reads as empty", FixedState{Count: -5, End: t0 + 10}, []step{
			{"first", t0, 1, Decision{true, 1, 2, 10}},
		}},
		{"huge counter denies", FixedState{Count: math.MaxInt64, End: t0 + 10}, []step{
			{"denied", t0, 3, Decision{false, math.MaxInt64, 0, 10}},
		}},
	}
	for _, c := range cases {
		s := c.start
		for _, st := range c.steps {
			var d Decision
			before := s
			d, s = w.Fixed(s, st.now, st.cost)
			if d != st.want {
				t.Errorf("%s / %s: got %+v, want %+v", c.name, st.name, d, st.want)
			}
			if !d.Allowed && before.End > st.now && s != before && before.Count >= 0 {
				t.Errorf("%s / %s: denied request changed state %+v -> %+v", c.name, st.name, before, s)
			}
		}
	}
}

func TestSlidingWindow(t *testing.T) {
	w := Window{Limit: 50, Length: 60_000}
	const t0 = 1_700_000_000_000
	cases := []struct {
		name  string
		state SlidingState
		now   int64
		cost  int64
		want  Decision
		next  SlidingState
	}{
		{"first request opens a window", SlidingState{}, t0, 1,
			Decision{true, 1, 49, 60_000}, SlidingState{1, 0, t0}},
		// Cloudflare's example: 42 in the previous minute, 18 in the
		// first 15 s of this one: 42*45/60+18 = 49.5, so one more trips.
		{"cloudflare example trips", SlidingState{18, 42, t0}, t0 + 15_000, 1,
			Decision{false, 50, 0, 45_000}, SlidingState{18, 42, t0}},
		{"a little later it fits", SlidingState{18, 42, t0}, t0 + 17_000, 1,
			Decision{true, 50, 0, 43_000}, SlidingState{19, 42, t0}},
		{"rolls over: current becomes previous", SlidingState{40, 7, t0}, t0 + 60_000, 1,
			Decision{true, 41, 9, 60_000}, SlidingState{1, 40, t0 + 60_000}},
		{"rolls over halfway", SlidingState{40, 7, t0}, t0 + 90_000, 1,
			Decision{true, 21, 29, 30_000}, SlidingState{1, 40, t0 + 60_000}},
		{"idle two windows: all forgotten", SlidingState{40, 7, t0}, t0 + 120_000, 1,
			Decision{true, 1, 49, 60_000}, SlidingState{1, 0, t0 + 120_000}},
		{"idle many windows keeps the grid", SlidingState{40, 7, t0}, t0 + 10*60_000 + 5, 1,
			Decision{true, 1, 49, 59_995}, SlidingState{1, 0, t0 + 10*60_000}},
		{"zero cost peeks", SlidingState{10, 0, t0}, t0, 0,
			Decision{true, 10, 40, 60_000}, SlidingState{10, 0, t0}},
		{"clock stepped back", SlidingState{10, 60, t0}, t0 - 5, 1,
			Decision{false, 70, 0, 60_005}, SlidingState{10, 60, t0}},
		{"huge previous saturates", SlidingState{math.MaxInt64, math.MaxInt64, t0}, t0, 1,
			Decision{false, math.MaxInt64, 0, 60_000}, SlidingState{math.MaxInt64, math.MaxInt64, t0}},
	}
	for _, c := range cases {
		d, next := w.Sliding(c.state, c.now, c.cost)
		if d != c.want || next != c.next {
			t.Errorf("%s: got %+v %+v, want %+v %+v", c.name, d, next, c.want, c.next)
		}
	}
	if got := w.SlidingExpireAt(SlidingState{Start: t0}); got != t0+120_000 {
		t.Errorf("SlidingExpireAt = %d", got)
	}
}

func TestSlidingText(t *testing.T) {
	s := SlidingState{Current: 3, Previous: 17, Start: 1_700_000_000_000}
	b := AppendSliding(nil, s)
	if string(b) != "3 17 1700000000000" {
		t.Fatalf("text %q", b)
	}
	if got, ok := ParseSliding(b); !ok || got != s {
		t.Fatalf("round trip: %+v %v", got, ok)
	}
	for _, bad := range []string{"", "3", "3 17", "3 17 ", "3  17 5", "3 17 5 6", "a 1 2", "1 2 x", " 1 2 3", "99999999999999999999 1 2"} {
		if _, ok := ParseSliding([]byte(bad)); ok {
			t.Errorf("ParseSliding(%q) accepted", bad)
		}
	}
}

func TestMulDivCeil(t *testing.T) {
	cases := []struct{ a, b, c, want int64 }{
		{42, 45_000, 60_000, 32},
		{40, 30_000, 60_000, 20},
		{0, 5, 7, 0},
		{7, 0, 7, 0},
		{math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{math.MaxInt64, 1, 2, math.MaxInt64/2 + 1},
	}
	for _, c := range cases {
		if got := mulDivCeil(c.a, c.b, c.c); got != c.want {
			t.Errorf("mulDivCeil(%d,%d,%d) = %d, want %d", c.a, c.b, c.c, got, c.want)
		}
	}
}
