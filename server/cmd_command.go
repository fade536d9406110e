package server

// Command introspection: COMMAND [COUNT|INFO|DOCS|LIST|GETKEYS|
// GETKEYSANDFLAGS|HELP].
// https://redis.io/commands/command/
//
// COMMAND INFO and COMMAND DOCS describe a command as Redis 7.0 does, down
// to key specs, ACL categories and argument docs. For every command Redis
// has, the description is Redis's own, recorded from redis-server into
// commanddocs/ (see TestRecordCommandDocs) and embedded in the binary; for
// Strata's own commands it is generated from the command table. Which
// commands exist always comes from the table at run time, so COMMAND COUNT,
// LIST and the subcommands of a container agree with what the server
// dispatches, whoever registers commands.

import (
	_ "embed"
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/stratakv/strata/internal/glob"
)

func registerCommandCommands(t commandTable) {
	t.container("command", -1,
		&command{name: "count", handler: cmdCommandCount, arity: 2, flags: flagNoData},
		&command{name: "info", handler: cmdCommandInfo, arity: -2, flags: flagNoData},
		&command{name: "docs", handler: cmdCommandDocs, arity: -2, flags: flagNoData},
		&command{name: "list", handler: cmdCommandList, arity: -2, flags: flagNoData},
		&command{name: "getkeys", handler: cmdCommandGetKeys, arity: -4, flags: flagNoData},
		&command{name: "getkeysandflags", handler: cmdCommandGetKeys, arity: -4, flags: flagNoData},
		&command{name: "help", handler: cmdCommandHelp, arity: 2, flags: flagNoData},
	)
	t["command"].handler = cmdCommand // COMMAND alone lists every command
}

// described is the command table COMMAND describes. It is set by init
// rather than initialized from commands, because the table holds COMMAND's
// own handlers (an initialization cycle otherwise).
var described commandTable

func init() { described = commands }

// strataModule is the module name Strata's own commands report in COMMAND
// DOCS and answer to in COMMAND LIST FILTERBY MODULE: they are named and
// described like module commands, so tools treat them as such.
const strataModule = "strata"

// Recorded replies of redis-server 7.0 to COMMAND INFO and COMMAND DOCS in
// RESP3, one command per value, sorted by name. Regenerate them with
// STRATA_RECORD_REDIS=host:port go test ./server -run TestRecordCommandDocs.
var (
	//go:embed commanddocs/info.resp
	recordedInfo []byte
	//go:embed commanddocs/docs.resp
	recordedDocs []byte
)

// commandDocs indexes the recorded descriptions by full command name
// ("get", "config|get").
type commandDocs struct {
	info map[string]*respNode // COMMAND INFO entries
	docs map[string]*respNode // COMMAND DOCS maps
}

// recorded returns the parsed recorded descriptions; they are parsed on
// first use so a server that never runs COMMAND does not pay for them.
var recorded = sync.OnceValue(func() *commandDocs {
	d := &commandDocs{info: map[string]*respNode{}, docs: map[string]*respNode{}}
	infos, err := parseRESP3(recordedInfo)
	if err != nil {
		panic("server: embedded commanddocs/info.resp: " + err.Error())
	}
	for i := range infos {
		d.indexInfo(&infos[i])
	}
	docs, err := parseRESP3(recordedDocs)
	if err != nil || len(docs)%2 != 0 {
		panic("server: embedded commanddocs/docs.resp is malformed")
	}
	for i := 0; i < len(docs); i += 2 {
		d.indexDocs(docs[i].str, &docs[i+1])
	}
	return d
})

func (d *commandDocs) indexInfo(entry *respNode) {
	d.info[entry.elems[infoName].str] = entry
	for i := range entry.elems[infoSubcommands].elems {
		d.indexInfo(&entry.elems[infoSubcommands].elems[i])
	}
}

func (d *commandDocs) indexDocs(name string, doc *respNode) {
	d.docs[name] = doc
	if subs, ok := doc.field("subcommands"); ok {
		for i := 0; i+1 < len(subs.elems); i += 2 {
			d.indexDocs(subs.elems[i].str, &subs.elems[i+1])
		}
	}
}

