package storage

import "math/bits"

// sketch is a count-min sketch of 4-bit counters, as Caffeine's and
// ristretto's TinyLFU keep: four rows of width counters each, sixteen
// counters to a uint64, estimating how often a key hash was recorded. It
// forgets by halving every counter once it has recorded period hashes, so
// an estimate covers the last period to two periods of records. It is not
// safe for concurrent use; allkeys-tinylfu keeps one per shard, under the
// shard's lock.
//
// increment is conservative (only the counters at the minimum grow), which
// keeps the estimates of rarely recorded keys from drifting up with the
// collisions of many one-off keys: those are the estimates admission
// compares.
type sketch struct {
	table []uint64 // sketchRows rows of width counters
	log   uint     // log2 of width
	adds  int      // increments since the last halving, halved with the counters
}

const (
	sketchRows = 4
	// sketchMinWidth bounds a small shard's sketch from below: 128 bytes.
	sketchMinWidth = 64
)

// newSketch returns a sketch of width counters a row, rounded up to a power
// of two (at least sketchMinWidth).
func newSketch(width int) *sketch {
	log := uint(bits.Len(uint(max(width, sketchMinWidth) - 1)))
	return &sketch{table: make([]uint64, sketchRows<<log/16), log: log}
}

// width returns the counters per row.
func (s *sketch) width() int { return 1 << s.log }

// bytes returns what the sketch's table costs.
func (s *sketch) bytes() int64 { return 8 * int64(len(s.table)) }

// counters returns the index of h's counter in each row. The low bits of
// a key hash pick its shard, alike for every key of a sketch, so h is
// mixed first; two rounds give 32 bits a row.
func (s *sketch) counters(h uint64) [sketchRows]uint64 {
	x := mix64(h >> 8)
	y := mix64(x)
	mask := uint64(1)<<s.log - 1
	w := uint64(1) << s.log
	return [sketchRows]uint64{x & mask, w + (x>>32)&mask, 2*w + y&mask, 3*w + (y>>32)&mask}
}

func (s *sketch) get(c uint64) uint64 { return s.table[c/16] >> (c % 16 * 4) & 15 }

// estimate returns how often h was recorded lately: 0 to 15.
func (s *sketch) estimate(h uint64) int {
	m := uint64(15)
	for _, c := range s.counters(h) {
		m = min(m, s.get(c))
	}
	return int(m)
}

// increment records h, and halves every counter when period increments
// have been recorded since the last halving.
func (s *sketch) increment(h uint64, period int) {
	cs := s.counters(h)
	m := uint64(15)
	for _, c := range cs {
		m = min(m, s.get(c))
	}
	if m < 15 {
		for _, c := range cs {
			if s.get(c) == m {
				s.table[c/16] += 1 << (c % 16 * 4)
			}
		}
	}
	if s.adds++; s.adds >= period {
		s.halve()
	}
}

// halve divides every counter by two.
func (s *sketch) halve() {
	for i := range s.table {
		s.table[i] = s.table[i] >> 1 & 0x7777777777777777
	}
	s.adds /= 2
}

// mix64 is SplitMix64's finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
