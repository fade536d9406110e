package main

import (
	"testing"

	"github.com/stratakv/strata/policy"
)

// FuzzConfig feeds the config loader with arbitrary YAML: it is loaded
// or refused with an error, never a panic, and what it accepts maps to a
// server.Config whose namespaces and events the server would take or
// refuse with an error too.
func FuzzConfig(f *testing.F) {
	f.Add([]byte(goodFile))
	f.Add([]byte("maxmemory: 100mb\ntimeout: 5m\nmax-disk-size: 1gb\nflush-interval: 250ms\n"))
	f.Add([]byte(`namespaces:
  - match: "product:*"
    strategy: write_through
    ttl: 5m
    jitter: 0.2
    compress: {min_size: 1kb, level: best}
  - match: "image_task:*"
    strategy: write_back
    disk_evict: true
    ttl_by_field: {field: status, ttl: {processing: 5m, success: 1h}, default: 5m}
events:
  product_updated: ["product:{product_id}:*", "inventory:*:{product_id}:*"]
index_prefixes: ["product:"]
`))
	f.Add([]byte("client-output-buffer-limit: \"normal 1mb 512kb 10 pubsub 32mb 8mb 60\"\nmaxmemory-clients: 5%\ntcp-keepalive: 0\n"))
	f.Add([]byte("port: [1, 2]\n- x\n&a b: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := defaultConfig()
		if err := c.load(data, "strata.yaml"); err != nil {
			return
		}
		if err := c.validate(); err != nil {
			return
		}
		cfg := c.serverConfig(nil)
		if _, err := policy.New(cfg.Namespaces); err != nil {
			return
		}
		policy.ParseEvents(cfg.Events)
	})
}
