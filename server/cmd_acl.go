package server

// ACL SETUSER|GETUSER|DELUSER|LIST|USERS|WHOAMI|CAT|LOG|SAVE|LOAD|GENPASS|
// DRYRUN|HELP.
// https://redis.io/docs/management/security/acl/
//
// The users and their rules are package acl's; acl.go wires them into
// dispatch.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/stratakv/strata/acl"
)

func registerACLCommands(t commandTable) {
	t.container("acl", -2,
		&command{name: "setuser", handler: cmdACLSetUser, arity: -3, flags: flagNoData},
		&command{name: "getuser", handler: cmdACLGetUser, arity: 3, flags: flagNoData},
		&command{name: "deluser", handler: cmdACLDelUser, arity: -3, flags: flagNoData},
		&command{name: "list", handler: cmdACLList, arity: 2, flags: flagNoData},
		&command{name: "users", handler: cmdACLUsers, arity: 2, flags: flagNoData},
		&command{name: "whoami", handler: cmdACLWhoAmI, arity: 2, flags: flagNoData},
		&command{name: "cat", handler: cmdACLCat, arity: -2, flags: flagNoData},
		&command{name: "log", handler: cmdACLLog, arity: -2, flags: flagNoData},
		&command{name: "save", handler: cmdACLSave, arity: 2, flags: flagNoData},
		&command{name: "load", handler: cmdACLLoad, arity: 2, flags: flagNoData},
		&command{name: "genpass", handler: cmdACLGenPass, arity: -2, flags: flagNoData},
		&command{name: "dryrun", handler: cmdACLDryRun, arity: -4, flags: flagNoData},
		&command{name: "help", handler: cmdACLHelp, arity: 2, flags: flagNoData},
	)
}

// cmdACLSetUser is ACL SETUSER username [rule ...]: every rule applies, or
// none. Subscribers of the user to channels it may no longer use are
// disconnected, as in Redis.
func cmdACLSetUser(c *client, args [][]byte) {
	name := string(args[2])
	rules := make([]string, len(args)-3)
	for i, a := range args[3:] {
		rules[i] = string(a)
	}
	for i := 2; i < len(args); i++ {
		args[i] = redacted // passwords stay out of the slow log
	}
	u, err := c.srv.users.SetUser(name, rules)
	var pe *acl.ParenError
	var re *acl.RuleError
	switch {
	case errors.Is(err, acl.ErrUsernameSpaces):
		c.out.Error(msgACLUsernameSpaces)
	case errors.As(err, &pe):
		c.out.Error(fmt.Sprintf(msgACLUnmatchedParen, pe.Arg))
	case errors.As(err, &re):
		c.out.Error(fmt.Sprintf(msgACLSetUser, re.Rule, aclRuleText(re.Err)))
	default:
		c.srv.dropRevokedSubscribers(u, c)
		c.out.OK()
	}
}

// cmdACLGetUser is ACL GETUSER username: its flags, passwords and
// selectors (the root selector's at the top level), or null.
func cmdACLGetUser(c *client, args [][]byte) {
	u := c.srv.users.Lookup(string(args[2]))
	if u == nil {
		c.out.Null()
		return
	}
	info := u.Info()
	c.out.Map(6)
	c.out.BulkString("flags")
	c.out.Set(len(info.Flags))
	for _, f := range info.Flags {
		c.out.BulkString(f)
	}
	c.out.BulkString("passwords")
	c.out.Strings(info.Passwords)
	writeSelectorInfo := func(s acl.SelectorInfo) {
		c.out.BulkString("commands")
		c.out.BulkString(s.Commands)
		c.out.BulkString("keys")
		c.out.BulkString(s.Keys)
		c.out.BulkString("channels")
		c.out.BulkString(s.Channels)
	}
	writeSelectorInfo(info.Selectors[0])
	c.out.BulkString("selectors")
	c.out.Array(len(info.Selectors) - 1)
	for _, s := range info.Selectors[1:] {
		c.out.Map(3)
		writeSelectorInfo(s)
	}
}

// cmdACLDelUser is ACL DELUSER username [...]: the users' connections are
// closed. It replies how many existed.
func cmdACLDelUser(c *client, args [][]byte) {
	names := make([]string, len(args)-2)
	for i, a := range args[2:] {
		names[i] = string(a)
	}
	gone, err := c.srv.users.Delete(names)
	if err != nil {
		c.out.Error(msgACLDeleteDefault)
		return
	}
	c.srv.dropClientsOf(gone, c)
	c.out.Int(int64(len(gone)))
}

func cmdACLList(c *client, args [][]byte)  { c.out.Strings(c.srv.users.List()) }
func cmdACLUsers(c *client, args [][]byte) { c.out.Strings(c.srv.users.Names()) }

func cmdACLWhoAmI(c *client, args [][]byte) { c.out.BulkString(c.user.Load().Name()) }

// cmdACLCat is ACL CAT [category]: the categories, or the commands and
// subcommands of one, in name order (Redis's is its hash table's).
func cmdACLCat(c *client, args [][]byte) {
	switch len(args) {
	case 2:
		c.out.Strings(acl.CategoryNames())
	case 3:
		cat, ok := acl.ParseCategory(string(args[2]))
		if !ok {
			c.out.Error(fmt.Sprintf(msgACLUnknownCategory, truncate(string(args[2]), 128)))
			return
		}
		c.out.Strings(c.srv.users.Catalog().InCategory(cat))
	default:
		aclSyntaxError(c, args)
	}
}

