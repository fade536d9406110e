package server

// Rate limiting and throttle commands: CACHE.RATE (fixed window or
// sliding-window counter), CACHE.RATE.RESET, CL.THROTTLE (redis-cell's
// GCRA, https://github.com/brandur/redis-cell) and CACHE.THROTTLE.
//
// Every limiter keeps its whole state in one ordinary string key with a TTL,
// so that GET, PTTL, DEL and keyspace tools see it, the dispatcher's
// per-key lock makes each request atomic, and a reset is one delete:
//   - a fixed window holds its count as a decimal integer, expiring when the
//     window closes (what INCR plus EXPIRE on the first hit leaves);
//   - a sliding window holds "current previous start_ms", expiring when it
//     no longer counts;
//   - CL.THROTTLE holds the theoretical arrival time in unix nanoseconds, as
//     redis-cell does, so data written by either reads the same;
//   - CACHE.THROTTLE holds "1" for the held period.

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

func registerRateCommands(t commandTable) {
	const rw = flagWrite | flagDenyOOM
	t.add(
		&command{name: "cache.rate", handler: cmdCacheRate, arity: -4, flags: rw, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteOwnTTL,
			categories: "@write @fast @cache"},
		&command{name: "cache.rate.reset", handler: cmdCacheRateReset, arity: 2, flags: flagWrite, firstKey: 1, lastKey: 1, keyStep: 1,
			categories: "@write @keyspace @fast @cache"},
		&command{name: "cl.throttle", handler: cmdClThrottle, arity: -5, flags: rw, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteOwnTTL,
			categories: "@write @fast @cache"},
		&command{name: "cache.throttle", handler: cmdCacheThrottle, arity: 3, flags: rw, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteOwnTTL,
			categories: "@write @fast @cache"},
	)
}

// rateArgs are CACHE.RATE's arguments after parsing.
type rateArgs struct {
	window  policy.Window
	cost    int64
	sliding bool
}

// parseRateArgs parses CACHE.RATE key limit window [COST n] [SLIDING]; on
// error it returns the reply text. The window, in seconds, must keep the
// state's expiry (two windows ahead for a sliding one) within int64
// milliseconds.
func parseRateArgs(args [][]byte, now int64) (rateArgs, string) {
	limit, ok := argInt(args[2])
	if !ok {
		return rateArgs{}, msgNotInteger
	}
	window, ok := argInt(args[3])
	if !ok {
		return rateArgs{}, msgNotInteger
	}
	r := rateArgs{cost: 1}
	for i := 4; i < len(args); i++ {
		switch {
		case is(args[i], "cost") && i+1 < len(args):
			if r.cost, ok = argInt(args[i+1]); !ok {
				return rateArgs{}, msgNotInteger
			}
			i++
		case is(args[i], "sliding"):
			r.sliding = true
		default:
			return rateArgs{}, msgSyntax
		}
	}
	if limit <= 0 {
		return rateArgs{}, msgRateLimit
	}
	if window <= 0 || window > (math.MaxInt64-now)/2000 {
		return rateArgs{}, invalidExpire("cache.rate")
	}
	if r.cost < 0 || r.cost > limit {
		return rateArgs{}, msgRateCost
	}
	r.window = policy.Window{Limit: limit, Length: window * 1000}
	return r, ""
}

// cmdCacheRate: CACHE.RATE key limit window [COST n] [SLIDING] ->
// [allowed, count, remaining, reset_ms]. A denied request, and a COST 0
// peek, leave the key as it was.
func cmdCacheRate(c *client, args [][]byte) {
	now := c.srv.store.Now()
	r, errMsg := parseRateArgs(args, now)
	if errMsg != "" {
		c.out.Error(errMsg)
		return
	}
	key := args[1]
	v, exists := c.tx.Lookup(key, storage.LookupWrite)
	if exists && v.Kind() != storage.KindString {
		c.out.Error(msgWrongType)
		return
	}
	var d policy.Decision
	var buf [64]byte
	var state []byte
	var expireAt int64
	if r.sliding {
		var s policy.SlidingState
		if exists {
			var ok bool
			if s, ok = policy.ParseSliding(v.Bytes()); !ok {
				c.out.Error(msgRateNotSliding)
				return
			}
		}
		d, s = r.window.Sliding(s, now, r.cost)
		state, expireAt = policy.AppendSliding(buf[:0], s), r.window.SlidingExpireAt(s)
	} else {
		var s policy.FixedState
		if exists {
			n, ok := argInt(v.Bytes())
			if !ok {
				c.out.Error(msgNotInteger)
				return
			}
			s = policy.FixedState{Count: n, End: v.ExpireAt()}
		}
		d, s = r.window.Fixed(s, now, r.cost)
		state, expireAt = strconv.AppendInt(buf[:0], s.Count, 10), s.End
	}
	if d.Allowed && r.cost > 0 {
		c.tx.Set(key, storage.StringValue(state).WithExpireAt(expireAt))
	}
	c.countRate(key, d.Allowed)
	c.out.Array(4)
	c.out.Int(boolInt(d.Allowed))
	c.out.Int(d.Count)
	c.out.Int(d.Remaining)
	c.out.Int(d.Reset)
}

