package pqsort

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

type elem struct{ key, id int }

func byKey(x, y elem) int { return cmp.Compare(x.key, y.key) }

func elems(keys []int) []elem {
	a := make([]elem, len(keys))
	for i, k := range keys {
		a[i] = elem{k, i}
	}
	return a
}

func ids(a []elem) []int {
	out := make([]int, len(a))
	for i, e := range a {
		out[i] = e.id
	}
	return out
}

// TestSortMatchesRedis checks the order equal elements are left in
// against Redis's pqsort.c, compiled and run on the same input.
func TestSortMatchesRedis(t *testing.T) {
	fifty := make([]int, 50)
	for i := range fifty {
		fifty[i] = i * 7 % 5
	}
	for _, tc := range []struct {
		name   string
		keys   []int
		lo, hi int
		want   []int
	}{
		{
			name: "insertion sort of ties", keys: []int{3, 1, 2, 1, 3, 1, 2, 2, 1, 0}, lo: 0, hi: 2,
			want: []int{9, 1, 3, 5, 8, 0, 6, 7, 2, 4},
		},
		{
			name: "median of nine", keys: fifty, lo: 3, hi: 9,
			want: []int{
				30, 45, 25, 5, 0, 40, 10, 35, 15, 20, 3, 48, 28, 23, 38, 13, 33, 43, 8, 18, 6, 1, 11, 16, 21,
				26, 31, 36, 41, 46, 19, 49, 32, 17, 34, 14, 47, 37, 12, 39, 9, 2, 42, 7, 44, 24, 4, 27, 22, 29,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := elems(tc.keys)
			Sort(a, byKey, tc.lo, tc.hi)
			if got := ids(a); !slices.Equal(got, tc.want) {
				t.Errorf("order %v, Redis's %v", got, tc.want)
			}
		})
	}
}

// TestSortRange checks, on random inputs, that the range asked for holds
// what a full sort puts there and that no element is lost.
func TestSortRange(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	for i := 0; i < 2000; i++ {
		n := 1 + r.IntN(200)
		keys := make([]int, n)
		spread := 1 + r.IntN(n)
		for j := range keys {
			keys[j] = r.IntN(spread)
		}
		lo := r.IntN(n)
		hi := lo + r.IntN(n-lo)
		a := elems(keys)
		Sort(a, byKey, lo, hi)
		sorted := slices.Clone(keys)
		slices.Sort(sorted)
		for j := lo; j <= hi; j++ {
			if a[j].key != sorted[j] {
				t.Fatalf("keys %v, range %d-%d: position %d holds %d, want %d", keys, lo, hi, j, a[j].key, sorted[j])
			}
		}
		seen := make([]bool, n)
		for _, e := range a {
			seen[e.id] = true
		}
		if slices.Contains(seen, false) {
			t.Fatalf("keys %v: an element was lost: %v", keys, a)
		}
	}
}
