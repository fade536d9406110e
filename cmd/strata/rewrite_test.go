package main

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/stratakv/strata/server"
)

const rewriteFile = `# strata.yaml: comments survive CONFIG REWRITE
port: 6379
maxmemory: 256mb   # bound for keys
timeout: 5m

# cache rules CONFIG does not know
namespaces:
  - match: "product:*"   # products
    ttl: 5m
events:
  product_updated: ["product:{id}:*"]
`

// TestConfigRewrite: CONFIG REWRITE writes CONFIG SET's changes into the
// YAML file the server started with, keeping comments and the sections
// CONFIG does not know, and the file loads back with the new values.
func TestConfigRewrite(t *testing.T) {
	path := writeFile(t, "strata.yaml", rewriteFile)
	opts, err := parseArgs([]string{"--config", path, "--dir", t.TempDir()}, io.Discard)
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
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DisableIndentity: true})
	defer rdb.Close()
	ctx := t.Context()
	for _, kv := range [][2]string{{"maxmemory", "1gb"}, {"requirepass", "p: 123"}, {"maxclients", "50"}, {"appendonly", "yes"}} {
		if err := rdb.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatalf("CONFIG SET %s: %v", kv[0], err)
		}
	}
	rdb = redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: "p: 123", DisableIndentity: true})
	defer rdb.Close()
	if err := rdb.Do(ctx, "CONFIG", "REWRITE").Err(); err != nil {
		t.Fatalf("CONFIG REWRITE: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"# strata.yaml: comments survive CONFIG REWRITE\n", "maxmemory: 1073741824", "# bound for keys",
		"timeout: 5m\n", "# cache rules CONFIG does not know", `- match: "product:*"`, "# products", `product_updated: ["product:{id}:*"]`,
		`requirepass: "p: 123"`, "maxclients: 50"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rewritten file lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "appendonly") {
		t.Errorf("the rewritten file has appendonly, which it cannot load:\n%s", text)
	}
	back, err := parseArgs([]string{"--config", path}, io.Discard)
	if err != nil {
		t.Fatalf("the rewritten file does not load: %v\n%s", err, text)
	}
	if back.MaxMemory != 1<<30 || back.RequirePass != "p: 123" || back.MaxClients != 50 || back.Namespaces == nil || back.Events == nil {
		t.Errorf("loaded back: %+v", back.config)
	}
	if info := rdb.Info(ctx, "server").Val(); !strings.Contains(info, "config_file:"+cfg.ConfigFile+"\r\n") {
		t.Errorf("INFO config_file is not %s", cfg.ConfigFile)
	}
}
