package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/server"
)

func loadConfigText(t *testing.T, text string) (*options, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "strata.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return parseArgs([]string{"--config", path}, io.Discard)
}

func TestNamespacesSection(t *testing.T) {
	opts, err := loadConfigText(t, `
flush-interval: 250ms
max-disk-size: 1gb
namespaces:
  - match: "product:*"
    strategy: write_through
    ttl: 5m
    jitter: 0.2
    compress: {min_size: 1kb, level: best}
  - match: "image_task:*"
    name: tasks
    strategy: write_back
    ttl_by_field: {field: status, ttl: {processing: 5m, success: 1h, failed: 30m}, default: 5m}
  - match: "inventory:"
    ttl: 1m
    max_ttl: 2m
    jitter_client_ttl: false
    local_cache: false
    compress: off
`)
	if err != nil {
		t.Fatal(err)
	}
	cfg := opts.serverConfig(nil)
	if cfg.FlushInterval != 250*time.Millisecond || cfg.MaxDiskSize != 1<<30 {
		t.Errorf("flush-interval %v max-disk-size %d", cfg.FlushInterval, cfg.MaxDiskSize)
	}
	want := []policy.Namespace{
		{Match: "product:*", Strategy: policy.WriteThrough, TTL: 5 * time.Minute, Jitter: 0.2,
			Compress: &policy.Compress{MinSize: 1024, Level: policy.LevelBest}},
		{Name: "tasks", Match: "image_task:*", Strategy: policy.WriteBack, TTLByField: &policy.FieldTTL{
			Field: "status", Default: 5 * time.Minute,
			TTL: map[string]time.Duration{"processing": 5 * time.Minute, "success": time.Hour, "failed": 30 * time.Minute}}},
		{Match: "inventory:", TTL: time.Minute, MaxTTL: 2 * time.Minute, NoClientJitter: true, NoLocalCache: true},
	}
	if !reflect.DeepEqual(cfg.Namespaces, want) {
		t.Errorf("namespaces:\n got %+v\nwant %+v", cfg.Namespaces, want)
	}
}

func TestNamespacesSectionErrors(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown strategy", "namespaces:\n  - match: a\n    strategy: write_thru\n", `namespaces[0].strategy: policy: unknown strategy "write_thru"`},
		{"negative ttl", "namespaces:\n  - match: a\n    ttl: -5s\n", "namespaces[0].ttl"},
		{"unknown key", "namespaces:\n  - match: a\n    tll: 5s\n", `unknown setting "namespaces[0].tll"`},
		{"bad compress", "namespaces:\n  - match: a\n    compress: {min_size: 1kb, lvl: 3}\n", "namespaces[0].compress"},
		{"bad level", "namespaces:\n  - match: a\n    compress: {level: max}\n", "unknown compression level"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfigText(t, tc.yaml)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
		})
	}
	// What the decoder cannot see, server.New refuses, naming the namespace.
	for _, text := range []string{
		"namespaces:\n  - match: a\n    jitter: 1.5\n",
		"namespaces:\n  - match: a\n  - match: a*\n",
	} {
		opts, err := loadConfigText(t, text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		cfg := opts.serverConfig(nil)
		cfg.Dir = t.TempDir()
		if _, err := server.New(cfg); err == nil || !strings.Contains(err.Error(), "namespaces[") {
			t.Errorf("%q: server.New: %v", text, err)
		}
	}
}

// TestStartupRefusesSurprises: a TTL above max_ttl and an event template
// that matches every key stop start-up with one line naming them.
func TestStartupRefusesSurprises(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"namespaces:\n  - match: \"session:*\"\n    ttl: 2h\n    max_ttl: 1h\n",
			`strata: server: namespaces[0] ("session:*"): ttl: policy: TTL above max_ttl: 2h0m0s is above max_ttl 1h0m0s`},
		{"events:\n  wipe: [\"*\"]\n",
			`strata: server: events: policy: invalid event template: event "wipe", template "*": it has no literal prefix, so it would match every key`},
	} {
		file := writeFile(t, "strata.yaml", tc.yaml)
		var stdout, stderr bytes.Buffer
		if code := run([]string{"--config", file, "--dir", t.TempDir(), "--port", "1"}, &stdout, &stderr); code != 1 ||
			!strings.HasPrefix(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want 1 and a line starting %q", tc.yaml, code, stderr.String(), tc.want)
		}
	}
}
