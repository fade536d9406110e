package server

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/stratakv/strata/acl"
	"github.com/stratakv/strata/cache"
)

// commandFlags describe how the dispatcher treats a command.
type commandFlags uint16

const (
	// flagWrite marks commands that modify data.
	flagWrite commandFlags = 1 << iota
	// flagDenyOOM marks writes refused (or preceded by eviction) when
	// maxmemory is reached.
	flagDenyOOM
	// flagNoAuth marks commands allowed before AUTH.
	flagNoAuth
	// flagNoData marks commands that never touch the keyspace; they run
	// without storage locks.
	flagNoData
	// flagNoQueue marks commands run at once inside MULTI, not queued.
	flagNoQueue
	// flagPubSub marks commands allowed in RESP2 subscriber context.
	flagPubSub
	// flagNoMulti marks commands refused inside MULTI.
	flagNoMulti
	// flagBlocking marks commands that may wait for a key (blocking.go).
	flagBlocking
	// flagNoScript marks commands scripts may not call: Redis's noscript
	// commands (MULTI, SUBSCRIBE, BLPOP, CLIENT...), and flagNoMulti ones,
	// which take the storage locks themselves and so cannot run under a
	// script's. Derived when the table is built.
	flagNoScript
	// flagReadThrough marks reads that load their misses from the keys'
	// origins (readthrough.go).
	flagReadThrough
	// flagScriptWrite marks commands read-only scripts refuse: writes
	// (derived when the table is built), and those Redis 7.0 flags
	// may_replicate, a flag its COMMAND INFO does not show (PUBLISH,
	// SPUBLISH, PFCOUNT: set where they are registered).
	flagScriptWrite
	// flagAllowBusy marks commands that run while a script is busy
	// (Redis's allow_busy: FUNCTION KILL, MULTI...); others are refused
	// with BUSY. Derived when the table is built, from Redis's COMMAND
	// INFO.
	flagAllowBusy
	// flagTrackRead marks the read commands whose keys a tracking client
	// hears of (Redis's readonly, less EVAL_RO and FCALL_RO, whose
	// scripts' commands count instead). Derived when the table is built.
	flagTrackRead
	// flagNoMonitor marks commands MONITOR does not show: Redis's admin
	// and skip_monitor ones. Derived when the table is built.
	flagNoMonitor
	// flagAsking marks commands a cluster node serves for a slot it is
	// importing as if the client had sent ASKING (Redis's CMD_ASKING).
	flagAsking
)

// command is one entry of the command table: it drives dispatch, arity
// errors, locking and COMMAND's replies.
type command struct {
	name    string // lower case; "container|sub" for subcommands
	handler func(c *client, args [][]byte)
	// arity is Redis's: n > 0 exactly n arguments (the name included),
	// n < 0 at least -n.
	arity int
	flags commandFlags
	// firstKey, lastKey and keyStep locate key arguments as COMMAND reports
	// them; lastKey < 0 counts from the end. firstKey 0: no key arguments.
	firstKey, lastKey, keyStep int
	// keys, when set, finds the keys of a command whose key arguments
	// move with its options (Redis's getkeys_proc: the STORE of SORT and
	// GEORADIUS): it calls fn with each key's position, in the order of
	// the command's key specs, and keyArgs uses it instead of the
	// positions above.
	keys func(args [][]byte, fn func(pos int))
	// subcommands, for containers such as CLIENT and CONFIG, by lower-case
	// name; the container's own handler, if any, runs only when it is
	// called with no subcommand (COMMAND).
	subcommands map[string]*command
	// write is how the command's writes treat a key's TTL in the write
	// path (cache.WriteKind; the zero value, in place, for most).
	write cache.WriteKind
	// stats are the command's INFO commandstats counters (cmdstats.go),
	// made on its first call.
	stats atomic.Pointer[cmdStats]
	// categories are the ACL categories of a command Redis does not have
	// ("@write @fast @cache"), which COMMAND INFO shows and ACL rules
	// grant; without them they follow its flags (see generatedInfo).
	// Redis's own commands have Redis's.
	categories string
	// perm is the command in the server's ACL catalog (acl.go).
	perm *acl.Command
}

// commandTable maps lower-case command names to their entries.
type commandTable map[string]*command

// add registers commands; a duplicate name is a programming error.
func (t commandTable) add(cmds ...*command) {
	for _, c := range cmds {
		if _, dup := t[c.name]; dup {
			panic("server: command registered twice: " + c.name)
		}
		t[c.name] = c
	}
}

// container registers a command with subcommands, naming each sub
// "name|sub" as Redis does in errors and COMMAND INFO.
func (t commandTable) container(name string, arity int, subs ...*command) {
	c := &command{name: name, arity: arity, flags: flagNoData, subcommands: map[string]*command{}}
	for _, s := range subs {
		c.subcommands[s.name] = s
		s.name = name + "|" + s.name
	}
	t.add(c)
}

