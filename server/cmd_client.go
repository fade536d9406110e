package server

// CLIENT ID|SETNAME|GETNAME|LIST|INFO|KILL|SETINFO|NO-EVICT|HELP; TRACKING
// and its kin are cmd_tracking.go, PAUSE, UNPAUSE and REPLY cmd_pause.go.
// https://redis.io/commands/client/

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stratakv/strata/acl"
)

func registerClientCommands(t commandTable) {
	t.container("client", -2,
		&command{name: "id", handler: cmdClientID, arity: 2, flags: flagNoData},
		&command{name: "setname", handler: cmdClientSetName, arity: 3, flags: flagNoData},
		&command{name: "getname", handler: cmdClientGetName, arity: 2, flags: flagNoData},
		&command{name: "list", handler: cmdClientList, arity: -2, flags: flagNoData},
		&command{name: "info", handler: cmdClientInfo, arity: 2, flags: flagNoData},
		&command{name: "kill", handler: cmdClientKill, arity: -3, flags: flagNoData},
		// SETINFO is Redis 7.2's; clients such as go-redis send it on
		// every connection, so Strata takes it as 7.2 does.
		&command{name: "setinfo", handler: cmdClientSetInfo, arity: 4, flags: flagNoData, categories: "@slow @connection"},
		&command{name: "no-evict", handler: cmdClientNoEvict, arity: 3, flags: flagNoData},
		&command{name: "tracking", handler: cmdClientTracking, arity: -3, flags: flagNoData},
		&command{name: "pause", handler: cmdClientPause, arity: -3, flags: flagNoData},
		&command{name: "unpause", handler: cmdClientUnpause, arity: 2, flags: flagNoData},
		&command{name: "reply", handler: cmdClientReply, arity: 3, flags: flagNoData},
		&command{name: "caching", handler: cmdClientCaching, arity: 3, flags: flagNoData},
		&command{name: "getredir", handler: cmdClientGetRedir, arity: 2, flags: flagNoData},
		&command{name: "trackinginfo", handler: cmdClientTrackingInfo, arity: 2, flags: flagNoData},
		&command{name: "help", handler: cmdClientHelp, arity: 2, flags: flagNoData},
	)
}

// clientListed mirrors state that a client's own goroutine owns, for CLIENT
// LIST and CLIENT KILL, which read it from other connections' goroutines.
type clientListed struct {
	db      atomic.Int32
	resp3   atomic.Bool
	noEvict atomic.Bool
	// multi is the number of commands queued in MULTI plus one; 0 out of
	// MULTI.
	multi atomic.Int32
	// monitor is set by MONITOR.
	monitor atomic.Bool
}

func cmdClientID(c *client, args [][]byte) { c.out.Int(c.id) }

func cmdClientGetName(c *client, args [][]byte) {
	if p := c.name.Load(); p != nil {
		c.out.BulkString(*p)
		return
	}
	c.out.Null()
}

func cmdClientSetName(c *client, args [][]byte) {
	if !validClientName(args[2]) {
		c.out.Error(msgClientName)
		return
	}
	c.setName(args[2])
	c.out.OK()
}

