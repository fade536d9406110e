package server

// String commands.
// https://redis.io/commands/?group=string

import (
	"strings"

	"github.com/stratakv/strata/storage"
)

func registerStringCommands(t commandTable) {
	t.add(
		&command{name: "get", handler: cmdGet, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1},
		&command{name: "set", handler: cmdSet, arity: -3, flags: flagWrite | flagDenyOOM, firstKey: 1, lastKey: 1, keyStep: 1},
	)
}

func cmdGet(c *client, args [][]byte) {
	v, ok := c.db.Get(args[1])
	switch {
	case !ok:
		c.out.Null()
	case v.Kind() != storage.KindString:
		c.out.Error(msgWrongType)
	default:
		c.out.Bulk(v.Bytes())
	}
}

// setOptions are SET's flags after parsing.
type setOptions struct {
	nx, xx, get, keepTTL bool
	expireAt             int64 // unix ms; 0: none
}

// parseSetOptions parses SET's options from args[3:]; on error it returns
// the reply text.
func parseSetOptions(c *client, args [][]byte) (setOptions, string) {
	var o setOptions
	hasExpire := false
	for i := 3; i < len(args); i++ {
		a := args[i]
		switch {
		case is(a, "nx") && !o.xx:
			o.nx = true
		case is(a, "xx") && !o.nx:
			o.xx = true
		case is(a, "get"):
			o.get = true
		case is(a, "keepttl") && !hasExpire:
			o.keepTTL = true
		case (is(a, "ex") || is(a, "px") || is(a, "exat") || is(a, "pxat")) && !o.keepTTL && !hasExpire && i+1 < len(args):
			n, ok := argInt(args[i+1])
			if !ok {
				return o, msgNotInteger
			}
			at, ok := expireTime(c, strings.ToLower(string(a)), n)
			if !ok {
				return o, invalidExpire("set")
			}
			o.expireAt, hasExpire = at, true
			i++
		default:
			return o, msgSyntax
		}
	}
	return o, ""
}

func cmdSet(c *client, args [][]byte) {
	o, errMsg := parseSetOptions(c, args)
	if errMsg != "" {
		c.out.Error(errMsg)
		return
	}
	key := args[1]
	old, exists := c.db.Lookup(key, storage.LookupWrite)
	if o.get {
		if exists && old.Kind() != storage.KindString {
			c.out.Error(msgWrongType)
			return
		}
	}
	if o.nx && exists || o.xx && !exists {
		if o.get {
			writeStringOrNull(c, old, exists)
		} else {
			c.out.Null()
		}
		return
	}
	if o.get {
		writeStringOrNull(c, old, exists)
	}
	v := storage.StringValue(append([]byte(nil), args[2]...))
	if o.keepTTL && exists {
		v = v.WithExpireAt(old.ExpireAt())
	}
	if o.expireAt != 0 {
		v = v.WithExpireAt(o.expireAt)
	}
	c.db.Set(key, v)
	if !o.get {
		c.out.OK()
	}
}

// writeStringOrNull replies with a string value, or null when absent.
func writeStringOrNull(c *client, v storage.Value, ok bool) {
	if !ok {
		c.out.Null()
		return
	}
	c.out.Bulk(v.Bytes())
}
