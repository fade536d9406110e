package acl

import (
	"slices"
	"strings"

	"github.com/stratakv/strata/internal/resp"
	"github.com/stratakv/strata/policy"
)

// Perm is the access a key pattern grants, or a key argument needs.
type Perm uint8

const (
	// PermRead: the command reads the key (%R~).
	PermRead Perm = 1 << iota
	// PermWrite: the command inserts, updates or deletes the key (%W~).
	PermWrite
	// PermAll is both (~).
	PermAll = PermRead | PermWrite
)

// Key is a key argument of a command line: its position in the line and
// the access the command needs.
type Key struct {
	Pos  int
	Perm Perm
}

type keyPattern struct {
	pattern string
	perm    Perm
}

func (p keyPattern) String() string {
	switch p.perm {
	case PermRead:
		return "%R~" + p.pattern
	case PermWrite:
		return "%W~" + p.pattern
	}
	return "~" + p.pattern
}

// bitset holds one bit per command of a catalog.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) get(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) put(i int, v bool) {
	if v {
		b[i/64] |= 1 << (i % 64)
	} else {
		b[i/64] &^= 1 << (i % 64)
	}
}
func (b bitset) fill(v bool) {
	var w uint64
	if v {
		w = ^uint64(0)
	}
	for i := range b {
		b[i] = w
	}
}

// selector is a set of permissions: a user has its root selector and any
// number of others, and may run what one of them allows (Redis's
// aclSelector). A selector is changed only while a user's rules are being
// built, and is immutable once they are in place.
type selector struct {
	cat         *Catalog
	root        bool
	allKeys     bool
	allChannels bool
	// allCommands is set by +@all and cleared when any command is taken
	// away; future records that the commands started from +@all, so
	// Describe starts from it (Redis's reserved "future commands" bit).
	allCommands bool
	future      bool
	cmds        bitset
	// firstArgs are the first arguments allowed for a command whose bit is
	// clear ("+select|0"), by command id.
	firstArgs map[int][]string
	keys      []keyPattern
	channels  []string
}

func newSelector(cat *Catalog, root, allChannels bool) *selector {
	return &selector{cat: cat, root: root, allChannels: allChannels, cmds: newBitset(cat.size)}
}

func (s *selector) clone() *selector {
	c := *s
	c.cmds = slices.Clone(s.cmds)
	c.keys = slices.Clone(s.keys)
	c.channels = slices.Clone(s.channels)
	c.firstArgs = nil
	for id, args := range s.firstArgs {
		c.addFirstArg(id, args...)
	}
	return &c
}

func (s *selector) addFirstArg(id int, args ...string) {
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	for _, a := range args {
		if !slices.ContainsFunc(s.firstArgs[id], func(b string) bool { return strings.EqualFold(a, b) }) {
			s.firstArgs[id] = append(s.firstArgs[id], a)
		}
	}
}

// setCommand allows or forbids cmd and, for a container, its subcommands
// (Redis's ACLChangeSelectorPerm).
func (s *selector) setCommand(cmd *Command, allow bool) {
	s.setBit(cmd.id, allow)
	delete(s.firstArgs, cmd.id)
	for _, sub := range cmd.Subcommands {
		s.setBit(sub.id, allow)
	}
}

func (s *selector) setBit(id int, allow bool) {
	s.cmds.put(id, allow)
	if !allow {
		s.allCommands = false
	}
}

// setCategory allows or forbids every command of cat: a container in it
// with all its subcommands, and each subcommand in it.
func (s *selector) setCategory(cat Category, allow bool) {
	s.cat.each(func(cmd *Command) {
		if cmd.Categories&cat != 0 {
			s.setCommand(cmd, allow)
		}
	})
}