// Positions in a COMMAND INFO entry.
const (
	infoName = iota
	infoArity
	infoFlags
	infoFirstKey
	infoLastKey
	infoKeyStep
	infoACLCategories
	infoTips
	infoKeySpecs
	infoSubcommands
	infoLen
)

// infoEntry returns cmd's COMMAND INFO entry without its subcommands,
// which the caller takes from the table.
func infoEntry(cmd *command) *respNode {
	if e, ok := recorded().info[cmd.name]; ok {
		return e
	}
	return generatedInfo(cmd)
}

// generatedInfo describes a command Redis does not have, from its table
// entry, in the shape Redis gives module commands.
func generatedInfo(cmd *command) *respNode {
	var flags, acl []string
	if cmd.subcommands == nil {
		switch {
		case cmd.flags&flagWrite != 0:
			flags, acl = append(flags, "write"), append(acl, "@write")
		case cmd.firstKey > 0:
			flags, acl = append(flags, "readonly"), append(acl, "@read")
		}
		if cmd.flags&flagDenyOOM != 0 {
			flags = append(flags, "denyoom")
		}
		if isModuleCommand(cmd) {
			flags = append(flags, "module")
		}
		if cmd.flags&flagPubSub != 0 {
			flags, acl = append(flags, "pubsub"), append(acl, "@pubsub")
		}
		if cmd.flags&flagNoAuth != 0 {
			flags = append(flags, "no_auth")
		}
		if cmd.flags&flagNoMulti != 0 {
			flags = append(flags, "no_multi")
		}
	}
	acl = append(acl, "@slow")
	specs := setNode()
	if cmd.firstKey > 0 {
		keyFlags := []string{"RO", "access"}
		if cmd.flags&flagWrite != 0 {
			keyFlags = []string{"RW", "access", "update"}
		}
		last := cmd.lastKey
		if last >= 0 {
			last -= cmd.firstKey // Redis's range spec counts from the first key
		}
		step := max(cmd.keyStep, 1)
		specs.elems = append(specs.elems, mapNode(
			bulkNode("flags"), statusSet(keyFlags...),
			bulkNode("begin_search"), mapNode(
				bulkNode("type"), bulkNode("index"),
				bulkNode("spec"), mapNode(bulkNode("index"), intNode(int64(cmd.firstKey)))),
			bulkNode("find_keys"), mapNode(
				bulkNode("type"), bulkNode("range"),
				bulkNode("spec"), mapNode(
					bulkNode("lastkey"), intNode(int64(last)),
					bulkNode("keystep"), intNode(int64(step)),
					bulkNode("limit"), intNode(0))),
		))
	}
	e := arrayNode(
		bulkNode(cmd.name),
		intNode(int64(cmd.arity)),
		statusSet(flags...),
		intNode(int64(cmd.firstKey)),
		intNode(int64(cmd.lastKey)),
		intNode(int64(cmd.keyStep)),
		statusSet(acl...),
		setNode(),
		specs,
		setNode(),
	)
	return &e
}

// docsEntry returns cmd's COMMAND DOCS map, whose subcommands the caller
// takes from the table.
func docsEntry(cmd *command) *respNode {
	if d, ok := recorded().docs[cmd.name]; ok {
		return d
	}
	var kv []respNode
	if cmd.summary != "" {
		kv = append(kv, bulkNode("summary"), bulkNode(cmd.summary))
	}
	kv = append(kv, bulkNode("since"), bulkNode(Version))
	if isModuleCommand(cmd) {
		kv = append(kv, bulkNode("group"), bulkNode("module"), bulkNode("module"), bulkNode(strataModule))
	} else if container := recorded().docs[containerName(cmd)]; container != nil {
		if group, ok := container.field("group"); ok {
			kv = append(kv, bulkNode("group"), *group) // a subcommand of Redis's
		}
	}
	d := mapNode(kv...)
	return &d
}

// isStrataOnly reports whether Redis has no command named like cmd.
func isStrataOnly(cmd *command) bool {
	_, ok := recorded().info[cmd.name]
	return !ok
}

