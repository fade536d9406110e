package scheduler

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // a job's time zone resolves on hosts without a zoneinfo database

	"github.com/robfig/cron/v3"
	"github.com/stratakv/strata/policy"
)

// Job is one warm-up job as configured. The zero value of each optional
// field is its default.
type Job struct {
	// Name names the job in CACHE.WARMUP and the logs. Required, unique.
	Name string
	// Schedule is when the job runs: a cron spec of five fields (minute
	// hour day-of-month month day-of-week), or six with seconds first, or
	// a descriptor (@every 2h, @hourly, @daily, @weekly, @monthly). A
	// CRON_TZ=Zone prefix, or TimeZone, says which zone it reads in.
	// Empty: the job runs only on start (OnStart) and by hand.
	Schedule string
	// TimeZone is the IANA zone the schedule reads in (default: the
	// server's local zone).
	TimeZone string
	// OnStart runs the job once when the scheduler starts, besides its
	// schedule.
	OnStart bool
	// Key is the key template of an http source: {name} holes filled from
	// each parameter set.
	Key string
	// Source is where values come from.
	Source Source
	// Params are the parameter sets the templates are filled from, one key
	// (http) or one request (bulk) per set. Every hole of Key and of the
	// source's URL must be in every set.
	Params []map[string]string
	// DB is the database the job writes to (default 0).
	DB int
	// Concurrency bounds the requests in flight (default 4).
	Concurrency int
	// BatchSize is how many keys are written between waits for
	// durability, so that a batch of write_through keys shares one fsync
	// (default 100).
	BatchSize int
	// Timeout bounds each request (default 10s).
	Timeout time.Duration
	// Retries is how many times a failed request is tried again (default
	// 0); a 404, a body too large or malformed is not retried.
	Retries int
	// Backoff is the wait before the first retry, doubled before each
	// next one (default 200ms).
	Backoff time.Duration
	// MaxValueSize bounds a response body (default 16mb): a bigger one is
	// a failure of its key, never cached.
	MaxValueSize int64
}

// Source says where a job's values come from: exactly one field is set.
type Source struct {
	// HTTP is a URL template fetched once per key: the body is the value.
	HTTP string
	// Bulk is a URL template fetched once per parameter set (once without
	// params): a JSON array, or NDJSON, of {"key", "value", "ttl"}
	// objects (see Entry).
	Bulk string
	// File is an NDJSON file of {"key", "value", "ttl"} objects.
	File string
	// Hot promotes the most used keys of the disk tier into memory.
	Hot *Hot
	// Refresh reloads, from their namespace's origin, hot keys whose TTL
	// is about to end.
	Refresh *Refresh
}

// Hot is the hot source: the persisted keys used most, by their decayed
// access counts, read into memory.
type Hot struct {
	// Top is how many keys are promoted at most (default 1000).
	Top int
	// MaxMemory stops promoting once the memory tier uses this many bytes
	// (0: only maxmemory's bound).
	MaxMemory int64
}

// Refresh is the refresh source: keys of namespaces with an origin, among
// the most used of the memory tier, reloaded when their TTL ends soon.
type Refresh struct {
	// Top is how many of the hottest keys are considered (default 1000).
	Top int
	// Within reloads keys expiring within this long (default 1m).
	Within time.Duration
}

// Job defaults.
const (
	defaultConcurrency = 4
	defaultBatchSize   = 100
	defaultTimeout     = 10 * time.Second
	defaultBackoff     = 200 * time.Millisecond
	defaultTop         = 1000
	defaultWithin      = time.Minute
)

// cronParser reads schedules: five fields, an optional leading seconds
// field, and descriptors.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// compiled is a validated job with its parsed schedule and templates.
type compiled struct {
	Job
	schedule cron.Schedule // nil: no schedule
	key      policy.Template
	url      policy.Template
}

// sourceName names the job's source, as LIST and the logs show it.
func (j *compiled) sourceName() string {
	switch s := j.Source; {
	case s.HTTP != "":
		return "http"
	case s.Bulk != "":
		return "bulk"
	case s.File != "":
		return "file"
	case s.Hot != nil:
		return "hot"
	}
	return "refresh"
}