// apply applies one selector rule (Redis's ACLSetSelector).
func (s *selector) apply(op string) error {
	switch {
	case strings.EqualFold(op, "allkeys"), strings.EqualFold(op, "~*"):
		s.allKeys, s.keys = true, nil
	case strings.EqualFold(op, "resetkeys"):
		s.allKeys, s.keys = false, nil
	case strings.EqualFold(op, "allchannels"), strings.EqualFold(op, "&*"):
		s.allChannels, s.channels = true, nil
	case strings.EqualFold(op, "resetchannels"):
		s.allChannels, s.channels = false, nil
	case strings.EqualFold(op, "allcommands"), strings.EqualFold(op, "+@all"):
		s.cmds.fill(true)
		s.allCommands, s.future, s.firstArgs = true, true, nil
	case strings.EqualFold(op, "nocommands"), strings.EqualFold(op, "-@all"):
		s.cmds.fill(false)
		s.allCommands, s.future, s.firstArgs = false, false, nil
	case op[0] == '~' || op[0] == '%':
		return s.addKeyPattern(op)
	case op[0] == '&':
		if s.allChannels {
			return ErrChannelsAfterAll
		}
		pattern := op[1:]
		if hasSpaces(pattern) {
			return ErrSyntax
		}
		if !slices.Contains(s.channels, pattern) {
			s.channels = append(s.channels, pattern)
		}
	case len(op) > 1 && (op[0] == '+' || op[0] == '-') && op[1] == '@':
		cat, ok := ParseCategory(op[2:])
		if !ok {
			return ErrUnknownName
		}
		s.setCategory(cat, op[0] == '+')
	case op[0] == '+':
		return s.allow(op[1:])
	case op[0] == '-':
		cmd := s.cat.Lookup(op[1:])
		if cmd == nil {
			return ErrUnknownName
		}
		s.setCommand(cmd, false)
	default:
		return ErrSyntax
	}
	return nil
}

// addKeyPattern applies ~pattern, %R~pattern, %W~pattern or %RW~pattern.
func (s *selector) addKeyPattern(op string) error {
	if s.allKeys {
		return ErrKeysAfterAll
	}
	perm, i := PermAll, 1
	if op[0] == '%' {
		perm = 0
	flags:
		for ; i < len(op); i++ {
			switch {
			case (op[i] == 'R' || op[i] == 'r') && perm&PermRead == 0:
				perm |= PermRead
			case (op[i] == 'W' || op[i] == 'w') && perm&PermWrite == 0:
				perm |= PermWrite
			case op[i] == '~':
				i++
				break flags
			default:
				return ErrSyntax
			}
		}
		if perm == 0 {
			return ErrSyntax // Redis would store a pattern granting nothing
		}
	}
	pattern := op[i:]
	if hasSpaces(pattern) {
		return ErrSyntax
	}
	if j := slices.IndexFunc(s.keys, func(p keyPattern) bool { return p.pattern == pattern }); j >= 0 {
		s.keys[j].perm |= perm
	} else {
		s.keys = append(s.keys, keyPattern{pattern, perm})
	}
	return nil
}

// allow applies +command, +container|sub or +command|firstarg.
func (s *selector) allow(name string) error {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		cmd := s.cat.Lookup(name)
		if cmd == nil {
			return ErrUnknownName
		}
		s.setCommand(cmd, true)
		return nil
	}
	cmd := s.cat.Lookup(name[:i])
	switch {
	case cmd == nil:
		return ErrUnknownName
	case cmd.Parent != nil:
		return ErrSubcommandFirstArg
	case i == len(name)-1:
		return ErrSyntax
	case cmd.Subcommands != nil:
		sub := s.cat.Lookup(name)
		if sub == nil {
			return ErrUnknownName
		}
		s.setCommand(sub, true)
	default:
		s.addFirstArg(cmd.id, name[i+1:])
	}
	return nil
}

// hasSpaces reports whether s has a space (C's isspace) or NUL, which
// names and patterns may not.
func hasSpaces(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r == 0 || r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r'
	})
}

// splitSelector reads the rules of a "(...)" selector as Redis's
// sdssplitargs does.
func splitSelector(op string) ([]string, bool) {
	args, ok := resp.SplitArgs([]byte(op[1 : len(op)-1]))
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out, ok
}

// Denial is why a command is refused, ordered as Redis picks the one to
// report when every selector refuses: a command, then the later key or
// channel.
type Denial uint8

const (
	// Allowed: no denial.
	Allowed Denial = iota
	// DeniedCommand: no selector allows the command.
	DeniedCommand
	// DeniedKey: a key argument matches no allowed pattern.
	DeniedKey
	// DeniedAuth is a failed AUTH, as the ACL log records it.
	DeniedAuth
	// DeniedChannel: a channel argument matches no allowed pattern.
	DeniedChannel
)

// check decides whether s allows cmd with args, and on a key or channel
// denial at which argument (Redis's ACLSelectorCheckCmd).
func (s *selector) check(cmd *Command, args [][]byte, keys *keyCache) (Denial, int) {
	if !s.allCommands && !cmd.NoAuth && !s.cmds.get(cmd.id) && !s.firstArgAllowed(cmd, args) {
		return DeniedCommand, 0
	}
	if !s.allKeys {
		for _, k := range keys.get(args) {
			if !s.keyAllowed(string(args[k.Pos]), k.Perm) {
				return DeniedKey, k.Pos
			}
		}
	}
	if !s.allChannels && cmd.Channels != NoChannels {
		from, to := 1, len(args)
		if cmd.Channels == FirstChannel {
			to = min(2, len(args))
		}
		for i := from; i < to; i++ {
			if !channelAllowed(s.channels, string(args[i]), cmd.Channels == AllPatterns) {
				return DeniedChannel, i
			}
		}
	}
	return Allowed, 0
}

