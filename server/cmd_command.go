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

	"github.com/stratakv/strata/acl"
	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/internal/resp"
	"github.com/stratakv/strata/policy"
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
	info map[string]*resp.Node // COMMAND INFO entries
	docs map[string]*resp.Node // COMMAND DOCS maps
}

// recorded returns the parsed recorded descriptions; they are parsed on
// first use so a server that never runs COMMAND does not pay for them.
var recorded = sync.OnceValue(func() *commandDocs {
	d := &commandDocs{info: map[string]*resp.Node{}, docs: map[string]*resp.Node{}}
	infos, err := resp.Parse(recordedInfo)
	if err != nil {
		panic("server: embedded commanddocs/info.resp: " + err.Error())
	}
	for i := range infos {
		d.indexInfo(&infos[i])
	}
	docs, err := resp.Parse(recordedDocs)
	if err != nil || len(docs)%2 != 0 {
		panic("server: embedded commanddocs/docs.resp is malformed")
	}
	for i := 0; i < len(docs); i += 2 {
		d.indexDocs(docs[i].Str, &docs[i+1])
	}
	return d
})

func (d *commandDocs) indexInfo(entry *resp.Node) {
	d.info[entry.Elems[infoName].Str] = entry
	for i := range entry.Elems[infoSubcommands].Elems {
		d.indexInfo(&entry.Elems[infoSubcommands].Elems[i])
	}
}

