package server

// Keyspace commands.
// https://redis.io/commands/?group=generic

func registerKeyCommands(t commandTable) {
	t.add(
		&command{name: "del", handler: cmdDel, arity: -2, flags: flagWrite, firstKey: 1, lastKey: -1, keyStep: 1},
	)
}

func cmdDel(c *client, args [][]byte) {
	n := int64(0)
	for _, k := range args[1:] {
		if c.db.Delete(k) {
			n++
		}
	}
	c.out.Int(n)
}
