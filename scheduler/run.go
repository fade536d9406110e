package scheduler

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

// run is one run of a job: its progress and counts, updated by its
// workers.
type run struct {
	s       *Scheduler
	js      *jobState
	job     *compiled
	trigger string

	total, done             atomic.Int64
	loaded, failed, skipped atomic.Int64

	mu      sync.Mutex
	lastErr error
	// keys collects the keys a bulk or file run loads (nil for others),
	// for a later CLEAR.
	keys []string
}

func newRun(s *Scheduler, js *jobState, trigger string) *run {
	r := &run{s: s, js: js, job: js.job, trigger: trigger}
	if js.job.Source.Bulk != "" || js.job.Source.File != "" {
		r.keys = []string{}
	}
	return r
}

// run runs the job to its end, or until the scheduler stops, and returns
// its result. A failing source fails keys, never the server: a panic is
// recovered and reported as the run's error.
func (r *run) run() (res Result) {
	started := time.Now()
	defer func() {
		if p := recover(); p != nil {
			r.fail("", fmt.Errorf("scheduler: run panicked: %v", p))
		}
		res = Result{Trigger: r.trigger, Started: started, Duration: time.Since(started),
			Loaded: r.loaded.Load(), Failed: r.failed.Load(), Skipped: r.skipped.Load()}
		if r.lastErr != nil {
			res.Err = r.lastErr.Error()
		}
	}()
	ctx := r.s.ctx
	switch src := r.job.Source; {
	case src.HTTP != "":
		r.perKey(ctx)
	case src.Bulk != "":
		r.bulk(ctx)
	case src.File != "":
		r.file()
	case src.Hot != nil:
		r.hot(ctx)
	default:
		r.refresh(ctx)
	}
	return res
}

// fail counts a failed key or request and keeps err as the last cause.
func (r *run) fail(key string, err error) {
	r.failed.Add(1)
	if key != "" {
		err = fmt.Errorf("%s: %w", key, err)
	}
	r.mu.Lock()
	r.lastErr = err
	r.mu.Unlock()
}

// writer returns a batch writer for one worker of the run.
func (r *run) writer() *batchWriter {
	w := &batchWriter{c: r.s.cache, db: r.job.DB, batch: r.job.BatchSize}
	if r.s.cluster != nil {
		w.send = r.s.cluster.Sender()
	}
	return w
}

// flush waits for a worker's writes, failing the run when they may not be
// durable.
func (r *run) flush(w *batchWriter) {
	if err := w.flush(); err != nil {
		r.fail("", err)
	}
}

// parallel runs work on each of n tasks with the job's concurrency, each
// worker with its writer, and returns when all are done or the scheduler
// stops.
func (r *run) parallel(ctx context.Context, n int, work func(w *batchWriter, i int)) {
	r.total.Store(int64(n))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(r.job.Concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := r.writer()
			defer r.flush(w)
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				work(w, i)
				r.done.Add(1)
			}
		}()
	}
	wg.Wait()
}

// perKey fetches one URL per parameter set and stores its body under the
// key the same set fills in.
func (r *run) perKey(ctx context.Context) {
	sets := r.job.paramSets()
	r.parallel(ctx, len(sets), func(w *batchWriter, i int) {
		key, _ := r.job.key.Fill(sets[i], nil) // holes checked by compileJob
		url, _ := r.job.url.Fill(sets[i], policy.URLEscape)
		var body []byte
		err := withRetries(ctx, r.job.Retries, r.job.Backoff, func() (err error) {
			body, err = fetch(ctx, r.s.client, url, r.job.Timeout, r.job.MaxValueSize)
			return err
		})
		if err == nil {
			err = w.put(key, body, 0)
		}
		if err != nil {
			r.fail(key, err)
			return
		}
		r.loaded.Add(1)
	})
}

// bulk fetches one URL per parameter set and stores the entries of each
// body. A request is retried only until its body starts, so that no entry
// is counted twice.
func (r *run) bulk(ctx context.Context) {
	sets := r.job.paramSets()
	r.parallel(ctx, len(sets), func(w *batchWriter, i int) {
		url, _ := r.job.url.Fill(sets[i], policy.URLEscape)
		rctx, cancel := context.WithTimeout(ctx, r.job.Timeout)
		defer cancel()
		var body io.ReadCloser
		err := withRetries(ctx, r.job.Retries, r.job.Backoff, func() (err error) {
			body, err = open(rctx, r.s.client, url, math.MaxInt64) // entries are bounded one by one
			return err
		})
		if err == nil {
			err = r.decode(w, body)
			body.Close()
		}
		if err != nil {
			r.fail(url, err)
		}
	})
}

// file stores the entries of the job's NDJSON file.
func (r *run) file() {
	f, err := os.Open(r.job.Source.File)
	if err != nil {
		r.fail("", err)
		return
	}
	defer f.Close()
	w := r.writer()
	defer r.flush(w)
	if err := r.decode(w, f); err != nil {
		r.fail(r.job.Source.File, err)
	}
}