// isModuleCommand reports whether cmd is one of Strata's own commands (or
// their subcommands), which are described as the commands of a module
// named strata. A subcommand Strata adds to a Redis container (CLIENT
// SETINFO) is not.
func isModuleCommand(cmd *command) bool {
	return isStrataOnly(cmd) && !recordedName(containerName(cmd))
}

func recordedName(name string) bool {
	_, ok := recorded().info[name]
	return ok
}

// containerName is the name of a subcommand's container, or the name of a
// command that is none.
func containerName(cmd *command) string {
	base, _, _ := strings.Cut(cmd.name, "|")
	return base
}

// writeCommandInfo writes cmd's COMMAND INFO entry with the subcommands
// Strata has.
func (w *reply) writeCommandInfo(cmd *command) {
	e := infoEntry(cmd)
	w.Array(infoLen)
	for i := 0; i < infoSubcommands; i++ {
		w.Node(&e.elems[i])
	}
	subs := sortedSubcommands(cmd)
	w.Set(len(subs))
	for _, s := range subs {
		w.writeCommandInfo(s)
	}
}

// writeCommandDocs writes cmd's COMMAND DOCS map with the subcommands
// Strata has, where Redis puts them (last).
func (w *reply) writeCommandDocs(cmd *command) {
	d := docsEntry(cmd)
	subs := sortedSubcommands(cmd)
	pairs := len(d.elems) / 2
	if _, ok := d.field("subcommands"); ok {
		pairs--
	}
	if len(subs) > 0 {
		pairs++
	}
	w.Map(pairs)
	for i := 0; i+1 < len(d.elems); i += 2 {
		if d.elems[i].str != "subcommands" {
			w.Node(&d.elems[i])
			w.Node(&d.elems[i+1])
		}
	}
	if len(subs) > 0 {
		w.BulkString("subcommands")
		w.Map(len(subs))
		for _, s := range subs {
			w.BulkString(s.name)
			w.writeCommandDocs(s)
		}
	}
}

