package acl

import (
	"slices"
	"sort"
	"strings"
	"sync"
)

// DefaultUser is the name of the user every connection starts as.
const DefaultUser = "default"

// Users is the set of ACL users over a catalog. It is safe for concurrent
// use.
type Users struct {
	cat *Catalog
	def *User // never replaced: connections point at it

	mu     sync.RWMutex // guards byName and pubsubAll
	byName map[string]*User
	// pubsubAll is acl-pubsub-default: new users and selectors get every
	// channel (allchannels) or none (resetchannels, Redis 7.0's default).
	pubsubAll bool
}

// NewUsers returns the users of cat: the default user alone, on, with no
// password and every permission (+@all ~* &*).
func NewUsers(cat *Catalog) *Users {
	us := &Users{cat: cat, def: &User{name: DefaultUser}}
	us.def.rules.Store(defaultRules(cat))
	us.byName = map[string]*User{DefaultUser: us.def}
	return us
}

func defaultRules(cat *Catalog) *rules {
	r := newRules(cat, false)
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		r.apply(op, false) // cannot fail
	}
	return r.seal()
}

// Catalog returns the catalog the users' permissions are over.
func (us *Users) Catalog() *Catalog { return us.cat }

// Default returns the default user.
func (us *Users) Default() *User { return us.def }

// Lookup returns the user named name; nil when there is none.
func (us *Users) Lookup(name string) *User {
	us.mu.RLock()
	defer us.mu.RUnlock()
	return us.byName[name]
}

// Names returns the users' names, sorted.
func (us *Users) Names() []string {
	us.mu.RLock()
	defer us.mu.RUnlock()
	return us.sortedNames()
}

func (us *Users) sortedNames() []string {
	names := make([]string, 0, len(us.byName))
	for n := range us.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// List returns each user as ACL LIST shows it ("user <name> <rules>"),
// sorted by name.
func (us *Users) List() []string {
	us.mu.RLock()
	defer us.mu.RUnlock()
	out := make([]string, 0, len(us.byName))
	for _, n := range us.sortedNames() {
		out = append(out, "user "+n+" "+us.byName[n].Describe())
	}
	return out
}

// Save returns the ACL file text of the users: ACL LIST's lines.
func (us *Users) Save() string {
	var b strings.Builder
	for _, l := range us.List() {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// SetPubSubDefault sets acl-pubsub-default: whether new users and
// selectors get every channel.
func (us *Users) SetPubSubDefault(all bool) {
	us.mu.Lock()
	us.pubsubAll = all
	us.mu.Unlock()
}

// SetUser applies ACL SETUSER's rules to the user name, creating it (off,
// with no permission) when there is none. The rules apply all or none: on
// an error (ErrUsernameSpaces, a *ParenError or a *RuleError) nothing
// changes. It returns the user.
func (us *Users) SetUser(name string, ops []string) (*User, error) {
	if hasSpaces(name) {
		return nil, ErrUsernameSpaces
	}
	merged, err := mergeSelectors(ops)
	if err != nil {
		return nil, err
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	u := us.byName[name]
	var r *rules
	if u != nil {
		r = u.rules.Load().clone()
	} else {
		r = newRules(us.cat, us.pubsubAll)
	}
	for _, op := range merged {
		if err := r.apply(op, us.pubsubAll); err != nil {
			return nil, &RuleError{Rule: op, Err: err}
		}
	}
	if u == nil {
		u = &User{name: name}
		us.byName[name] = u
	}
	u.rules.Store(r.seal())
	return u, nil
}

// SetDefaultPassword makes pass the default user's only password, or,
// when pass is "", lets any password in (requirepass).
func (us *Users) SetDefaultPassword(pass string) {
	us.mu.Lock()
	defer us.mu.Unlock()
	r := us.def.rules.Load().clone()
	r.apply("resetpass", us.pubsubAll)
	if pass == "" {
		r.apply("nopass", us.pubsubAll)
	} else {
		r.apply(">"+pass, us.pubsubAll)
	}
	us.def.rules.Store(r.seal())
}

// Delete removes the named users and returns those that existed. Asking
// to delete the default user is ErrDeleteDefault, and deletes none.
func (us *Users) Delete(names []string) ([]*User, error) {
	if slices.Contains(names, DefaultUser) {
		return nil, ErrDeleteDefault
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	var gone []*User
	for _, n := range names {
		if u := us.byName[n]; u != nil {
			delete(us.byName, n)
			gone = append(gone, u)
		}
	}
	return gone, nil
}

// Authenticate returns the user name if it exists, is on, and pass is
// one of its passwords (any, for a nopass user).
func (us *Users) Authenticate(name, pass []byte) (*User, bool) {
	u := us.Lookup(string(name))
	if u == nil || !u.checkPassword(pass) {
		return nil, false
	}
	return u, true
}

// Load replaces the users with those of an ACL file's text, as ACL LOAD
// and start-up read it: "user <name> <rule> ..." lines, and blank lines.
// The default user keeps its identity and takes the file's rules (Redis's
// defaults when the file has none); every other user is new. On any error
// (a LoadError listing them all) nothing changes. It returns the users
// replaced, whose connections must end.
func (us *Users) Load(text string) ([]*User, error) {
	us.mu.Lock()
	defer us.mu.Unlock()
	loaded := map[string]*rules{}
	var problems LoadError
	for i, line := range strings.Split(text, "\n") {
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		args := strings.Split(line, " ")
		fail := func(user string, err error) {
			problems = append(problems, LineError{Line: i + 1, User: user, Err: err})
		}
		switch {
		case args[0] != "user" || len(args) < 2:
			fail("", ErrNotUserLine)
			continue
		case hasSpaces(args[1]):
			fail(args[1], ErrUsernameSpaces)
			continue
		case loaded[args[1]] != nil:
			fail(args[1], ErrDuplicateUser)
			continue
		}
		r := newRules(us.cat, us.pubsubAll)
		loaded[args[1]] = r
		ops, err := mergeSelectors(args[2:])
		if err != nil {
			fail(args[1], ErrUnmatchedParen)
			continue
		}
		for _, op := range ops {
			if err := r.apply(strings.Trim(op, "\t\r\n"), us.pubsubAll); err != nil {
				fail(args[1], &RuleError{Rule: op, Err: err})
			}
		}
	}
	if problems != nil {
		return nil, problems
	}
	def := loaded[DefaultUser]
	if def == nil {
		def = defaultRules(us.cat)
	}
	us.def.rules.Store(def.seal())
	var replaced []*User
	for name, u := range us.byName {
		if name != DefaultUser {
			replaced = append(replaced, u)
		}
	}
	us.byName = map[string]*User{DefaultUser: us.def}
	for name, r := range loaded {
		if name != DefaultUser {
			u := &User{name: name}
			u.rules.Store(r.seal())
			us.byName[name] = u
		}
	}
	return replaced, nil
}

// mergeSelectors joins a selector written over several arguments ("(~a",
// "+get)") into one, as Redis's ACLMergeSelectorArguments does.
func mergeSelectors(ops []string) ([]string, error) {
	out := make([]string, 0, len(ops))
	open := -1
	var sel string
	for i, op := range ops {
		switch {
		case open < 0 && strings.HasPrefix(op, "(") && !strings.HasSuffix(op, ")"):
			open, sel = i, op
		case open >= 0:
			sel += " " + op
			if strings.HasSuffix(op, ")") {
				out, open = append(out, sel), -1
			}
		default:
			out = append(out, op)
		}
	}
	if open >= 0 {
		return nil, &ParenError{Arg: ops[open]}
	}
	return out, nil
}