// validClientName reports whether name has only printable ASCII and no
// spaces, so that CLIENT LIST stays parseable.
func validClientName(name []byte) bool {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

// setName names the connection; an empty name removes the name.
func (c *client) setName(name []byte) {
	if len(name) == 0 {
		c.name.Store(nil)
		return
	}
	s := string(name)
	c.name.Store(&s)
}

// cmdClientSetInfo is CLIENT SETINFO LIB-NAME|LIB-VER value, checked
// as Redis 7.2 checks it; Redis 7.0's CLIENT LIST does not show the
// values, so they are not kept.
func cmdClientSetInfo(c *client, args [][]byte) {
	if !is(args[2], "lib-name") && !is(args[2], "lib-ver") {
		c.out.Error(fmt.Sprintf(msgSetInfoOption, args[2]))
		return
	}
	if !validClientName(args[3]) {
		c.out.Error(fmt.Sprintf(msgSetInfoValue, args[2]))
		return
	}
	c.out.OK()
}

func cmdClientNoEvict(c *client, args [][]byte) {
	switch {
	case is(args[2], "on"):
		c.listed.noEvict.Store(true)
	case is(args[2], "off"):
		c.listed.noEvict.Store(false)
	default:
		c.out.Error(msgSyntax)
		return
	}
	c.out.OK()
}

func cmdClientInfo(c *client, args [][]byte) {
	var b strings.Builder
	c.describe(&b, c, c.srv.subscriptionCounts(), time.Now())
	c.out.Verbatim("txt", b.String())
}

// cmdClientList is CLIENT LIST [TYPE type | ID id [id ...]].
func cmdClientList(c *client, args [][]byte) {
	var clients []*client
	subs := c.srv.subscriptionCounts()
	switch {
	case len(args) == 2:
		clients = c.srv.clientsWhere(func(*client) bool { return true })
	case len(args) == 4 && is(args[2], "type"):
		typ, ok := clientTypeByName(args[3])
		if !ok {
			c.out.Error(fmt.Sprintf(msgClientType, args[3]))
			return
		}
		clients = c.srv.clientsWhere(func(o *client) bool { return clientType(subs[o]) == typ })
	case len(args) > 3 && is(args[2], "id"):
		for _, a := range args[3:] {
			id, ok := argInt(a)
			if !ok {
				c.out.Error(msgClientID)
				return
			}
			clients = append(clients, c.srv.clientsWhere(func(o *client) bool { return o.id == id })...)
		}
	default:
		c.out.Error(msgSyntax)
		return
	}
	var b strings.Builder
	now := time.Now()
	for _, o := range clients {
		o.describe(&b, c, subs, now)
	}
	c.out.Verbatim("txt", b.String())
}

// clientsWhere returns the connected clients that match, by ID. Killed
// clients on their way out are left out.
func (s *Server) clientsWhere(match func(*client) bool) []*client {
	s.mu.Lock()
	var out []*client
	for _, o := range s.clients {
		if !o.killed.Load() && match(o) {
			out = append(out, o)
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// Client types, as CLIENT LIST TYPE and CLIENT KILL TYPE name them.
// Strata has no replication, so no client is a master or a replica.
const (
	clientNormal = "normal"
	clientPubSub = "pubsub"
)

// clientTypeByName parses a client type; "slave" is "replica"'s old name.
func clientTypeByName(name []byte) (string, bool) {
	switch n := strings.ToLower(string(name)); n {
	case clientNormal, clientPubSub, "master", "replica":
		return n, true
	case "slave":
		return "replica", true
	}
	return "", false
}

// clientType is the type CLIENT LIST and KILL filter by, from a client's
// subscription counts: a subscriber is a pubsub client, in RESP2 or RESP3.
func clientType(subs [numKinds]int) string {
	if subs != [numKinds]int{} {
		return clientPubSub
	}
	return clientNormal
}

// subscriptionCounts returns every subscribed client's channel, pattern
// and shard subscription counts. A client's subscriptions are its
// goroutine's, so they are read from the server's registry, under its lock.
func (s *Server) subscriptionCounts() map[*client][numKinds]int {
	p := &s.pubsub
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := map[*client][numKinds]int{}
	for k := range p.subs {
		for _, subscribers := range p.subs[k] {
			for sub := range subscribers {
				n := out[sub.c]
				n[k]++
				out[sub.c] = n
			}
		}
	}
	return out
}

// describe writes the client's CLIENT LIST line, in Redis 7.0's format,
// as self sees it; subs holds the subscription counts of subscribed
// clients. The query buffer and argument sizes are read for self alone
// (another connection's buffer is its goroutine's) and read 0 for others,
// as those of an idle client; memory figures Strata does not track read 0.
func (c *client) describe(b *strings.Builder, self *client, subs map[*client][numKinds]int, now time.Time) {
	n := subs[c]
	flags := ""
	if c.listed.monitor.Load() {
		flags = "O"
	}
	if clientType(n) == clientPubSub {
		flags += "P"
	}
	multi := int(c.listed.multi.Load()) - 1
	if multi >= 0 {
		flags += "x"
	}
	if c.srv.blocking.isBlocked(c.id) {
		flags += "b"
	}
	c.srv.tracking.mu.Lock()
	ts := c.tracking
	flags += trackingListFlags(ts)
	redir := int64(-1)
	if ts != nil && ts.on {
		redir = ts.redirect
	}
	c.srv.tracking.mu.Unlock()
	if c.listed.noEvict.Load() {
		flags += "e"
	}
	if flags == "" {
		flags = "N"
	}
	cmd := "NULL"
	if p := c.lastCmd.Load(); p != nil {
		cmd = *p
	}
	resp := 2
	if c.listed.resp3.Load() {
		resp = 3
	}
	qbuf, qfree, argvMem := 0, 0, 0
	if c == self {
		qbuf, qfree = c.rd.QueryBuffer()
		for _, a := range self.curArgs {
			argvMem += len(a)
		}
	}
	fmt.Fprintf(b, "id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d multi=%d "+
		"qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s "+
		"user=%s redir=%d resp=%d\n",
		c.id, c.addr, c.laddr, connFD(c.conn), c.clientName(),
		int64(now.Sub(c.created).Seconds()), int64((monotonic()-time.Duration(c.lastActive.Load()))/time.Second),
		flags, c.listed.db.Load(), n[kindChannel], n[kindPattern], n[kindShard], multi,
		qbuf, qfree, argvMem, cmd, c.user.Load().Name(), redir, resp)
}

// connFD returns the connection's file descriptor, -1 when it has none.
func connFD(nc net.Conn) int {
	sc, ok := netConn(nc).(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if raw.Control(func(f uintptr) { fd = int(f) }) != nil {
		return -1
	}
	return fd
}

// cmdClientKill is CLIENT KILL addr, or CLIENT KILL with filters ID, ADDR,
// LADDR, TYPE, USER and SKIPME, all of which a killed client matches.
func cmdClientKill(c *client, args [][]byte) {
	var (
		id          int64
		addr, laddr string
		typ         string
		user        *acl.User
		skipme      = true
		oldForm     = len(args) == 3
	)
	if oldForm {
		addr, skipme = string(args[2]), false // the old form may kill its caller
	} else {
		for i := 2; i < len(args); i += 2 {
			if i+1 >= len(args) {
				c.out.Error(msgSyntax)
				return
			}
			opt, val := args[i], args[i+1]
			switch {
			case is(opt, "id"):
				n, ok := argInt(val)
				if !ok || n < 1 {
					c.out.Error(msgClientKillID)
					return
				}
				id = n
			case is(opt, "type"):
				t, ok := clientTypeByName(val)
				if !ok {
					c.out.Error(fmt.Sprintf(msgClientType, val))
					return
				}
				typ = t
			case is(opt, "addr"):
				addr = string(val)
			case is(opt, "laddr"):
				laddr = string(val)
			case is(opt, "user"):
				if user = c.srv.users.Lookup(string(val)); user == nil {
					c.out.Error(fmt.Sprintf(msgNoSuchUser, val))
					return
				}
			case is(opt, "skipme"):
				switch {
				case is(val, "yes"):
					skipme = true
				case is(val, "no"):
					skipme = false
				default:
					c.out.Error(msgSyntax)
					return
				}
			default:
				c.out.Error(msgSyntax)
				return
			}
		}
	}
	subs := c.srv.subscriptionCounts()
	victims := c.srv.clientsWhere(func(o *client) bool {
		return (addr == "" || o.addr == addr) &&
			(laddr == "" || o.laddr == laddr) &&
			(typ == "" || clientType(subs[o]) == typ) &&
			(id == 0 || o.id == id) &&
			(user == nil || o.user.Load() == user) &&
			!(skipme && o == c)
	})
	for _, o := range victims {
		if o == c {
			c.closeAfterReply()
		} else {
			o.close()
		}
	}
	switch {
	case !oldForm:
		c.out.Int(int64(len(victims)))
	case len(victims) == 0:
		c.out.Error(msgNoSuchClient)
	default:
		c.out.OK()
	}
}

var clientHelp = []string{
	"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"SETINFO <option> <value>",
	"    Set client meta attr. Options are:",
	"    * LIB-NAME: the client lib name.",
	"    * LIB-VER: the client lib version.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"HELP",
	"    Prints this help.",
}

func cmdClientHelp(c *client, args [][]byte) { c.out.Help(clientHelp) }
