package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/internal/units"
	"github.com/stratakv/strata/server"
)

// config is strata.yaml. Keys are Redis's setting names wherever Redis has
// the setting; each top-level scalar field is also a flag of the same name
// (its usage tag is the flag's help), so `--maxmemory 100mb` and
// `maxmemory: 100mb` are one setting. Values from flags override the file.
//
// A new YAML section is one field here (with its yaml tag) and one line in
// serverConfig: decoding, unknown-key checks and error messages come from
// decoder.
type config struct {
	Port            int            `yaml:"port" usage:"TCP port to listen on"`
	Bind            string         `yaml:"bind" usage:"space-separated addresses to listen on (\"*\" for all)"`
	Dir             string         `yaml:"dir" usage:"directory for data files"`
	MaxMemory       units.Size     `yaml:"maxmemory" usage:"memory bound for keys, e.g. 100mb (0: none)"`
	MaxMemoryPolicy string         `yaml:"maxmemory-policy" usage:"noeviction, allkeys-lru, allkeys-lfu, allkeys-2q, allkeys-tinylfu, volatile-lru, allkeys-random, volatile-ttl, ..."`
	RequirePass     string         `yaml:"requirepass" usage:"password clients must AUTH with (empty: none)"`
	Databases       int            `yaml:"databases" usage:"number of databases"`
	Timeout         units.Duration `yaml:"timeout" usage:"close clients idle this long, seconds or 5m (0: never)"`
	MaxClients      int            `yaml:"maxclients" usage:"most clients connected at once"`
	ProtoMaxBulkLen units.Size     `yaml:"proto-max-bulk-len" usage:"largest request argument, e.g. 512mb"`

	ClientQueryBufferLimit  units.Size     `yaml:"client-query-buffer-limit" usage:"close a client whose unparsed input passes this, e.g. 1gb"`
	ClientOutputBufferLimit string         `yaml:"client-output-buffer-limit" usage:"class hard soft seconds ..., classes normal and pubsub, as Redis"`
	MaxMemoryClients        string         `yaml:"maxmemory-clients" usage:"bound on all clients' buffers, e.g. 64mb or 5% of maxmemory (0: none)"`
	TCPKeepAlive            units.Duration `yaml:"tcp-keepalive" usage:"idle time before TCP keepalive probes, seconds or 5m (0: none)"`

	NotifyKeyspaceEvents string         `yaml:"notify-keyspace-events" usage:"keyspace notification classes, as Redis (e.g. KEA)"`
	LogLevel             string         `yaml:"loglevel" usage:"debug, verbose, notice or warning"`
	FlushInterval        units.Duration `yaml:"flush-interval" usage:"how often write_back keys are written to disk, e.g. 1s"`
	MaxDiskSize          units.Size     `yaml:"max-disk-size" usage:"bound on the disk tier's live data, e.g. 10gb (0: none)"`
	EnableDebugCommand   string         `yaml:"enable-debug-command" usage:"who may run DEBUG: no, yes or local (loopback clients)"`
	ClusterEnabled       yesNo          `yaml:"cluster-enabled" usage:"serve Redis Cluster's protocol on a slot map (yes or no)"`
	ClusterNodeID        string         `yaml:"cluster-node-id" usage:"this node's id in the slot map (empty: the node at its bind address and port)"`
	ACLFile              string         `yaml:"aclfile" usage:"ACL users file: loaded at start and by ACL LOAD, written by ACL SAVE"`
	ACLPubSubDefault     string         `yaml:"acl-pubsub-default" usage:"channels of new ACL users: resetchannels or allchannels"`
	ProtectedMode        string         `yaml:"protected-mode" usage:"yes or no: refuse clients from outside loopback while the default user has no password"`
	TLSPort              int            `yaml:"tls-port" usage:"TLS port to listen on (0: none)"`
	TLSCertFile          string         `yaml:"tls-cert-file" usage:"server certificate chain, PEM"`
	TLSKeyFile           string         `yaml:"tls-key-file" usage:"server private key, PEM, unencrypted"`
	TLSCACertFile        string         `yaml:"tls-ca-cert-file" usage:"CA certificates client certificates are checked against, PEM"`
	TLSCACertDir         string         `yaml:"tls-ca-cert-dir" usage:"directory of CA certificates, PEM"`
	TLSAuthClients       string         `yaml:"tls-auth-clients" usage:"yes, optional or no: whether TLS clients must present a certificate"`
	TLSProtocols         string         `yaml:"tls-protocols" usage:"TLS versions accepted, e.g. \"TLSv1.2 TLSv1.3\""`
	TLSCiphers           string         `yaml:"tls-ciphers" usage:"TLS 1.2 cipher suites allowed, colon-separated"`
	TLSCipherSuites      string         `yaml:"tls-ciphersuites" usage:"TLS 1.3 cipher suites allowed, colon-separated"`
	TLSSessionCaching    string         `yaml:"tls-session-caching" usage:"yes or no: TLS session resumption"`
	AdminAddr            string         `yaml:"admin-addr" usage:"host:port of the admin HTTP listener: /metrics, /healthz, /readyz, the dashboard (empty: off)"`

	// RenameCommands is rename-command: command name to its new name, ""
	// to remove it (rename-command: {FLUSHALL: "", CONFIG: cfg-8f2a}).
	// File only.
	RenameCommands *map[string]string `yaml:"rename-command"`

	// Namespaces are the cache rules (namespaces.go): file only. A pointer
	// keeps config comparable.
	Namespaces *[]namespaceConfig `yaml:"namespaces"`
	// Events map an event name to the key templates CACHE.INVALIDATE
	// EVENT removes, e.g. product_updated: ["product:{product_id}:*"];
	// IndexPrefixes are key prefixes kept in an ordered index so that
	// CACHE.INVALIDATE PATTERN under them needs no keyspace scan. File
	// only.
	Events        *map[string][]string `yaml:"events"`
	IndexPrefixes *[]string            `yaml:"index_prefixes"`
	// Cluster is the slot map a cluster node starts with
	// (cluster_config.go): file only.
	Cluster *clusterConfig `yaml:"cluster"`
	// Warmup are the warm-up jobs (warmup.go): file only.
	Warmup *[]warmupConfig `yaml:"warmup"`
}

