package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/internal/hist"
)

// Config is what a Scheduler needs beyond its Cache.
type Config struct {
	// Jobs are the warm-up jobs (see Job).
	Jobs []Job
	// Loader reloads keys from their origins, for refresh sources (nil:
	// a refresh job is refused).
	Loader *Loader
	// Client makes the HTTP requests (nil: a client of its own).
	Client *http.Client
	// Logger receives one line per run (default: slog.Default()).
	Logger *slog.Logger
	// Cluster places runs and keys in a cluster (cluster.go); nil outside
	// one.
	Cluster Cluster
}

// Triggers: what started a run, as the logs and STATUS name it.
const (
	TriggerSchedule = "schedule"
	TriggerStart    = "start"
	TriggerManual   = "manual"
	TriggerClear    = "clear"
)

// Scheduler runs warm-up jobs on their cron schedules and on demand. It
// is safe for concurrent use.
type Scheduler struct {
	cache   *cache.Cache
	loader  *Loader
	client  *http.Client
	log     *slog.Logger
	cluster Cluster
	cron    *cron.Cron
	jobs    []*jobState // in config order
	byName  map[string]*jobState

	// ctx ends when Stop is called: runs stop at their next request.
	ctx    context.Context
	cancel context.CancelFunc
	runs   sync.WaitGroup
	mu     sync.Mutex // guards stopped and the runs WaitGroup's Add
	// stopped refuses runs after Stop.
	stopped bool
}

// jobState is a job with its schedule entry and run history.
type jobState struct {
	job   *compiled
	entry cron.EntryID

	mu      sync.Mutex
	running *run // nil when idle
	last    *Result
	totals  Totals
	// durations are the finished runs' durations; Totals.Durations is
	// their snapshot.
	durations hist.Histogram
	// keys are the keys the last run of a bulk or file job loaded, for
	// CLEAR.
	keys []string
}

// Result is a finished run of a job.
type Result struct {
	Trigger  string
	Started  time.Time
	Duration time.Duration
	// Loaded keys were written; Failed keys (or requests of a bulk
	// source) failed; Skipped keys needed nothing (a hot key already in
	// memory, a key not about to expire).
	Loaded, Failed, Skipped int64
	// Err is the last failure's cause, "" when none.
	Err string
}

// Totals are a job's counts since start, or since ResetStats.
type Totals struct {
	// Runs counts finished runs, FailedRuns those of them that failed a
	// key or request (their Result has an Err), SkippedRuns runs not
	// started because the job was still running.
	Runs, FailedRuns, SkippedRuns int64
	// Loaded, Failed and Skipped add up the finished runs' counts.
	Loaded, Failed, Skipped int64
	// Durations are the finished runs' durations (nil outside a Status).
	Durations *hist.Snapshot
}

// Status is a job's configuration, state and history.
type Status struct {
	Name, Schedule, Source string
	// Next is when the schedule runs the job next (zero: no schedule).
	Next time.Time
	// Running is set while a run goes; Done of Total units (keys, bulk
	// requests, candidate keys; Total 0 when unknown, as for a file) are
	// its progress.
	Running     bool
	Done, Total int64
	Totals
	// Last is the last finished run, nil before the first.
	Last *Result
}

// New validates jobs and returns their Scheduler, not yet started. Its
// errors wrap ErrConfig and name the job and the setting at fault.
func New(c *cache.Cache, cfg Config) (*Scheduler, error) {
	jobs, err := compileJobs(cfg.Jobs, c.Store().Databases())
	if err != nil {
		return nil, err
	}
	s := &Scheduler{
		cache:   c,
		loader:  cfg.Loader,
		client:  cfg.Client,
		log:     cfg.Logger,
		cluster: cfg.Cluster,
		cron:    cron.New(cron.WithParser(cronParser)),
		byName:  map[string]*jobState{},
	}
	if s.client == nil {
		s.client = &http.Client{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for i, j := range jobs {
		if j.Source.Refresh != nil && s.loader == nil {
			return nil, fmt.Errorf("%w: warmup[%d] (%s): source.refresh: no loader", ErrConfig, i, j.Name)
		}
		if j.Source.Hot != nil && c.Tier() == nil {
			return nil, fmt.Errorf("%w: warmup[%d] (%s): source.hot: no namespace persists, so there is no disk tier to promote from", ErrConfig, i, j.Name)
		}
		js := &jobState{job: j}
		if j.schedule != nil {
			js.entry = s.cron.Schedule(j.schedule, cron.FuncJob(func() {
				if s.runsHere(js) {
					s.start(js, TriggerSchedule)
				}
			}))
		}
		s.jobs = append(s.jobs, js)
		s.byName[j.Name] = js
	}
	return s, nil
}

// Start starts the schedules, and the runs of on_start jobs.
func (s *Scheduler) Start() {
	s.cron.Start()
	for _, js := range s.jobs {
		if js.job.OnStart && s.runsHere(js) {
			s.start(js, TriggerStart)
		}
	}
}

// Stop stops the schedules and every run (at its next request), waits
// for them, and saves the hot keys' counts for the hot jobs' next runs
// (call it before the Cache closes). It is safe to call more than once.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	stopped := s.stopped
	s.stopped = true
	s.mu.Unlock()
	<-s.cron.Stop().Done()
	s.cancel()
	s.runs.Wait()
	for _, js := range s.jobs {
		if js.job.Source.Hot != nil && !stopped {
			if err := saveHotKeys(s.cache, js.job); err != nil {
				s.log.Error("warm-up: saving the hot keys failed", "job", js.job.Name, "err", err)
			}
		}
	}
}

// start runs js in the background, unless it is running (the run is then
// skipped and counted).
func (s *Scheduler) start(js *jobState, trigger string) error {
	r, err := s.begin(js, trigger)
	if err != nil {
		return err
	}
	go func() {
		defer s.runs.Done()
		s.execute(js, r, nil)
	}()
	return nil
}

// begin registers a new run of js, or refuses it: ErrRunning (counted as a
// skipped run) or ErrStopped.
func (s *Scheduler) begin(js *jobState, trigger string) (*run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil, ErrStopped
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.running != nil {
		js.totals.SkippedRuns++
		s.log.Warn("warm-up run skipped: the job is still running", "job", js.job.Name, "trigger", trigger, "skipped_runs", js.totals.SkippedRuns)
		return nil, fmt.Errorf("%w: %s", ErrRunning, js.job.Name)
	}
	r := newRun(s, js, trigger)
	js.running = r
	s.runs.Add(1)
	return r, nil
}

// execute runs r, a run of js begin registered, first calling before
// (when not nil; its error abandons the run), then records the result as
// js's last run and logs it.
func (s *Scheduler) execute(js *jobState, r *run, before func(r *run) error) (Result, error) {
	if before != nil {
		if err := before(r); err != nil {
			js.mu.Lock()
			js.running = nil
			js.mu.Unlock()
			return Result{}, err
		}
	}
	res := r.run()
	js.mu.Lock()
	js.running = nil
	js.last = &res
	js.totals.add(res)
	js.durations.Observe(res.Duration)
	if r.keys != nil {
		js.keys = r.keys
	}
	js.mu.Unlock()
	log := s.log.Info
	if res.Failed > 0 {
		log = s.log.Warn
	}
	log("warm-up run", "job", js.job.Name, "trigger", res.Trigger, "loaded", res.Loaded, "failed", res.Failed,
		"skipped", res.Skipped, "duration", res.Duration.Round(time.Millisecond), "err", res.Err)
	return res, nil
}

// job returns the state of the job named name.
func (s *Scheduler) job(name string) (*jobState, error) {
	js, ok := s.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownJob, name)
	}
	return js, nil
}