// decode stores the entries read from body, counting each.
func (r *run) decode(w *batchWriter, body io.Reader) error {
	now := r.s.cache.Store().Now()
	return decodeEntries(body, r.job.MaxValueSize, func(e *entry) {
		defer r.done.Add(1)
		v, err := e.bytes()
		var exp int64
		if e.TTL > 0 {
			exp = now + max(int64(e.TTL*1000), 1)
		}
		if err == nil {
			err = w.put(e.Key, v, exp)
		}
		if err != nil {
			r.fail(e.Key, err)
			return
		}
		r.loaded.Add(1)
		r.mu.Lock()
		r.keys = append(r.keys, e.Key)
		r.mu.Unlock()
	}, func(err error) {
		r.done.Add(1)
		r.fail("", err)
	})
}

// refresh reloads from their origins the hottest keys of the memory tier
// that expire within the job's window; the others are skipped.
func (r *run) refresh(ctx context.Context) {
	src, store := r.job.Source.Refresh, r.s.cache.Store()
	now := store.Now()
	rules := r.s.cache.Rules()
	var due []string
	for _, h := range store.HotKeys(r.job.DB, src.Top, func(k string) bool { return rules.Lookup([]byte(k)).HasOrigin() }) {
		k := []byte(h.Key)
		var exp int64
		store.View(r.job.DB, [][]byte{k}, func(tx *storage.Tx) error {
			if v, ok := tx.Lookup(k, storage.LookupWrite|storage.LookupNoTouch); ok {
				exp = v.ExpireAt()
			}
			return nil
		})
		if exp == 0 || exp-now > src.Within.Milliseconds() {
			r.skipped.Add(1)
			continue
		}
		due = append(due, h.Key)
	}
	r.parallel(ctx, len(due), func(_ *batchWriter, i int) {
		switch out := r.s.loader.Reload(ctx, r.job.DB, due[i]); {
		case out.Err != nil:
			r.fail(due[i], out.Err)
		case !out.Found:
			r.fail(due[i], ErrNotFound) // and removed: its origin no longer has it
		default:
			r.loaded.Add(1)
		}
	})
}

// hot promotes into memory, from the disk tier, the keys that were
// hottest when their counts were last saved, hottest first, up to the
// job's top or until memory uses its max_memory; keys already in memory,
// or gone from the disk, are skipped. Then it saves the counts again.
func (r *run) hot(ctx context.Context) {
	src, store := r.job.Source.Hot, r.s.cache.Store()
	saved, err := store.Tier().SavedHotKeys(r.job.DB)
	if err != nil {
		r.fail("", err)
		return
	}
	saved = saved[:min(len(saved), src.Top)]
	r.total.Store(int64(len(saved)))
	for i, h := range saved {
		if ctx.Err() != nil || src.MaxMemory > 0 && store.Used() >= src.MaxMemory {
			r.skipped.Add(int64(len(saved) - i))
			break
		}
		switch promoted, err := store.Promote(r.job.DB, []byte(h.Key)); {
		case err != nil:
			r.fail(h.Key, err)
		case promoted:
			r.loaded.Add(1)
		default:
			r.skipped.Add(1)
		}
		r.done.Add(1)
	}
	if err := saveHotKeys(r.s.cache, r.job); err != nil {
		r.fail("", err)
	}
}

// saveHotKeys saves, for a hot job's next run, the job database's
// hottest keys: the memory tier's with the saved ones, each with the
// higher of its counts (a key just promoted is not counted in memory yet,
// and keeps its saved count), the top of them.
func saveHotKeys(c *cache.Cache, job *compiled) error {
	store := c.Store()
	saved, err := store.Tier().SavedHotKeys(job.DB)
	if err != nil {
		return err
	}
	count := map[string]float64{}
	for _, h := range saved {
		count[h.Key] = h.Count
	}
	for _, h := range store.HotKeys(job.DB, job.Source.Hot.Top, nil) {
		count[h.Key] = max(count[h.Key], h.Count)
	}
	keys := make([]storage.HotKey, 0, len(count))
	for k, n := range count {
		keys = append(keys, storage.HotKey{Key: k, Count: n})
	}
	slices.SortFunc(keys, func(a, b storage.HotKey) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Key, b.Key))
	})
	return store.Tier().SaveHotKeys(job.DB, keys[:min(len(keys), job.Source.Hot.Top)])
}

// ownKeys returns the keys the job writes, for CLEAR: its key template
// filled from each parameter set, or the keys the last run of a bulk or
// file job loaded.
func (r *run) ownKeys() ([]string, error) {
	switch {
	case r.job.Source.HTTP != "":
		sets := r.job.paramSets()
		keys := make([]string, len(sets))
		for i, p := range sets {
			keys[i], _ = r.job.key.Fill(p, nil)
		}
		return keys, nil
	case r.keys != nil:
		r.js.mu.Lock()
		defer r.js.mu.Unlock()
		return r.js.keys, nil
	}
	return nil, fmt.Errorf("%w: %s has a %s source", ErrNoKeys, r.job.Name, r.job.sourceName())
}
