package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"
	"sync/atomic"
)

// userFlags are a user's flags, in the order ACL LIST and GETUSER show
// them.
type userFlags uint8

const (
	flagOn userFlags = 1 << iota
	flagOff
	flagNoPass
	flagSkipSanitize
	flagSanitize
)

var userFlagNames = []string{"on", "off", "nopass", "skip-sanitize-payload", "sanitize-payload"}

// User is an ACL user. Its name never changes; its rules are replaced as a
// whole (Users.SetUser, Users.Load), so a User is safe for concurrent use.
type User struct {
	name  string
	rules atomic.Pointer[rules]
}

// rules are a user's flags, passwords and selectors: immutable once a
// User holds them.
type rules struct {
	flags     userFlags
	passwords []string    // SHA-256 digests in hex
	selectors []*selector // the root selector first
	// unrestricted: the root selector allows every command, key and
	// channel (the default user's +@all ~* &*), so Check has nothing to
	// look at.
	unrestricted bool
}

// newRules are a new user's rules: off, no password, no permission, and
// every channel when acl-pubsub-default is allchannels (pubsubAll).
func newRules(cat *Catalog, pubsubAll bool) *rules {
	return &rules{flags: flagOff, selectors: []*selector{newSelector(cat, true, pubsubAll)}}
}

func (r *rules) clone() *rules {
	c := &rules{flags: r.flags, passwords: slices.Clone(r.passwords)}
	for _, s := range r.selectors {
		c.selectors = append(c.selectors, s.clone())
	}
	return c
}

// seal computes what Check's fast path needs, once the rules are built.
func (r *rules) seal() *rules {
	root := r.selectors[0]
	r.unrestricted = root.allCommands && root.allKeys && root.allChannels
	return r
}

func (r *rules) setFlag(on, off userFlags) { r.flags = r.flags&^off | on }

// apply applies one rule (Redis's ACLSetUser): a user flag, a password, a
// "(...)" selector, or a rule of the root selector.
func (r *rules) apply(op string, pubsubAll bool) error {
	cat := r.selectors[0].cat
	switch {
	case op == "":
	case strings.EqualFold(op, "on"):
		r.setFlag(flagOn, flagOff)
	case strings.EqualFold(op, "off"):
		r.setFlag(flagOff, flagOn)
	case strings.EqualFold(op, "skip-sanitize-payload"):
		r.setFlag(flagSkipSanitize, flagSanitize)
	case strings.EqualFold(op, "sanitize-payload"):
		r.setFlag(flagSanitize, flagSkipSanitize)
	case strings.EqualFold(op, "nopass"):
		r.setFlag(flagNoPass, 0)
		r.passwords = nil
	case strings.EqualFold(op, "resetpass"):
		r.setFlag(0, flagNoPass)
		r.passwords = nil
	case op[0] == '>' || op[0] == '#':
		hash, err := passwordHash(op)
		if err != nil {
			return err
		}
		if !slices.Contains(r.passwords, hash) {
			r.passwords = append(r.passwords, hash)
		}
		r.setFlag(0, flagNoPass)
	case op[0] == '<' || op[0] == '!':
		hash, err := passwordHash(op)
		if err != nil {
			return err
		}
		i := slices.Index(r.passwords, hash)
		if i < 0 {
			return ErrNoSuchPassword
		}
		r.passwords = slices.Delete(r.passwords, i, i+1)
	case op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector(cat, false, pubsubAll)
		ops, ok := splitSelector(op)
		if !ok {
			return ErrSyntax
		}
		for _, o := range ops {
			if err := s.apply(o); err != nil {
				return err
			}
		}
		r.selectors = append(r.selectors, s)
	case strings.EqualFold(op, "clearselectors"):
		r.selectors = r.selectors[:1]
	case strings.EqualFold(op, "reset"):
		r.flags = flagOff | flagSanitize
		r.passwords = nil
		root := newSelector(cat, true, pubsubAll)
		r.selectors = []*selector{root}
	default:
		return r.selectors[0].apply(op)
	}
	return nil
}

