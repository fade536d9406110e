// Package pqsort is Redis's partial quicksort (pqsort.c): the NetBSD libc
// qsort, after Bentley and McIlroy's "Engineering a Sort Function", that
// skips the partitions lying wholly outside the range of positions the
// caller wants sorted. Redis uses it for SORT ... LIMIT and for geo
// searches with COUNT; Strata ports it step for step because, unlike a
// stable sort, it leaves elements that compare equal in an order of its
// own, which shows in those commands' replies.
//
// Where Redis sorts a whole array it calls the C library's qsort, which in
// glibc is a merge sort, so a stable sort (slices.SortStableFunc) gives
// its order; this package is only for the partial sorts.
package pqsort

// Sort orders a so that positions lo to hi (0 <= lo <= hi < len(a)) hold
// the elements a full sort by cmp would put there, in the order Redis's
// pqsort leaves them (elements equal under cmp included). Elements outside
// that range end up in no defined order. cmp returns a negative number,
// zero or a positive number as x sorts before, with or after y.
func Sort[T any](a []T, cmp func(x, y T) int, lo, hi int) {
	s := sorter[T]{a: a, cmp: cmp, lo: lo, hi: hi}
	s.sort(0, len(a))
}

type sorter[T any] struct {
	a      []T
	cmp    func(x, y T) int
	lo, hi int
}

func (s *sorter[T]) less(i, j int) int { return s.cmp(s.a[i], s.a[j]) }
func (s *sorter[T]) swap(i, j int)     { s.a[i], s.a[j] = s.a[j], s.a[i] }

// vecswap swaps the n elements from i with the n from j.
func (s *sorter[T]) vecswap(i, j, n int) {
	for k := 0; k < n; k++ {
		s.swap(i+k, j+k)
	}
}

// med3 returns the index of the median of three elements.
func (s *sorter[T]) med3(a, b, c int) int {
	if s.less(a, b) < 0 {
		switch {
		case s.less(b, c) < 0:
			return b
		case s.less(a, c) < 0:
			return c
		}
		return a
	}
	switch {
	case s.less(b, c) > 0:
		return b
	case s.less(a, c) < 0:
		return a
	}
	return c
}

// outside reports whether the n elements from base lie wholly before or
// wholly after the range to sort.
func (s *sorter[T]) outside(base, n int) bool {
	return s.lo < base && s.hi < base || s.lo >= base+n && s.hi >= base+n
}

// sort is _pqsort over the n elements from base.
func (s *sorter[T]) sort(base, n int) {
	for {
		if n < 7 { // insertion sort
			for m := base + 1; m < base+n; m++ {
				for l := m; l > base && s.less(l-1, l) > 0; l-- {
					s.swap(l, l-1)
				}
			}
			return
		}
		pm := base + n/2
		if n > 7 {
			pl, pn := base, base+n-1
			if n > 40 {
				d := n / 8
				pl = s.med3(pl, pl+d, pl+2*d)
				pm = s.med3(pm-d, pm, pm+d)
				pn = s.med3(pn-2*d, pn-d, pn)
			}
			pm = s.med3(pl, pm, pn)
		}
		s.swap(base, pm)
		// Partition: equal to the pivot at both ends (from base+1 to pa,
		// from pd to the end), less, then greater, in between.
		pa, pb := base+1, base+1
		pc, pd := base+n-1, base+n-1
		for {
			for pb <= pc {
				r := s.less(pb, base)
				if r > 0 {
					break
				}
				if r == 0 {
					s.swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := s.less(pc, base)
				if r < 0 {
					break
				}
				if r == 0 {
					s.swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			s.swap(pb, pc)
			pb++
			pc--
		}
		end := base + n
		r := min(pa-base, pb-pa)
		s.vecswap(base, pb-r, r)
		r = min(pd-pc, end-pd-1)
		s.vecswap(pb, end-r, r)
		if r = pb - pa; r > 1 && !s.outside(base, r) {
			s.sort(base, r)
		}
		r = pd - pc
		if r <= 1 {
			return
		}
		// Iterate rather than recurse on the greater side.
		base, n = end-r, r
		if s.outside(base, n) {
			return
		}
	}
}
