package server

// The server's side of ACL (package acl). Every connection runs as a user,
// the default user until AUTH or HELLO AUTH. Before a command runs, the
// dispatcher checks that the connection has authenticated when it must,
// then the user's permissions for the command, its keys and its channels,
// as Redis's processCommand does; EXEC checks its queued commands again,
// and a script's commands are checked for the script's caller. A denial is
// answered with NOPERM and recorded in the ACL log.
//
// ACL rules name commands by their own names: the catalog is built from
// the command table before rename-command applies, as Redis's ACL works on
// its original command table.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stratakv/strata/acl"
	"github.com/stratakv/strata/internal/resp"
)

// aclCatalog builds the ACL catalog of the table's commands, and links
// each command to its entry (command.perm).
func (t commandTable) aclCatalog() *acl.Catalog {
	top := make([]*acl.Command, 0, len(t))
	for _, cmd := range t {
		ac := aclCommand(cmd)
		for _, sub := range cmd.subcommands {
			ac.Subcommands = append(ac.Subcommands, aclCommand(sub))
		}
		top = append(top, ac)
	}
	return acl.NewCatalog(top)
}

// channelArgs are the commands whose arguments are pub/sub channels,
// checked against a user's & patterns (Redis's ACLDoesCommandHaveChannels).
var channelArgs = map[string]acl.ChannelArgs{
	"publish":    acl.FirstChannel,
	"spublish":   acl.FirstChannel,
	"subscribe":  acl.AllChannels,
	"ssubscribe": acl.AllChannels,
	"psubscribe": acl.AllPatterns,
}

func aclCommand(cmd *command) *acl.Command {
	var names []string
	for _, n := range infoEntry(cmd).Elems[infoACLCategories].Elems {
		names = append(names, n.Str)
	}
	cats, ok := acl.ParseCategories(names...)
	if !ok {
		panic(fmt.Sprintf("server: %s has an unknown ACL category in %q", cmd.name, names))
	}
	cmd.perm = &acl.Command{Name: cmd.name, Categories: cats, NoAuth: cmd.flags&flagNoAuth != 0, Channels: channelArgs[cmd.name]}
	return cmd.perm
}

// rename applies rename-command: each command named by a key of renames
// is dispatched under its value instead, or not at all for "". Errors and
// COMMAND INFO keep its own name, as in Redis.
func (t commandTable) rename(renames map[string]string) error {
	cmds := map[string]*command{}
	for from := range renames {
		cmd := t[strings.ToLower(from)]
		if cmd == nil {
			return fmt.Errorf("server: rename-command: no such command %q", from)
		}
		cmds[from] = cmd
		delete(t, cmd.name)
	}
	for from, to := range renames {
		if to == "" {
			continue
		}
		if t[strings.ToLower(to)] != nil {
			return fmt.Errorf("server: rename-command: %q: a command named %q already exists", from, to)
		}
		t[strings.ToLower(to)] = cmds[from]
	}
	return nil
}

// initACL sets up the users from requirepass and the aclfile, and the ACL
// log; the aclfile's users replace requirepass's default user, as in
// Redis.
func (s *Server) initACL() error {
	s.users = acl.NewUsers(s.commands.aclCatalog())
	s.users.SetPubSubDefault(s.cfg.ACLPubSubDefault == "allchannels")
	s.users.SetDefaultPassword(s.cfg.RequirePass)
	s.aclLog = acl.NewLog(defaultACLLogMaxLen)
	if s.cfg.ACLFile == "" {
		return nil
	}
	if _, msg := s.loadACLFile(); msg != "" {
		return fmt.Errorf("server: aclfile: %s", msg)
	}
	return nil
}

// defaultACLLogMaxLen is Redis's acllog-max-len.
const defaultACLLogMaxLen = 128

// loadACLFile replaces the users with the aclfile's. It returns the users
// replaced, or Redis's description of what is wrong with the file.
func (s *Server) loadACLFile() ([]*acl.User, string) {
	text, err := os.ReadFile(s.cfg.ACLFile)
	if err != nil {
		return nil, fmt.Sprintf(msgACLLoadOpen, s.cfg.ACLFile, osErrorText(err))
	}
	replaced, err := s.users.Load(string(text))
	var le acl.LoadError
	if errors.As(err, &le) {
		var b strings.Builder
		for _, e := range le {
			b.WriteString(aclLineErrorText(s.cfg.ACLFile, e))
		}
		return nil, b.String() + msgACLLoadAbort
	}
	return replaced, ""
}

// aclLineErrorText words a problem of an ACL file as Redis's
// ACLLoadFromFile does.
func aclLineErrorText(file string, e acl.LineError) string {
	switch {
	case errors.Is(e.Err, acl.ErrNotUserLine):
		return fmt.Sprintf(msgACLLoadNotUser, file, e.Line)
	case errors.Is(e.Err, acl.ErrUsernameSpaces):
		return fmt.Sprintf(msgACLLoadBadName, file, e.Line, e.User)
	case errors.Is(e.Err, acl.ErrDuplicateUser):
		return fmt.Sprintf(msgACLLoadDuplicate, e.User, e.Line)
	case errors.Is(e.Err, acl.ErrUnmatchedParen):
		return fmt.Sprintf(msgACLLoadParen, file, e.Line)
	}
	return fmt.Sprintf(msgACLLoadRule, file, e.Line, aclRuleText(e.Err))
}

