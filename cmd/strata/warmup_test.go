package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/scheduler"
	"github.com/stratakv/strata/server"
)

func TestWarmupSection(t *testing.T) {
	opts, err := loadConfigText(t, `
namespaces:
  - match: "school:*"
    ttl: 30m
    origin: "http://127.0.0.1:8000/internal/cache/{suffix}"
    origin_timeout: 2s
    negative_ttl: 30s
    stale_if_error: 10m
    refresh_ahead: false
    max_value_size: 1mb
    lease_stale: 5s
warmup:
  - name: primary-schools
    schedule: "0 3,8 * * *"
    timezone: Europe/Paris
    on_start: true
    key: "school:list:{district}:{page}"
    source: {http: "http://127.0.0.1:8000/api/schools?district={district}&page={page}"}
    params: [{district: central, page: 1}, {district: east, page: "2"}]
    concurrency: 8
    batch_size: 50
    timeout: 3s
    retries: 2
    backoff: 100ms
    max_value_size: 2mb
  - name: hot
    schedule: "@every 2h"
    source: {refresh: {top: 100, within: 5m}}
`)
	if err != nil {
		t.Fatal(err)
	}
	cfg := opts.serverConfig(nil)
	wantNS := []policy.Namespace{{Match: "school:*", TTL: 30 * time.Minute,
		Origin: "http://127.0.0.1:8000/internal/cache/{suffix}", OriginTimeout: 2 * time.Second, NegativeTTL: 30 * time.Second,
		StaleIfError: 10 * time.Minute, NoRefreshAhead: true, MaxValueSize: 1 << 20, LeaseStale: 5 * time.Second}}
	if !reflect.DeepEqual(cfg.Namespaces, wantNS) {
		t.Errorf("namespaces:\n got %+v\nwant %+v", cfg.Namespaces, wantNS)
	}
	want := []scheduler.Job{
		{Name: "primary-schools", Schedule: "0 3,8 * * *", TimeZone: "Europe/Paris", OnStart: true,
			Key:         "school:list:{district}:{page}",
			Source:      scheduler.Source{HTTP: "http://127.0.0.1:8000/api/schools?district={district}&page={page}"},
			Params:      []map[string]string{{"district": "central", "page": "1"}, {"district": "east", "page": "2"}},
			Concurrency: 8, BatchSize: 50, Timeout: 3 * time.Second, Retries: 2, Backoff: 100 * time.Millisecond, MaxValueSize: 2 << 20},
		{Name: "hot", Schedule: "@every 2h", Source: scheduler.Source{Refresh: &scheduler.Refresh{Top: 100, Within: 5 * time.Minute}}},
	}
	if !reflect.DeepEqual(cfg.Warmup, want) {
		t.Errorf("warmup:\n got %+v\nwant %+v", cfg.Warmup, want)
	}
}

func TestWarmupSectionErrors(t *testing.T) {
	job := "warmup:\n  - name: schools\n    key: \"s:{id}\"\n    params: [{id: \"1\"}]\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown source", job + "    source: {ftp: \"ftp://h/x\"}\n", `unknown setting "warmup[0].source.ftp"`},
		{"unknown key", job + "    source: {http: \"http://h/{id}\"}\n    cron: \"* * * * *\"\n", `unknown setting "warmup[0].cron"`},
		{"bad timeout", job + "    source: {http: \"http://h/{id}\"}\n    timeout: soon\n", "warmup[0].timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfigText(t, tc.yaml)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
		})
	}
	// What the decoder cannot see, server.New refuses, naming the job or
	// namespace and the setting.
	for text, want := range map[string]string{
		job + "    source: {http: \"http://h/{id}\"}\n    schedule: \"0 25 * * *\"\n": `warmup[0] (schools): schedule: invalid cron spec "0 25 * * *"`,
		job + "    source: {http: \"http://h/{id}/{page}\"}\n":                        "warmup[0] (schools): source.http: hole {page} has no parameter in params[0]",
		job + "    source: {http: \"file:///etc/{id}\"}\n":                            `warmup[0] (schools): source.http: "file:///etc/{id}" is not an http or https URL`,
		"namespaces:\n  - match: \"s:\"\n    origin: \"gopher://h/{key}\"\n":          `namespaces[0] ("s:"): origin: policy: invalid origin: "gopher://h/{key}" is not an http or https URL`,
	} {
		opts, err := loadConfigText(t, text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		cfg := opts.serverConfig(nil)
		cfg.Dir = t.TempDir()
		if _, err := server.New(cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("server.New = %v, want an error with %q", err, want)
		}
	}
}

// TestReadmeSchoolExample runs README's school-list example against a
// local origin serving its files: its config must load, and its job and
// read-through must work as README shows.
func TestReadmeSchoolExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	block := text[strings.Index(text, "<!-- school-example -->"):strings.Index(text, "<!-- /school-example -->")]
	const open = "cat > /tmp/school/strata.yaml <<'YAML'\n"
	yamlText := block[strings.Index(block, open)+len(open) : strings.Index(block, "\nYAML\n")]
	files := map[string]string{}
	for _, line := range strings.Split(block, "\n") {
		if rest, ok := strings.CutPrefix(line, "printf '%s' '"); ok {
			body, path, _ := strings.Cut(rest, "' > /tmp/school")
			files[path] = body
		}
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, body)
	}))
	defer origin.Close()
	yamlText = strings.ReplaceAll(yamlText, "http://127.0.0.1:8000", origin.URL)
	yamlText = strings.ReplaceAll(yamlText, "/tmp/school/data", t.TempDir())
	opts, err := loadConfigText(t, yamlText)
	if err != nil {
		t.Fatal(err)
	}
	cfg := opts.serverConfig(slog.New(slog.NewTextHandler(io.Discard, nil)))
	cfg.Port = -1
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, DisableIndentity: true})
	defer rdb.Close()
	ctx := context.Background()
	res, err := rdb.Do(ctx, "CACHE.WARMUP", "RUN", "primary-schools").Slice()
	if err != nil || fmt.Sprint(res[:4]) != "[loaded 2 failed 0]" {
		t.Fatalf("RUN = %v, %v", res, err)
	}
	if v := rdb.Get(ctx, "school:list:east:1").Val(); v != files["/api/schools/east-1.json"] {
		t.Errorf("school:list:east:1 = %q", v)
	}
	if ttl := rdb.TTL(ctx, "school:list:east:1").Val(); ttl != 30*time.Minute {
		t.Errorf("TTL = %v", ttl)
	}
	if v := rdb.Get(ctx, "school:1").Val(); v != files["/internal/cache/1"] {
		t.Errorf("read-through school:1 = %q", v)
	}
}
