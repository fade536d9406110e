package acl

import (
	"sort"
	"strings"
)

// Command is a command permissions are granted over, as a Catalog holds it.
type Command struct {
	// Name is the full lower-case name: "get", or "config|get" for a
	// subcommand.
	Name string
	// Categories are the command's ACL categories.
	Categories Category
	// NoAuth commands (AUTH, HELLO, QUIT...) may be run by every user.
	NoAuth bool
	// Channels says which arguments are pub/sub channels.
	Channels ChannelArgs
	// Subcommands of a container (CONFIG, CLIENT...); Parent of a
	// subcommand. NewCatalog sets Parent and sorts Subcommands.
	Subcommands []*Command
	Parent      *Command

	id int // the command's bit in a selector
}

// ChannelArgs says which arguments of a command are pub/sub channels,
// checked against a user's & patterns.
type ChannelArgs uint8

const (
	// NoChannels: the command names no channel.
	NoChannels ChannelArgs = iota
	// FirstChannel: argument 1 is a channel (PUBLISH, SPUBLISH).
	FirstChannel
	// AllChannels: every argument is a channel (SUBSCRIBE, SSUBSCRIBE).
	AllChannels
	// AllPatterns: every argument is a channel pattern (PSUBSCRIBE), which
	// must equal one of the user's patterns.
	AllPatterns
)

// Catalog is the set of commands permissions are granted over. It is not
// changed after NewCatalog and is safe for concurrent use.
type Catalog struct {
	top    []*Command // by name
	byName map[string]*Command
	size   int // commands and subcommands: bits in a selector
}

// NewCatalog builds a catalog of cmds, the top-level commands with their
// subcommands. It takes ownership of them.
func NewCatalog(cmds []*Command) *Catalog {
	c := &Catalog{top: append([]*Command(nil), cmds...), byName: map[string]*Command{}}
	byName := func(list []*Command) {
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	}
	byName(c.top)
	for _, cmd := range c.top {
		c.index(cmd)
		byName(cmd.Subcommands)
		for _, sub := range cmd.Subcommands {
			sub.Parent = cmd
			c.index(sub)
		}
	}
	return c
}

func (c *Catalog) index(cmd *Command) {
	cmd.id = c.size
	c.size++
	c.byName[cmd.Name] = cmd
}

// Lookup returns the command of a full name, "get" or "config|get", in
// any case; nil when there is none.
func (c *Catalog) Lookup(name string) *Command { return c.byName[strings.ToLower(name)] }

// InCategory returns the commands and subcommands of cat, in name order
// (ACL CAT category).
func (c *Catalog) InCategory(cat Category) []string {
	var out []string
	c.each(func(cmd *Command) {
		if cmd.Categories&cat != 0 {
			out = append(out, cmd.Name)
		}
	})
	return out
}

// each calls fn with every command, each container before its
// subcommands.
func (c *Catalog) each(fn func(cmd *Command)) {
	for _, cmd := range c.top {
		fn(cmd)
		for _, sub := range cmd.Subcommands {
			fn(sub)
		}
	}
}
