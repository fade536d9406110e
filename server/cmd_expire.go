package server

// Expiry commands.
// https://redis.io/commands/?group=generic

import (
	"fmt"
	"math"
)

func registerExpireCommands(t commandTable) {}

// expireTime converts an EX/PX/EXAT/PXAT amount (unit named by the lower-
// case option) to absolute unix milliseconds. It fails, as Redis does, for
// non-positive amounts and for amounts that overflow.
func expireTime(c *client, unit string, n int64) (int64, bool) {
	if n <= 0 {
		return 0, false
	}
	switch unit {
	case "ex":
		if n > math.MaxInt64/1000 {
			return 0, false
		}
		n *= 1000
		fallthrough
	case "px":
		now := c.srv.store.Now()
		if n > math.MaxInt64-now {
			return 0, false
		}
		return now + n, true
	case "exat":
		if n > math.MaxInt64/1000 {
			return 0, false
		}
		return n * 1000, true
	}
	return n, true // pxat
}

func invalidExpire(cmd string) string { return fmt.Sprintf(msgInvalidExpire, cmd) }