// cmdCacheRateReset: CACHE.RATE.RESET key -> 1 if the limiter had state,
// else 0. All of a limiter's windows live in its key, so deleting the key
// clears every one of them.
func cmdCacheRateReset(c *client, args [][]byte) {
	v, ok := c.tx.Lookup(args[1], storage.LookupWrite|storage.LookupNoTouch)
	if ok && v.Kind() != storage.KindString {
		c.out.Error(msgWrongType)
		return
	}
	if ok && c.tx.Delete(args[1]) {
		c.out.Int(1)
		return
	}
	c.out.Int(0)
}

// cmdClThrottle: CL.THROTTLE key max_burst count_per_period period
// [quantity] -> [limited, limit, remaining, retry_after, reset_after], as
// redis-cell replies. Argument errors are worded as Redis's own rather
// than redis-cell's "Cell error: ..." texts.
func cmdClThrottle(c *client, args [][]byte) {
	if len(args) > 6 {
		c.out.Error(wrongArity("cl.throttle"))
		return
	}
	var n [4]int64
	n[3] = 1 // quantity
	for i, a := range args[2:] {
		var ok bool
		if n[i], ok = argInt(a); !ok {
			c.out.Error(msgNotInteger)
			return
		}
	}
	g, err := policy.NewGCRA(n[0], n[1], n[2])
	if err == nil && n[3] < 0 {
		err = policy.ErrRateRange
	}
	if err != nil {
		c.out.Error(throttleError(err))
		return
	}
	key := args[1]
	v, exists := c.tx.Lookup(key, storage.LookupWrite)
	var tat int64
	if exists {
		if v.Kind() != storage.KindString {
			c.out.Error(msgWrongType)
			return
		}
		var ok bool
		if tat, ok = argInt(v.Bytes()); !ok {
			c.out.Error(msgNotInteger)
			return
		}
	}
	nowMs := c.srv.store.Now()
	res, newTAT, ttl, store, err := g.Take(tat, exists, nowMs*int64(time.Millisecond), n[3])
	if err != nil {
		c.out.Error(throttleError(err))
		return
	}
	if store {
		// redis-cell sets the TTL in whole milliseconds; one that
		// truncates to nothing leaves no key behind.
		if ms := ttl.Milliseconds(); ms > 0 {
			var buf [20]byte
			c.tx.Set(key, storage.StringValue(strconv.AppendInt(buf[:0], newTAT, 10)).WithExpireAt(nowMs+ms))
		} else if exists {
			c.tx.Delete(key)
		}
	}
	c.countRate(key, !res.Limited)
	reply := res.Reply()
	c.out.Array(len(reply))
	for _, x := range reply {
		c.out.Int(x)
	}
}

// throttleError maps NewGCRA's and Take's errors to reply texts.
func throttleError(err error) string {
	if errors.Is(err, policy.ErrZeroRate) {
		return msgZeroRate
	}
	return msgThrottleRange
}

// cmdCacheThrottle: CACHE.THROTTLE key seconds -> [1, 0] when the caller
// may run now (the key is then held for seconds), else [0, ms_left] (-1
// for a key someone stored without a TTL). As SET NX EX, any existing key
// holds the throttle.
func cmdCacheThrottle(c *client, args [][]byte) {
	secs, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	at, ok := expireTime(c, "ex", secs)
	if !ok {
		c.out.Error(invalidExpire("cache.throttle"))
		return
	}
	c.out.Array(2)
	if v, held := c.tx.Lookup(args[1], storage.LookupWrite); held {
		left := int64(-1)
		if v.ExpireAt() != 0 {
			left = v.ExpireAt() - c.srv.store.Now()
		}
		c.countThrottle(args[1], false)
		c.out.Int(0)
		c.out.Int(left)
		return
	}
	c.tx.Set(args[1], storage.StringValue([]byte{'1'}).WithExpireAt(at))
	c.countThrottle(args[1], true)
	c.out.Int(1)
	c.out.Int(0)
}

// boolInt is 1 for true and 0 for false: the rate replies are integers in
// RESP2 and RESP3 alike, as redis-cell's are.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// countRate counts a CACHE.RATE or CL.THROTTLE decision on key.
func (c *client) countRate(key []byte, allowed bool) {
	c.eachCounters(key, func(ctr *storage.Counters) {
		if allowed {
			ctr.RateAllowed.Add(uint(c.id), 1)
		} else {
			ctr.RateDenied.Add(uint(c.id), 1)
		}
	})
}

// countThrottle counts a CACHE.THROTTLE call on key.
func (c *client) countThrottle(key []byte, allowed bool) {
	c.eachCounters(key, func(ctr *storage.Counters) {
		if allowed {
			ctr.ThrottleAllowed.Add(uint(c.id), 1)
		} else {
			ctr.ThrottleSuppressed.Add(uint(c.id), 1)
		}
	})
}

// eachCounters calls fn with the Store's counters and, when the server
// has namespaces, with those of key's namespace.
func (c *client) eachCounters(key []byte, fn func(*storage.Counters)) {
	fn(c.srv.store.Counters())
	if ns := c.srv.cache.Counters(key); ns != nil {
		fn(ns)
	}
}
