package server

// Warm-up jobs: CACHE.WARMUP LIST | RUN job [ASYNC] | STATUS [job] |
// CLEAR job. The jobs and their schedules are the scheduler's (package
// scheduler); these handlers parse, call it and reply. Every reply is a
// map (a flat array in RESP2); times are RFC 3339 in the server's zone,
// durations milliseconds.
//
// RUN and CLEAR wait for the run with no storage lock held (the run takes
// its own, key by key), so they are refused inside MULTI, whose EXEC holds
// the whole store.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stratakv/strata/scheduler"
)

func registerWarmupCommands(t commandTable) {
	t.container("cache.warmup", -2,
		&command{name: "list", handler: cmdWarmupList, arity: 2, flags: flagNoData},
		// RUN and CLEAR write a job's keys whatever the caller's key
		// patterns: @admin and @dangerous keep them out of @write grants.
		&command{name: "run", handler: cmdWarmupRun, arity: -3, flags: flagNoData | flagNoMulti,
			categories: "@admin @slow @dangerous @cache"},
		&command{name: "status", handler: cmdWarmupStatus, arity: -2, flags: flagNoData},
		&command{name: "clear", handler: cmdWarmupClear, arity: 3, flags: flagWrite | flagNoData | flagNoMulti,
			categories: "@write @admin @slow @dangerous @cache"},
		&command{name: "help", handler: cmdWarmupHelp, arity: 2, flags: flagNoData},
	)
}

var warmupHelp = []string{
	"CACHE.WARMUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"LIST",
	"    Return the warm-up jobs: name, schedule, source, next and last run, state.",
	"RUN <job> [ASYNC]",
	"    Run a job now and return its counts (loaded, failed, skipped, duration_ms,",
	"    error); with ASYNC, return at once.",
	"STATUS [<job>]",
	"    Return a job's state, progress (done of total) and last run; every job's",
	"    without one.",
	"CLEAR <job>",
	"    Invalidate the job's keys in both tiers, then run it.",
	"HELP",
	"    Prints this help.",
}

func cmdWarmupHelp(c *client, args [][]byte) { c.out.Help(warmupHelp) }

// initWarmup builds the read-through loader and the warm-up scheduler
// from the config, after the cache.
func (s *Server) initWarmup() error {
	s.loader = scheduler.NewLoader(s.cache, scheduler.LoaderConfig{Logger: s.log})
	sched, err := scheduler.New(s.cache, scheduler.Config{Jobs: s.cfg.Warmup, Loader: s.loader, Logger: s.log, Cluster: s.scheduleCluster()})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.scheduler = sched
	return nil
}

// cmdWarmupList: CACHE.WARMUP LIST -> an array with a map per job: name,
// schedule, source, next_run, last_run, state.
func cmdWarmupList(c *client, args [][]byte) {
	jobs := c.srv.scheduler.List()
	c.out.Array(len(jobs))
	for _, st := range jobs {
		c.out.Map(6)
		c.out.BulkString("name")
		c.out.BulkString(st.Name)
		c.out.BulkString("schedule")
		c.out.BulkString(st.Schedule)
		c.out.BulkString("source")
		c.out.BulkString(st.Source)
		c.out.BulkString("next_run")
		writeTime(c, st.Next)
		c.out.BulkString("last_run")
		if st.Last != nil {
			writeTime(c, st.Last.Started)
		} else {
			c.out.Null()
		}
		c.out.BulkString("state")
		c.out.BulkString(jobState(st))
	}
}

// cmdWarmupRun: CACHE.WARMUP RUN job [ASYNC] -> the run's counts once it
// ends (see writeResult); with ASYNC, OK once it has started.
func cmdWarmupRun(c *client, args [][]byte) {
	name := string(args[2])
	switch {
	case len(args) == 4 && is(args[3], "async"):
		if err := c.srv.scheduler.RunAsync(name); err != nil {
			c.out.Error(warmupError(name, err))
			return
		}
		c.out.OK()
	case len(args) == 3:
		res, err := c.srv.scheduler.Run(context.Background(), name)
		if err != nil {
			c.out.Error(warmupError(name, err))
			return
		}
		writeResult(c, -1, res)
	default:
		c.out.Error(msgSyntax)
	}
}

// cmdWarmupClear: CACHE.WARMUP CLEAR job -> removed (the keys
// invalidated), then the counts of the run that reloaded them.
func cmdWarmupClear(c *client, args [][]byte) {
	name := string(args[2])
	removed, res, err := c.srv.scheduler.Clear(context.Background(), name, c.invalidated)
	if err != nil {
		c.out.Error(warmupError(name, err))
		return
	}
	writeResult(c, removed, res)
}