// newCommandTable builds the table a server dispatches through (its
// commands field).
func newCommandTable() commandTable {
	t := commandTable{}
	registerConnectionCommands(t)
	registerStringCommands(t)
	registerKeyCommands(t)
	registerExpireCommands(t)
	registerServerCommands(t)
	registerTxCommands(t)
	registerRateCommands(t)
	registerStatsCommands(t)
	registerPubSubCommands(t)
	registerCacheCommands(t)
	registerCachePolicyCommands(t)
	registerWarmupCommands(t)
	registerLeaseCommands(t)
	registerListCommands(t)
	registerZSetCommands(t)
	registerHashCommands(t)
	registerSetCommands(t)
	registerStreamCommands(t)
	registerScriptCommands(t)
	registerBitmapCommands(t)
	registerHLLCommands(t)
	registerFunctionCommands(t)
	registerMonitorCommands(t)
	registerDebugCommands(t)
	registerLatencyCommands(t)
	registerGeoCommands(t)
	registerSortCommands(t)
	registerDumpCommands(t)
	registerACLCommands(t)
	registerClusterCommands(t)
	t.deriveScriptFlags()
	t.deriveMovableKeys()
	return t
}

// deriveMovableKeys gives Redis's movablekeys commands that have no key
// finder of their own one that applies their recorded key specs
// (cmd_command.go), as Redis finds their keys (EVAL's numkeys, LMPOP's):
// cluster routing needs every key. Locking is unchanged: a command with
// no key positions still runs under the store lock (client.begin).
func (t commandTable) deriveMovableKeys() {
	for _, cmd := range t {
		e, recorded := recorded().info[cmd.name]
		if !recorded || !hasFlag(e, "movablekeys") || cmd.keys != nil {
			continue
		}
		specs := keySpecs(e)
		cmd.keys = func(args [][]byte, fn func(pos int)) {
			keys, err := findKeys(specs, args)
			if err != nil {
				cmd.keyPositions(args, fn) // arguments the specs do not fit: the command refuses them
				return
			}
			for _, k := range keys {
				fn(k.pos)
			}
		}
	}
}

// deriveScriptFlags sets flagNoScript, flagScriptWrite, flagAllowBusy,
// flagTrackRead and flagNoMonitor on every command and subcommand, from
// the table's own flags and, for Redis's commands, the COMMAND INFO Redis
// gives (cmd_command.go).
func (t commandTable) deriveScriptFlags() {
	derive := func(cmd *command) {
		e, recorded := recorded().info[cmd.name]
		if cmd.flags&flagNoMulti != 0 || recorded && hasFlag(e, "noscript") {
			cmd.flags |= flagNoScript
		}
		if cmd.flags&flagWrite != 0 || recorded && hasFlag(e, "write") {
			cmd.flags |= flagScriptWrite
		}
		if recorded && (hasFlag(e, "admin") || hasFlag(e, "skip_monitor")) {
			cmd.flags |= flagNoMonitor
		}
		if recorded && hasFlag(e, "allow_busy") {
			cmd.flags |= flagAllowBusy
		}
		readOnly := recorded && hasFlag(e, "readonly") && !hasFlag(e, "pubsub") ||
			!recorded && cmd.flags&flagWrite == 0 && cmd.firstKey > 0
		if readOnly && !strings.HasSuffix(cmd.name, "_ro") {
			cmd.flags |= flagTrackRead
		}
	}
	for _, cmd := range t {
		derive(cmd)
		for _, sub := range cmd.subcommands {
			derive(sub)
		}
	}
}

// find returns the command args name, with its subcommand; nil when there
// is none.
func (t commandTable) find(args [][]byte) *command {
	cmd := t[string(toLower(args[0]))]
	if cmd != nil && cmd.subcommands != nil && len(args) > 1 {
		cmd = cmd.subcommands[string(toLower(args[1]))]
	}
	return cmd
}

// keyArgs calls fn with each key argument of args.
func (cmd *command) keyArgs(args [][]byte, fn func(key []byte)) {
	if cmd.keys != nil {
		cmd.keys(args, func(pos int) { fn(args[pos]) })
		return
	}
	cmd.keyPositions(args, func(pos int) { fn(args[pos]) })
}

// keyPositions calls fn with the position of each key argument by the
// table's firstKey, lastKey and keyStep.
func (cmd *command) keyPositions(args [][]byte, fn func(pos int)) {
	first, last, step := cmd.keyRange(len(args))
	for i := first; i <= last; i += step {
		fn(i)
	}
}

// keyRange returns the positions of the key arguments of a command line
// of n arguments by the table's firstKey, lastKey and keyStep: first to
// last by step, none when last < first.
func (cmd *command) keyRange(n int) (first, last, step int) {
	if cmd.firstKey == 0 || cmd.firstKey >= n {
		return 1, 0, 1
	}
	last = cmd.lastKey
	if last < 0 {
		last += n
	}
	step = max(cmd.keyStep, 1)
	return cmd.firstKey, min(last, n-1), step
}

// unknownCommandError words the reply to an unknown command as Redis 7.0.
func unknownCommandError(args [][]byte) string {
	var sb strings.Builder
	for _, a := range args[1:] {
		room := 128 - sb.Len()
		if room <= 0 {
			break
		}
		sb.WriteString("'")
		sb.WriteString(truncate(string(a), room))
		sb.WriteString("' ")
	}
	msg := fmt.Sprintf(msgUnknownCommand, truncate(string(args[0]), 128), sb.String())
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// wrongArity words the reply to a wrong number of arguments.
func wrongArity(name string) string { return fmt.Sprintf(msgWrongArity, name) }

// arityOK checks n arguments against a command's arity.
func (cmd *command) arityOK(n int) bool {
	if cmd.arity > 0 {
		return n == cmd.arity
	}
	return n >= -cmd.arity
}
