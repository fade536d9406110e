package scheduler

// The read-through loader. A read that misses both tiers of a key whose
// namespace has an origin asks the Loader, with no storage lock held; the
// Loader fetches the key from the origin once however many readers ask at
// the same time (single-flight: the first starts the flight, the others
// join it), stores it through the write path as a SET would, and gives
// every reader the outcome:
//   - 200: the body, stored by the namespace's rules, unless a client
//     wrote the key meanwhile (its value then wins, and is the outcome);
//   - 404: absent, and remembered as absent for negative_ttl;
//   - any failure (a transport error, a timeout, another status, a body
//     over max_value_size or cut short): the key's last value if it
//     expired no longer than stale_if_error ago, else absent; nothing is
//     stored, and the failure is counted.
//
// A flight runs in its own goroutine, bounded by origin_timeout, so a
// reader that stops waiting (its own wait is bounded by origin_timeout
// too) does not cancel it for the others.
//
// Refresh-ahead: a read that hits a key of such a namespace may reload it
// in the background before it expires, with XFetch's probability
// (policy.Space.RefreshAhead), which rises as the expiry nears: a hot key
// is reloaded while readers still hit its old value, and never expires
// under load. A refresh is a flight too, so a miss meanwhile joins it.

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// maxNegative bounds the 404s remembered; past it, new ones are not.
const maxNegative = 1 << 16

// minLoadEstimate is the least load time refresh-ahead assumes: against a
// fast origin it still leaves a reader a few milliseconds' chance.
const minLoadEstimate = 10 * time.Millisecond

// LoaderConfig is what a Loader needs beyond its Cache.
type LoaderConfig struct {
	// Client makes the HTTP requests (nil: a client of its own).
	Client *http.Client
	// Logger receives failures worth an operator's attention (default:
	// slog.Default()).
	Logger *slog.Logger
}

// Loader loads keys of namespaces with an origin. It is safe for
// concurrent use.
type Loader struct {
	cache  *cache.Cache
	rules  *policy.Rules
	client *http.Client
	log    *slog.Logger
	// origins reports whether any namespace has an origin: without, reads
	// never ask the Loader.
	origins bool

	ctx    context.Context // ends on Close: flights stop
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool // no flight starts after Close
	flights  map[flightKey]*flight
	negative map[flightKey]int64 // 404s remembered, until unix ms

	// uniform draws XFetch's u in (0, 1]; tests fix it.
	uniform func() float64
	// loadTime is each namespace's recent load time in microseconds (a
	// moving average), by namespace ID: XFetch's delta.
	loadTime []atomic.Int64
}

type flightKey struct {
	db  int
	key string
}

// flight is one load of a key, shared by the readers that join it.
type flight struct {
	done chan struct{} // closed once out is set
	out  Outcome
}

// Outcome is what a load gives its readers.
type Outcome struct {
	// Value is the key's value (the readers' to keep, not to modify);
	// Found reports whether there is one.
	Value []byte
	Found bool
	// Stale is set when Value is the key's last value, served while the
	// origin fails.
	Stale bool
	// Err is the origin's failure; nil on success and on a 404.
	Err error
}

