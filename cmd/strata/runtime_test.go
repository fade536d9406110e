package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

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

// TestGCTunerRetunesAfterCollections: an armed tuner sets GOGC after the
// next collection, from the live heap it found, without a timer.
func TestGCTunerRetunesAfterCollections(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tuner := &gcTuner{sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	tuner.current.Store(-1) // no GOGC retune would set
	tuner.arm()
	for deadline := time.Now().Add(10 * time.Second); tuner.current.Load() == -1 && time.Now().Before(deadline); {
		runtime.GC()
		runtime.Gosched()
	}
	if got := tuner.current.Load(); got == -1 {
		t.Fatal("no collection retuned GOGC")
	} else if got < 10 {
		t.Errorf("GOGC set to %d, under the 10%% floor", got)
	}
}
