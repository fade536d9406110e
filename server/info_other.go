//go:build !unix

package server

import "time"

// cpuTimes is unknown where there is no getrusage: INFO's CPU section is
// then empty.
func cpuTimes() (user, sys time.Duration, ok bool) { return 0, 0, false }
