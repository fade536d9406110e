package acl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// testCatalog is a small catalog in Redis's categories: enough commands
// that categories overlap, a container, and pub/sub commands.
func testCatalog() *Catalog {
	cmd := func(name string, cats Category, subs ...*Command) *Command {
		return &Command{Name: name, Categories: cats, Subcommands: subs}
	}
	pub := cmd("publish", CatPubSub|CatFast)
	pub.Channels = FirstChannel
	sub := cmd("subscribe", CatPubSub|CatSlow)
	sub.Channels = AllChannels
	psub := cmd("psubscribe", CatPubSub|CatSlow)
	psub.Channels = AllPatterns
	auth := cmd("auth", CatFast|CatConnection)
	auth.NoAuth = true
	return NewCatalog([]*Command{
		cmd("get", CatRead|CatString|CatFast),
		cmd("set", CatWrite|CatString|CatSlow),
		cmd("del", CatKeyspace|CatWrite|CatSlow),
		cmd("keys", CatKeyspace|CatRead|CatSlow|CatDangerous),
		cmd("flushall", CatKeyspace|CatWrite|CatSlow|CatDangerous),
		cmd("select", CatFast|CatConnection),
		cmd("cache.set", CatWrite|CatString|CatCache|CatSlow),
		cmd("config", CatSlow,
			cmd("config|get", CatAdmin|CatSlow|CatDangerous),
			cmd("config|set", CatAdmin|CatSlow|CatDangerous),
			cmd("config|help", CatSlow)),
		pub, sub, psub, auth,
	})
}

func args(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

// keysAt marks arguments from 1 to the end as keys with perm.
func keysAt(line [][]byte, perm Perm) func() []Key {
	return func() []Key {
		var ks []Key
		for i := 1; i < len(line); i++ {
			ks = append(ks, Key{Pos: i, Perm: perm})
		}
		return ks
	}
}

func mustSet(t *testing.T, us *Users, name, rules string) *User {
	t.Helper()
	u, err := us.SetUser(name, strings.Fields(rules))
	if err != nil {
		t.Fatalf("SetUser %s %q: %v", name, rules, err)
	}
	return u
}

func TestDefaultUser(t *testing.T) {
	us := NewUsers(testCatalog())
	if got := us.List(); !slices.Equal(got, []string{"user default on nopass ~* &* +@all"}) {
		t.Errorf("List %q", got)
	}
	if !us.Default().Open() {
		t.Error("default user not open")
	}
	us.SetDefaultPassword("secret")
	if us.Default().Open() {
		t.Error("default user with a password is open")
	}
	if _, ok := us.Authenticate([]byte("default"), []byte("wrong")); ok {
		t.Error("wrong password accepted")
	}
	if u, ok := us.Authenticate([]byte("default"), []byte("secret")); !ok || u != us.Default() {
		t.Error("password refused")
	}
	us.SetDefaultPassword("")
	if !us.Default().Open() {
		t.Error("requirepass \"\" did not open the default user")
	}
}

func TestSetUserErrors(t *testing.T) {
	tests := []struct {
		name, rules string
		want        error
	}{
		{"unknown command", "+nosuch", ErrUnknownName},
		{"unknown category", "+@nosuch", ErrUnknownName},
		{"unknown subcommand", "+config|nosuch", ErrUnknownName},
		{"removing an unknown subcommand", "-config|get|x", ErrUnknownName},
		{"bare sign", "+", ErrUnknownName},
		{"syntax", "bogus", ErrSyntax},
		{"key after allkeys", "~* ~a", ErrKeysAfterAll},
		{"channel after allchannels", "&* &a", ErrChannelsAfterAll},
		{"no such password", "<nope", ErrNoSuchPassword},
		{"bad hash", "#abc", ErrBadHash},
		{"upper-case hash", "#" + strings.Repeat("A", 64), ErrBadHash},
		{"first arg of a subcommand", "+config|get|x", ErrSubcommandFirstArg},
		{"empty first arg", "+config|", ErrSyntax},
		{"bad key flag", "%X~a", ErrSyntax},
		{"repeated key flag", "%RR~a", ErrSyntax},
		{"no key flag", "%~a", ErrSyntax},
		{"bad rule in selector", "(~a +nosuch)", ErrUnknownName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := NewUsers(testCatalog())
			mustSet(t, us, "x", "on >pw +get")
			before := us.Lookup("x").Describe()
			_, err := us.SetUser("x", append([]string{"+set"}, strings.Fields(tt.rules)...))
			var re *RuleError
			if !errors.As(err, &re) || !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want a RuleError of %v", err, tt.want)
			}
			if after := us.Lookup("x").Describe(); after != before {
				t.Errorf("a refused SETUSER changed the user: %q, was %q", after, before)
			}
		})
	}
	us := NewUsers(testCatalog())
	if _, err := us.SetUser("a b", nil); !errors.Is(err, ErrUsernameSpaces) {
		t.Errorf("name with a space: %v", err)
	}
	var pe *ParenError
	if _, err := us.SetUser("x", []string{"(~a", "+get"}); !errors.As(err, &pe) || pe.Arg != "(~a" {
		t.Errorf("unmatched parenthesis: %v", err)
	}
	if us.Lookup("x") != nil {
		t.Error("a refused SETUSER created the user")
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct{ rules, want string }{
		{"", "off resetchannels -@all"},
		{"reset", "off sanitize-payload resetchannels -@all"},
		{"on nopass +@all ~* &*", "on nopass ~* &* +@all"},
		{"on >p +@all -@dangerous", "on #" + hashPassword([]byte("p")) + " resetchannels +@all -@dangerous"},
		{"+@all -get", "off resetchannels +@all -get"},
		{"-@all +@read -keys", "off resetchannels -@all +get"},
		{"-@all +@read +@admin", "off resetchannels -@all +@read +@admin"},
		{"+@all -config|set", "off resetchannels +@all -config|set"},
		{"-@all +config|get", "off resetchannels -@all +config|get"},
		{"+select|0 +select|1", "off resetchannels -@all +select|0 +select|1"},
		{"%R~r* %W~w* ~a* %R~a* &ch*", "off %R~r* %W~w* ~a* resetchannels &ch* -@all"},
		{"%W~a %R~a", "off ~a resetchannels -@all"},
		{"+get (~a +set) (%R~b)", "off resetchannels -@all +get (~a resetchannels -@all +set) (%R~b resetchannels -@all)"},
		{"+get (~a +set) clearselectors", "off resetchannels -@all +get"},
		{"on nopass >p", "on #" + hashPassword([]byte("p")) + " resetchannels -@all"},
		{">p nopass", "off nopass resetchannels -@all"},
		{"skip-sanitize-payload", "off skip-sanitize-payload resetchannels -@all"},
	}
	for _, tt := range tests {
		us := NewUsers(testCatalog())
		u := mustSet(t, us, "u", tt.rules)
		if got := u.Describe(); got != tt.want {
			t.Errorf("%q describes as\n%q, want\n%q", tt.rules, got, tt.want)
		}
		// Describe's rules rebuild the same user.
		again := mustSet(t, us, "again", u.Describe())
		if again.Describe() != u.Describe() {
			t.Errorf("%q: described rules rebuild %q", tt.rules, again.Describe())
		}
	}
}

