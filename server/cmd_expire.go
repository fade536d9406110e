package server

// Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL,
// EXPIRETIME, PEXPIRETIME, PERSIST.
// https://redis.io/commands/?group=generic
//
// Expiry times are absolute unix milliseconds. Setting one at or before now
// deletes the key at once, as Redis does, so an expired key is never seen.

import (
	"fmt"
	"math"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/storage"
)

func registerExpireCommands(t commandTable) {
	t.add(
		&command{name: "expire", handler: cmdExpire, arity: -3, flags: flagWrite, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteExpire},
		&command{name: "pexpire", handler: cmdPexpire, arity: -3, flags: flagWrite, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteExpire},
		&command{name: "expireat", handler: cmdExpireAt, arity: -3, flags: flagWrite, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteExpire},
		&command{name: "pexpireat", handler: cmdPexpireAt, arity: -3, flags: flagWrite, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteExpire},
		&command{name: "ttl", handler: cmdTTL, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "pttl", handler: cmdPTTL, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "expiretime", handler: cmdExpireTime, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "pexpiretime", handler: cmdPexpireTime, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "persist", handler: cmdPersist, arity: 2, flags: flagWrite, firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteExpire},
	)
}

func cmdExpire(c *client, args [][]byte)    { expireGeneric(c, args, "expire", true, true) }
func cmdPexpire(c *client, args [][]byte)   { expireGeneric(c, args, "pexpire", false, true) }
func cmdExpireAt(c *client, args [][]byte)  { expireGeneric(c, args, "expireat", true, false) }
func cmdPexpireAt(c *client, args [][]byte) { expireGeneric(c, args, "pexpireat", false, false) }

// expireCond is the set of NX, XX, GT and LT options.
type expireCond uint8

const (
	expireNX expireCond = 1 << iota
	expireXX
	expireGT
	expireLT
)

// parseExpireCond reads the options after EXPIRE's amount; on error it
// returns the reply text. Redis checks them before the amount.
func parseExpireCond(opts [][]byte) (expireCond, string) {
	var cond expireCond
	for _, o := range opts {
		switch {
		case is(o, "nx"):
			cond |= expireNX
		case is(o, "xx"):
			cond |= expireXX
		case is(o, "gt"):
			cond |= expireGT
		case is(o, "lt"):
			cond |= expireLT
		default:
			return 0, fmt.Sprintf(msgUnsupportedOption, o)
		}
	}
	if cond&expireNX != 0 && cond&(expireXX|expireGT|expireLT) != 0 {
		return 0, msgExpireNXConflict
	}
	if cond&expireGT != 0 && cond&expireLT != 0 {
		return 0, msgExpireGTLT
	}
	return cond, ""
}

// allows reports whether an expiry at when may replace the current one
// (0: none, which GT and LT treat as infinite).
func (cond expireCond) allows(current, when int64) bool {
	switch {
	case cond&expireNX != 0 && current != 0,
		cond&expireXX != 0 && current == 0,
		cond&expireGT != 0 && (current == 0 || when <= current),
		cond&expireLT != 0 && current != 0 && when >= current:
		return false
	}
	return true
}

// expireGeneric serves the four EXPIRE commands: the amount is in seconds
// or milliseconds, relative to now or absolute. A negative amount is
// allowed (it deletes the key); one that overflows in milliseconds is not.
func expireGeneric(c *client, args [][]byte, name string, seconds, relative bool) {
	cond, errMsg := parseExpireCond(args[3:])
	if errMsg != "" {
		c.out.Error(errMsg)
		return
	}
	when, ok := argInt(args[2])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.out.Error(invalidExpire(name))
			return
		}
		when *= 1000
	}
	now := c.srv.store.Now()
	if relative {
		if when > math.MaxInt64-now {
			c.out.Error(invalidExpire(name))
			return
		}
		when += now
	}
	key := args[1]
	v, ok := c.tx.Lookup(key, storage.LookupWrite)
	if !ok || !cond.allows(v.ExpireAt(), when) {
		c.out.Int(0)
		return
	}
	if when <= now {
		c.tx.Delete(key)
		c.notify(notifyGeneric, "del", key)
	} else {
		c.tx.Set(key, v.WithExpireAt(when))
		c.notify(notifyGeneric, "expire", key)
	}
	c.out.Int(1)
}

func cmdTTL(c *client, args [][]byte)         { ttlGeneric(c, args, false, false) }
func cmdPTTL(c *client, args [][]byte)        { ttlGeneric(c, args, true, false) }
func cmdExpireTime(c *client, args [][]byte)  { ttlGeneric(c, args, false, true) }
func cmdPexpireTime(c *client, args [][]byte) { ttlGeneric(c, args, true, true) }

// ttlGeneric replies -2 for a missing key, -1 for a key without expiry,
// else the time left (or, with abs, the expiry time) in milliseconds or in
// rounded seconds.
func ttlGeneric(c *client, args [][]byte, ms, abs bool) {
	v, ok := c.tx.Lookup(args[1], storage.LookupNoTouch)
	if !ok {
		c.out.Int(-2)
		return
	}
	t := v.ExpireAt()
	if t == 0 {
		c.out.Int(-1)
		return
	}
	if !abs {
		t = max(t-c.srv.store.Now(), 0)
	}
	if !ms {
		// Unsigned, as Redis's compiled (ttl+500)/1000 behaves for an
		// expiry near the largest time.
		t = int64((uint64(t) + 500) / 1000)
	}
	c.out.Int(t)
}

func cmdPersist(c *client, args [][]byte) {
	v, ok := c.tx.Lookup(args[1], storage.LookupWrite)
	if !ok || v.ExpireAt() == 0 {
		c.out.Int(0)
		return
	}
	c.tx.Set(args[1], v.WithExpireAt(0))
	c.notify(notifyGeneric, "persist", args[1])
	c.out.Int(1)
}

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
