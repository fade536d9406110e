package server

// DEBUG SLEEP|SET-ACTIVE-EXPIRE|OBJECT|HELP: the subset of Redis's DEBUG
// that test harnesses and tools use. As in Redis, DEBUG runs only where
// enable-debug-command allows it: yes, or local for loopback connections.
// https://redis.io/commands/debug/

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/stratakv/strata/storage"
)

func registerDebugCommands(t commandTable) {
	// No key positions: DEBUG SLEEP stops the server as Redis's does, by
	// holding the whole store.
	t.add(&command{name: "debug", handler: cmdDebug, arity: -2})
}

// debugAllowed reports whether enable-debug-command lets c run DEBUG.
func (c *client) debugAllowed() bool {
	switch c.srv.cfg.EnableDebugCommand {
	case "yes":
		return true
	case "local":
		host, _, err := net.SplitHostPort(c.addr)
		ip := net.ParseIP(host)
		return err == nil && ip != nil && ip.IsLoopback()
	}
	return false
}

func cmdDebug(c *client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "help" && len(args) == 2:
		c.out.Help(debugHelp)
	case sub == "sleep" && len(args) == 3:
		// Redis reads the seconds with strtod: what is no number sleeps 0.
		secs, _ := strconv.ParseFloat(string(args[2]), 64)
		time.Sleep(time.Duration(secs * float64(time.Second)))
		c.out.OK()
	case sub == "set-active-expire" && len(args) == 3:
		n, _ := strconv.Atoi(string(args[2]))
		c.srv.activeExpire.Store(n != 0)
		c.out.OK()
	case sub == "object" && len(args) == 3:
		v, ok := c.tx.Lookup(args[2], storage.LookupNoTouch|storage.LookupRaw)
		if !ok {
			c.out.Error(msgNoSuchKey)
			return
		}
		// Strata has no object address nor RDB length to show: the value's
		// size stands for the serialized length, and the address is 0.
		c.out.Simple(fmt.Sprintf("Value at:0x0 refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
			v.Encoding(), v.Len(), c.srv.store.Now()/1000&(1<<24-1), c.tx.IdleSeconds(v)))
	default:
		c.out.Error(fmt.Sprintf(msgSubcommandSyntax, args[1], "DEBUG"))
	}
}

var debugHelp = []string{
	"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"HELP",
	"    Prints this help.",
}
