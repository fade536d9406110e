package server

import (
	"strings"
	"testing"
)

// TestStrataCommandsDocumented: every command Redis 7.0 does not have has
// COMMAND DOCS with a summary, every described command exists, and every
// container answers HELP.
func TestStrataCommandsDocumented(t *testing.T) {
	table := newCommandTable()
	seen := map[string]bool{}
	check := func(cmd *command) {
		if !isStrataOnly(cmd) {
			return
		}
		seen[cmd.name] = true
		if doc, ok := strataDocs[cmd.name]; !ok || doc.summary == "" || doc.complexity == "" {
			t.Errorf("%s has no summary or complexity in strataDocs", cmd.name)
		}
	}
	for _, cmd := range table.sorted() {
		check(cmd)
		for _, sub := range sortedSubcommands(cmd) {
			check(sub)
		}
		if cmd.subcommands != nil && cmd.subcommands["help"] == nil {
			t.Errorf("container %s has no HELP", cmd.name)
		}
	}
	for name := range strataDocs {
		if !seen[name] {
			t.Errorf("strataDocs describes %s, which is not a command Redis lacks", name)
		}
	}
}

func TestCommandDocsStrata(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	got := c.do("COMMAND", "DOCS", "cache.hotkeys")
	for _, part := range []string{
		"$7\r\nsummary\r\n$49\r\nList the keys read most, by decayed access counts\r\n",
		"$5\r\ngroup\r\n$6\r\nmodule\r\n$6\r\nmodule\r\n$6\r\nstrata\r\n",
		"$9\r\narguments\r\n*2\r\n*8\r\n$4\r\nname\r\n$5\r\ncount\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$5\r\nCOUNT\r\n$5\r\nflags\r\n*1\r\n+optional\r\n",
	} {
		if !strings.Contains(got, part) {
			t.Errorf("COMMAND DOCS cache.hotkeys = %q, lacks %q", got, part)
		}
	}
	// A key argument points at its key spec, as redis-cli's hints expect.
	if got := c.do("COMMAND", "DOCS", "cache.rate"); !strings.Contains(got, "$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n") {
		t.Errorf("COMMAND DOCS cache.rate = %q", got)
	}
	got = c.do("CACHE.DICT", "HELP")
	if !strings.HasPrefix(got, "*9\r\n+CACHE.DICT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n") {
		t.Errorf("CACHE.DICT HELP = %q", got)
	}
	c.expect("-ERR unknown subcommand 'NOPE'. Try CACHE.DICT HELP.\r\n", "CACHE.DICT", "NOPE")
}