// Run runs job name now and returns its result once it finishes; ctx
// ending stops the wait, not the run. ErrUnknownJob, ErrRunning and
// ErrStopped refuse it.
func (s *Scheduler) Run(ctx context.Context, name string) (Result, error) {
	return s.runAndWait(ctx, name, TriggerManual, nil)
}

// RunAsync starts job name now and returns at once.
func (s *Scheduler) RunAsync(name string) error {
	js, err := s.job(name)
	if err != nil {
		return err
	}
	return s.start(js, TriggerManual)
}

// Clear removes job name's keys from both tiers (telling removed of
// them), then runs the job and returns how many keys it removed and the
// run's result. A job whose source names no keys of its own (hot,
// refresh) is ErrNoKeys.
func (s *Scheduler) Clear(ctx context.Context, name string, removed cache.RemovedFunc) (int64, Result, error) {
	var n int64
	res, err := s.runAndWait(ctx, name, TriggerClear, func(r *run) error {
		keys, err := r.ownKeys()
		if err != nil {
			return err
		}
		n, err = s.cache.InvalidateKeys(r.job.DB, keys, removed)
		return err
	})
	return n, res, err
}

// runAndWait runs job name with trigger, first calling before (when not
// nil) once the run is registered, so that no other run of the job
// starts in between; it waits for the result or ctx.
func (s *Scheduler) runAndWait(ctx context.Context, name, trigger string, before func(r *run) error) (Result, error) {
	js, err := s.job(name)
	if err != nil {
		return Result{}, err
	}
	r, err := s.begin(js, trigger)
	if err != nil {
		return Result{}, err
	}
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer s.runs.Done()
		res, err := s.execute(js, r, before)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Status returns job name's status.
func (s *Scheduler) Status(name string) (Status, error) {
	js, err := s.job(name)
	if err != nil {
		return Status{}, err
	}
	return s.status(js), nil
}

// List returns every job's status, in config order.
func (s *Scheduler) List() []Status {
	out := make([]Status, len(s.jobs))
	for i, js := range s.jobs {
		out[i] = s.status(js)
	}
	return out
}

func (s *Scheduler) status(js *jobState) Status {
	st := Status{Name: js.job.Name, Schedule: js.job.Schedule, Source: js.job.sourceName()}
	if js.job.schedule != nil {
		st.Next = js.job.schedule.Next(time.Now())
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	st.Totals, st.Last = js.totals, js.last
	st.Durations = js.durations.Snapshot()
	if r := js.running; r != nil {
		st.Running = true
		st.Done, st.Total = r.done.Load(), r.total.Load()
	}
	return st
}

// Totals returns the sum of every job's Totals, without Durations.
func (s *Scheduler) Totals() Totals {
	var sum Totals
	for _, js := range s.jobs {
		js.mu.Lock()
		t := js.totals
		js.mu.Unlock()
		sum.Runs += t.Runs
		sum.FailedRuns += t.FailedRuns
		sum.SkippedRuns += t.SkippedRuns
		sum.Loaded += t.Loaded
		sum.Failed += t.Failed
		sum.Skipped += t.Skipped
	}
	return sum
}

// ResetStats zeroes every job's Totals (CONFIG RESETSTAT); their last
// runs stay.
func (s *Scheduler) ResetStats() {
	for _, js := range s.jobs {
		js.mu.Lock()
		js.totals = Totals{}
		js.durations.Reset()
		js.mu.Unlock()
	}
}

// add counts a finished run.
func (t *Totals) add(res Result) {
	t.Runs++
	if res.Err != "" {
		t.FailedRuns++
	}
	t.Loaded += res.Loaded
	t.Failed += res.Failed
	t.Skipped += res.Skipped
}
