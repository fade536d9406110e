package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// tuneRuntime sets the Go runtime up for a cache server, unless the user
// set GOMAXPROCS or GOGC. It runs Go code on half the CPUs (at least one),
// leaving the rest to the kernel's network stack and to the clients, which
// on a shared host (or under redis-benchmark) run on the same cores: on two
// cores, one P against two served -P 1 GETs at 86.8k/s against 67.5k (Redis
// 85.3k) with a p99 of 0.94 ms against 1.01 ms, pipelined SETs at the same
// rate with a p99 of 3.4 ms against 4.8 ms (Redis 3.2 ms): two Ps and the
// client oversubscribe two cores, and the kernel's time slices show as tail
// latency. It then keeps the garbage collector's headroom at gcHeadroom,
// which keeps collections rare enough for one P to carry them.
func tuneRuntime() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(max(1, runtime.NumCPU()/2))
	}
	if os.Getenv("GOGC") == "" {
		tuneGC()
	}
}

// gcHeadroom returns the headroom for a live heap of live bytes. Go's
// default (GOGC=100, headroom = live) is wrong at both ends for a cache:
//   - a small heap written fast is collected too often: at 30 MB live and
//     500k SETs/s, every 0.4 s, and each marking costs throughput and tail
//     latency (measured: GOGC=800 served pipelined SETs 18% faster with a
//     25% lower p99);
//   - a large heap doubles before it is collected, so RSS is twice what
//     the keys cost.
//
// So the headroom shrinks as the heap grows, headroom x live staying
// constant: 128 MB up to 32 MB live, 32 MB at 128 MB, never under 10%.
func gcHeadroom(live uint64) uint64 {
	const mb = 1 << 20
	const area = 4096 * mb * mb
	if live == 0 {
		return 128 * mb
	}
	return max(live/10, min(128*mb, area/live))
}

// tuneGC sets GOGC from gcHeadroom and the live heap at once, then after
// every collection. It first did so once a second, and a heap growing fast
// outran it: loading 1M 100-byte keys at -P 16, a collection's goal came
// from a GOGC set when the live heap was a third smaller (a 208 MB goal
// for 159 MB live), and RSS stayed 18 bytes a key over what it was when
// the same load ran slower.
func tuneGC() {
	t := &gcTuner{sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.current.Store(100)
	t.retune()
	t.arm()
}

// gcTuner keeps GOGC at gcHeadroom of the live heap. Only the runtime's
// cleanup goroutine uses it after tuneGC.
type gcTuner struct {
	sample  []metrics.Sample
	current atomic.Int64 // the GOGC it set last
}

// gcSentinel is an object allocated only to be collected: its cleanup
// marks the end of a collection. A pointer in it keeps it out of the tiny
// allocator, whose blocks hold several objects and outlive them.
type gcSentinel struct {
	_ *byte
	_ [8]byte
}

// arm has the next collection call retune, and arm again.
func (t *gcTuner) arm() {
	runtime.AddCleanup(new(gcSentinel), func(t *gcTuner) {
		t.retune()
		t.arm()
	}, t)
}

// retune sets GOGC from the live heap the last collection found.
func (t *gcTuner) retune() {
	metrics.Read(t.sample)
	// Before the first collection the live heap reads 0: count the few
	// MB a server starts with.
	live := max(t.sample[0].Value.Uint64(), 4<<20)
	if percent := int64(max(10, 100*gcHeadroom(live)/live)); percent != t.current.Load() {
		debug.SetGCPercent(int(percent))
		t.current.Store(percent)
	}
}
