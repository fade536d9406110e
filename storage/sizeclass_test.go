package storage

import "testing"

// TestAllocSize: the table lookup gives the smallest size class that
// holds n, as a scan of sizeClasses finds it, and whole pages past 32 KB.
func TestAllocSize(t *testing.T) {
	class := 0
	for n := 1; n <= 32768; n++ {
		for sizeClasses[class] < n {
			class++
		}
		if got := allocSize(n); got != sizeClasses[class] {
			t.Fatalf("allocSize(%d) = %d, want %d", n, got, sizeClasses[class])
		}
	}
	for _, c := range []struct{ n, want int }{{-1, 0}, {0, 0}, {32769, 40960}, {40960, 40960}, {1 << 20, 1 << 20}} {
		if got := allocSize(c.n); got != c.want {
			t.Errorf("allocSize(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}