func TestCheck(t *testing.T) {
	us := NewUsers(testCatalog())
	cat := us.cat
	u := mustSet(t, us, "u", "on +@all -flushall %R~r* %W~w* ~rw* &news.* -select +select|0")
	tests := []struct {
		line string
		perm Perm
		want Denial
		pos  int
	}{
		{"get r1", PermRead, Allowed, 0},
		{"get w1", PermRead, DeniedKey, 1},
		{"set w1", PermWrite, Allowed, 0},
		{"set r1", PermWrite, DeniedKey, 1},
		{"del rw1 w2 r3", PermWrite, DeniedKey, 3},
		{"flushall", 0, DeniedCommand, 0},
		{"select 0", 0, Allowed, 0},
		{"select 1", 0, DeniedCommand, 0},
		{"publish news.sport x", 0, Allowed, 0},
		{"publish weather x", 0, DeniedChannel, 1},
		{"subscribe news.a news.b other", 0, DeniedChannel, 3},
		{"psubscribe news.*", 0, Allowed, 0},
		{"psubscribe news.s*", 0, DeniedChannel, 1},
		{"auth x", 0, Allowed, 0},
	}
	for _, tt := range tests {
		line := args(tt.line)
		keys := keysAt(line, tt.perm)
		if tt.perm == 0 {
			keys = nil
		}
		d, pos := u.Check(cat.Lookup(string(line[0])), line, keys)
		if d != tt.want || pos != tt.pos {
			t.Errorf("%s: %v at %d, want %v at %d", tt.line, d, pos, tt.want, tt.pos)
		}
	}
}

