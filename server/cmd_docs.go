package server

// COMMAND DOCS for the commands Redis 7.0 does not have (Strata's own, and
// CLIENT SETINFO from 7.2): summary, arguments and group in Redis's shape,
// so that redis-cli's hints and COMMAND DOCS readers see them as they see
// Redis's commands. Redis's own commands are described by its recorded
// docs (cmd_command.go). TestStrataCommandsDocumented keeps this table and
// the command table in step.

import (
	"strings"

	"github.com/stratakv/strata/internal/resp"
)

// docArg is one argument of a command's COMMAND DOCS, as Redis describes
// them: a type (key, string, integer, double, pattern, pure-token, oneof,
// block), an optional token before it, flags (optional, multiple,
// multiple_token), and the arguments of a oneof or block.
type docArg struct {
	name, typ, token string
	flags            []string
	args             []docArg
}

// commandDoc is a command's COMMAND DOCS beyond what the table says.
type commandDoc struct {
	summary    string
	complexity string
	args       []docArg
}

// Shorthands for the table below.
func docKey(name string) docArg { return docArg{name: name, typ: "key"} }
func docStr(name string) docArg { return docArg{name: name, typ: "string"} }
func docInt(name string) docArg { return docArg{name: name, typ: "integer"} }
func docToken(tok string) docArg {
	return docArg{name: strings.ToLower(tok), typ: "pure-token", token: tok}
}
func (a docArg) tok(t string) docArg { a.token = t; return a }
func (a docArg) optional() docArg    { a.flags = append(a.flags, "optional"); return a }
func (a docArg) multiple() docArg    { a.flags = append(a.flags, "multiple"); return a }
func docOneOf(name string, args ...docArg) docArg {
	return docArg{name: name, typ: "oneof", args: args}
}
func docBlock(name string, args ...docArg) docArg {
	return docArg{name: name, typ: "block", args: args}
}