// cmdACLLog is ACL LOG [count | RESET]: the most recent denials, 10 by
// default.
func cmdACLLog(c *client, args [][]byte) {
	n := int64(10)
	switch {
	case len(args) > 3:
		aclSyntaxError(c, args)
		return
	case len(args) == 3 && is(args[2], "reset"):
		c.srv.aclLog.Reset()
		c.out.OK()
		return
	case len(args) == 3:
		var ok bool
		if n, ok = argInt(args[2]); !ok {
			c.out.Error(msgNotInteger)
			return
		}
	}
	entries := c.srv.aclLog.Recent(int(max(0, min(n, 1<<30))))
	now := c.srv.store.Now()
	c.out.Array(len(entries))
	for _, e := range entries {
		c.out.Map(7)
		c.out.BulkString("count")
		c.out.Int(e.Count)
		c.out.BulkString("reason")
		c.out.BulkString(e.Reason.String())
		c.out.BulkString("context")
		c.out.BulkString(e.Context.String())
		c.out.BulkString("object")
		c.out.BulkString(e.Object)
		c.out.BulkString("username")
		c.out.BulkString(e.Username)
		c.out.BulkString("age-seconds")
		c.out.Double(float64(now-e.Time) / 1000)
		c.out.BulkString("client-info")
		c.out.BulkString(e.ClientInfo)
	}
}

// cmdACLSave is ACL SAVE: the users written to the aclfile.
func cmdACLSave(c *client, args [][]byte) {
	if c.srv.cfg.ACLFile == "" {
		c.out.Error(msgACLNoFile)
		return
	}
	if err := c.srv.saveACLFile(); err != nil {
		c.srv.log.Warn("ACL SAVE failed", "file", c.srv.cfg.ACLFile, "err", err)
		c.out.Error(msgACLSaveFailed)
		return
	}
	c.out.OK()
}

// cmdACLLoad is ACL LOAD: the users replaced by the aclfile's, all or
// none. The connections of the users replaced (every user but the
// default) are closed, as in Redis.
func cmdACLLoad(c *client, args [][]byte) {
	if c.srv.cfg.ACLFile == "" {
		c.out.Error(msgACLNoFile)
		return
	}
	replaced, msg := c.srv.loadACLFile()
	if msg != "" {
		c.out.Error("ERR " + msg)
		return
	}
	c.srv.dropClientsOf(replaced, c)
	c.out.OK()
}

// genPassMaxBits bounds ACL GENPASS's argument.
const genPassMaxBits = 4096

// cmdACLGenPass is ACL GENPASS [bits]: a random password of bits (256 by
// default) in hex, from the system's secure random source.
func cmdACLGenPass(c *client, args [][]byte) {
	bits := int64(256)
	switch len(args) {
	case 2:
	case 3:
		var ok bool
		if bits, ok = argInt(args[2]); !ok {
			c.out.Error(msgNotInteger)
			return
		}
	default:
		aclSyntaxError(c, args)
		return
	}
	if bits <= 0 || bits > genPassMaxBits {
		c.out.Error(msgACLGenPassBits)
		return
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	rand.Read(buf) // never fails (crypto/rand)
	c.out.BulkString(hex.EncodeToString(buf)[:chars])
}

// cmdACLDryRun is ACL DRYRUN username command [arg ...]: whether the user
// may run the command line, without running it or logging a denial.
func cmdACLDryRun(c *client, args [][]byte) {
	u := c.srv.users.Lookup(string(args[2]))
	if u == nil {
		c.out.Error(fmt.Sprintf(msgDryRunNoUser, args[2]))
		return
	}
	line := args[3:]
	cmd := c.srv.commands.find(line)
	if cmd == nil {
		c.out.Error(fmt.Sprintf(msgDryRunNoCommand, args[3]))
		return
	}
	if !cmd.arityOK(len(line)) {
		c.out.Error(wrongArity(cmd.name))
		return
	}
	switch d, pos := u.Check(cmd.perm, line, func() []acl.Key { return aclKeys(cmd, line) }); d {
	case acl.Allowed:
		c.out.OK()
	case acl.DeniedKey:
		c.out.BulkString(fmt.Sprintf(msgDryRunKey, line[pos]))
	case acl.DeniedChannel:
		c.out.BulkString(fmt.Sprintf(msgDryRunChannel, line[pos]))
	default:
		c.out.BulkString(fmt.Sprintf(msgDryRunCommand, cmd.name))
	}
}

// aclSyntaxError answers an ACL subcommand with too many arguments, as
// Redis's addReplySubcommandSyntaxError.
func aclSyntaxError(c *client, args [][]byte) {
	c.out.Error(fmt.Sprintf(msgSubcommandSyntax, truncate(string(args[1]), 128), "ACL"))
}

var aclHelp = []string{
	"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
	"HELP",
	"    Prints this help.",
}

func cmdACLHelp(c *client, args [][]byte) { c.out.Help(aclHelp) }