// defaultConfig is the server's defaults (server.DefaultConfig) as
// settings: what Strata serves with given no file and no flag.
func defaultConfig() config {
	d := server.DefaultConfig()
	return config{
		Port:              d.Port,
		Bind:              strings.Join(d.Bind, " "),
		Dir:               d.Dir,
		MaxMemoryPolicy:   d.MaxMemoryPolicy,
		Databases:         d.Databases,
		MaxClients:        d.MaxClients,
		ProtoMaxBulkLen:   units.Size(d.ProtoMaxBulkLen),
		LogLevel:          d.LogLevel,
		FlushInterval:     units.Duration(d.FlushInterval),
		ACLPubSubDefault:  d.ACLPubSubDefault,
		ProtectedMode:     d.ProtectedMode,
		TLSAuthClients:    d.TLS.AuthClients,
		TLSSessionCaching: d.TLS.SessionCaching,

		ClientQueryBufferLimit:  units.Size(d.ClientQueryBufferLimit),
		ClientOutputBufferLimit: d.ClientOutputBufferLimit,
		MaxMemoryClients:        d.MaxMemoryClients,
		TCPKeepAlive:            units.Duration(d.TCPKeepAlive),
		EnableDebugCommand:      d.EnableDebugCommand,
	}
}

// options is what the command line asks for.
type options struct {
	config
	// file is the --config path, "" if none.
	file string
	// version asks to print the version and exit.
	version bool
}