// passwordHash returns the digest a password rule names: of the clear
// text after '>' or '<', or the hex digest after '#' or '!'.
func passwordHash(op string) (string, error) {
	if op[0] == '>' || op[0] == '<' {
		return hashPassword([]byte(op[1:])), nil
	}
	h := op[1:]
	if len(h) != sha256.Size*2 || strings.ContainsFunc(h, func(r rune) bool {
		return (r < '0' || r > '9') && (r < 'a' || r > 'f')
	}) {
		return "", ErrBadHash
	}
	return h, nil
}

func hashPassword(p []byte) string {
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:])
}

// Name returns the user's name.
func (u *User) Name() string { return u.name }

// NoPass reports whether any password logs the user in.
func (u *User) NoPass() bool { return u.rules.Load().flags&flagNoPass != 0 }

// Open reports whether the user is enabled and needs no password: when
// the default user is, connections need no AUTH.
func (u *User) Open() bool {
	f := u.rules.Load().flags
	return f&flagNoPass != 0 && f&flagOff == 0
}

// checkPassword reports whether pass logs the user in; it compares every
// digest in constant time.
func (u *User) checkPassword(pass []byte) bool {
	r := u.rules.Load()
	if r.flags&flagOff != 0 {
		return false
	}
	if r.flags&flagNoPass != 0 {
		return true
	}
	hash := []byte(hashPassword(pass))
	ok := 0
	for _, p := range r.passwords {
		ok |= subtle.ConstantTimeCompare(hash, []byte(p))
	}
	return ok == 1
}

// Check reports whether the user may run cmd with args (the whole command
// line). keys finds the line's key arguments; it is called at most once,
// and only when a selector restricts keys. On a denial it also returns the
// position in args of the key or channel refused.
func (u *User) Check(cmd *Command, args [][]byte, keys func() []Key) (Denial, int) {
	r := u.rules.Load()
	if r.unrestricted {
		return Allowed, 0
	}
	cache := keyCache{find: keys}
	worst, at := DeniedCommand, 0
	for _, s := range r.selectors {
		d, pos := s.check(cmd, args, &cache)
		if d == Allowed {
			return Allowed, 0
		}
		if d > worst || d == worst && pos > at {
			worst, at = d, pos
		}
	}
	return worst, at
}

// ChannelAllowed reports whether the user may subscribe to channel, or
// with literal to the pattern channel (Redis's ACLUserCheckChannelPerm).
func (u *User) ChannelAllowed(channel string, literal bool) bool {
	for _, s := range u.rules.Load().selectors {
		if s.allChannels || channelAllowed(s.channels, channel, literal) {
			return true
		}
	}
	return false
}

// Describe returns the user's rules as ACL LIST shows them, after "user
// <name> ".
func (u *User) Describe() string {
	r := u.rules.Load()
	var b strings.Builder
	for i, name := range userFlagNames {
		if r.flags&(1<<i) != 0 {
			b.WriteString(name + " ")
		}
	}
	for _, p := range r.passwords {
		b.WriteString("#" + p + " ")
	}
	for _, s := range r.selectors {
		if s.root {
			s.describe(&b)
			continue
		}
		b.WriteString(" (")
		s.describe(&b)
		b.WriteString(")")
	}
	return b.String()
}

// UserInfo is a user as ACL GETUSER shows it.
type UserInfo struct {
	Flags     []string
	Passwords []string // SHA-256 digests in hex
	// Selectors are the root selector, then the others.
	Selectors []SelectorInfo
}

// SelectorInfo is a selector as ACL GETUSER shows it.
type SelectorInfo struct {
	Commands, Keys, Channels string
}

// Info returns the user's flags, passwords and selectors.
func (u *User) Info() UserInfo {
	r := u.rules.Load()
	info := UserInfo{Flags: []string{}, Passwords: slices.Clone(r.passwords)}
	for i, name := range userFlagNames {
		if r.flags&(1<<i) != 0 {
			info.Flags = append(info.Flags, name)
		}
	}
	for _, s := range r.selectors {
		info.Selectors = append(info.Selectors, SelectorInfo{s.describeCommands(), s.keysText(), s.channelsText()})
	}
	return info
}
