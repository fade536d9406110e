package server

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/stratakv/strata/cluster"
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
	// RequirePass, when set, is the default user's password: every client
	// must then AUTH first.
	RequirePass string
	// ACLFile is Redis's aclfile: the ACL users, loaded at start (an
	// error stops it) and by ACL LOAD, written by ACL SAVE. Without one,
	// ACL LOAD and SAVE are refused.
	ACLFile string
	// ACLPubSubDefault is acl-pubsub-default: the channels a new user or
	// selector may use, "resetchannels" (none: the default, as in Redis
	// 7.0) or "allchannels".
	ACLPubSubDefault string
	// RenameCommands is rename-command: each command named by a key is
	// served under the value instead, or not at all when it is "".
	RenameCommands map[string]string
	// ProtectedMode is protected-mode, "yes" (the default) or "no": with
	// it on and no password for the default user, clients from outside
	// the loopback interface are told why and closed.
	ProtectedMode string
	// ProtoMaxBulkLen bounds one request argument (default 512mb).
	ProtoMaxBulkLen int64
	// ClientQueryBufferLimit bounds a client's input not yet parsed
	// (client-query-buffer-limit, default 1gb): past it the client is
	// closed.
	ClientQueryBufferLimit int64
	// ClientOutputBufferLimit is Redis's client-output-buffer-limit in
	// its syntax, "class hard soft seconds ..." with class normal, pubsub
	// or replica (default Redis's: normal 0 0 0, pubsub 32mb 8mb 60); the
	// classes it does not name keep their defaults.
	ClientOutputBufferLimit string
	// MaxMemoryClients bounds what all clients' buffers cost together
	// (maxmemory-clients): bytes, or a percentage of MaxMemory ("10%");
	// past it the biggest clients are closed (default "0": no bound).
	MaxMemoryClients string
	// TCPKeepAlive is tcp-keepalive: how long a connection idles before
	// keepalive probes (default 300s; negative: none, Redis's 0).
	TCPKeepAlive time.Duration
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
	// ClusterEnabled serves Redis Cluster's client protocol
	// (cluster-enabled): keys are routed by hash slot through a slot map,
	// only database 0 is used, and keyless cache commands reach every
	// node (see cluster.go).
	ClusterEnabled bool
	// ClusterNodeID is this node's id in the slot map (cluster-node-id);
	// empty, the node is the one at its bind address and port.
	ClusterNodeID string
	// ClusterMap is the slot map to start with; nil, the node serves no
	// slot until one is pushed with CLUSTER.SETMAP. A map the node saved
	// in Dir with a higher version wins over it.
	ClusterMap *cluster.Map
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
	// TLS is the tls-* settings: a TLS listener on TLS.Port, and the
	// certificates it and Server.TLSConfig serve (off by default).
	TLS TLSSettings
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
		Bind:             []string{"127.0.0.1"},
		Port:             6379,
		Dir:              "./data",
		MaxMemoryPolicy:  "noeviction",
		Databases:        16,
		MaxClients:       10000,
		ProtoMaxBulkLen:  resp.DefaultMaxBulk,
		FlushInterval:    time.Second,
		LogLevel:         "notice",
		ProtectedMode:    "yes",
		ACLPubSubDefault: "resetchannels",
		TLS:              TLSSettings{AuthClients: "yes", SessionCaching: "yes"},

		ClientQueryBufferLimit:  resp.DefaultQueryBufferLimit,
		ClientOutputBufferLimit: defaultOutputBufferLimit,
		MaxMemoryClients:        "0",
		TCPKeepAlive:            300 * time.Second,
		EnableDebugCommand:      "no",
	}
}

// withDefaults returns c with every unset (zero) field at its default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if len(c.Bind) == 0 {
		c.Bind = d.Bind
	}
	c.Port = cmp.Or(c.Port, d.Port)
	c.Dir = cmp.Or(c.Dir, d.Dir)
	c.MaxMemoryPolicy = cmp.Or(c.MaxMemoryPolicy, d.MaxMemoryPolicy)
	c.Databases = cmp.Or(c.Databases, d.Databases)
	c.MaxClients = cmp.Or(c.MaxClients, d.MaxClients)
	c.ProtoMaxBulkLen = cmp.Or(c.ProtoMaxBulkLen, d.ProtoMaxBulkLen)
	c.ClientQueryBufferLimit = cmp.Or(c.ClientQueryBufferLimit, d.ClientQueryBufferLimit)
	c.ClientOutputBufferLimit = cmp.Or(c.ClientOutputBufferLimit, d.ClientOutputBufferLimit)
	c.MaxMemoryClients = cmp.Or(c.MaxMemoryClients, d.MaxMemoryClients)
	c.TCPKeepAlive = cmp.Or(c.TCPKeepAlive, d.TCPKeepAlive)
	c.FlushInterval = cmp.Or(c.FlushInterval, d.FlushInterval)
	c.EnableDebugCommand = cmp.Or(c.EnableDebugCommand, d.EnableDebugCommand)
	c.LogLevel = cmp.Or(c.LogLevel, d.LogLevel)
	c.ProtectedMode = cmp.Or(c.ProtectedMode, d.ProtectedMode)
	c.ACLPubSubDefault = cmp.Or(c.ACLPubSubDefault, d.ACLPubSubDefault)
	c.TLS = c.TLS.withDefaults()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