func (s *selector) firstArgAllowed(cmd *Command, args [][]byte) bool {
	allowed := s.firstArgs[cmd.id]
	if len(args) < 2 || allowed == nil {
		return false
	}
	idx := 1
	if cmd.Parent != nil {
		idx = 2
	}
	return idx < len(args) && slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, string(args[idx])) })
}

func (s *selector) keyAllowed(key string, need Perm) bool {
	if s.allKeys {
		return true
	}
	for _, p := range s.keys {
		if p.perm&need == need && policy.Match(p.pattern, key) {
			return true
		}
	}
	return false
}

// channelAllowed checks a channel against patterns; literal (a PSUBSCRIBE
// pattern) must equal one of them.
func channelAllowed(patterns []string, channel string, literal bool) bool {
	for _, p := range patterns {
		if literal && p == channel || !literal && policy.Match(p, channel) {
			return true
		}
	}
	return false
}

// keyCache finds a command line's keys once for all the selectors that
// need them.
type keyCache struct {
	find func() []Key
	keys []Key
	done bool
}

func (k *keyCache) get(args [][]byte) []Key {
	if !k.done && k.find != nil {
		k.keys, k.done = k.find(), true
	}
	return k.keys
}

// describe writes s as rules ACL LIST shows: keys, channels, commands.
func (s *selector) describe(b *strings.Builder) {
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, p := range s.keys {
			b.WriteString(p.String())
			b.WriteByte(' ')
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(s.describeCommands())
}

// keysText and channelsText are ACL GETUSER's "keys" and "channels".
func (s *selector) keysText() string {
	if s.allKeys {
		return "~*"
	}
	out := make([]string, len(s.keys))
	for i, p := range s.keys {
		out[i] = p.String()
	}
	return strings.Join(out, " ")
}

func (s *selector) channelsText() string {
	if s.allChannels {
		return "&*"
	}
	out := make([]string, len(s.channels))
	for i, c := range s.channels {
		out[i] = "&" + c
	}
	return strings.Join(out, " ")
}

// describeCommands rebuilds s's command rules (Redis's
// ACLDescribeSelectorCommandRules): +@all or -@all, then the categories
// that best fit the difference, one at a time, then single commands and
// first arguments. The rules are applied to a scratch selector as they are
// written, so each step sees what is still to be described.
func (s *selector) describeCommands() string {
	var rules []string
	fake := newSelector(s.cat, false, false)
	additive := !s.future
	if additive {
		rules = append(rules, "-@all")
	} else {
		rules = append(rules, "+@all")
		fake.cmds.fill(true)
	}
	left := newSelector(s.cat, false, false)
	copy(left.cmds, s.cmds)
	var applied [numCategories]bool
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range numCategories {
			if applied[j] {
				continue
			}
			on, off := left.count(1 << j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || diff == minDiff && same > maxSame) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		sign := "-@"
		if additive {
			sign = "+@"
		}
		rules = append(rules, sign+categoryNames[best])
		fake.setCategory(1<<best, additive)
		left.setCategory(1<<best, !additive)
		applied[best] = true
	}
	for _, cmd := range s.cat.top {
		rules = s.describeCommand(cmd, fake, rules)
		for _, sub := range cmd.Subcommands {
			rules = s.describeCommand(sub, fake, rules)
		}
		if !s.cmds.get(cmd.id) {
			for _, a := range s.firstArgs[cmd.id] {
				rules = append(rules, "+"+cmd.Name+"|"+a)
			}
		}
	}
	return strings.Join(rules, " ")
}

func (s *selector) describeCommand(cmd *Command, fake *selector, rules []string) []string {
	user := s.cmds.get(cmd.id)
	if user == fake.cmds.get(cmd.id) {
		return rules
	}
	fake.setCommand(cmd, user)
	if user {
		return append(rules, "+"+cmd.Name)
	}
	return append(rules, "-"+cmd.Name)
}

// count returns how many commands of cat s allows and forbids.
func (s *selector) count(cat Category) (on, off int) {
	s.cat.each(func(cmd *Command) {
		if cmd.Categories&cat != 0 {
			if s.cmds.get(cmd.id) {
				on++
			} else {
				off++
			}
		}
	})
	return on, off
}