// cmdWarmupStatus: CACHE.WARMUP STATUS [job] -> the job's status map;
// without a job, an array of every job's.
func cmdWarmupStatus(c *client, args [][]byte) {
	switch len(args) {
	case 2:
		jobs := c.srv.scheduler.List()
		c.out.Array(len(jobs))
		for _, st := range jobs {
			writeStatus(c, st)
		}
	case 3:
		st, err := c.srv.scheduler.Status(string(args[2]))
		if err != nil {
			c.out.Error(warmupError(string(args[2]), err))
			return
		}
		writeStatus(c, st)
	default:
		c.out.Error(msgSyntax)
	}
}

// writeStatus writes a job's status: name, state, done, total, runs,
// failed_runs, skipped_runs, next_run, and its last run's trigger,
// last_run, last_duration_ms, last_loaded, last_failed, last_skipped,
// last_error (nulls before the first run).
func writeStatus(c *client, st scheduler.Status) {
	c.out.Map(15)
	c.out.BulkString("name")
	c.out.BulkString(st.Name)
	c.out.BulkString("state")
	c.out.BulkString(jobState(st))
	c.out.BulkString("done")
	c.out.Int(st.Done)
	c.out.BulkString("total")
	c.out.Int(st.Total)
	c.out.BulkString("runs")
	c.out.Int(st.Runs)
	c.out.BulkString("failed_runs")
	c.out.Int(st.FailedRuns)
	c.out.BulkString("skipped_runs")
	c.out.Int(st.SkippedRuns)
	c.out.BulkString("next_run")
	writeTime(c, st.Next)
	last := st.Last
	if last == nil {
		last = &scheduler.Result{}
	}
	c.out.BulkString("last_trigger")
	writeOptional(c, last.Trigger)
	c.out.BulkString("last_run")
	writeTime(c, last.Started)
	for _, f := range []struct {
		name string
		n    int64
	}{{"last_duration_ms", last.Duration.Milliseconds()}, {"last_loaded", last.Loaded}, {"last_failed", last.Failed}, {"last_skipped", last.Skipped}} {
		c.out.BulkString(f.name)
		if st.Last == nil {
			c.out.Null()
		} else {
			c.out.Int(f.n)
		}
	}
	c.out.BulkString("last_error")
	writeOptional(c, last.Err)
}

// writeResult writes a run's counts: loaded, failed, skipped, duration_ms,
// error (null when none); after removed when it is not negative (CLEAR).
func writeResult(c *client, removed int64, res scheduler.Result) {
	n := 5
	if removed >= 0 {
		n++
		c.out.Map(n)
		c.out.BulkString("removed")
		c.out.Int(removed)
	} else {
		c.out.Map(n)
	}
	c.out.BulkString("loaded")
	c.out.Int(res.Loaded)
	c.out.BulkString("failed")
	c.out.Int(res.Failed)
	c.out.BulkString("skipped")
	c.out.Int(res.Skipped)
	c.out.BulkString("duration_ms")
	c.out.Int(res.Duration.Milliseconds())
	c.out.BulkString("error")
	writeOptional(c, res.Err)
}

// jobState names what a job is doing.
func jobState(st scheduler.Status) string {
	if st.Running {
		return "running"
	}
	return "idle"
}

// writeTime writes t in RFC 3339 with milliseconds, null when zero.
func writeTime(c *client, t time.Time) {
	if t.IsZero() {
		c.out.Null()
		return
	}
	c.out.BulkString(t.Format("2006-01-02T15:04:05.000Z07:00"))
}

// writeOptional writes s, null when empty.
func writeOptional(c *client, s string) {
	if s == "" {
		c.out.Null()
		return
	}
	c.out.BulkString(s)
}

// warmupError words a scheduler error about job name.
func warmupError(name string, err error) string {
	switch {
	case errors.Is(err, scheduler.ErrUnknownJob):
		return fmt.Sprintf(msgNoWarmupJob, name)
	case errors.Is(err, scheduler.ErrRunning):
		return fmt.Sprintf(msgWarmupRunning, name)
	case errors.Is(err, scheduler.ErrNoKeys):
		return fmt.Sprintf(msgWarmupNoKeys, name)
	case errors.Is(err, scheduler.ErrStopped):
		return msgShuttingDown
	}
	return storageError(err) // CLEAR's invalidation met a disk error
}