// parseArgs reads the command line (without the program name): defaults,
// then the --config file, then the other flags over it. Errors name the
// setting and the bad value. On --help it writes the usage to usageOut and
// returns flag.ErrHelp.
func parseArgs(args []string, usageOut io.Writer) (*options, error) {
	opts := &options{config: defaultConfig()}
	fs := flag.NewFlagSet("strata", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a bad flag is reported by the caller, in one line
	fs.StringVar(&opts.file, "config", "", "YAML config file (strata.yaml)")
	fs.BoolVar(&opts.version, "version", false, "print the version and exit")
	set := map[string]*string{} // setting name -> raw flag text, once given
	cv := reflect.ValueOf(&opts.config).Elem()
	for i := 0; i < cv.NumField(); i++ {
		f := cv.Type().Field(i)
		usage, ok := f.Tag.Lookup("usage")
		if !ok {
			continue // a section: file only
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		def := fmt.Sprint(cv.Field(i).Interface())
		if size, ok := cv.Field(i).Interface().(units.Size); ok {
			def = size.Human() // 512mb, not 536870912
		}
		if def != "" {
			usage += " (default " + def + ")"
		}
		fs.Func(name, usage, func(s string) error {
			set[name] = &s
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(usageOut, "Usage: strata [--config strata.yaml] [--setting value ...]\n"+
				"       strata cluster push|show|move ...   (a cluster's slot map: run strata cluster)\n\n"+
				"Settings are redis-server's; given as flags they override the config file.\n\n")
			fs.SetOutput(usageOut)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (settings are flags: --port 7000)", fs.Arg(0))
	}
	if opts.version {
		return opts, nil
	}
	if opts.file != "" {
		data, err := os.ReadFile(opts.file)
		if err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
		if err := opts.config.load(data, opts.file); err != nil {
			return nil, err
		}
	}
	// Flags apply in a fixed order (the struct's), whatever their order on
	// the command line, so errors are reproducible.
	var d decoder
	for i := 0; i < cv.NumField(); i++ {
		name, _, _ := strings.Cut(cv.Type().Field(i).Tag.Get("yaml"), ",")
		raw, ok := set[name]
		if !ok {
			continue
		}
		if err := d.decode(flagNode(*raw, cv.Field(i).Kind() == reflect.String), cv.Field(i), name); err != nil {
			return nil, err
		}
	}
	if err := opts.config.validate(); err != nil {
		return nil, err
	}
	return opts, nil
}

// flagNode reads a flag's text as the YAML scalar it would be in the
// file, so that flags and the file decode alike: "7000" an integer,
// "100mb" a string. The text of a string setting, or text that is not one
// scalar, is a string whatever it looks like (--requirepass 123).
func flagNode(raw string, str bool) ast.Node {
	if !str {
		if _, body, err := parseYAML([]byte(raw), ""); err == nil && body != nil && isScalar(body) {
			return body
		}
	}
	_, body, _ := parseYAML([]byte(strconv.Quote(raw)), "")
	return body
}

// load decodes a YAML document over c; file names it in errors. An empty
// document changes nothing.
func (c *config) load(data []byte, file string) error {
	_, body, err := parseYAML(data, file)
	if err != nil || body == nil {
		return err
	}
	d := decoder{file: file}
	return d.decode(body, reflect.ValueOf(c).Elem(), "")
}

// logLevels maps Redis's loglevel names to slog levels; verbose sits
// between debug and notice as in Redis.
var logLevels = map[string]slog.Level{
	"debug":   slog.LevelDebug,
	"verbose": slog.LevelDebug + 2,
	"notice":  slog.LevelInfo,
	"warning": slog.LevelWarn,
}

// validate checks what decoding cannot: ranges and names. The eviction
// policy is left to server.New, which owns the list.
func (c *config) validate() error {
	if c.Port < 1 || c.Port > 65535 {
		return fmt.Errorf("port: invalid value %d: want 1 to 65535", c.Port)
	}
	if len(strings.Fields(c.Bind)) == 0 {
		return errors.New("bind: no address given")
	}
	for _, a := range strings.Fields(c.Bind) {
		if a != "*" && net.ParseIP(a) == nil {
			return fmt.Errorf("bind: invalid address %q: want an IP address or *", a)
		}
	}
	if c.Databases < 1 {
		return fmt.Errorf("databases: invalid value %d: want at least 1", c.Databases)
	}
	if c.MaxClients < 1 {
		return fmt.Errorf("maxclients: invalid value %d: want at least 1", c.MaxClients)
	}
	if c.ProtoMaxBulkLen < 1<<20 {
		return fmt.Errorf("proto-max-bulk-len: invalid value %d: want at least 1mb", c.ProtoMaxBulkLen)
	}
	if c.ClientQueryBufferLimit < 1<<20 {
		return fmt.Errorf("client-query-buffer-limit: invalid value %d: want at least 1mb", c.ClientQueryBufferLimit)
	}
	if c.TCPKeepAlive < 0 {
		return fmt.Errorf("tcp-keepalive: invalid value %v: want 0 or more", c.TCPKeepAlive.Std())
	}
	if _, ok := logLevels[strings.ToLower(c.LogLevel)]; !ok {
		return fmt.Errorf("loglevel: invalid value %q: want debug, verbose, notice or warning", c.LogLevel)
	}
	if c.ProtectedMode != "yes" && c.ProtectedMode != "no" {
		return fmt.Errorf("protected-mode: invalid value %q: want yes or no", c.ProtectedMode)
	}
	if c.TLSPort < 0 || c.TLSPort > 65535 {
		return fmt.Errorf("tls-port: invalid value %d: want 0 to 65535", c.TLSPort)
	}
	if c.ACLPubSubDefault != "resetchannels" && c.ACLPubSubDefault != "allchannels" {
		return fmt.Errorf("acl-pubsub-default: invalid value %q: want resetchannels or allchannels", c.ACLPubSubDefault)
	}
	if c.Cluster != nil {
		if !c.ClusterEnabled {
			return errors.New("cluster: a slot map needs cluster-enabled yes")
		}
		if _, err := c.Cluster.slotMap(); err != nil {
			return err
		}
	}
	return nil
}

// serverConfig maps the settings to server.Config, logging to log.
func (c *config) serverConfig(log *slog.Logger) server.Config {
	bind := strings.Fields(c.Bind)
	for i, a := range bind {
		if a == "*" {
			bind[i] = "0.0.0.0"
		}
	}
	return server.Config{
		Bind:            bind,
		Port:            c.Port,
		Dir:             c.Dir,
		MaxMemory:       int64(c.MaxMemory),
		MaxMemoryPolicy: c.MaxMemoryPolicy,
		Databases:       c.Databases,
		Timeout:         c.Timeout.Std(),
		MaxClients:      c.MaxClients,
		RequirePass:     c.RequirePass,
		ProtoMaxBulkLen: int64(c.ProtoMaxBulkLen),

		ClientQueryBufferLimit:  int64(c.ClientQueryBufferLimit),
		ClientOutputBufferLimit: c.ClientOutputBufferLimit,
		MaxMemoryClients:        c.MaxMemoryClients,
		TCPKeepAlive:            keepAlive(c.TCPKeepAlive.Std()),
		NotifyKeyspaceEvents:    c.NotifyKeyspaceEvents,
		LogLevel:                strings.ToLower(c.LogLevel),
		Logger:                  log,
		FlushInterval:           c.FlushInterval.Std(),
		MaxDiskSize:             int64(c.MaxDiskSize),
		AdminAddr:               c.AdminAddr,
		Namespaces:              namespaces(c.Namespaces),
		Events:                  deref(c.Events),
		IndexPrefixes:           deref(c.IndexPrefixes),
		ClusterEnabled:          bool(c.ClusterEnabled),
		ClusterNodeID:           c.ClusterNodeID,
		ClusterMap:              c.clusterMap(),
		ACLFile:                 c.ACLFile,
		ACLPubSubDefault:        c.ACLPubSubDefault,
		ProtectedMode:           c.ProtectedMode,
		RenameCommands:          deref(c.RenameCommands),
		EnableDebugCommand:      strings.ToLower(c.EnableDebugCommand),
		TLS: server.TLSSettings{
			Port: c.TLSPort, CertFile: c.TLSCertFile, KeyFile: c.TLSKeyFile,
			CACertFile: c.TLSCACertFile, CACertDir: c.TLSCACertDir, AuthClients: c.TLSAuthClients,
			Protocols: c.TLSProtocols, Ciphers: c.TLSCiphers, CipherSuites: c.TLSCipherSuites,
			SessionCaching: c.TLSSessionCaching,
		},
		Warmup: warmupJobs(c.Warmup),
	}
}

// clusterMap is the cluster section's map, nil without one; validate has
// checked that it parses.
func (c *config) clusterMap() *cluster.Map {
	if c.Cluster == nil {
		return nil
	}
	m, _ := c.Cluster.slotMap()
	return m
}

// keepAlive maps tcp-keepalive to server.Config, where 0 is the default
// and a negative value, Redis's 0, turns probes off.
func keepAlive(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// serverConfig is config.serverConfig with the config file, when there is
// one: its absolute path for INFO, and its CONFIG REWRITE writer.
func (o *options) serverConfig(log *slog.Logger) server.Config {
	cfg := o.config.serverConfig(log)
	if o.file != "" {
		cfg.ConfigFile, _ = filepath.Abs(o.file)
		cfg.RewriteConfig = rewriter(o.file)
	}
	return cfg
}

// newLogger returns a text logger at the Redis loglevel, naming levels as
// Redis does (notice, warning) in its output. level must be valid.
func newLogger(w io.Writer, level string) *slog.Logger {
	names := map[slog.Level]string{}
	for name, l := range logLevels {
		names[l] = name
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: logLevels[strings.ToLower(level)],
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if l, ok := a.Value.Any().(slog.Level); ok && len(groups) == 0 && a.Key == slog.LevelKey {
				if name, ok := names[l]; ok {
					a.Value = slog.StringValue(name)
				}
			}
			return a
		},
	}))
}

// deref returns *p, the zero value for nil: file-only sections are
// pointers so that config stays comparable.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
