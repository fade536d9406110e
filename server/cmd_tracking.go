package server

// CLIENT TRACKING|CACHING|GETREDIR|TRACKINGINFO: client-side caching's
// commands (the server side is tracking.go).
// https://redis.io/commands/client-tracking/

import "strings"

// cmdClientTracking is CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]...
// [BCAST] [OPTIN] [OPTOUT] [NOLOOP], with Redis's checks in Redis's order.
func cmdClientTracking(c *client, args [][]byte) {
	var (
		redirect                     int64
		bcast, optin, optout, noloop bool
		prefixes                     []string
	)
	for i := 3; i < len(args); i++ {
		more := i < len(args)-1
		switch a := args[i]; {
		case is(a, "redirect") && more:
			i++
			if redirect != 0 {
				c.out.Error(msgTrackingRedirectTwice)
				return
			}
			id, ok := argInt(args[i])
			if !ok {
				c.out.Error(msgNotInteger)
				return
			}
			if c.srv.clientByID(id) == nil {
				c.out.Error(msgTrackingNoRedirect)
				return
			}
			redirect = id
		case is(a, "bcast"):
			bcast = true
		case is(a, "optin"):
			optin = true
		case is(a, "optout"):
			optout = true
		case is(a, "noloop"):
			noloop = true
		case is(a, "prefix") && more:
			i++
			prefixes = append(prefixes, string(args[i]))
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	switch {
	case is(args[2], "off"):
		c.srv.tracking.disable(c)
		c.out.OK()
		return
	case !is(args[2], "on"):
		c.out.Error(msgSyntax)
		return
	}
	ts := c.tracking
	on := ts != nil && ts.on
	switch {
	case !bcast && len(prefixes) > 0:
		c.out.Error(msgTrackingPrefixBcast)
	case on && ts.bcast != bcast:
		c.out.Error(msgTrackingSwitchBcast)
	case bcast && (optin || optout):
		c.out.Error(msgTrackingBcastOpt)
	case optin && optout:
		c.out.Error(msgTrackingOptBoth)
	case on && (optin && ts.optout || optout && ts.optin):
		c.out.Error(msgTrackingSwitchOpt)
	default:
		if bcast {
			if msg := prefixCollision(c, prefixes); msg != "" {
				c.out.Error(msg)
				return
			}
		}
		c.srv.tracking.enable(c, redirect, bcast, optin, optout, noloop, prefixes)
		c.out.OK()
	}
}

// cmdClientCaching is CLIENT CACHING YES|NO: whether the next command's
// reads are tracked, in OPTIN or OPTOUT mode.
func cmdClientCaching(c *client, args [][]byte) {
	ts := c.tracking
	if ts == nil || !ts.on {
		c.out.Error(msgCachingNotTracking)
		return
	}
	switch {
	case is(args[2], "yes") && ts.optin, is(args[2], "no") && ts.optout:
		ts.caching = true
		c.out.OK()
	case is(args[2], "yes"):
		c.out.Error(msgCachingYes)
	case is(args[2], "no"):
		c.out.Error(msgCachingNo)
	default:
		c.out.Error(msgSyntax)
	}
}

func cmdClientGetRedir(c *client, args [][]byte) {
	if ts := c.tracking; ts != nil && ts.on {
		c.out.Int(ts.redirect)
		return
	}
	c.out.Int(-1)
}

// cmdClientTrackingInfo is CLIENT TRACKINGINFO: the client's tracking
// flags, redirect and prefixes.
func cmdClientTrackingInfo(c *client, args [][]byte) {
	ts := c.tracking
	if ts == nil {
		ts = &trackState{}
	}
	flags := []string{"off"}
	if ts.on {
		flags[0] = "on"
	}
	for _, f := range []struct {
		set  bool
		name string
	}{
		{ts.bcast, "bcast"},
		{ts.optin, "optin"},
		{ts.optin && ts.caching, "caching-yes"},
		{ts.optout, "optout"},
		{ts.optout && ts.caching, "caching-no"},
		{ts.noloop, "noloop"},
		{ts.brokenRedir, "broken_redirect"},
	} {
		if f.set {
			flags = append(flags, f.name)
		}
	}
	c.out.Map(3)
	c.out.BulkString("flags")
	c.out.Set(len(flags))
	for _, f := range flags {
		c.out.BulkString(f)
	}
	c.out.BulkString("redirect")
	if ts.on {
		c.out.Int(ts.redirect)
	} else {
		c.out.Int(-1)
	}
	c.out.BulkString("prefixes")
	c.out.Strings(ts.prefixes)
}

// trackingListFlags returns CLIENT LIST's tracking flags of c: t when
// it tracks, B in BCAST mode, R when its redirect is gone.
func trackingListFlags(ts *trackState) string {
	var b strings.Builder
	if ts == nil || !ts.on {
		return ""
	}
	b.WriteByte('t')
	if ts.brokenRedir {
		b.WriteByte('R')
	}
	if ts.bcast {
		b.WriteByte('B')
	}
	return b.String()
}