// strataDocs describes each command Redis 7.0 does not have, by full name.
var strataDocs = map[string]commandDoc{
	"cache.set": {summary: "Set a string value, as SET does, and replace its tags", complexity: "O(1 + number of tags)",
		args: []docArg{docKey("key"), docStr("value"),
			docOneOf("expiration", docInt("seconds").tok("EX"), docInt("milliseconds").tok("PX"),
				docInt("unix-time-seconds").tok("EXAT"), docInt("unix-time-milliseconds").tok("PXAT"), docToken("KEEPTTL")).optional(),
			docOneOf("condition", docToken("NX"), docToken("XX")).optional(),
			docToken("GET").optional(),
			docStr("tag").tok("TAGS").optional().multiple()}},
	"cache.mset": {summary: "Set several string values with one TTL, through each key's namespace", complexity: "O(N) where N is the number of keys",
		args: []docArg{docOneOf("expiration", docInt("seconds").tok("EX"), docInt("milliseconds").tok("PX")).optional(),
			docBlock("data", docKey("key"), docStr("value")).multiple()}},
	"cache.tag": {summary: "Add tags to an existing key", complexity: "O(N) where N is the number of tags",
		args: []docArg{docKey("key"), docStr("tag").multiple()}},
	"cache.tags": {summary: "List a key's tags", complexity: "O(N) where N is the number of tags",
		args: []docArg{docKey("key")}},
	"cache.tagged": {summary: "List the keys carrying a tag", complexity: "O(N) where N is the number of keys tagged",
		args: []docArg{docStr("tag"), docInt("count").tok("COUNT").optional()}},
	"cache.invalidate": {summary: "Remove the keys of tags, glob patterns, an event or a whole namespace, from both tiers, and publish them; on every node of a cluster unless LOCAL", complexity: "O(N) where N is the number of keys removed, plus the keys scanned for a pattern without an indexed prefix; O(1) for NAMESPACE",
		args: []docArg{docToken("LOCAL").optional(), docOneOf("what",
			docBlock("tags", docToken("TAG"), docStr("tag").multiple()),
			docBlock("patterns", docToken("PATTERN"), docArg{name: "pattern", typ: "pattern", flags: []string{"multiple"}}, docToken("FORCE").optional()),
			docBlock("event", docToken("EVENT"), docStr("name"), docBlock("fields", docStr("field"), docStr("value")).optional().multiple()),
			docBlock("namespace", docToken("NAMESPACE"), docStr("name")))}},
	"cache.policy": {summary: "Show the namespace a key falls in and its rules", complexity: "O(1)",
		args: []docArg{docKey("key")}},
	"cache.dict": {summary: "A container for compression dictionary commands", complexity: "Depends on subcommand."},
	"cache.dict|train": {summary: "Train a zstd dictionary on a namespace's values; new values compress with it", complexity: "O(N) where N is the bytes of the values sampled",
		args: []docArg{docStr("namespace")}},
	"cache.dict|info": {summary: "Show the dictionary a namespace's new values compress with", complexity: "O(1)",
		args: []docArg{docStr("namespace")}},
	"cache.dict|help": {summary: "Show helpful text about the different subcommands", complexity: "O(1)"},
	"cache.stats": {summary: "Show cache statistics of the keyspace or of one namespace, of this node or with CLUSTER of every node", complexity: "O(number of databases)",
		args: []docArg{docToken("CLUSTER").optional(), docStr("namespace").optional()}},
	"cache.hotkeys": {summary: "List the keys read most, by decayed access counts", complexity: "O(tracked keys): at most 8 per shard",
		args: []docArg{docInt("count").tok("COUNT").optional(), docStr("namespace").tok("NAMESPACE").optional()}},
	"cache.warmup":      {summary: "A container for warm-up job commands", complexity: "Depends on subcommand."},
	"cache.warmup|list": {summary: "List the warm-up jobs with their schedules and last runs", complexity: "O(N) where N is the number of jobs"},
	"cache.warmup|run": {summary: "Run a warm-up job now, replying with its counts once it ends unless ASYNC", complexity: "O(N) where N is the number of keys the job loads",
		args: []docArg{docStr("job"), docToken("ASYNC").optional()}},
	"cache.warmup|status": {summary: "Show a warm-up job's state, progress and last run, or every job's", complexity: "O(1), O(N) for every job",
		args: []docArg{docStr("job").optional()}},
	"cache.warmup|clear": {summary: "Invalidate a warm-up job's keys in both tiers, then run it", complexity: "O(N) where N is the number of the job's keys",
		args: []docArg{docStr("job")}},
	"cache.warmup|help": {summary: "Show helpful text about the different subcommands", complexity: "O(1)"},
	"cache.lease": {summary: "Get a key, or on a miss the lease to load it: replies hit, load (with a token), stale or wait", complexity: "O(1)",
		args: []docArg{docKey("key"), docInt("milliseconds").tok("PX").optional()}},
	"cache.lease.release": {summary: "Release a key's lease held by token, without writing the key", complexity: "O(1)",
		args: []docArg{docKey("key"), docInt("token")}},
	"cache.rate": {summary: "Count a request against a fixed or sliding window rate limit", complexity: "O(1)",
		args: []docArg{docKey("key"), docInt("limit"), docInt("window"), docInt("cost").tok("COST").optional(), docToken("SLIDING").optional()}},
	"cache.rate.reset": {summary: "Forget a rate limiter's state", complexity: "O(1)",
		args: []docArg{docKey("key")}},
	"cache.throttle": {summary: "Take a key for a number of seconds unless another caller holds it", complexity: "O(1)",
		args: []docArg{docKey("key"), docInt("seconds")}},
	"cl.throttle": {summary: "Apply a GCRA rate limit, with redis-cell's reply", complexity: "O(1)",
		args: []docArg{docKey("key"), docInt("max_burst"), docInt("count_per_period"), docInt("period"), docInt("quantity").optional()}},
	"cluster.setmap": {summary: "Replace this node's slot map with a newer version", complexity: "O(N) where N is the number of slots (16384)",
		args: []docArg{docInt("version"),
			docBlock("node", docStr("id").tok("NODE"), docStr("address"), docStr("slots")).multiple(),
			docBlock("migration", docStr("slots").tok("MIGRATING"), docStr("id")).optional().multiple()}},
	"cluster.getmap": {summary: "Return this node's slot map as CLUSTER.SETMAP takes it", complexity: "O(N) where N is the number of slots (16384)"},
	"cluster.movekeys": {summary: "Hand the keys of the slots this node is migrating to their new owners", complexity: "O(N) where N is the number of keys of the node, scanned, plus the keys moved",
		args: []docArg{docStr("slots").optional()}},
	"cluster.import": {summary: "Store a key handed over by CLUSTER.MOVEKEYS", complexity: "O(N) where N is the size of the value",
		args: []docArg{docKey("key"), docStr("payload")}},
	"client|setinfo": {summary: "Set client or connection specific info", complexity: "O(1)",
		args: []docArg{docOneOf("attr", docStr("libname").tok("LIB-NAME"), docStr("libver").tok("LIB-VER"))}},
}

// node returns the argument as a COMMAND DOCS argument map; keys count the
// command's key specs, in order.
func (a docArg) node(keys *int64) resp.Node {
	kv := []resp.Node{resp.Bulk("name"), resp.Bulk(a.name), resp.Bulk("type"), resp.Bulk(a.typ)}
	if a.typ == "key" {
		kv = append(kv, resp.Bulk("key_spec_index"), resp.Int(*keys))
		*keys++
	}
	if a.token != "" {
		kv = append(kv, resp.Bulk("token"), resp.Bulk(a.token))
	}
	if len(a.flags) > 0 {
		kv = append(kv, resp.Bulk("flags"), resp.StatusSet(a.flags...))
	}
	if len(a.args) > 0 {
		kv = append(kv, resp.Bulk("arguments"), argsNode(a.args, keys))
	}
	return resp.Map(kv...)
}

// argsNode returns arguments as COMMAND DOCS's array of argument maps.
func argsNode(args []docArg, keys *int64) resp.Node {
	out := make([]resp.Node, len(args))
	for i, a := range args {
		out[i] = a.node(keys)
	}
	return resp.Array(out...)
}