func TestCheckSelectors(t *testing.T) {
	us := NewUsers(testCatalog())
	u := mustSet(t, us, "u", "on +get ~a* (+set ~b*) (+get %R~c*)")
	cat := us.cat
	check := func(line string, perm Perm) (Denial, int) {
		l := args(line)
		return u.Check(cat.Lookup(string(l[0])), l, keysAt(l, perm))
	}
	for _, line := range []string{"get a1", "get c1"} {
		if d, _ := check(line, PermRead); d != Allowed {
			t.Errorf("%s: %v", line, d)
		}
	}
	if d, _ := check("set b1", PermWrite); d != Allowed {
		t.Errorf("set b1: %v", d)
	}
	// Every selector refuses: the key refusal is reported over the
	// command refusal of the other selectors.
	if d, pos := check("set a1", PermWrite); d != DeniedKey || pos != 1 {
		t.Errorf("set a1: %v at %d", d, pos)
	}
	if d, _ := check("del a1", PermWrite); d != DeniedCommand {
		t.Errorf("del: %v", d)
	}
}

func TestKeysFoundOnce(t *testing.T) {
	us := NewUsers(testCatalog())
	u := mustSet(t, us, "u", "on +@all ~a (+@all ~b) (+@all ~c)")
	calls := 0
	find := func() []Key { calls++; return []Key{{Pos: 1, Perm: PermRead}} }
	if d, _ := u.Check(us.cat.Lookup("get"), args("get c"), find); d != Allowed || calls != 1 {
		t.Errorf("%v after %d key lookups, want allowed after 1", d, calls)
	}
	calls = 0
	if d, _ := us.Default().Check(us.cat.Lookup("get"), args("get c"), find); d != Allowed || calls != 0 {
		t.Errorf("default user: %v after %d key lookups, want none", d, calls)
	}
}

func TestAuthenticate(t *testing.T) {
	us := NewUsers(testCatalog())
	mustSet(t, us, "alice", "on >one >two")
	mustSet(t, us, "bob", "off nopass")
	mustSet(t, us, "carol", "on nopass")
	tests := []struct {
		user, pass string
		ok         bool
	}{
		{"alice", "one", true}, {"alice", "two", true}, {"alice", "three", false},
		{"bob", "x", false}, {"carol", "anything", true}, {"nobody", "x", false},
	}
	for _, tt := range tests {
		if _, ok := us.Authenticate([]byte(tt.user), []byte(tt.pass)); ok != tt.ok {
			t.Errorf("%s/%s: %v", tt.user, tt.pass, ok)
		}
	}
	mustSet(t, us, "alice", "<one")
	if _, ok := us.Authenticate([]byte("alice"), []byte("one")); ok {
		t.Error("removed password still accepted")
	}
}

func TestDelete(t *testing.T) {
	us := NewUsers(testCatalog())
	mustSet(t, us, "a", "on")
	if _, err := us.Delete([]string{"a", "default"}); !errors.Is(err, ErrDeleteDefault) || us.Lookup("a") == nil {
		t.Fatalf("deleting default: %v", err)
	}
	gone, err := us.Delete([]string{"a", "nosuch"})
	if err != nil || len(gone) != 1 || gone[0].Name() != "a" || us.Lookup("a") != nil {
		t.Fatalf("Delete: %v %v", gone, err)
	}
}

