package server

// Connection commands: PING, ECHO, SELECT, QUIT, RESET, AUTH, HELLO.
// https://redis.io/commands/?group=connection

import (
	"fmt"
	"math"

	"github.com/stratakv/strata/acl"
)

func registerConnectionCommands(t commandTable) {
	t.add(
		&command{name: "ping", handler: cmdPing, arity: -1, flags: flagNoData | flagPubSub},
		&command{name: "echo", handler: cmdEcho, arity: 2, flags: flagNoData},
		&command{name: "select", handler: cmdSelect, arity: 2, flags: flagNoData},
		&command{name: "quit", handler: cmdQuit, arity: -1, flags: flagNoData | flagNoAuth | flagNoQueue | flagPubSub},
		&command{name: "reset", handler: cmdReset, arity: 1, flags: flagNoData | flagNoAuth | flagNoQueue | flagPubSub},
		&command{name: "auth", handler: cmdAuth, arity: -2, flags: flagNoData | flagNoAuth},
		&command{name: "hello", handler: cmdHello, arity: -1, flags: flagNoData | flagNoAuth},
	)
	registerClientCommands(t)
}

// redacted replaces secrets in a command's arguments before the slow log
// records them, as Redis's redactClientCommandArgument does.
var redacted = []byte("(redacted)")

func cmdPing(c *client, args [][]byte) {
	if len(args) <= 2 && c.pubsubPong(args) {
		return
	}
	switch len(args) {
	case 1:
		c.out.Simple("PONG")
	case 2:
		c.out.Bulk(args[1])
	default:
		c.out.Error(wrongArity("ping"))
	}
}

func cmdEcho(c *client, args [][]byte) { c.out.Bulk(args[1]) }

func cmdSelect(c *client, args [][]byte) {
	n, ok := argInt(args[1])
	if !ok {
		c.out.Error(msgNotInteger)
		return
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.out.Error(msgIntRange)
		return
	}
	if c.srv.clusterEnabled() && n != 0 {
		c.out.Error(msgSelectCluster)
		return
	}
	if n < 0 || n >= int64(c.srv.store.Databases()) {
		c.out.Error(msgDBIndex)
		return
	}
	c.selectDB(int(n))
	c.out.OK()
}

// selectDB makes db the client's current database.
func (c *client) selectDB(db int) {
	c.dbIndex = db
	c.listed.db.Store(int32(db))
}

// setProtocol switches the client's replies to RESP3 or back to RESP2.
func (c *client) setProtocol(resp3 bool) {
	c.out.SetRESP3(resp3)
	c.listed.resp3.Store(resp3)
	if c.ps != nil {
		c.ps.setProtocol(resp3)
	}
}

func cmdQuit(c *client, args [][]byte) {
	c.out.OK()
	c.closeAfterReply()
}

// closeAfterReply closes the connection once its reply is written; from
// now on other clients no longer see it (CLIENT LIST, a tracking
// redirect), as Redis frees it before serving them.
func (c *client) closeAfterReply() {
	c.closeAfter = true
	c.killed.Store(true)
}

// cmdReset returns the connection to the state of a new one: database 0,
// RESP2, no transaction, no watched keys, no name, the default user (not
// authenticated when it has a password).
func cmdReset(c *client, args [][]byte) {
	c.selectDB(0)
	c.setProtocol(false)
	c.setDefaultAuth()
	c.setMulti(nil)
	c.srv.watches.unwatchAll(c)
	c.srv.pubsub.dropAll(c)
	c.srv.tracking.disable(c)
	c.reply.off, c.reply.skip, c.reply.skipNext = false, false, false
	c.name.Store(nil)
	c.listed.noEvict.Store(false)
	c.out.Simple("RESET")
}

// cmdAuth is AUTH [username] password.
func cmdAuth(c *client, args [][]byte) {
	if len(args) > 3 {
		c.out.Error(msgSyntax)
		return
	}
	user, pass := []byte(acl.DefaultUser), args[len(args)-1]
	if len(args) == 3 {
		user = args[1]
	}
	args[1], args[len(args)-1] = redacted, redacted // for the slow log; user and pass keep theirs
	if len(args) == 2 && c.srv.users.Default().NoPass() {
		c.out.Error(msgAuthNotSet)
		return
	}
	if !c.authenticate(args[0], user, pass) {
		c.out.Error(msgWrongPass)
		return
	}
	c.out.OK()
}

// authenticate logs the client in as user when pass is one of its
// passwords (any, for a nopass user) and it is on. A failed attempt is
// recorded in the ACL log under the command's name as sent (cmdName), and
// leaves an authenticated client as it was, as in Redis.
func (c *client) authenticate(cmdName, user, pass []byte) bool {
	u, ok := c.srv.users.Authenticate(user, pass)
	if !ok {
		c.logDenial(acl.DeniedAuth, c.aclContext(), string(cmdName), string(user))
		return false
	}
	c.user.Store(u)
	c.authed.Store(true)
	return true
}

// cmdHello is HELLO [protover [AUTH username password] [SETNAME name]].
func cmdHello(c *client, args [][]byte) {
	proto := int64(0)
	if len(args) >= 2 {
		v, ok := argInt(args[1])
		if !ok {
			c.out.Error(msgProtoVersion)
			return
		}
		if v < 2 || v > 3 {
			c.out.Error(msgNoProto)
			return
		}
		proto = v
	}
	var user, pass, name []byte
	for i := 2; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case is(args[i], "auth") && more >= 2:
			user, pass = args[i+1], args[i+2]
			args[i+1], args[i+2] = redacted, redacted
			i += 2
		case is(args[i], "setname") && more >= 1:
			name = args[i+1]
			i++
		default:
			c.out.Error(fmt.Sprintf(msgHelloSyntax, args[i]))
			return
		}
	}
	if user != nil && !c.authenticate(args[0], user, pass) {
		c.out.Error(msgWrongPass)
		return
	}
	if !c.authed.Load() {
		c.out.Error(msgHelloNoAuth)
		return
	}
	if name != nil { // checked after AUTH, as Redis 7.0 does
		if !validClientName(name) {
			c.out.Error(msgClientName)
			return
		}
		c.setName(name)
	}
	if proto != 0 {
		c.setProtocol(proto == 3)
	}
	c.out.Map(7)
	c.out.BulkString("server")
	c.out.BulkString("redis")
	c.out.BulkString("version")
	c.out.BulkString(RedisVersion)
	c.out.BulkString("proto")
	if c.out.RESP3() {
		c.out.Int(3)
	} else {
		c.out.Int(2)
	}
	c.out.BulkString("id")
	c.out.Int(c.id)
	c.out.BulkString("mode")
	c.out.BulkString(c.srv.redisMode())
	c.out.BulkString("role")
	c.out.BulkString("master")
	c.out.BulkString("modules")
	c.out.Array(0)
}
