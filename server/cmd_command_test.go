package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stratakv/strata/internal/resp"
)

// TestCommandCount checks that COMMAND COUNT counts Strata's table, which
// is not Redis's: Redis's replies to the other COMMAND subcommands are in
// conformance/testdata/server.txt.
func TestCommandCount(t *testing.T) {
	s := startServer(t, Config{})
	dial(t, s).expect(fmt.Sprintf(":%d\r\n", len(s.commands)), "COMMAND", "COUNT")
}

// TestCommandListsTheTable checks that COMMAND, COMMAND INFO, DOCS and LIST
// describe exactly the commands and subcommands in the table.
func TestCommandListsTheTable(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	var want []string
	for _, cmd := range newCommandTable().sorted() {
		want = append(want, cmd.name)
		for _, sub := range sortedSubcommands(cmd) {
			want = append(want, sub.name)
		}
	}
	list, err := resp.Parse([]byte(c.do("COMMAND", "LIST")))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(nodeStrings(&list[0]), " "); got != strings.Join(want, " ") {
		t.Errorf("COMMAND LIST: %s\nwant %s", got, strings.Join(want, " "))
	}
	for _, args := range [][]string{{"COMMAND"}, {"COMMAND", "INFO"}} {
		all, err := resp.Parse([]byte(c.do(args...)))
		if err != nil || len(all[0].Elems) != len(s.commands) {
			t.Fatalf("%v: %v, %d entries", args, err, len(all[0].Elems))
		}
		for _, e := range all[0].Elems {
			cmd := s.commands[e.Elems[infoName].Str]
			if cmd == nil || len(e.Elems[infoSubcommands].Elems) != len(cmd.subcommands) {
				t.Errorf("%v: entry %q does not match the table", args, e.Elems[infoName].Str)
			}
		}
	}
	docs, err := resp.Parse([]byte(c.do("COMMAND", "DOCS")))
	if err != nil || len(docs[0].Elems) != 2*len(s.commands) {
		t.Fatalf("COMMAND DOCS: %v, %d elements", err, len(docs[0].Elems))
	}
}

// TestCommandInfoAgreesWithTable checks the table against Redis's recorded
// descriptions: a command Redis has must take the same arity and key
// positions, and carry the same write, denyoom and no_auth flags, or
// COMMAND would describe a different command than the one dispatched. A
// command whose keys span databases (COPY, MOVE) declares none, to run
// under the exclusive storage lock.
func TestCommandInfoAgreesWithTable(t *testing.T) {
	check := func(cmd *command) {
		e, ok := recorded().info[cmd.name]
		if !ok {
			return // Strata's own
		}
		if cmd.arity != int(e.Elems[infoArity].Num) {
			t.Errorf("%s: arity %d, Redis's %d", cmd.name, cmd.arity, e.Elems[infoArity].Num)
		}
		if got, want := [3]int{cmd.firstKey, cmd.lastKey, cmd.keyStep},
			[3]int{int(e.Elems[infoFirstKey].Num), int(e.Elems[infoLastKey].Num), int(e.Elems[infoKeyStep].Num)}; cmd.firstKey != 0 && got != want {
			t.Errorf("%s: keys %v, Redis's %v", cmd.name, got, want)
		}
		for flag, name := range map[commandFlags]string{flagWrite: "write", flagDenyOOM: "denyoom", flagNoAuth: "no_auth"} {
			if (cmd.flags&flag != 0) != hasFlag(e, name) {
				t.Errorf("%s: flag %s differs from Redis's", cmd.name, name)
			}
		}
	}
	for _, cmd := range newCommandTable().sorted() {
		check(cmd)
		for _, sub := range sortedSubcommands(cmd) {
			check(sub)
		}
	}
}