func TestLoadSave(t *testing.T) {
	us := NewUsers(testCatalog())
	old := mustSet(t, us, "old", "on")
	def := us.Default()
	text := "user default on >pw ~* &* +@all\n\n  user alice on nopass %R~a* resetchannels -@all +get (~b +set)\r\n"
	replaced, err := us.Load(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(replaced) != 1 || replaced[0] != old {
		t.Errorf("replaced %v, want the old user", replaced)
	}
	if us.Default() != def || def.Open() {
		t.Error("the default user lost its identity or did not take the file's password")
	}
	want := "user alice on nopass %R~a* resetchannels -@all +get (~b resetchannels -@all +set)\n" +
		"user default on #" + hashPassword([]byte("pw")) + " ~* &* +@all\n"
	if got := us.Save(); got != want {
		t.Errorf("Save\n%q, want\n%q", got, want)
	}
	// What Save writes, Load reads back the same.
	if _, err := us.Load(us.Save()); err != nil || us.Save() != want {
		t.Errorf("round trip: %v\n%q", err, us.Save())
	}
	// A file without the default user gives it Redis's defaults.
	if _, err := us.Load("user bob on\n"); err != nil || !def.Open() {
		t.Errorf("no default line: %v, open %v", err, def.Open())
	}
}

func TestLoadErrors(t *testing.T) {
	us := NewUsers(testCatalog())
	mustSet(t, us, "keep", "on")
	before := us.Save()
	text := strings.Join([]string{
		"user ok on",
		"# a comment",
		"usr x",
		"user",
		"user dup on",
		"user dup off",
		"user bad +nosuch bogus",
		"user paren (~a",
	}, "\n")
	_, err := us.Load(text)
	var le LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %v, want a LoadError", err)
	}
	var got []string
	for _, e := range le {
		got = append(got, fmt.Sprintf("%d %s %v", e.Line, e.User, e.Err))
	}
	want := []int{2, 3, 4, 6, 7, 7, 8}
	if len(le) != len(want) {
		t.Fatalf("problems %q, want lines %v", got, want)
	}
	for i, e := range le {
		if e.Line != want[i] {
			t.Errorf("problem %d on line %d, want %d", i, e.Line, want[i])
		}
	}
	if !errors.Is(le[3].Err, ErrDuplicateUser) || !errors.Is(le[4].Err, ErrUnknownName) || !errors.Is(le[5].Err, ErrSyntax) ||
		!errors.Is(le[6].Err, ErrUnmatchedParen) || !errors.Is(le[0].Err, ErrNotUserLine) {
		t.Errorf("problems %v", le)
	}
	if us.Save() != before {
		t.Error("a refused file changed the users")
	}
}

func TestPubSubDefault(t *testing.T) {
	us := NewUsers(testCatalog())
	us.SetPubSubDefault(true)
	u := mustSet(t, us, "u", "on (+get)")
	if got := u.Describe(); got != "on &* -@all (&* -@all +get)" {
		t.Errorf("with allchannels: %q", got)
	}
	mustSet(t, us, "u", "reset")
	if got := u.Describe(); got != "off sanitize-payload &* -@all" {
		t.Errorf("reset with allchannels: %q", got)
	}
}

func TestChannelAllowed(t *testing.T) {
	us := NewUsers(testCatalog())
	u := mustSet(t, us, "u", "&a* (&b)")
	for _, tt := range []struct {
		ch      string
		literal bool
		ok      bool
	}{{"abc", false, true}, {"b", false, true}, {"c", false, false}, {"a*", true, true}, {"a?", true, false}} {
		if got := u.ChannelAllowed(tt.ch, tt.literal); got != tt.ok {
			t.Errorf("%s literal=%v: %v", tt.ch, tt.literal, got)
		}
	}
}

func TestLog(t *testing.T) {
	l := NewLog(3)
	add := func(obj string, at int64) {
		l.Add(LogEntry{Reason: DeniedCommand, Object: obj, Username: "u", Time: at, ClientInfo: fmt.Sprint(at)})
	}
	add("get", 0)
	add("set", 1)
	add("get", 2) // counted in the first entry, which moves to the front
	if got := l.Recent(10); len(got) != 2 || got[0].Object != "get" || got[0].Count != 2 || got[0].ClientInfo != "2" {
		t.Fatalf("entries %+v", got)
	}
	add("get", 2+logGrouping+1) // too late to be counted with it
	add("a", 0)
	add("b", 0)
	if got := l.Recent(10); len(got) != 3 || got[0].Object != "b" || got[2].Object != "get" || got[2].Count != 1 {
		t.Fatalf("entries after trimming %+v", got)
	}
	if got := l.Recent(1); len(got) != 1 {
		t.Errorf("Recent(1): %d entries", len(got))
	}
	l.Reset()
	if len(l.Recent(10)) != 0 {
		t.Error("Reset left entries")
	}
}

func TestCategories(t *testing.T) {
	if c, ok := ParseCategories("@read", "@Cache"); !ok || c != CatRead|CatCache {
		t.Errorf("ParseCategories: %v %v", c, ok)
	}
	if _, ok := ParseCategories("@nosuch"); ok {
		t.Error("unknown category parsed")
	}
	if got := (CatWrite | CatString | CatSlow).Names(); !slices.Equal(got, []string{"@write", "@string", "@slow"}) {
		t.Errorf("Names %q", got)
	}
	if got := testCatalog().InCategory(CatAdmin); !slices.Equal(got, []string{"config|get", "config|set"}) {
		t.Errorf("InCategory(admin) %q", got)
	}
}
