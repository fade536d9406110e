package storage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"unsafe"
)

type zpair struct {
	m string
	s float64
}

func zpairs(z *ZSet) []zpair {
	var out []zpair
	z.Each(func(m string, s float64) bool {
		out = append(out, zpair{m, s})
		return true
	})
	return out
}

// TestZSetAgainstReference runs random adds, score updates and removals
// on a sorted set and on a sorted slice, checking order, ranks, counts and
// the skiplist's spans (through ByRank) after each batch.
func TestZSetAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	z := NewZSet(0, 0)
	ref := map[string]float64{}
	sorted := func() []zpair {
		var out []zpair
		for m, s := range ref {
			out = append(out, zpair{m, s})
		}
		sort.Slice(out, func(i, j int) bool { return zLess(out[i].s, out[i].m, out[j].s, out[j].m) })
		return out
	}
	for round := 0; round < 40; round++ {
		for i := 0; i < 100; i++ {
			m := fmt.Sprintf("m%d", rng.IntN(300))
			switch rng.IntN(4) {
			case 0, 1:
				s := float64(rng.IntN(50))
				_, had := ref[m]
				if added := z.Set([]byte(m), s); added == had {
					t.Fatalf("Set(%s) added %v, had %v", m, added, had)
				}
				ref[m] = s
			case 2:
				_, had := ref[m]
				if z.Remove([]byte(m)) != had {
					t.Fatalf("Remove(%s)", m)
				}
				delete(ref, m)
			case 3:
				rs, rok := ref[m]
				if s, ok := z.Score([]byte(m)); ok != rok || ok && s != rs {
					t.Fatalf("Score(%s) = %v %v, want %v %v", m, s, ok, rs, rok)
				}
			}
		}
		want := sorted()
		if got := zpairs(z); !slices.Equal(got, want) || z.Len() != len(want) {
			t.Fatalf("round %d: order diverged", round)
		}
		for r, p := range want {
			if m, s := z.ByRank(r); m != p.m || s != p.s {
				t.Fatalf("ByRank(%d) = %s %v, want %v", r, m, s, p)
			}
			if got, ok := z.Rank([]byte(p.m), false); !ok || got != r {
				t.Fatalf("Rank(%s) = %d", p.m, got)
			}
			if got, _ := z.Rank([]byte(p.m), true); got != len(want)-1-r {
				t.Fatalf("reverse Rank(%s) = %d", p.m, got)
			}
		}
		lo, hi := float64(rng.IntN(50)), float64(rng.IntN(50))
		n := 0
		for _, p := range want {
			if p.s > lo && p.s <= hi {
				n++
			}
		}
		if got := z.CountByScore(ScoreRange{Min: lo, Max: hi, MinEx: true}); got != n {
			t.Fatalf("CountByScore(%v, %v] = %d, want %d", lo, hi, got, n)
		}
	}
}