// aclRuleText words why a rule is refused, as Redis's
// ACLSetUserStringError.
func aclRuleText(err error) string {
	for _, r := range aclRuleErrors {
		if errors.Is(err, r.err) {
			return r.text
		}
	}
	return msgACLRuleWrongFormat
}

// osErrorText is an I/O error as C's strerror words it ("No such file or
// directory").
func osErrorText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	text := err.Error()
	if text == "" {
		return text
	}
	return strings.ToUpper(text[:1]) + text[1:]
}

// saveACLFile writes the users to the aclfile: to a temporary file in its
// directory, synced, then renamed over it, so a crash leaves the old file
// or the new one.
func (s *Server) saveACLFile() error {
	path := s.cfg.ACLFile
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	if _, err := f.WriteString(s.users.Save()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// authRequired reports whether c must authenticate before it runs a
// command other than AUTH, HELLO, QUIT or RESET: it has not, and the
// default user is off or has a password (Redis's authRequired).
func (c *client) authRequired() bool {
	return !c.authed.Load() && !c.srv.users.Default().Open()
}

// setDefaultAuth makes c the default user's, authenticated when that
// user needs no password: a new connection's state, and RESET's.
func (c *client) setDefaultAuth() {
	def := c.srv.users.Default()
	c.user.Store(def)
	c.authed.Store(def.Open())
}

// checkACL checks that c's user may run cmd with args; a denial is
// recorded in the ACL log as happening in ctx, and returned with the
// argument refused (a key or channel).
func (c *client) checkACL(cmd *command, args [][]byte, ctx acl.LogContext) (acl.Denial, int) {
	d, pos := c.user.Load().Check(cmd.perm, args, func() []acl.Key { return aclKeys(cmd, args) })
	if d != acl.Allowed {
		object := cmd.name
		if d != acl.DeniedCommand {
			object = string(args[pos])
		}
		c.logDenial(d, ctx, object, c.user.Load().Name())
	}
	return d, pos
}

// aclKeys returns the key arguments of a command line with the access
// each needs (Redis's key spec flags: access reads; insert, delete and
// update write). Arguments that fit no key spec name no key: the command
// refuses them itself.
func aclKeys(cmd *command, args [][]byte) []acl.Key {
	found, err := cmd.keysOf(args)
	if err != nil {
		return nil
	}
	keys := make([]acl.Key, len(found))
	for i, k := range found {
		keys[i] = acl.Key{Pos: k.pos, Perm: keyPerm(k.flags)}
	}
	return keys
}

func keyPerm(flags *resp.Node) acl.Perm {
	var p acl.Perm
	if hasString(flags, "access") {
		p |= acl.PermRead
	}
	if hasString(flags, "insert") || hasString(flags, "delete") || hasString(flags, "update") {
		p |= acl.PermWrite
	}
	return p
}

// logDenial records a denial in the ACL log, with the client that asked
// for it: for a script's command, the script's caller.
func (c *client) logDenial(d acl.Denial, ctx acl.LogContext, object, user string) {
	who := c
	if c.script != nil && c.script.caller != nil {
		who = c.script.caller
	}
	var b strings.Builder
	who.describe(&b, who, c.srv.subscriptionCounts(), time.Now())
	c.srv.aclLog.Add(acl.LogEntry{
		Reason:     d,
		Context:    ctx,
		Object:     object,
		Username:   user,
		Time:       c.srv.store.Now(),
		ClientInfo: strings.TrimSuffix(b.String(), "\n"),
	})
}

// aclContext is where c's commands run, for the ACL log.
func (c *client) aclContext() acl.LogContext {
	if c.multi != nil {
		return acl.ContextMulti
	}
	return acl.ContextTopLevel
}

// denialReply words a denied command's error at the top level or while
// queueing (Redis's processCommand).
func denialReply(cmd *command, d acl.Denial) string {
	switch d {
	case acl.DeniedKey:
		return msgNoPermKey
	case acl.DeniedChannel:
		return msgNoPermChannel
	}
	return fmt.Sprintf(msgNoPermCommand, cmd.name)
}

// dropClientsOf ends the connections authenticated as one of users,
// which were deleted or replaced: they become unauthenticated default
// clients at once, so nothing more runs as those users, and close; the
// caller's connection closes after its reply.
func (s *Server) dropClientsOf(users []*acl.User, caller *client) {
	gone := map[*acl.User]bool{}
	for _, u := range users {
		gone[u] = true
	}
	s.drop(s.clientsWhere(func(o *client) bool { return gone[o.user.Load()] }), caller)
}

func (s *Server) drop(victims []*client, caller *client) {
	for _, o := range victims {
		o.user.Store(s.users.Default())
		o.authed.Store(false)
		if o == caller {
			o.closeAfter = true
		} else {
			o.close()
		}
	}
}

// dropRevokedSubscribers closes the connections of u subscribed to a
// channel or pattern u may no longer use, after ACL SETUSER changed u
// (Redis's ACLKillPubsubClientsIfNeeded).
func (s *Server) dropRevokedSubscribers(u *acl.User, caller *client) {
	p := &s.pubsub
	p.mu.RLock()
	var victims []*client
	seen := map[*client]bool{}
	for k := range p.subs {
		for name, subscribers := range p.subs[k] {
			for sub := range subscribers {
				if o := sub.c; !seen[o] && o.user.Load() == u && !u.ChannelAllowed(name, subKind(k) == kindPattern) {
					seen[o] = true
					victims = append(victims, o)
				}
			}
		}
	}
	p.mu.RUnlock()
	s.drop(victims, caller)
}