// NewLoader returns the Loader of c's namespaces.
func NewLoader(c *cache.Cache, cfg LoaderConfig) *Loader {
	l := &Loader{
		cache:    c,
		rules:    c.Rules(),
		client:   cfg.Client,
		log:      cfg.Logger,
		flights:  map[flightKey]*flight{},
		negative: map[flightKey]int64{},
		uniform:  func() float64 { return 1 - rand.Float64() },
		loadTime: make([]atomic.Int64, len(c.Rules().Spaces())),
	}
	if l.client == nil {
		l.client = &http.Client{}
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	for _, sp := range l.rules.Spaces() {
		l.origins = l.origins || sp.HasOrigin()
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l
}

// HasOrigins reports whether any namespace has an origin.
func (l *Loader) HasOrigins() bool { return l.origins }

// SetUniformSource replaces the draw of refresh-ahead's u in (0, 1]:
// tests fix it.
func (l *Loader) SetUniformSource(u func() float64) { l.uniform = u }

// Close stops the flights (their readers get a failure) and waits for
// them.
func (l *Loader) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
}

// Load returns key of database db from its namespace's origin, through a
// flight shared with every concurrent load of the key, waiting at most the
// namespace's origin_timeout (a reader waiting longer gets the stale value
// or absent, with context.DeadlineExceeded). Call it with no storage lock
// held. A key whose namespace has no origin is absent.
func (l *Loader) Load(db int, key string) Outcome {
	sp := l.rules.Lookup([]byte(key))
	if !sp.HasOrigin() {
		return Outcome{}
	}
	fk := flightKey{db, key}
	l.mu.Lock()
	if until, ok := l.negative[fk]; ok {
		if l.cache.Store().Now() <= until {
			l.mu.Unlock()
			l.count(sp, func(c *storage.Counters) *storage.Counter { return &c.OriginNegativeHits })
			return Outcome{}
		}
		delete(l.negative, fk)
	}
	f, joined := l.join(fk, sp, false)
	l.mu.Unlock()
	if joined {
		l.count(sp, func(c *storage.Counters) *storage.Counter { return &c.OriginShared })
	}
	t := time.NewTimer(sp.OriginTimeout)
	defer t.Stop()
	select {
	case <-f.done:
		return f.out
	case <-t.C:
		return l.stale(db, key, sp, context.DeadlineExceeded) // the flight counts its own failure
	}
}

// Hit is told of a read of key of database db that found it, expiring at
// exp (unix ms, 0: never). A key of a namespace with an origin, read close
// enough to its expiry, is reloaded in the background (refresh-ahead).
func (l *Loader) Hit(db int, key []byte, exp int64) {
	if exp == 0 || !l.origins {
		return
	}
	sp := l.rules.Lookup(key)
	if !sp.HasOrigin() || !sp.RefreshAhead(l.cache.Store().Now(), exp, l.estimate(sp), l.uniform()) {
		return
	}
	fk := flightKey{db, string(key)}
	l.mu.Lock()
	_, joined := l.join(fk, sp, true)
	l.mu.Unlock()
	if !joined {
		l.count(sp, func(c *storage.Counters) *storage.Counter { return &c.OriginRefreshes })
	}
}

// Reload reloads key of database db from its origin now, sharing a flight
// in progress, and waits for the outcome: the refresh source's reload of
// a key about to expire.
func (l *Loader) Reload(ctx context.Context, db int, key string) Outcome {
	sp := l.rules.Lookup([]byte(key))
	if !sp.HasOrigin() {
		return Outcome{}
	}
	l.mu.Lock()
	f, _ := l.join(flightKey{db, key}, sp, true)
	l.mu.Unlock()
	select {
	case <-f.done:
		return f.out
	case <-ctx.Done():
		return Outcome{Err: ctx.Err()}
	}
}

// join returns the flight of fk, starting it unless one is in progress
// (joined). A refresh flight overwrites the key; a miss's stores it only
// if still absent. The caller holds l.mu.
func (l *Loader) join(fk flightKey, sp *policy.Space, refresh bool) (f *flight, joined bool) {
	if f, ok := l.flights[fk]; ok {
		return f, true
	}
	f = &flight{done: make(chan struct{})}
	if l.closed {
		f.out = Outcome{Err: ErrStopped}
		close(f.done)
		return f, false
	}
	l.flights[fk] = f
	l.wg.Add(1)
	go l.fly(f, fk, sp, refresh)
	return f, false
}

// fly runs flight f: it fetches the key, stores or remembers what it got,
// and hands the outcome to the readers.
func (l *Loader) fly(f *flight, fk flightKey, sp *policy.Space, refresh bool) {
	defer l.wg.Done()
	start := time.Now()
	l.count(sp, func(c *storage.Counters) *storage.Counter { return &c.OriginRequests })
	body, err := fetch(l.ctx, l.client, sp.OriginURL(fk.key), sp.OriginTimeout, sp.MaxValueSize)
	l.observe(sp, time.Since(start))
	var out Outcome
	switch {
	case err == nil:
		out = l.store(fk, body, refresh)
	case errors.Is(err, ErrNotFound):
		l.count(sp, func(c *storage.Counters) *storage.Counter { return &c.OriginNotFound })
		if refresh {
			l.remove(fk) // gone at the source
		}
		if sp.NegativeTTL > 0 {
			l.remember(fk, sp)
		}
	default:
		out = l.failed(fk.db, fk.key, sp, err)
	}
	l.mu.Lock()
	delete(l.flights, fk)
	l.mu.Unlock()
	f.out = out
	close(f.done)
}

// store writes a loaded value through the write path, as a SET would;
// a miss's load (overwrite false) leaves a value a client wrote meanwhile.
// The outcome is the value, which readers get even if storing it failed.
func (l *Loader) store(fk flightKey, body []byte, overwrite bool) Outcome {
	var tx cache.Tx
	k := []byte(fk.key)
	l.cache.Begin(&tx, fk.db, [][]byte{k}, cache.WriteReplace, storage.TxWrite)
	if _, exists := tx.Lookup(k, storage.LookupWrite|storage.LookupNoTouch); overwrite || !exists {
		if l.cache.Store().MaxMemory() > 0 {
			if err := tx.MakeRoom(k); err != nil {
				tx.Fail(err)
			}
		}
		tx.Set(k, storage.StringValue(body))
	}
	wait, err := tx.End()
	if err == nil {
		err = l.cache.Await(wait)
	}
	if err != nil {
		l.log.Warn("read-through: storing a loaded key failed", "key", fk.key, "err", err)
	}
	return Outcome{Value: body, Found: true}
}

// remove deletes a key its origin no longer has.
func (l *Loader) remove(fk flightKey) {
	var tx cache.Tx
	k := []byte(fk.key)
	l.cache.Begin(&tx, fk.db, [][]byte{k}, cache.WriteReplace, storage.TxWrite)
	tx.Delete(k)
	if wait, err := tx.End(); err == nil {
		l.cache.Await(wait)
	}
}

// remember keeps a 404 of fk as absent for the namespace's negative_ttl.
func (l *Loader) remember(fk flightKey, sp *policy.Space) {
	now := l.cache.Store().Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.negative) >= maxNegative {
		for k, until := range l.negative {
			if until < now {
				delete(l.negative, k)
			}
		}
		if len(l.negative) >= maxNegative {
			return
		}
	}
	l.negative[fk] = now + sp.NegativeTTL.Milliseconds()
}