func TestZSetRanges(t *testing.T) {
	z := NewZSet(0, 0)
	for i, m := range []string{"a", "b", "c", "d", "e"} {
		z.Set([]byte(m), float64(i+1))
	}
	collect := func(f func(fn func(string, float64))) []string {
		var out []string
		f(func(m string, _ float64) { out = append(out, m) })
		return out
	}
	inf := math.Inf(1)
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"rank", collect(func(fn func(string, float64)) { z.Range(1, 3, false, fn) }), []string{"b", "c", "d"}},
		{"rank reverse", collect(func(fn func(string, float64)) { z.Range(0, 1, true, fn) }), []string{"e", "d"}},
		{"score", collect(func(fn func(string, float64)) { z.RangeByScore(ScoreRange{Min: 2, Max: 4}, false, 0, -1, fn) }), []string{"b", "c", "d"}},
		{"score open", collect(func(fn func(string, float64)) {
			z.RangeByScore(ScoreRange{Min: 2, Max: 4, MinEx: true, MaxEx: true}, false, 0, -1, fn)
		}), []string{"c"}},
		{"score reverse limit", collect(func(fn func(string, float64)) {
			z.RangeByScore(ScoreRange{Min: -inf, Max: inf}, true, 1, 2, fn)
		}), []string{"d", "c"}},
		{"score negative offset", collect(func(fn func(string, float64)) {
			z.RangeByScore(ScoreRange{Min: -inf, Max: inf}, false, -1, -1, fn)
		}), nil},
		{"scan score half open, stopped", collect(func(fn func(string, float64)) {
			z.ScanByScore(ScoreRange{Min: 2, Max: 5, MaxEx: true}, func(m string, s float64) bool {
				fn(m, s)
				return m != "c"
			})
		}), []string{"b", "c"}},
		{"scan score to the end", collect(func(fn func(string, float64)) {
			z.ScanByScore(ScoreRange{Min: 4, Max: 5, MaxEx: true}, func(m string, s float64) bool { fn(m, s); return true })
		}), []string{"d"}},
		{"lex", collect(func(fn func(string, float64)) {
			z.RangeByLex(LexRange{Min: LexBound{Value: "b"}, Max: LexBound{Value: "d", Ex: true}}, false, 0, -1, fn)
		}), []string{"b", "c"}},
		{"lex infinite", collect(func(fn func(string, float64)) {
			z.RangeByLex(LexRange{Min: LexBound{Inf: -1, Ex: true}, Max: LexBound{Inf: 1, Ex: true}}, true, 0, 2, fn)
		}), []string{"e", "d"}},
		{"lex empty", collect(func(fn func(string, float64)) {
			z.RangeByLex(LexRange{Min: LexBound{Inf: -1, Ex: true}, Max: LexBound{Inf: -1, Ex: true}}, false, 0, -1, fn)
		}), nil},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if n := z.RemoveRangeByScore(ScoreRange{Min: 2, Max: 3}); n != 2 {
		t.Errorf("RemoveRangeByScore removed %d", n)
	}
	if n := z.RemoveRangeByRank(0, 0); n != 1 {
		t.Errorf("RemoveRangeByRank removed %d", n)
	}
	if got := zpairs(z); !slices.Equal(got, []zpair{{"d", 4}, {"e", 5}}) {
		t.Errorf("left %v", got)
	}
	if m, s := z.PopMin(true); m != "e" || s != 5 {
		t.Errorf("PopMin(max) %s %v", m, s)
	}
}

func TestZSetEncoding(t *testing.T) {
	tests := []struct {
		name     string
		hint     int
		maxLen   int
		members  int
		memLen   int
		skiplist bool
	}{
		{"small", 1, 1, 128, 1, false},
		{"too many", 1, 1, 129, 1, true},
		{"too long", 1, 1, 1, 65, true},
		{"created big", 129, 1, 1, 1, true},
	}
	for _, tt := range tests {
		z := NewZSet(tt.hint, tt.maxLen)
		for i := 0; i < tt.members; i++ {
			m := fmt.Sprintf("%0*d", tt.memLen, i)
			z.Set([]byte(m), 1)
		}
		if z.skiplist != tt.skiplist {
			t.Errorf("%s: skiplist %v", tt.name, z.skiplist)
		}
	}
	z := NewZSet(200, 0)
	z.Set([]byte("a"), 1)
	z.SettleEncoding()
	if z.skiplist {
		t.Error("a settled one-member set must be a listpack")
	}
}

