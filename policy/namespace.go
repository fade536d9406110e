package policy

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unsafe"
)

// Strategy says where a namespace's keys live and when a write is durable.
type Strategy uint8

// The strategies.
const (
	// CacheAside keeps keys in memory only, as Redis with persistence off.
	CacheAside Strategy = iota
	// WriteThrough replies to a write only once it is on disk (fsynced).
	WriteThrough
	// WriteBack replies from memory and has its writes on disk within a
	// flush interval (in the disk tier's log, synced in batches), as
	// Redis's appendfsync everysec.
	WriteBack
)

var strategyNames = [...]string{"cache_aside", "write_through", "write_back"}

// String returns the strategy's config name.
func (s Strategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return fmt.Sprintf("strategy(%d)", s)
}

// Persists reports whether keys of the strategy are kept on disk.
func (s Strategy) Persists() bool { return s == WriteThrough || s == WriteBack }

// ParseStrategy returns the strategy named name.
func ParseStrategy(name string) (Strategy, error) {
	for i, n := range strategyNames {
		if n == name {
			return Strategy(i), nil
		}
	}
	return 0, fmt.Errorf("%w %q: want write_through, write_back or cache_aside", ErrUnknownStrategy, name)
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseStrategy, so
// a config decoder reports an unknown strategy where it reads it.
func (s *Strategy) UnmarshalText(text []byte) error {
	v, err := ParseStrategy(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (s Strategy) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Level is a compression level, from fastest to smallest output. The names
// are zstd's encoder levels.
type Level uint8

// The compression levels.
const (
	LevelDefault Level = iota
	LevelFastest
	LevelBetter
	LevelBest
)

var levelNames = [...]string{"default", "fastest", "better", "best"}

// String returns the level's config name.
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", l)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *Level) UnmarshalText(text []byte) error {
	for i, n := range levelNames {
		if n == string(text) {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("%w %q: want fastest, default, better or best", ErrUnknownLevel, text)
}

// MarshalText implements encoding.TextMarshaler.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Errors New returns, wrapped with the namespace they concern.
var (
	ErrUnknownStrategy = errors.New("policy: unknown strategy")
	ErrUnknownLevel    = errors.New("policy: unknown compression level")
	ErrNegativeTTL     = errors.New("policy: negative TTL")
	ErrJitter          = errors.New("policy: jitter out of range")
	ErrDuplicateMatch  = errors.New("policy: duplicate match")
	ErrDuplicateName   = errors.New("policy: duplicate namespace name")
	ErrEmptyMatch      = errors.New("policy: empty match")
	ErrFieldTTL        = errors.New("policy: invalid ttl_by_field")
	ErrCompress        = errors.New("policy: invalid compress")
	ErrAboveMaxTTL     = errors.New("policy: TTL above max_ttl")
	ErrOrigin          = errors.New("policy: invalid origin")
)

// Namespace is one cache rule as configured: which keys it covers and what
// happens to them. The zero value of each field is its default.
type Namespace struct {
	// Name names the namespace in CACHE.POLICY, CACHE.STATS and CACHE.DICT
	// (default: Match).
	Name string
	// Match selects the keys: a Redis glob ("product:*", "user:?:cart"),
	// or, with no glob character, a prefix ("product:" covers every key
	// that starts with it, as "product:*" does). When several namespaces
	// match a key the most specific wins (see Rules.Lookup); "*" catches
	// every key no other namespace matches.
	Match string
	// Strategy is cache_aside (default), write_through or write_back.
	Strategy Strategy
	// TTL is given to a key written without one (0: none).
	TTL time.Duration
	// MaxTTL caps every TTL in the namespace, and gives keys written with
	// none that TTL (0: no cap).
	MaxTTL time.Duration
	// TTLByField chooses the TTL of a JSON value from one of its fields;
	// it takes precedence over TTL (nil: off).
	TTLByField *FieldTTL
	// Jitter spreads expiries: a TTL becomes TTL x U(1-Jitter,
	// 1+Jitter). It is in [0, 1). It applies to the namespace's default
	// TTLs and, unless NoClientJitter, to the TTLs clients give (SET EX,
	// EXPIRE...): apps often give every key the same TTL, which expires
	// them together just as a default would.
	Jitter float64
	// NoClientJitter keeps the TTLs clients give exact, jittering only
	// the namespace's defaults (jitter_client_ttl: false in the config
	// file).
	NoClientJitter bool
	// Compress stores values at or over a size zstd-compressed (nil: off).
	Compress *Compress
	// NoLocalCache keeps the namespace out of client-side caching
	// (local_cache: false in the config file).
	NoLocalCache bool
	// Origin makes the namespace read-through (see origin.go): an http or
	// https URL template a key missing from both tiers is loaded from, {key}
	// the whole key and {suffix} the part after the match's literal prefix
	// (empty: no origin).
	Origin string
	// OriginTimeout bounds a load from the origin, and so how long a
	// client's read waits for one (default 5s).
	OriginTimeout time.Duration
	// NegativeTTL keeps the origin's 404 as "absent" this long, so that a
	// missing key does not reach the origin on every read (0: not kept).
	NegativeTTL time.Duration
	// StaleIfError serves a key's last value for up to this long past its
	// expiry while the origin fails (0: a failure reads as nil).
	StaleIfError time.Duration
	// NoRefreshAhead turns off refresh-ahead: without it a key read close
	// to its expiry is reloaded in the background (refresh_ahead: false in
	// the config file).
	NoRefreshAhead bool
	// MaxValueSize bounds a value loaded from the origin (default 16mb):
	// a bigger body is a failed load.
	MaxValueSize int64
	// LeaseStale keeps a key's last value for up to this long past its
	// expiry, for CACHE.LEASE to give callers while another reloads it
	// (0: they wait).
	LeaseStale time.Duration
	// DiskEvict lets max-disk-size evict the namespace's least recently
	// used keys from both tiers, logged and counted (disk_evict: true).
	// Without it a persisted key is never evicted: while the disk tier is
	// over max-disk-size, writes to the namespace are refused instead.
	DiskEvict bool
}

// FieldTTL picks a TTL from a top-level field of a JSON object value: a
// task's "status" processing 5m, success 1h, failed 30m.
type FieldTTL struct {
	// Field is the top-level field read.
	Field string
	// TTL maps the field's value (a string, or a number or boolean in its
	// JSON text) to a TTL.
	TTL map[string]time.Duration
	// Default applies when the value is not a JSON object, lacks the
	// field, or holds a value TTL does not list (0: the namespace's TTL).
	Default time.Duration
}

// Compress is a namespace's compression setting.
type Compress struct {
	// MinSize is the smallest value compressed, in bytes.
	MinSize int
	// Level trades speed for size.
	Level Level
}

// Space is a validated namespace with what matching it needs. It is
// immutable and safe for concurrent use.
type Space struct {
	Namespace
	// ID numbers the namespace in config order; the implicit default
	// namespace comes last. Per-namespace counters index by it.
	ID int

	origin   Template // compiled Origin
	prefix   string   // literal prefix every matching key starts with
	isPrefix bool     // matching is the prefix test alone
	literals int      // non-wildcard characters, for specificity
}

// Rules is a validated set of namespaces. It is immutable and safe for
// concurrent use.
type Rules struct {
	ordered []*Space // most specific first; the default is last
	byID    []*Space
	// persists and shapes summarize the namespaces, so that a server can
	// skip all policy work for the common case of none.
	persists, shapes bool
}

// DefaultName is the name of the implicit catch-all namespace, used when no
// configured namespace matches "*".
const DefaultName = "default"

// New validates namespaces and returns their rules. Its errors name the
// namespace (its index and match) and the setting at fault: an empty or
// duplicated match or name, a negative TTL, a jitter outside [0, 1), an
// invalid ttl_by_field or compress.
func New(namespaces []Namespace) (*Rules, error) {
	r := &Rules{}
	matches := map[string]int{}
	names := map[string]int{}
	var catchAll *Space
	for i, ns := range namespaces {
		s, err := compile(ns, i)
		if err != nil {
			return nil, fmt.Errorf("namespaces[%d] (%q): %w", i, ns.Match, err)
		}
		canon := s.canonical()
		if j, dup := matches[canon]; dup {
			return nil, fmt.Errorf("namespaces[%d] (%q): %w: same keys as namespaces[%d] (%q)",
				i, ns.Match, ErrDuplicateMatch, j, namespaces[j].Match)
		}
		matches[canon] = i
		if j, dup := names[s.Name]; dup {
			return nil, fmt.Errorf("namespaces[%d] (%q): %w %q, also namespaces[%d]", i, ns.Match, ErrDuplicateName, s.Name, j)
		}
		names[s.Name] = i
		if canon == "*" {
			catchAll = s
		}
		r.byID = append(r.byID, s)
	}
	if catchAll == nil {
		if _, taken := names[DefaultName]; taken {
			return nil, fmt.Errorf("namespaces[%d]: %w %q: it names the implicit catch-all namespace; add match \"*\" to configure it",
				names[DefaultName], ErrDuplicateName, DefaultName)
		}
		d, _ := compile(Namespace{Name: DefaultName, Match: "*"}, len(r.byID))
		r.byID = append(r.byID, d)
	}
	r.ordered = append([]*Space(nil), r.byID...)
	sort.SliceStable(r.ordered, func(a, b int) bool { return r.ordered[a].moreSpecific(r.ordered[b]) })
	for _, s := range r.byID {
		r.persists = r.persists || s.Strategy.Persists()
		r.shapes = r.shapes || s.ShapesTTL() || s.Compress != nil
	}
	return r, nil
}

func compile(ns Namespace, id int) (*Space, error) {
	if ns.Match == "" {
		return nil, ErrEmptyMatch
	}
	if ns.Name == "" {
		ns.Name = ns.Match
	}
	if ns.Strategy > WriteBack {
		return nil, fmt.Errorf("%w %d", ErrUnknownStrategy, ns.Strategy)
	}
	if ns.TTL < 0 {
		return nil, fmt.Errorf("ttl: %w %v", ErrNegativeTTL, ns.TTL)
	}
	if ns.MaxTTL < 0 {
		return nil, fmt.Errorf("max_ttl: %w %v", ErrNegativeTTL, ns.MaxTTL)
	}
	if !(ns.Jitter >= 0 && ns.Jitter < 1) { // also refuses NaN
		return nil, fmt.Errorf("jitter: %w: %v is not in [0, 1)", ErrJitter, ns.Jitter)
	}
	if f := ns.TTLByField; f != nil {
		if f.Field == "" {
			return nil, fmt.Errorf("ttl_by_field: %w: field is empty", ErrFieldTTL)
		}
		if f.Default < 0 {
			return nil, fmt.Errorf("ttl_by_field.default: %w %v", ErrNegativeTTL, f.Default)
		}
		for v, d := range f.TTL {
			if d < 0 {
				return nil, fmt.Errorf("ttl_by_field.ttl.%s: %w %v", v, ErrNegativeTTL, d)
			}
		}
	}
	if err := checkMaxTTL(ns); err != nil {
		return nil, err
	}
	if c := ns.Compress; c != nil {
		if c.MinSize < 0 {
			return nil, fmt.Errorf("compress.min_size: %w: %d is negative", ErrCompress, c.MinSize)
		}
		if c.Level > LevelBest {
			return nil, fmt.Errorf("compress.level: %w %d", ErrUnknownLevel, c.Level)
		}
	}
	s := &Space{Namespace: ns, ID: id}
	if err := s.compileOrigin(); err != nil {
		return nil, err
	}
	if strings.ContainsAny(ns.Match, "*?[\\") {
		s.prefix, s.isPrefix = Literal(ns.Match)
		for i := 0; i < len(ns.Match); i++ {
			switch ns.Match[i] {
			case '*', '?', '[', ']':
			default:
				s.literals++
			}
		}
	} else {
		s.prefix, s.isPrefix, s.literals = ns.Match, true, len(ns.Match)
	}
	return s, nil
}

// checkMaxTTL refuses a default TTL above max_ttl: max_ttl would cut every
// such key short, which the config's author cannot have meant.
func checkMaxTTL(ns Namespace) error {
	if ns.MaxTTL == 0 {
		return nil
	}
	above := func(setting string, d time.Duration) error {
		if d > ns.MaxTTL {
			return fmt.Errorf("%s: %w: %v is above max_ttl %v", setting, ErrAboveMaxTTL, d, ns.MaxTTL)
		}
		return nil
	}
	if err := above("ttl", ns.TTL); err != nil {
		return err
	}
	if f := ns.TTLByField; f != nil {
		if err := above("ttl_by_field.default", f.Default); err != nil {
			return err
		}
		for _, v := range slices.Sorted(maps.Keys(f.TTL)) {
			if err := above("ttl_by_field.ttl."+v, f.TTL[v]); err != nil {
				return err
			}
		}
	}
	return nil
}

// canonical is the match in a form where two matches covering the same
// keys by the same test are equal: "product:" and "product:*" are one.
func (s *Space) canonical() string {
	if s.isPrefix {
		return s.prefix + "*"
	}
	return s.Match
}

// moreSpecific orders namespaces for matching: the longer literal prefix
// first, then the pattern with more literal characters, then a plain
// prefix before a glob, then config order.
func (s *Space) moreSpecific(o *Space) bool {
	if len(s.prefix) != len(o.prefix) {
		return len(s.prefix) > len(o.prefix)
	}
	if s.literals != o.literals {
		return s.literals > o.literals
	}
	if s.isPrefix != o.isPrefix {
		return !s.isPrefix
	}
	return s.ID < o.ID
}

// matches reports whether key falls in s.
func (s *Space) matches(key string) bool {
	if !strings.HasPrefix(key, s.prefix) {
		return false
	}
	return s.isPrefix || Match(s.Match, key)
}

// Lookup returns the namespace key falls in: the most specific matching
// namespace (longest literal prefix, then most literal characters, then
// config order), or the catch-all. It does not allocate.
func (r *Rules) Lookup(key []byte) *Space {
	k := unsafe.String(unsafe.SliceData(key), len(key))
	for _, s := range r.ordered {
		if s.matches(k) {
			return s
		}
	}
	return r.ordered[len(r.ordered)-1] // unreachable: the last one matches "*"
}

// Spaces returns the namespaces in config order, the implicit default (if
// any) last. The slice must not be modified.
func (r *Rules) Spaces() []*Space { return r.byID }

// ByName returns the namespace named name.
func (r *Rules) ByName(name string) (*Space, bool) {
	for _, s := range r.byID {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// Persists reports whether any namespace keeps keys on disk.
func (r *Rules) Persists() bool { return r.persists }

// Shapes reports whether any namespace changes what a write stores: a TTL
// rule, jitter, or compression.
func (r *Rules) Shapes() bool { return r.shapes }

// ShapesTTL reports whether s changes the TTL of what is written to it.
func (s *Space) ShapesTTL() bool {
	return s.TTL > 0 || s.MaxTTL > 0 || s.TTLByField != nil || s.Jitter > 0
}

// Compresses reports whether a value of n bytes is stored compressed.
func (s *Space) Compresses(n int) bool { return s.Compress != nil && n >= s.Compress.MinSize && n > 0 }

// maxMillis is the largest TTL in milliseconds a duration can express; TTL
// arithmetic saturates there instead of overflowing.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)