// compileJobs validates jobs; errors name the job and the setting.
func compileJobs(jobs []Job, databases int) ([]*compiled, error) {
	out := make([]*compiled, 0, len(jobs))
	seen := map[string]bool{}
	for i, j := range jobs {
		c, err := compileJob(j, databases)
		if err == nil && seen[j.Name] {
			err = fmt.Errorf("name: %q is used twice", j.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: warmup[%d] (%s): %w", ErrConfig, i, j.Name, err)
		}
		seen[j.Name] = true
		out = append(out, c)
	}
	return out, nil
}

func compileJob(j Job, databases int) (*compiled, error) {
	if j.Name == "" {
		return nil, fmt.Errorf("name: missing")
	}
	if strings.ContainsAny(j.Name, " \t\r\n") {
		return nil, fmt.Errorf("name: %q has spaces", j.Name)
	}
	c := &compiled{Job: j}
	if err := c.compileSchedule(); err != nil {
		return nil, err
	}
	if err := c.compileSource(); err != nil {
		return nil, err
	}
	if j.DB < 0 || j.DB >= databases {
		return nil, fmt.Errorf("db: %d is not a database (0 to %d)", j.DB, databases-1)
	}
	for _, n := range []struct {
		name string
		v    int64
	}{{"concurrency", int64(j.Concurrency)}, {"batch_size", int64(j.BatchSize)}, {"timeout", int64(j.Timeout)},
		{"retries", int64(j.Retries)}, {"backoff", int64(j.Backoff)}, {"max_value_size", j.MaxValueSize}} {
		if n.v < 0 {
			return nil, fmt.Errorf("%s: %d is negative", n.name, n.v)
		}
	}
	c.Concurrency = cmp.Or(c.Concurrency, defaultConcurrency)
	c.BatchSize = cmp.Or(c.BatchSize, defaultBatchSize)
	c.Timeout = cmp.Or(c.Timeout, defaultTimeout)
	c.Backoff = cmp.Or(c.Backoff, defaultBackoff)
	c.MaxValueSize = cmp.Or(c.MaxValueSize, policy.DefaultMaxValueSize)
	return c, nil
}

func (c *compiled) compileSchedule() error {
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			return fmt.Errorf("timezone: unknown zone %q", c.TimeZone)
		}
	}
	if c.Schedule == "" {
		if c.TimeZone != "" {
			return fmt.Errorf("timezone: set without a schedule")
		}
		return nil
	}
	spec := c.Schedule
	if c.TimeZone != "" {
		if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
			return fmt.Errorf("timezone: set twice, also in schedule %q", spec)
		}
		spec = "CRON_TZ=" + c.TimeZone + " " + spec
	}
	s, err := cronParser.Parse(spec)
	if err != nil {
		return fmt.Errorf("schedule: invalid cron spec %q: %v", c.Schedule, err)
	}
	c.schedule = s
	return nil
}

func (c *compiled) compileSource() error {
	s := c.Source
	set := 0
	for _, on := range []bool{s.HTTP != "", s.Bulk != "", s.File != "", s.Hot != nil, s.Refresh != nil} {
		if on {
			set++
		}
	}
	switch {
	case set == 0:
		return fmt.Errorf("source: missing: want http, bulk, file, hot or refresh")
	case set > 1:
		return fmt.Errorf("source: more than one source: want one of http, bulk, file, hot or refresh")
	}
	var err error
	switch {
	case s.HTTP != "":
		if c.Key == "" {
			return fmt.Errorf("key: missing: an http source needs a key template")
		}
		if c.key, err = policy.ParseTemplate(c.Key); err != nil {
			return fmt.Errorf("key: %v", err)
		}
		if c.url, err = policy.ParseURLTemplate(s.HTTP, nil); err != nil {
			return fmt.Errorf("source.http: %v", err)
		}
		if err := c.checkHoles("key", c.key); err != nil {
			return err
		}
		return c.checkHoles("source.http", c.url)
	case s.Bulk != "":
		if c.url, err = policy.ParseURLTemplate(s.Bulk, nil); err != nil {
			return fmt.Errorf("source.bulk: %v", err)
		}
		if err := c.noKey("bulk"); err != nil {
			return err
		}
		return c.checkHoles("source.bulk", c.url)
	case s.File != "":
		if err := c.noKey("file"); err != nil {
			return err
		}
		return c.noParams("file")
	case s.Hot != nil:
		if s.Hot.Top < 0 || s.Hot.MaxMemory < 0 {
			return fmt.Errorf("source.hot: top and max_memory must not be negative")
		}
		c.Source.Hot = &Hot{Top: cmp.Or(s.Hot.Top, defaultTop), MaxMemory: s.Hot.MaxMemory}
		if err := c.noKey("hot"); err != nil {
			return err
		}
		return c.noParams("hot")
	}
	if s.Refresh.Top < 0 || s.Refresh.Within < 0 {
		return fmt.Errorf("source.refresh: top and within must not be negative")
	}
	c.Source.Refresh = &Refresh{Top: cmp.Or(s.Refresh.Top, defaultTop), Within: cmp.Or(s.Refresh.Within, defaultWithin)}
	if err := c.noKey("refresh"); err != nil {
		return err
	}
	return c.noParams("refresh")
}

// checkHoles checks that every parameter set fills every hole of t, the
// template of setting.
func (c *compiled) checkHoles(setting string, t policy.Template) error {
	holes := t.Holes()
	if len(c.Params) == 0 && len(holes) > 0 {
		return fmt.Errorf("%s: hole {%s} has no parameter (no params given)", setting, holes[0])
	}
	for i, p := range c.Params {
		for _, h := range holes {
			if _, ok := p[h]; !ok {
				return fmt.Errorf("%s: hole {%s} has no parameter in params[%d] (it has %s)", setting, h, i, strings.Join(slices.Sorted(maps.Keys(p)), ", "))
			}
		}
	}
	return nil
}

func (c *compiled) noKey(source string) error {
	if c.Key != "" {
		return fmt.Errorf("key: a %s source names its own keys", source)
	}
	return nil
}

func (c *compiled) noParams(source string) error {
	if len(c.Params) > 0 {
		return fmt.Errorf("params: a %s source takes none", source)
	}
	return nil
}

// paramSets returns the parameter sets a run goes through: one empty set
// when the job has none.
func (c *compiled) paramSets() []map[string]string {
	if len(c.Params) == 0 {
		return []map[string]string{{}}
	}
	return c.Params
}