// sortedCommands returns the table's top-level commands by name. Redis's
// order is its hash table's, which differs from run to run; Strata's is
// stable.
func sortedCommands() []*command {
	out := make([]*command, 0, len(described))
	for _, c := range described {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func sortedSubcommands(cmd *command) []*command {
	out := make([]*command, 0, len(cmd.subcommands))
	for _, s := range cmd.subcommands {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// lookupFullName finds a command by its full name, "get" or "config|get",
// as COMMAND INFO and DOCS take it.
func lookupFullName(name string) *command {
	base, sub, hasSub := strings.Cut(strings.ToLower(name), "|")
	cmd := described[base]
	if cmd == nil || !hasSub {
		return cmd
	}
	if strings.Contains(sub, "|") {
		return nil
	}
	return cmd.subcommands[sub]
}

// lookupArgs finds the command a request's arguments name, descending into
// a container when a subcommand is given, as COMMAND GETKEYS does.
func lookupArgs(args [][]byte) *command {
	cmd := described[strings.ToLower(string(args[0]))]
	if cmd == nil || cmd.subcommands == nil || len(args) < 2 {
		return cmd
	}
	return cmd.subcommands[strings.ToLower(string(args[1]))]
}

// cmdCommand is COMMAND with no subcommand: every command's INFO entry.
func cmdCommand(c *client, args [][]byte) {
	cmds := sortedCommands()
	c.out.Array(len(cmds))
	for _, cmd := range cmds {
		c.out.writeCommandInfo(cmd)
	}
}

func cmdCommandCount(c *client, args [][]byte) { c.out.Int(int64(len(described))) }

func cmdCommandInfo(c *client, args [][]byte) {
	if len(args) == 2 {
		cmdCommand(c, args)
		return
	}
	c.out.Array(len(args) - 2)
	for _, name := range args[2:] {
		if cmd := lookupFullName(string(name)); cmd != nil {
			c.out.writeCommandInfo(cmd)
		} else {
			c.out.Null()
		}
	}
}

func cmdCommandDocs(c *client, args [][]byte) {
	var cmds []*command
	if len(args) == 2 {
		cmds = sortedCommands()
	} else {
		for _, name := range args[2:] {
			if cmd := lookupFullName(string(name)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.out.Map(len(cmds))
	for _, cmd := range cmds {
		c.out.BulkString(cmd.name)
		c.out.writeCommandDocs(cmd)
	}
}

// cmdCommandList is COMMAND LIST [FILTERBY MODULE name|ACLCAT cat|PATTERN
// glob]: command and subcommand names.
func cmdCommandList(c *client, args [][]byte) {
	match := func(*command) bool { return true }
	switch {
	case len(args) == 2:
	case len(args) == 5 && is(args[2], "filterby"):
		value := string(args[4])
		switch {
		case is(args[3], "module"):
			match = func(cmd *command) bool { return value == strataModule && isModuleCommand(cmd) }
		case is(args[3], "aclcat"):
			cat := "@" + strings.ToLower(value)
			match = func(cmd *command) bool {
				for _, a := range infoEntry(cmd).elems[infoACLCategories].elems {
					if a.str == cat {
						return true
					}
				}
				return false
			}
		case is(args[3], "pattern"):
			match = func(cmd *command) bool { return glob.MatchFold(value, cmd.name) }
		default:
			c.out.Error(msgSyntax)
			return
		}
	default:
		c.out.Error(msgSyntax)
		return
	}
	var names []string
	for _, cmd := range sortedCommands() {
		if match(cmd) {
			names = append(names, cmd.name)
		}
		for _, s := range sortedSubcommands(cmd) {
			if match(s) {
				names = append(names, s.name)
			}
		}
	}
	c.out.Strings(names)
}

// cmdCommandGetKeys is COMMAND GETKEYS and GETKEYSANDFLAGS: the keys of a
// full command line, found by the command's key specs as Redis finds them.
func cmdCommandGetKeys(c *client, args [][]byte) {
	withFlags := is(args[1], "getkeysandflags")
	line := args[2:]
	cmd := lookupArgs(line)
	if cmd == nil {
		c.out.Error(msgInvalidCommand)
		return
	}
	specs := keySpecs(infoEntry(cmd))
	if len(specs) == 0 {
		c.out.Error(msgNoKeyArguments)
		return
	}
	if !cmd.arityOK(len(line)) {
		c.out.Error(msgInvalidArgCount)
		return
	}
	keys, err := findKeys(specs, line)
	if err == errSpecUnknown && cmd.keys != nil {
		// Redis runs the command's own key finder here (SORT, SORT_RO):
		// the sorted key has the first spec's flags, STORE's key the
		// last one's.
		keys, err = nil, nil
		cmd.keys(line, func(pos int) {
			spec := specs[0]
			if len(keys) > 0 {
				spec = specs[len(specs)-1]
			}
			flags, _ := spec.field("flags")
			keys = append(keys, foundKey{pos: pos, flags: flags})
		})
	}
	if err != nil {
		if hasFlag(infoEntry(cmd), "no_mandatory_keys") {
			c.out.Array(0)
		} else {
			c.out.Error(msgInvalidKeyArgs)
		}
		return
	}
	if vf, ok := variableKeyFlags[cmd.name]; ok && len(keys) == 1 {
		keys[0].flags = vf(line)
	}
	c.out.Array(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.out.Bulk(line[k.pos])
			continue
		}
		c.out.Array(2)
		c.out.Bulk(line[k.pos])
		c.out.Node(k.flags)
	}
}

// keySpecs returns the key specs of a COMMAND INFO entry, leaving out
// those that name no key.
func keySpecs(entry *respNode) []*respNode {
	var out []*respNode
	all := entry.elems[infoKeySpecs].elems
	for i := range all {
		if flags, ok := all[i].field("flags"); ok && !hasString(flags, "not_key") {
			out = append(out, &all[i])
		}
	}
	return out
}

func hasFlag(entry *respNode, flag string) bool {
	return hasString(&entry.elems[infoFlags], flag)
}

func hasString(n *respNode, s string) bool {
	for _, e := range n.elems {
		if e.str == s {
			return true
		}
	}
	return false
}

// foundKey is a key argument's position and its key spec's flags.
type foundKey struct {
	pos   int
	flags *respNode
}

// Why key specs cannot give a command line's keys.
var (
	// errSpecInvalid: the arguments do not fit the specs.
	errSpecInvalid = errors.New("arguments do not fit the key specs")
	// errSpecUnknown: a spec cannot be evaluated (Redis then runs a
	// command-specific key finder).
	errSpecUnknown = errors.New("key spec cannot be evaluated")
)

// findKeys applies key specs to a command line as Redis's
// getKeysUsingKeySpecs does.
func findKeys(specs []*respNode, argv [][]byte) ([]foundKey, error) {
	var keys []foundKey
	argc := len(argv)
	for _, spec := range specs {
		flags, _ := spec.field("flags")
		bs, _ := spec.field("begin_search")
		fk, _ := spec.field("find_keys")
		if bs == nil || fk == nil || hasString(flags, "incomplete") {
			return nil, errSpecUnknown
		}
		bsType, _ := bs.field("type")
		bsSpec, _ := bs.field("spec")
		first := 0
		switch bsType.str {
		case "index":
			first = int(specInt(bsSpec, "index"))
		case "keyword":
			kw, _ := bsSpec.field("keyword")
			from := int(specInt(bsSpec, "startfrom"))
			start, end := from, argc-1
			if from <= 0 {
				start, end = argc+from, 1
			}
			dir := 1
			if start > end {
				dir = -1
			}
			for i := start; i != end && i >= 1 && i < argc; i += dir {
				if strings.EqualFold(string(argv[i]), kw.str) {
					first = i + 1
					break
				}
			}
			if first == 0 {
				continue // keyword absent: no keys from this spec
			}
		default:
			return nil, errSpecUnknown
		}
		fkType, _ := fk.field("type")
		fkSpec, _ := fk.field("spec")
		var last, step int
		switch fkType.str {
		case "range":
			step = int(specInt(fkSpec, "keystep"))
			lastKey, limit := int(specInt(fkSpec, "lastkey")), int(specInt(fkSpec, "limit"))
			switch {
			case lastKey >= 0:
				last = first + lastKey
			case limit == 0:
				last = argc + lastKey
			default:
				last = first + ((argc-first)/limit + lastKey)
			}
		case "keynum":
			step = int(specInt(fkSpec, "keystep"))
			idx := first + int(specInt(fkSpec, "keynumidx"))
			if idx >= argc {
				return nil, errSpecInvalid
			}
			n, valid := argInt(argv[idx])
			if !valid || n < 0 || n > int64(argc) {
				return nil, errSpecInvalid
			}
			first += int(specInt(fkSpec, "firstkey"))
			last = first + int(n) - 1
		default:
			return nil, errSpecUnknown
		}
		if last >= argc || last < first || first >= argc || step < 1 {
			if last == first-1 && fkType.str == "keynum" {
				continue // zero keys
			}
			return nil, errSpecInvalid
		}
		for i := first; i <= last; i += step {
			keys = append(keys, foundKey{pos: i, flags: flags})
		}
	}
	return keys, nil
}

// variableKeyFlags give the key flags of the commands whose key spec says
// variable_flags, as Redis's setGetKeys and bitfieldGetKeys do.
var variableKeyFlags = map[string]func(argv [][]byte) *respNode{
	"set": func(argv [][]byte) *respNode {
		for _, a := range argv[min(3, len(argv)):] {
			if is(a, "get") {
				return &keyFlagsRW
			}
		}
		return &keyFlagsOW
	},
	"bitfield": func(argv [][]byte) *respNode {
		for i := 2; i < len(argv); i++ {
			rest := len(argv) - i - 1
			switch {
			case is(argv[i], "get") && rest >= 2:
				i += 2
			case is(argv[i], "overflow") && rest >= 1:
				i++
			default: // SET, INCRBY, or a syntax error: assume a write
				return &keyFlagsRW
			}
		}
		return &keyFlagsRO
	},
}

var (
	keyFlagsRW = statusSet("RW", "access", "update")
	keyFlagsOW = statusSet("OW", "update")
	keyFlagsRO = statusSet("RO", "access")
)

func specInt(spec *respNode, key string) int64 {
	if v, ok := spec.field(key); ok {
		return v.num
	}
	return 0
}

var commandHelp = []string{
	"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
	"HELP",
	"    Prints this help.",
}

func cmdCommandHelp(c *client, args [][]byte) { c.out.help(commandHelp) }