func TestZSetCodecRoundTrip(t *testing.T) {
	z := NewZSet(0, 0)
	z.Set([]byte("a"), -1.5)
	z.Set([]byte(""), math.Inf(1))
	z.Set([]byte("\x00"), 0)
	b := appendZSet(nil, ZSetValue(z))
	v, err := decodeZSet(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := zpairs(Object[ZSet](v)); !slices.Equal(got, zpairs(z)) {
		t.Errorf("decoded %v", got)
	}
	for _, bad := range [][]byte{nil, {0}, {1, 1, 'a'}, append(b, 0)} {
		if _, err := decodeZSet(bad); err == nil {
			t.Errorf("decodeZSet(%q) accepted", bad)
		}
	}
}

// TestZSetAddIsLogarithmic adds to a big set and checks the skiplist's
// height stays logarithmic: a sorted slice would pass the order checks but
// make ZADD O(n).
func TestZSetAddIsLogarithmic(t *testing.T) {
	z := NewZSet(0, 0)
	for i := 0; i < 100_000; i++ {
		z.Set([]byte(fmt.Sprint(i)), float64(i%1000))
	}
	if z.level < 4 || z.level > 20 {
		t.Errorf("level %d for 100k members", z.level)
	}
	if m, _ := z.ByRank(50_000); m == "" {
		t.Error("ByRank")
	}
}

// TestZNodeLayout checks what a search hop relies on: a node of one
// level fills one 64-byte allocation, and a node of any height has room
// for its levels.
func TestZNodeLayout(t *testing.T) {
	if size := allocSize(int(unsafe.Sizeof(zNode{}))); size != 64 {
		t.Errorf("a one-level node takes %d bytes, want 64", size)
	}
	for levels := 1; levels <= zMaxLevel; levels++ {
		n := newNode(levels)
		if n.height != levels {
			t.Fatalf("newNode(%d) has %d levels", levels, n.height)
		}
		for i := 0; i < levels; i++ { // under -race, checkptr checks each stays inside the node
			n.lvl(i).span = i
		}
		if n.lvl(levels-1).span != levels-1 || n.lv[0].span != 0 {
			t.Errorf("newNode(%d): levels overlap", levels)
		}
	}
}

// TestZSetRangeSearchDoesNotAllocate: the skiplist searches take their
// range as a type parameter; as an interface value each range was boxed
// (a geo search scans nine).
func TestZSetRangeSearchDoesNotAllocate(t *testing.T) {
	z := NewZSet(1000, 8)
	for i := 0; i < 1000; i++ {
		z.Set([]byte(fmt.Sprint("m", i)), float64(i))
	}
	seen := 0
	visit := func(string, float64) bool { seen++; return true }
	lex := LexRange{Min: LexBound{Inf: -1}, Max: LexBound{Inf: 1}}
	if n := testing.AllocsPerRun(100, func() {
		z.ScanByScore(ScoreRange{Min: 10, Max: 20, MaxEx: true}, visit)
		_ = z.CountByScore(ScoreRange{Min: 10, Max: 20})
		_ = z.CountByLex(lex)
	}); n != 0 {
		t.Errorf("%v allocations per search", n)
	}
	if seen == 0 {
		t.Error("the scan visited nothing")
	}
}

// TestZSetPrefetchScoreRanges: the prefetch of ranges, which has no
// result, ends and allocates nothing for ranges of every kind: empty, past
// either end, over the whole set, more than it walks side by side.
func TestZSetPrefetchScoreRanges(t *testing.T) {
	empty := NewZSet(0, 0)
	empty.PrefetchScoreRanges([]ScoreRange{{Min: 0, Max: 10}})
	z := NewZSet(1000, 8)
	for i := 0; i < 1000; i++ {
		z.Set([]byte(fmt.Sprint("m", i)), float64(i))
	}
	ranges := []ScoreRange{
		{Min: 10, Max: 20, MaxEx: true},
		{Min: 5, Max: 4},
		{Min: -10, Max: -1},
		{Min: 2000, Max: 3000},
		{Min: math.Inf(-1), Max: math.Inf(1)},
		{Min: 999, Max: 999},
	}
	for len(ranges) <= prefetchRanges {
		ranges = append(ranges, ScoreRange{Min: float64(len(ranges) * 50), Max: float64(len(ranges)*50 + 30)})
	}
	if n := testing.AllocsPerRun(10, func() { z.PrefetchScoreRanges(ranges) }); n != 0 {
		t.Errorf("%v allocations per prefetch", n)
	}
}
