package server

// Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
// SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
// https://redis.io/docs/interact/pubsub/
//
// Shard channels behave as Redis 7.0 outside a cluster: a namespace of
// their own, with "smessage" messages and their own subscription count.

import "fmt"

func registerPubSubCommands(t commandTable) {
	const sub = flagNoData | flagPubSub
	t.add(
		&command{name: "subscribe", handler: subscribeHandler(kindChannel), arity: -2, flags: sub},
		&command{name: "unsubscribe", handler: unsubscribeHandler(kindChannel), arity: -1, flags: sub},
		&command{name: "psubscribe", handler: subscribeHandler(kindPattern), arity: -2, flags: sub},
		&command{name: "punsubscribe", handler: unsubscribeHandler(kindPattern), arity: -1, flags: sub},
		&command{name: "ssubscribe", handler: subscribeHandler(kindShard), arity: -2, flags: sub, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "sunsubscribe", handler: unsubscribeHandler(kindShard), arity: -1, flags: sub, firstKey: 1, lastKey: -1, keyStep: 1},
		&command{name: "publish", handler: publishHandler(kindChannel), arity: 3, flags: flagNoData | flagScriptWrite},
		&command{name: "spublish", handler: publishHandler(kindShard), arity: 3, flags: flagNoData | flagScriptWrite, firstKey: 1, lastKey: 1, keyStep: 1},
	)
	t.container("pubsub", -2,
		&command{name: "channels", handler: channelsHandler(kindChannel), arity: -2, flags: flagNoData},
		&command{name: "shardchannels", handler: channelsHandler(kindShard), arity: -2, flags: flagNoData},
		&command{name: "numsub", handler: numSubHandler(kindChannel), arity: -2, flags: flagNoData},
		&command{name: "shardnumsub", handler: numSubHandler(kindShard), arity: -2, flags: flagNoData},
		&command{name: "numpat", handler: cmdPubSubNumPat, arity: 2, flags: flagNoData},
		&command{name: "help", handler: cmdPubSubHelp, arity: 2, flags: flagNoData},
	)
}

func subscribeHandler(k subKind) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) { c.srv.pubsub.subscribe(c, k, args[1:]) }
}

func unsubscribeHandler(k subKind) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) { c.srv.pubsub.unsubscribe(c, k, args[1:]) }
}

func publishHandler(k subKind) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		c.out.Int(c.srv.pubsub.publish(c, k, args[1], args[2], c.srv.store.Now()))
	}
}

func channelsHandler(k subKind) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		if len(args) > 3 {
			c.out.Error(fmt.Sprintf(msgPubSubArgs, upper(string(args[1]))))
			return
		}
		var pattern []byte
		if len(args) == 3 {
			pattern = args[2]
		}
		c.out.Strings(c.srv.pubsub.channels(k, pattern))
	}
}

func numSubHandler(k subKind) func(c *client, args [][]byte) {
	return func(c *client, args [][]byte) {
		c.out.Array(2 * (len(args) - 2))
		for _, name := range args[2:] {
			c.out.Bulk(name)
			c.out.Int(c.srv.pubsub.numSub(k, name))
		}
	}
}

func cmdPubSubNumPat(c *client, args [][]byte) { c.out.Int(c.srv.pubsub.numPat()) }

// pubsubHelp is PUBSUB HELP's reply, line by line as Redis 7.0 words it.
var pubsubHelp = []string{
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
	"HELP",
	"    Prints this help.",
}

func cmdPubSubHelp(c *client, args [][]byte) { c.out.Help(pubsubHelp) }

func pubsubContextError(name string) string { return fmt.Sprintf(msgPubSubContext, name) }
