package server

// Connection commands: PING, ECHO, SELECT, QUIT, AUTH.
// https://redis.io/commands/?group=connection

func registerConnectionCommands(t commandTable) {
	t.add(
		&command{name: "ping", handler: cmdPing, arity: -1, flags: flagNoData | flagPubSub},
		&command{name: "echo", handler: cmdEcho, arity: 2, flags: flagNoData},
		&command{name: "select", handler: cmdSelect, arity: 2, flags: flagNoData},
		&command{name: "quit", handler: cmdQuit, arity: -1, flags: flagNoData | flagNoAuth | flagNoQueue | flagPubSub},
	)
}

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
	if n < 0 || n >= int64(c.srv.store.Databases()) {
		c.out.Error(msgDBIndex)
		return
	}
	c.dbIndex = int(n)
	c.out.OK()
}

func cmdQuit(c *client, args [][]byte) {
	c.out.OK()
	c.closeAfter = true
}
