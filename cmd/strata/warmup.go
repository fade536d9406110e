package main

import (
	"github.com/stratakv/strata/internal/units"
	"github.com/stratakv/strata/scheduler"
)

// warmupConfig is one entry of the config file's warmup list (see
// scheduler.Job for what each setting means):
//
//	warmup:
//	  - name: primary-schools
//	    schedule: "0 3,8 * * *"       # cron; "@every 2h", "@daily", seconds first
//	    timezone: Europe/Paris
//	    on_start: true
//	    key: "school:list:{district}:{page}"
//	    source: {http: "http://127.0.0.1:8000/api/schools?district={district}&page={page}"}
//	    params: [{district: central, page: "1"}, {district: east, page: "1"}]
//	    concurrency: 4
//	    batch_size: 100
//	    timeout: 10s
//	    retries: 2
//	    backoff: 200ms
//	    max_value_size: 16mb
//	  - name: catalogue
//	    source: {bulk: "http://127.0.0.1:8000/export.ndjson"}   # or {file: path}, {hot: {top: 1000}}, {refresh: {within: 1m}}
type warmupConfig struct {
	Name         string              `yaml:"name"`
	Schedule     string              `yaml:"schedule"`
	TimeZone     string              `yaml:"timezone"`
	OnStart      bool                `yaml:"on_start"`
	Key          string              `yaml:"key"`
	Source       sourceConfig        `yaml:"source"`
	Params       []map[string]string `yaml:"params"`
	DB           int                 `yaml:"db"`
	Concurrency  int                 `yaml:"concurrency"`
	BatchSize    int                 `yaml:"batch_size"`
	Timeout      units.Duration      `yaml:"timeout"`
	Retries      int                 `yaml:"retries"`
	Backoff      units.Duration      `yaml:"backoff"`
	MaxValueSize units.Size          `yaml:"max_value_size"`
}

// sourceConfig is a job's source: one of its settings.
type sourceConfig struct {
	HTTP    string         `yaml:"http"`
	Bulk    string         `yaml:"bulk"`
	File    string         `yaml:"file"`
	Hot     *hotConfig     `yaml:"hot"`
	Refresh *refreshConfig `yaml:"refresh"`
}

type hotConfig struct {
	Top       int        `yaml:"top"`
	MaxMemory units.Size `yaml:"max_memory"`
}

type refreshConfig struct {
	Top    int            `yaml:"top"`
	Within units.Duration `yaml:"within"`
}

// warmupJobs converts the config file's warm-up jobs; server.New
// validates them.
func warmupJobs(list *[]warmupConfig) []scheduler.Job {
	if list == nil {
		return nil
	}
	out := make([]scheduler.Job, 0, len(*list))
	for _, w := range *list {
		j := scheduler.Job{
			Name:         w.Name,
			Schedule:     w.Schedule,
			TimeZone:     w.TimeZone,
			OnStart:      w.OnStart,
			Key:          w.Key,
			Source:       scheduler.Source{HTTP: w.Source.HTTP, Bulk: w.Source.Bulk, File: w.Source.File},
			Params:       w.Params,
			DB:           w.DB,
			Concurrency:  w.Concurrency,
			BatchSize:    w.BatchSize,
			Timeout:      w.Timeout.Std(),
			Retries:      w.Retries,
			Backoff:      w.Backoff.Std(),
			MaxValueSize: int64(w.MaxValueSize),
		}
		if h := w.Source.Hot; h != nil {
			j.Source.Hot = &scheduler.Hot{Top: h.Top, MaxMemory: int64(h.MaxMemory)}
		}
		if r := w.Source.Refresh; r != nil {
			j.Source.Refresh = &scheduler.Refresh{Top: r.Top, Within: r.Within.Std()}
		}
		out = append(out, j)
	}
	return out
}
