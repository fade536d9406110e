package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewRefusesBadNamespaces(t *testing.T) {
	cases := []struct {
		name string
		ns   []Namespace
		want error
		text string // the message names the namespace and setting
	}{
		{"empty match", []Namespace{{Match: ""}}, ErrEmptyMatch, "namespaces[0]"},
		{"negative ttl", []Namespace{{Match: "a:*", TTL: -time.Second}}, ErrNegativeTTL, `namespaces[0] ("a:*"): ttl`},
		{"negative max_ttl", []Namespace{{Match: "a:*", MaxTTL: -1}}, ErrNegativeTTL, "max_ttl"},
		{"jitter one", []Namespace{{Match: "a:*", Jitter: 1}}, ErrJitter, "jitter"},
		{"jitter negative", []Namespace{{Match: "a:*", Jitter: -0.1}}, ErrJitter, "jitter"},
		{"unknown strategy", []Namespace{{Match: "a:*", Strategy: 7}}, ErrUnknownStrategy, "namespaces[0]"},
		{"identical matches", []Namespace{{Match: "a:*"}, {Match: "b:*"}, {Match: "a:*"}}, ErrDuplicateMatch, `namespaces[2] ("a:*")`},
		{"prefix equals glob", []Namespace{{Match: "a:"}, {Match: "a:*"}}, ErrDuplicateMatch, "namespaces[0]"},
		{"duplicate name", []Namespace{{Name: "x", Match: "a:*"}, {Name: "x", Match: "b:*"}}, ErrDuplicateName, `"x"`},
		{"default name taken", []Namespace{{Name: "default", Match: "a:*"}}, ErrDuplicateName, "default"},
		{"field ttl without field", []Namespace{{Match: "a:*", TTLByField: &FieldTTL{}}}, ErrFieldTTL, "ttl_by_field"},
		{"field ttl negative", []Namespace{{Match: "a:*", TTLByField: &FieldTTL{Field: "s", TTL: map[string]time.Duration{"x": -1}}}}, ErrNegativeTTL, "ttl_by_field.ttl.x"},
		{"compress negative", []Namespace{{Match: "a:*", Compress: &Compress{MinSize: -1}}}, ErrCompress, "compress.min_size"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.ns)
			if !errors.Is(err, tc.want) {
				t.Fatalf("New: %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("New: %q does not name %q", err, tc.text)
			}
		})
	}
}

func TestParseStrategy(t *testing.T) {
	for _, name := range []string{"cache_aside", "write_through", "write_back"} {
		s, err := ParseStrategy(name)
		if err != nil || s.String() != name {
			t.Errorf("ParseStrategy(%q) = %v, %v", name, s, err)
		}
	}
	var s Strategy
	if err := s.UnmarshalText([]byte("write_thru")); !errors.Is(err, ErrUnknownStrategy) || !strings.Contains(err.Error(), "write_thru") {
		t.Errorf("UnmarshalText(write_thru) = %v", err)
	}
	var l Level
	if err := l.UnmarshalText([]byte("best")); err != nil || l != LevelBest {
		t.Errorf("Level best = %v, %v", l, err)
	}
	if err := l.UnmarshalText([]byte("max")); !errors.Is(err, ErrUnknownLevel) {
		t.Errorf("Level max = %v", err)
	}
}

func TestLookupMostSpecificWins(t *testing.T) {
	r, err := New([]Namespace{
		{Name: "products", Match: "product:*"},
		{Name: "lists", Match: "product:list:*"},
		{Name: "prices", Match: "product:*:price"},
		{Name: "users", Match: "user:"},
		{Name: "carts", Match: "user:?:cart"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ key, want string }{
		{"product:1", "products"},
		{"product:list:1", "lists"},
		{"product:7:price", "prices"},
		{"product:list:price", "lists"}, // longer literal prefix beats more literals
		{"user:42", "users"},
		{"user:4:cart", "carts"},
		{"user:42:cart", "users"},
		{"order:1", DefaultName},
		{"", DefaultName},
	}
	for _, tc := range cases {
		if got := r.Lookup([]byte(tc.key)).Name; got != tc.want {
			t.Errorf("Lookup(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
	if d := r.Lookup([]byte("zzz")); d.ID != len(r.Spaces())-1 || d.Strategy != CacheAside {
		t.Errorf("default namespace = %+v", d)
	}
}

func TestLookupConfiguredCatchAll(t *testing.T) {
	r, err := New([]Namespace{{Match: "*", Strategy: WriteBack}, {Match: "tmp:*"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Spaces()) != 2 {
		t.Fatalf("an explicit \"*\" must replace the implicit default: %d spaces", len(r.Spaces()))
	}
	if s := r.Lookup([]byte("a")); s.Strategy != WriteBack {
		t.Errorf("catch-all = %v", s.Strategy)
	}
	if s := r.Lookup([]byte("tmp:1")); s.Strategy != CacheAside {
		t.Errorf("tmp:1 = %v", s.Strategy)
	}
	if !r.Persists() || r.Shapes() {
		t.Errorf("Persists %v Shapes %v", r.Persists(), r.Shapes())
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	r, _ := New([]Namespace{{Match: "product:*"}, {Match: "a?c*"}})
	key := []byte("abc:1")
	if n := testing.AllocsPerRun(100, func() { r.Lookup(key) }); n != 0 {
		t.Errorf("Lookup allocates %v times", n)
	}
}

func BenchmarkLookup(b *testing.B) {
	r, _ := New([]Namespace{{Match: "product:*"}, {Match: "product:list:*"}, {Match: "user:*"}, {Match: "session:*"}})
	key := []byte("session:abcdef")
	for b.Loop() {
		r.Lookup(key)
	}
}

// TestNewRefusesTTLAboveMaxTTL: a default TTL above max_ttl is refused,
// naming the setting, rather than silently cut.
func TestNewRefusesTTLAboveMaxTTL(t *testing.T) {
	for _, tc := range []struct {
		ns   Namespace
		want string
	}{
		{Namespace{Match: "a:*", TTL: 2 * time.Hour, MaxTTL: time.Hour}, `namespaces[0] ("a:*"): ttl: policy: TTL above max_ttl: 2h0m0s is above max_ttl 1h0m0s`},
		{Namespace{Match: "a:*", MaxTTL: time.Hour, TTLByField: &FieldTTL{Field: "s", Default: 3 * time.Hour}}, "ttl_by_field.default: "},
		{Namespace{Match: "a:*", MaxTTL: time.Hour, TTLByField: &FieldTTL{Field: "s", TTL: map[string]time.Duration{"ok": time.Minute, "done": 2 * time.Hour}}}, "ttl_by_field.ttl.done: "},
	} {
		_, err := New([]Namespace{tc.ns})
		if !errors.Is(err, ErrAboveMaxTTL) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.ns, err, tc.want)
		}
	}
	if _, err := New([]Namespace{{Match: "a:*", TTL: time.Hour, MaxTTL: time.Hour}}); err != nil {
		t.Errorf("ttl equal to max_ttl: %v", err)
	}
}