// failed is the outcome of a flight that failed with err (see stale); it
// counts the failure.
func (l *Loader) failed(db int, key string, sp *policy.Space, err error) Outcome {
	l.count(sp, func(c *storage.Counters) *storage.Counter { return &c.OriginFailures })
	l.log.Debug("read-through: origin failed", "key", key, "err", err)
	return l.stale(db, key, sp, err)
}

// stale is the outcome of a load that failed with err: the key's stale
// value within stale_if_error, else absent.
func (l *Loader) stale(db int, key string, sp *policy.Space, err error) Outcome {
	if v, ok := l.cache.Stale(db, key, sp.StaleIfError); ok {
		l.count(sp, func(c *storage.Counters) *storage.Counter { return &c.OriginStale })
		return Outcome{Value: v, Found: true, Stale: true, Err: err}
	}
	return Outcome{Err: err}
}

// ForgetNamespace drops the 404s remembered of namespace sp's keys
// (CACHE.INVALIDATE NAMESPACE).
func (l *Loader) ForgetNamespace(sp *policy.Space) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for fk := range l.negative {
		if l.rules.Lookup([]byte(fk.key)) == sp {
			delete(l.negative, fk)
		}
	}
}

// observe folds a load's duration into namespace sp's estimate.
func (l *Loader) observe(sp *policy.Space, d time.Duration) {
	est := &l.loadTime[sp.ID]
	old := est.Load()
	est.Store(old + (d.Microseconds()-old)/8)
}

// estimate returns namespace sp's load time estimate.
func (l *Loader) estimate(sp *policy.Space) time.Duration {
	return max(time.Duration(l.loadTime[sp.ID].Load())*time.Microsecond, minLoadEstimate)
}

// count adds one to the counter pick chooses, in the store's and in
// namespace sp's counters.
func (l *Loader) count(sp *policy.Space, pick func(c *storage.Counters) *storage.Counter) {
	pick(l.cache.Store().Counters()).Add(uint(sp.ID), 1)
	if ns := l.cache.NamespaceCounters(sp); ns != nil {
		pick(ns).Add(uint(sp.ID), 1)
	}
}
