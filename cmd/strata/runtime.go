package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// gcHeadroom is how far the heap may grow past the live heap between
// collections once the live heap is large. Go's default (GOGC=100) lets a
// cache of 300 MB grow to 600 MB before collecting; a fixed headroom keeps
// RSS near what the keys cost, at the price of more frequent collections
// while a big dataset is being written.
const gcHeadroom = 32 << 20

// tuneRuntime keeps the GC's headroom near gcHeadroom, unless the user set
// GOGC. GOMAXPROCS is left at Go's default (every CPU): measured on two
// cores under redis-benchmark, one P served -P 1 GETs as fast as two but
// doubled the p99 of pipelined SETs, because a collection's marking then
// shares the only P with the clients.
func tuneRuntime() {
	if os.Getenv("GOGC") == "" {
		go tuneGC()
	}
}

// tuneGC sets GOGC each second to gcHeadroom as a share of the live heap,
// between 10% and 100%.
func tuneGC() {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	current := 100
	for range time.Tick(time.Second) {
		metrics.Read(sample)
		live := sample[0].Value.Uint64()
		percent := 100
		if live > 0 {
			percent = int(min(100, max(10, 100*gcHeadroom/live)))
		}
		if percent != current {
			debug.SetGCPercent(percent)
			current = percent
		}
	}
}
