package main

import "testing"

func TestGCHeadroom(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		name       string
		live, want uint64
	}{
		{"empty", 0, 128 * mb},
		{"small heap gets the cap", 30 * mb, 128 * mb},
		{"64 MB", 64 * mb, 64 * mb},
		{"128 MB", 128 * mb, 32 * mb},
		{"256 MB keeps 10%", 256 * mb, 256 * mb / 10},
		{"large heap keeps 10%", 4096 * mb, 4096 * mb / 10},
	} {
		if got := gcHeadroom(tc.live); got != tc.want {
			t.Errorf("%s: gcHeadroom(%d MB) = %d MB, want %d MB", tc.name, tc.live/mb, got/mb, tc.want/mb)
		}
	}
}
