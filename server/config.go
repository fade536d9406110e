package server

import (
	"log/slog"
	"time"

	"github.com/stratakv/strata/internal/resp"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/scheduler"
)

// Version is Strata's own version, reported by --version and in INFO.
const Version = "0.1.0"

// RedisVersion is the Redis version Strata answers to in HELLO and INFO's
// redis_version: clients enable features by it, and Strata follows 7.0.
const RedisVersion = "7.0.15"

// Config is everything a Server needs. Names follow redis.conf where Redis
// has the setting; the zero value of each field means its default.
type Config struct {
	// Bind lists the addresses to listen on (default 127.0.0.1).
	Bind []string
	// Port is the TCP port (default 6379; -1 picks a free port, for tests).
	Port int
	// Dir is where files are kept (default ./data).
	Dir string
	// MaxMemory bounds the bytes keys may cost (0: no bound).
	MaxMemory int64
	// MaxMemoryPolicy is Redis's maxmemory-policy (default noeviction).
	MaxMemoryPolicy string
	// Databases is the number of databases (default 16).
	Databases int
	// Timeout closes a client idle that long (0: never).
	Timeout time.Duration
	// MaxClients bounds connected clients (default 10000).
	MaxClients int
	// RequirePass, when set, makes every client AUTH first.
	RequirePass string
	// ProtoMaxBulkLen bounds one request argument (default 512mb).
	ProtoMaxBulkLen int64
	// NotifyKeyspaceEvents is Redis's notify-keyspace-events flags.
	NotifyKeyspaceEvents string
	// Events maps an event name to the key templates CACHE.INVALIDATE
	// EVENT removes: glob patterns with {field} holes filled from the
	// command's arguments (see policy.ParseEvents).
	Events map[string][]string
	// IndexPrefixes are key prefixes whose keys are kept in an ordered
	// index, so that CACHE.INVALIDATE PATTERN under them reads a range
	// instead of scanning the keyspace. The events' literal prefixes are
	// indexed too; keys under no indexed prefix cost nothing.
	IndexPrefixes []string
	// Namespaces are the cache rules by key pattern: strategy, TTLs,
	// jitter, compression (see package policy). Without them every key is
	// cache_aside: kept in memory only, as Redis with persistence off.
	Namespaces []policy.Namespace
	// Warmup are the warm-up jobs: scheduled loads of keys from HTTP
	// origins and files (see package scheduler).
	Warmup []scheduler.Job
	// FlushInterval is how often writes of write_back keys reach the disk
	// tier (default 1s): the most of them a crash can lose.
	FlushInterval time.Duration
	// MaxDiskSize bounds the disk tier's live data (max-disk-size);
	// beyond it the least recently used persisted keys are evicted from
	// both tiers (0: no bound).
	MaxDiskSize int64
	// EnableDebugCommand is Redis's enable-debug-command: no (default),
	// yes, or local (from loopback connections only).
	EnableDebugCommand string
	// ConfigFile is the path of the config file the server was started
	// with, absolute, for INFO's config_file ("" for none).
	ConfigFile string
	// RewriteConfig writes CONFIG REWRITE's changes into that file: the
	// CONFIG parameters changed since start-up by name, with their values
	// as CONFIG GET shows them. Nil: CONFIG REWRITE answers that there is
	// no config file, as Redis does.
	RewriteConfig func(changed map[string]string) error
	// AdminAddr is the host:port of the admin HTTP listener: /metrics,
	// /healthz, /readyz and the dashboard (admin.go). Empty: none.
	AdminAddr string
	// LogLevel is debug, verbose, notice or warning (default notice).
	LogLevel string
	// Logger receives the server's logs (default: slog.Default()).
	Logger *slog.Logger
	// Clock returns unix milliseconds; tests inject one (default: wall clock).
	Clock func() int64
}

// DefaultConfig returns the settings a server has where its Config leaves
// a field at its zero value: 127.0.0.1:6379, data in ./data, no memory
// bound, and redis-server's own defaults otherwise. This is the one place
// they are defined; cmd/strata's flags and --help show them.
func DefaultConfig() Config {
	return Config{
		Bind:               []string{"127.0.0.1"},
		Port:               6379,
		Dir:                "./data",
		MaxMemoryPolicy:    "noeviction",
		Databases:          16,
		MaxClients:         10000,
		ProtoMaxBulkLen:    resp.DefaultMaxBulk,
		FlushInterval:      time.Second,
		LogLevel:           "notice",
		EnableDebugCommand: "no",
	}
}

// withDefaults returns c with every unset field at its default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if len(c.Bind) == 0 {
		c.Bind = d.Bind
	}
	if c.Port == 0 {
		c.Port = d.Port
	}
	if c.Dir == "" {
		c.Dir = d.Dir
	}
	if c.MaxMemoryPolicy == "" {
		c.MaxMemoryPolicy = d.MaxMemoryPolicy
	}
	if c.Databases == 0 {
		c.Databases = d.Databases
	}
	if c.MaxClients == 0 {
		c.MaxClients = d.MaxClients
	}
	if c.ProtoMaxBulkLen == 0 {
		c.ProtoMaxBulkLen = d.ProtoMaxBulkLen
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = d.FlushInterval
	}
	if c.EnableDebugCommand == "" {
		c.EnableDebugCommand = d.EnableDebugCommand
	}
	if c.LogLevel == "" {
		c.LogLevel = d.LogLevel
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