func (d *commandDocs) indexDocs(name string, doc *resp.Node) {
	d.docs[name] = doc
	if subs, ok := doc.Field("subcommands"); ok {
		for i := 0; i+1 < len(subs.Elems); i += 2 {
			d.indexDocs(subs.Elems[i].Str, &subs.Elems[i+1])
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
func infoEntry(cmd *command) *resp.Node {
	if e, ok := recorded().info[cmd.name]; ok {
		return e
	}
	return generatedInfo(cmd)
}

// generatedInfo describes a command Redis does not have, from its table
// entry, in the shape Redis gives module commands.
func generatedInfo(cmd *command) *resp.Node {
	var flags, cats []string
	if cmd.subcommands == nil {
		switch {
		case cmd.flags&flagWrite != 0:
			flags, cats = append(flags, "write"), append(cats, "@write")
		case cmd.firstKey > 0:
			flags, cats = append(flags, "readonly"), append(cats, "@read")
		}
		if cmd.flags&flagDenyOOM != 0 {
			flags = append(flags, "denyoom")
		}
		if isModuleCommand(cmd) {
			flags = append(flags, "module")
		}
		if cmd.flags&flagPubSub != 0 {
			flags, cats = append(flags, "pubsub"), append(cats, "@pubsub")
		}
		if cmd.flags&flagNoAuth != 0 {
			flags = append(flags, "no_auth")
		}
		if cmd.flags&flagNoMulti != 0 {
			flags = append(flags, "no_multi")
		}
		if cmd.keys != nil {
			flags = append(flags, "movablekeys")
		}
	}
	cats = append(cats, "@slow")
	if isModuleCommand(cmd) {
		cats = append(cats, "@cache")
	}
	if cmd.categories != "" {
		cats = strings.Fields(cmd.categories)
	}
	parsed, ok := acl.ParseCategories(cats...)
	if !ok {
		panic("server: unknown ACL category in " + cmd.name + ": " + cmd.categories)
	}
	specs := resp.Set()
	if cmd.firstKey > 0 || cmd.keys != nil {
		keyFlags := []string{"RO", "access"}
		switch {
		case cmd.write == cache.WriteReplace: // as SET: the old value is not read
			keyFlags = []string{"OW", "update"}
		case cmd.flags&flagWrite != 0:
			keyFlags = []string{"RW", "access", "update"}
		}
		first, last, step := cmd.firstKey, cmd.lastKey, max(cmd.keyStep, 1)
		if first == 0 { // keys after options: the spec is the finder's to complete
			first, last = 1, -1
			keyFlags = append(keyFlags, "incomplete")
		}
		if last >= 0 {
			last -= first // Redis's range spec counts from the first key
		}
		specs.Elems = append(specs.Elems, resp.Map(
			resp.Bulk("flags"), resp.StatusSet(keyFlags...),
			resp.Bulk("begin_search"), resp.Map(
				resp.Bulk("type"), resp.Bulk("index"),
				resp.Bulk("spec"), resp.Map(resp.Bulk("index"), resp.Int(int64(first)))),
			resp.Bulk("find_keys"), resp.Map(
				resp.Bulk("type"), resp.Bulk("range"),
				resp.Bulk("spec"), resp.Map(
					resp.Bulk("lastkey"), resp.Int(int64(last)),
					resp.Bulk("keystep"), resp.Int(int64(step)),
					resp.Bulk("limit"), resp.Int(0))),
		))
	}
	e := resp.Array(
		resp.Bulk(cmd.name),
		resp.Int(int64(cmd.arity)),
		resp.StatusSet(flags...),
		resp.Int(int64(cmd.firstKey)),
		resp.Int(int64(cmd.lastKey)),
		resp.Int(int64(cmd.keyStep)),
		resp.StatusSet(parsed.Names()...),
		resp.Set(),
		specs,
		resp.Set(),
	)
	return &e
}

// docsEntry returns cmd's COMMAND DOCS map, whose subcommands the caller
// takes from the table.
func docsEntry(cmd *command) *resp.Node {
	if d, ok := recorded().docs[cmd.name]; ok {
		return d
	}
	doc := strataDocs[cmd.name] // cmd_docs.go
	var kv []resp.Node
	if doc.summary != "" {
		kv = append(kv, resp.Bulk("summary"), resp.Bulk(doc.summary))
	}
	kv = append(kv, resp.Bulk("since"), resp.Bulk(Version))
	if isModuleCommand(cmd) {
		kv = append(kv, resp.Bulk("group"), resp.Bulk("module"), resp.Bulk("module"), resp.Bulk(strataModule))
	} else if container := recorded().docs[containerName(cmd)]; container != nil {
		if group, ok := container.Field("group"); ok {
			kv = append(kv, resp.Bulk("group"), *group) // a subcommand of Redis's
		}
	}
	if doc.complexity != "" {
		kv = append(kv, resp.Bulk("complexity"), resp.Bulk(doc.complexity))
	}
	if len(doc.args) > 0 {
		var keys int64
		kv = append(kv, resp.Bulk("arguments"), argsNode(doc.args, &keys))
	}
	d := resp.Map(kv...)
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
func writeCommandInfo(w *resp.Writer, cmd *command) {
	e := infoEntry(cmd)
	w.Array(infoLen)
	for i := 0; i < infoSubcommands; i++ {
		w.Node(&e.Elems[i])
	}
	subs := sortedSubcommands(cmd)
	w.Set(len(subs))
	for _, s := range subs {
		writeCommandInfo(w, s)
	}
}

// writeCommandDocs writes cmd's COMMAND DOCS map with the subcommands
// Strata has, where Redis puts them (last).
func writeCommandDocs(w *resp.Writer, cmd *command) {
	d := docsEntry(cmd)
	subs := sortedSubcommands(cmd)
	pairs := len(d.Elems) / 2
	if _, ok := d.Field("subcommands"); ok {
		pairs--
	}
	if len(subs) > 0 {
		pairs++
	}
	w.Map(pairs)
	for i := 0; i+1 < len(d.Elems); i += 2 {
		if d.Elems[i].Str != "subcommands" {
			w.Node(&d.Elems[i])
			w.Node(&d.Elems[i+1])
		}
	}
	if len(subs) > 0 {
		w.BulkString("subcommands")
		w.Map(len(subs))
		for _, s := range subs {
			w.BulkString(s.name)
			writeCommandDocs(w, s)
		}
	}
}

// sortedCommands returns the table's top-level commands by name. Redis's
// order is its hash table's, which differs from run to run; Strata's is
// stable.
func (t commandTable) sorted() []*command {
	out := make([]*command, 0, len(t))
	for _, c := range t {
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
func (t commandTable) lookupFullName(name string) *command {
	base, sub, hasSub := strings.Cut(strings.ToLower(name), "|")
	cmd := t[base]
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
func (t commandTable) lookupArgs(args [][]byte) *command {
	cmd := t[strings.ToLower(string(args[0]))]
	if cmd == nil || cmd.subcommands == nil || len(args) < 2 {
		return cmd
	}
	return cmd.subcommands[strings.ToLower(string(args[1]))]
}

// cmdCommand is COMMAND with no subcommand: every command's INFO entry.
func cmdCommand(c *client, args [][]byte) {
	cmds := c.srv.commands.sorted()
	c.out.Array(len(cmds))
	for _, cmd := range cmds {
		writeCommandInfo(&c.out, cmd)
	}
}

func cmdCommandCount(c *client, args [][]byte) { c.out.Int(int64(len(c.srv.commands))) }

func cmdCommandInfo(c *client, args [][]byte) {
	if len(args) == 2 {
		cmdCommand(c, args)
		return
	}
	c.out.Array(len(args) - 2)
	for _, name := range args[2:] {
		if cmd := c.srv.commands.lookupFullName(string(name)); cmd != nil {
			writeCommandInfo(&c.out, cmd)
		} else {
			c.out.Null()
		}
	}
}

func cmdCommandDocs(c *client, args [][]byte) {
	var cmds []*command
	if len(args) == 2 {
		cmds = c.srv.commands.sorted()
	} else {
		for _, name := range args[2:] {
			if cmd := c.srv.commands.lookupFullName(string(name)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.out.Map(len(cmds))
	for _, cmd := range cmds {
		c.out.BulkString(cmd.name)
		writeCommandDocs(&c.out, cmd)
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
				for _, a := range infoEntry(cmd).Elems[infoACLCategories].Elems {
					if a.Str == cat {
						return true
					}
				}
				return false
			}
		case is(args[3], "pattern"):
			match = func(cmd *command) bool { return policy.MatchFold(value, cmd.name) }
		default:
			c.out.Error(msgSyntax)
			return
		}
	default:
		c.out.Error(msgSyntax)
		return
	}
	var names []string
	for _, cmd := range c.srv.commands.sorted() {
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
	cmd := c.srv.commands.lookupArgs(line)
	if cmd == nil {
		c.out.Error(msgInvalidCommand)
		return
	}
	if len(keySpecs(infoEntry(cmd))) == 0 {
		c.out.Error(msgNoKeyArguments)
		return
	}
	if !cmd.arityOK(len(line)) {
		c.out.Error(msgInvalidArgCount)
		return
	}
	keys, err := cmd.keysOf(line)
	if err != nil {
		if hasFlag(infoEntry(cmd), "no_mandatory_keys") {
			c.out.Array(0)
		} else {
			c.out.Error(msgInvalidKeyArgs)
		}
		return
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

// keysOf finds the keys of a full command line as Redis does: by the
// command's key specs, and where a spec cannot be evaluated by the
// command's own finder (cmd.keys, Redis's getkeys_proc: SORT, GEORADIUS
// ... STORE, CACHE.MSET), the first key it finds taking the first spec's
// flags and the others the last spec's. An error means the arguments do
// not fit the specs.
func (cmd *command) keysOf(line [][]byte) ([]foundKey, error) {
	specs := keySpecs(infoEntry(cmd))
	keys, err := findKeys(specs, line)
	if err == errSpecUnknown && cmd.keys != nil {
		keys, err = nil, nil
		cmd.keys(line, func(pos int) {
			spec := specs[0]
			if len(keys) > 0 {
				spec = specs[len(specs)-1]
			}
			flags, _ := spec.Field("flags")
			keys = append(keys, foundKey{pos: pos, flags: flags})
		})
	}
	if err != nil {
		return nil, err
	}
	if vf, ok := variableKeyFlags[cmd.name]; ok && len(keys) == 1 {
		keys[0].flags = vf(line)
	}
	return keys, nil
}

// keySpecs returns the key specs of a COMMAND INFO entry, leaving out
// those that name no key.
func keySpecs(entry *resp.Node) []*resp.Node {
	var out []*resp.Node
	all := entry.Elems[infoKeySpecs].Elems
	for i := range all {
		if flags, ok := all[i].Field("flags"); ok && !hasString(flags, "not_key") {
			out = append(out, &all[i])
		}
	}
	return out
}

func hasFlag(entry *resp.Node, flag string) bool {
	return hasString(&entry.Elems[infoFlags], flag)
}

func hasString(n *resp.Node, s string) bool {
	for _, e := range n.Elems {
		if e.Str == s {
			return true
		}
	}
	return false
}

// foundKey is a key argument's position and its key spec's flags.
type foundKey struct {
	pos   int
	flags *resp.Node
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
func findKeys(specs []*resp.Node, argv [][]byte) ([]foundKey, error) {
	var keys []foundKey
	argc := len(argv)
	for _, spec := range specs {
		flags, _ := spec.Field("flags")
		bs, _ := spec.Field("begin_search")
		fk, _ := spec.Field("find_keys")
		if bs == nil || fk == nil || hasString(flags, "incomplete") {
			return nil, errSpecUnknown
		}
		bsType, _ := bs.Field("type")
		bsSpec, _ := bs.Field("spec")
		first := 0
		switch bsType.Str {
		case "index":
			first = int(specInt(bsSpec, "index"))
		case "keyword":
			kw, _ := bsSpec.Field("keyword")
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
				if strings.EqualFold(string(argv[i]), kw.Str) {
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
		fkType, _ := fk.Field("type")
		fkSpec, _ := fk.Field("spec")
		var last, step int
		switch fkType.Str {
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
			if last == first-1 && fkType.Str == "keynum" {
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
var variableKeyFlags = map[string]func(argv [][]byte) *resp.Node{
	"set": func(argv [][]byte) *resp.Node {
		for _, a := range argv[min(3, len(argv)):] {
			if is(a, "get") {
				return &keyFlagsRW
			}
		}
		return &keyFlagsOW
	},
	"bitfield": func(argv [][]byte) *resp.Node {
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
	keyFlagsRW = resp.StatusSet("RW", "access", "update")
	keyFlagsOW = resp.StatusSet("OW", "update")
	keyFlagsRO = resp.StatusSet("RO", "access")
)

func specInt(spec *resp.Node, key string) int64 {
	if v, ok := spec.Field(key); ok {
		return v.Num
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

func cmdCommandHelp(c *client, args [][]byte) { c.out.Help(commandHelp) }