// TestCommandDescribesStrataCommands checks the entries generated for
// commands Redis does not have, and for subcommands Redis 7.0 lacks.
func TestCommandDescribesStrataCommands(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	var own []*command
	listed := 0 // commands and subcommands
	for _, cmd := range newCommandTable().sorted() {
		if isModuleCommand(cmd) {
			own = append(own, cmd)
			listed += 1 + len(cmd.subcommands)
		}
	}
	if len(own) == 0 {
		t.Skip("every command in the table is Redis's")
	}
	for _, cmd := range own {
		got, err := resp.Parse([]byte(c.do("COMMAND", "INFO", cmd.name)))
		if err != nil {
			t.Fatal(err)
		}
		e := got[0].Elems[0]
		if len(e.Elems) != infoLen || e.Elems[infoName].Str != cmd.name || e.Elems[infoArity].Num != int64(cmd.arity) ||
			e.Elems[infoFirstKey].Num != int64(cmd.firstKey) || (cmd.subcommands == nil) != hasFlag(&e, "module") {
			t.Errorf("COMMAND INFO %s: %+v", cmd.name, e)
		}
		if cmd.firstKey > 0 && cmd.arity > 0 {
			line := []string{"COMMAND", "GETKEYS", cmd.name}
			for len(line)-2 < cmd.arity {
				line = append(line, fmt.Sprintf("k%d", len(line)-3))
			}
			if keys := c.do(line...); !strings.HasPrefix(keys, "*") {
				t.Errorf("%v: %q", line, keys)
			}
		}
		docs := c.do("COMMAND", "DOCS", cmd.name)
		if !strings.Contains(docs, "$5\r\ngroup\r\n$6\r\nmodule\r\n") || !strings.Contains(docs, "$6\r\nmodule\r\n$6\r\nstrata\r\n") {
			t.Errorf("COMMAND DOCS %s: %q", cmd.name, docs)
		}
	}
	if got := c.do("COMMAND", "LIST", "FILTERBY", "module", "strata"); !strings.HasPrefix(got, fmt.Sprintf("*%d\r\n", listed)) {
		t.Errorf("COMMAND LIST FILTERBY MODULE strata: %.40q", got)
	}
	// CLIENT SETINFO is 7.2's: CLIENT's entry lists it among Redis 7.0's.
	if got := c.do("COMMAND", "INFO", "client|setinfo"); !strings.Contains(got, "$14\r\nclient|setinfo\r\n:4\r\n") {
		t.Errorf("COMMAND INFO client|setinfo: %q", got)
	}
	if got := c.do("COMMAND", "DOCS", "client|setinfo"); !strings.Contains(got, "Set client or connection specific info") ||
		!strings.Contains(got, "$5\r\ngroup\r\n$10\r\nconnection\r\n") || strings.Contains(got, "strata") {
		t.Errorf("COMMAND DOCS client|setinfo: %q", got)
	}
}

// TestFindKeys runs the key spec evaluator on Redis's recorded specs of
// commands with every kind of spec, against the keys Redis 7.0.15 finds.
func TestFindKeys(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want string // positions and flags, or the error
	}{
		{"index range", []string{"get", "a"}, "1:RO,access"},
		{"range to the end", []string{"del", "a", "b", "c"}, "1:RM,delete 2:RM,delete 3:RM,delete"},
		{"range with step", []string{"mset", "a", "1", "b", "2"}, "1:OW,update 3:OW,update"},
		{"two specs", []string{"lmove", "a", "b", "left", "right"}, "1:RW,access,delete 2:RW,insert"},
		{"keynum", []string{"zunionstore", "d", "2", "a", "b"}, "1:OW,update 3:RO,access 4:RO,access"},
		{"keynum beyond the arguments", []string{"zunionstore", "d", "5", "a", "b"}, errSpecInvalid.Error()},
		{"keynum not a number", []string{"zunionstore", "d", "x", "a"}, errSpecInvalid.Error()},
		{"keyword with limit", []string{"xread", "streams", "a", "b", "0", "0"}, "2:RO,access 3:RO,access"},
		{"keyword from the end", []string{"georadius", "k", "0", "0", "1", "m", "STORE", "dst"}, "1:RO,access 7:OW,update"},
		{"keyword absent", []string{"georadius", "k", "0", "0", "1", "m"}, "1:RO,access"},
		{"unknown spec", []string{"sort", "a", "store", "b"}, errSpecUnknown.Error()},
		{"incomplete spec", []string{"migrate", "h", "p", "", "0", "5", "keys", "a"}, errSpecUnknown.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := recorded().info[tc.argv[0]]
			argv := make([][]byte, len(tc.argv))
			for i, a := range tc.argv {
				argv[i] = []byte(a)
			}
			keys, err := findKeys(keySpecs(e), argv)
			got := ""
			if err != nil {
				got = err.Error()
			}
			for _, k := range keys {
				got = strings.TrimSpace(got + fmt.Sprintf(" %d:%s", k.pos, strings.Join(nodeStrings(k.flags), ",")))
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// nodeStrings returns the texts of an aggregate's string elements.
func nodeStrings(n *resp.Node) []string {
	out := make([]string, 0, len(n.Elems))
	for _, e := range n.Elems {
		out = append(out, e.Str)
	}
	return out
}
