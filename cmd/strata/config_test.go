package main

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/internal/units"
	"github.com/stratakv/strata/server"
)

// writeFile writes content to a file in a fresh temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const goodFile = `# a full strata.yaml
port: 7000
bind: "127.0.0.1 ::1"
dir: /var/lib/strata
maxmemory: 256mb
maxmemory-policy: allkeys-lru
requirepass: secret
databases: 4
timeout: 5m
maxclients: 100
proto-max-bulk-len: 1gb
client-query-buffer-limit: 2gb
client-output-buffer-limit: "normal 64mb 16mb 60 pubsub 16mb 4mb 30"
maxmemory-clients: 5%
tcp-keepalive: 60
notify-keyspace-events: KEA
loglevel: warning
`

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name string
		file string // config file content; "" for no --config
		args []string
		// want edits the defaults into the expected config.
		want    func(c *config)
		wantErr string // substring of the error; "" for success
	}{
		{
			name: "defaults with no file",
			want: func(c *config) {},
		},
		{
			name: "good file",
			file: goodFile,
			want: func(c *config) {
				*c = config{
					Port: 7000, Bind: "127.0.0.1 ::1", Dir: "/var/lib/strata", MaxMemory: 256 << 20,
					MaxMemoryPolicy: "allkeys-lru", RequirePass: "secret", Databases: 4,
					Timeout: units.Duration(5 * time.Minute), MaxClients: 100, ProtoMaxBulkLen: 1 << 30,
					NotifyKeyspaceEvents: "KEA", LogLevel: "warning", FlushInterval: units.Duration(time.Second), EnableDebugCommand: "no",
					ACLPubSubDefault: "resetchannels", ProtectedMode: "yes", TLSAuthClients: "yes", TLSSessionCaching: "yes",
					ClientQueryBufferLimit: 2 << 30, ClientOutputBufferLimit: "normal 64mb 16mb 60 pubsub 16mb 4mb 30",
					MaxMemoryClients: "5%", TCPKeepAlive: units.Duration(time.Minute),
				}
			},
		},
		{
			name: "empty file keeps defaults",
			file: "# nothing\n",
			want: func(c *config) {},
		},
		{
			name: "flags as redis-server spells them",
			args: []string{"--port", "7001", "--dir", "/tmp/s", "--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru",
				"--requirepass", "123", "--bind", "127.0.0.1", "--databases", "2", "--timeout", "0", "--maxclients", "10", "--loglevel", "debug"},
			want: func(c *config) {
				c.Port, c.Dir, c.MaxMemory, c.MaxMemoryPolicy = 7001, "/tmp/s", 100<<20, "allkeys-lru"
				c.RequirePass, c.Databases, c.MaxClients, c.LogLevel = "123", 2, 10, "debug"
			},
		},
		{
			name: "flag overrides file",
			file: goodFile,
			args: []string{"--port=7002", "--maxmemory", "1gb", "--timeout", "30"},
			want: func(c *config) {
				*c = config{
					Port: 7002, Bind: "127.0.0.1 ::1", Dir: "/var/lib/strata", MaxMemory: 1 << 30,
					MaxMemoryPolicy: "allkeys-lru", RequirePass: "secret", Databases: 4,
					Timeout: units.Duration(30 * time.Second), MaxClients: 100, ProtoMaxBulkLen: 1 << 30,
					NotifyKeyspaceEvents: "KEA", LogLevel: "warning", FlushInterval: units.Duration(time.Second), EnableDebugCommand: "no",
					ACLPubSubDefault: "resetchannels", ProtectedMode: "yes", TLSAuthClients: "yes", TLSSessionCaching: "yes",
					ClientQueryBufferLimit: 2 << 30, ClientOutputBufferLimit: "normal 64mb 16mb 60 pubsub 16mb 4mb 30",
					MaxMemoryClients: "5%", TCPKeepAlive: units.Duration(time.Minute),
				}
			},
		},
		{
			name: "security settings",
			file: "aclfile: /etc/strata/users.acl\nprotected-mode: no\n",
			args: []string{"--acl-pubsub-default", "allchannels"},
			want: func(c *config) {
				c.ACLFile, c.ProtectedMode, c.ACLPubSubDefault = "/etc/strata/users.acl", "no", "allchannels"
			},
		},
		{
			name: "tls settings",
			file: "tls-port: 6380\ntls-cert-file: /etc/strata/server.pem\ntls-key-file: /etc/strata/server.key\n",
			args: []string{"--tls-auth-clients", "optional", "--tls-protocols", "TLSv1.3"},
			want: func(c *config) {
				c.TLSPort, c.TLSCertFile, c.TLSKeyFile = 6380, "/etc/strata/server.pem", "/etc/strata/server.key"
				c.TLSAuthClients, c.TLSProtocols = "optional", "TLSv1.3"
			},
		},
		{
			name: "password that YAML would read as a number or null",
			args: []string{"--requirepass", "~"},
			want: func(c *config) { c.RequirePass = "~" },
		},
		{name: "unknown key", file: "port: 7000\nmaxmemory_policy: allkeys-lru\n", wantErr: `:2: unknown setting "maxmemory_policy"`},
		{name: "key twice", file: "port: 7000\nport: 7001\n", wantErr: `strata.yaml:2: mapping key "port" already defined`},
		{name: "bad size in file", file: "maxmemory: 12xb\n", wantErr: `:1: maxmemory: units: invalid size "12xb"`},
		{name: "bad size flag", args: []string{"--maxmemory", "1.5gb"}, wantErr: `--maxmemory: units: invalid size "1.5gb"`},
		{name: "bad duration", file: "timeout: soon\n", wantErr: `timeout: units: invalid duration "soon"`},
		{name: "not an integer", file: "port: abc\n", wantErr: `:1: port: invalid value "abc": want an integer`},
		{name: "list for a scalar", file: "port: [1, 2]\n", wantErr: `port: want an integer, got a list`},
		{name: "not a mapping", file: "- port\n", wantErr: "want a mapping of settings"},
		{name: "malformed yaml", file: "port: 1\n  x: : 2\n", wantErr: "strata.yaml:2: found an invalid key for this map"},
		{name: "port out of range", args: []string{"--port", "70000"}, wantErr: "port: invalid value 70000"},
		{name: "bad bind", args: []string{"--bind", "localhost"}, wantErr: `bind: invalid address "localhost"`},
		{name: "no databases", file: "databases: 0\n", wantErr: "databases: invalid value 0"},
		{name: "small query buffer limit", args: []string{"--client-query-buffer-limit", "1kb"}, wantErr: "client-query-buffer-limit: invalid value 1024"},
		{name: "bad loglevel", args: []string{"--loglevel", "loud"}, wantErr: `loglevel: invalid value "loud"`},
		{name: "bad tls-port", args: []string{"--tls-port", "-1"}, wantErr: "tls-port: invalid value -1"},
		{name: "bad protected-mode", file: "protected-mode: true\n", wantErr: `protected-mode: invalid value "true": want yes or no`},
		{name: "bad acl-pubsub-default", args: []string{"--acl-pubsub-default", "some"}, wantErr: `acl-pubsub-default: invalid value "some"`},
		{name: "unknown flag", args: []string{"--nope", "1"}, wantErr: "flag provided but not defined: -nope"},
		{name: "stray argument", args: []string{"strata.yaml"}, wantErr: `unexpected argument "strata.yaml"`},
		{name: "missing file", args: []string{"--config", "/nonexistent/strata.yaml"}, wantErr: "--config: open /nonexistent/strata.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != "" {
				args = append([]string{"--config", writeFile(t, "strata.yaml", tt.file)}, args...)
			}
			opts, err := parseArgs(args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := defaultConfig()
			tt.want(&want)
			if opts.config != want {
				t.Errorf("config =\n%+v\nwant\n%+v", opts.config, want)
			}
		})
	}
}

// TestRunRefusesBadSettings checks the start-up path as a user meets it:
// exit code 1 and one line naming the setting and the bad value, including
// settings the server itself validates.
func TestRunRefusesBadSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad policy", []string{"--maxmemory-policy", "most-lru"}, `server: invalid maxmemory-policy "most-lru"`},
		{"bad size", []string{"--maxmemory", "lots"}, `--maxmemory: units: invalid size "lots"`},
		{"bad file", []string{"--config", writeFile(t, "s.yaml", "maxmemory-policy: [x]\n")}, "maxmemory-policy: want a string, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if got := stderr.String(); !strings.HasPrefix(got, "strata: ") || !strings.Contains(got, tt.want) || strings.Count(got, "\n") != 1 {
				t.Errorf("stderr = %q, want one line with %q", got, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if code := run([]string{"--version"}, &stdout, io.Discard); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if !strings.Contains(stdout.String(), "v="+server.Version) {
		t.Errorf("version output %q", stdout.String())
	}
}

// TestServerConfig checks the mapping to server.Config.
func TestServerConfig(t *testing.T) {
	c := defaultConfig()
	c.Bind, c.LogLevel, c.Timeout = "* ::1", "WARNING", units.Duration(time.Minute)
	c.TLSPort, c.TLSCertFile, c.TLSCiphers = 6380, "server.pem", "AES128-SHA"
	got := c.serverConfig(nil)
	wantTLS := server.TLSSettings{Port: 6380, CertFile: "server.pem", Ciphers: "AES128-SHA", AuthClients: "yes", SessionCaching: "yes"}
	if !reflect.DeepEqual(got.Bind, []string{"0.0.0.0", "::1"}) || got.LogLevel != "warning" || got.Timeout != time.Minute ||
		got.Port != 6379 || got.Dir != "./data" || got.ProtoMaxBulkLen != 512<<20 || got.TLS != wantTLS {
		t.Errorf("serverConfig = %+v", got)
	}
	// tcp-keepalive 0 is off, which server.Config spells negative.
	for in, want := range map[time.Duration]time.Duration{0: -1, time.Minute: time.Minute} {
		c.TCPKeepAlive = units.Duration(in)
		if got := c.serverConfig(nil).TCPKeepAlive; got != want {
			t.Errorf("tcp-keepalive %v: server.Config.TCPKeepAlive %v, want %v", in, got, want)
		}
	}
}

// TestRenameCommandSection checks that rename-command reaches the server,
// an empty name included (the command is removed).
func TestRenameCommandSection(t *testing.T) {
	path := writeFile(t, "strata.yaml", "rename-command:\n  FLUSHALL: \"\"\n  CONFIG: cfg-8f2a\n")
	opts, err := parseArgs([]string{"--config", path}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"FLUSHALL": "", "CONFIG": "cfg-8f2a"}
	if got := opts.serverConfig(nil).RenameCommands; !reflect.DeepEqual(got, want) {
		t.Errorf("RenameCommands = %v, want %v", got, want)
	}
}

// sectionsConfig stands for config with the sections other packages will
// add (namespaces, events), to test decoder on nested shapes.
type sectionsConfig struct {
	Port       int                 `yaml:"port"`
	Namespaces []testNamespace     `yaml:"namespaces"`
	Events     map[string][]string `yaml:"events"`
}

type testNamespace struct {
	Match string                    `yaml:"match"`
	TTL   units.Duration            `yaml:"ttl"`
	ByTTL map[string]units.Duration `yaml:"ttl_by_field"`
	Comp  *struct {
		MinSize units.Size `yaml:"min_size"`
	} `yaml:"compress"`
}

// TestDecodeSections shows that a section added to config later (a list of
// structs, a map of lists) is decoded with the same checks: unknown keys at
// any depth are refused and errors carry the setting's path and line.
func TestDecodeSections(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{name: "good", doc: `
port: 1
namespaces:
  - match: "product:*"
    ttl: 5m
    compress: {min_size: 1kb}
  - match: "task:*"
    ttl_by_field: {processing: 5m, done: 1h}
events:
  product_updated: ["product:{id}:*", "product:list:*"]
`},
		{name: "unknown nested key", doc: "namespaces:\n  - match: a\n  - match: b\n    strategy: x\n", wantErr: `s.yaml:4: unknown setting "namespaces[1].strategy"`},
		{name: "bad nested duration", doc: "namespaces:\n  - ttl: 5x\n", wantErr: `s.yaml:2: namespaces[0].ttl: units: invalid duration "5x"`},
		{name: "bad map value", doc: "namespaces:\n  - ttl_by_field: {done: 1y}\n", wantErr: `namespaces[0].ttl_by_field.done: units: invalid duration "1y"`},
		{name: "bad pointer struct", doc: "namespaces:\n  - compress: {min_size: big}\n", wantErr: `namespaces[0].compress.min_size: units: invalid size "big"`},
		{name: "list wanted", doc: "namespaces: {match: a}\n", wantErr: "namespaces: want a list, got a mapping"},
		{name: "anchors", doc: "events:\n  a: &p [x]\n  b: *p\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body, err := parseYAML([]byte(tt.doc), "s.yaml")
			if err != nil {
				t.Fatal(err)
			}
			var r sectionsConfig
			d := decoder{file: "s.yaml"}
			err = d.decode(body, reflect.ValueOf(&r).Elem(), "")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestDecodeSectionValues checks the values a nested section decodes to.
func TestDecodeSectionValues(t *testing.T) {
	var r sectionsConfig
	_, body, err := parseYAML([]byte("namespaces:\n  - {match: \"p:*\", ttl: 5m, ttl_by_field: {a: 1h}, compress: {min_size: 1kb}}\nevents: {e: [x, y]}\n"), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var d decoder
	if err := d.decode(body, reflect.ValueOf(&r).Elem(), ""); err != nil {
		t.Fatal(err)
	}
	ns := r.Namespaces[0]
	if ns.Match != "p:*" || ns.TTL.Std() != 5*time.Minute || ns.ByTTL["a"].Std() != time.Hour || ns.Comp.MinSize != 1024 ||
		!reflect.DeepEqual(r.Events, map[string][]string{"e": {"x", "y"}}) {
		t.Errorf("decoded %+v", r)
	}
}

// TestHelpShowsDefaults: --help shows each setting's true default, sizes
// as sizes.
func TestHelpShowsDefaults(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseArgs([]string{"--help"}, &out); err != flag.ErrHelp {
		t.Fatalf("--help: %v", err)
	}
	d := server.DefaultConfig()
	for _, want := range []string{
		"-flush-interval value\n    \thow often write_back keys are written to disk, e.g. 1s (default " + d.FlushInterval.String() + ")",
		"(default 512mb)", "-port value\n    \tTCP port to listen on (default 6379)", "(default noeviction)", "(default ./data)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, out.String())
		}
	}
}

// TestReadmeConfigExamples: every YAML example in README.md loads as
// pasted and starts a server, and the first sets no password, so the
// redis-cli lines after it work without AUTH.
func TestReadmeConfigExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(readme), "```yaml\n")[1:]
	if len(blocks) == 0 {
		t.Fatal("README.md has no YAML example")
	}
	for i, b := range blocks {
		example, _, _ := strings.Cut(b, "```")
		opts, err := parseArgs([]string{"--config", writeFile(t, "strata.yaml", example), "--dir", t.TempDir()}, io.Discard)
		if err != nil {
			t.Fatalf("example %d: %v\n%s", i+1, err, example)
		}
		if i == 0 && opts.RequirePass != "" {
			t.Errorf("the first example sets requirepass: every redis-cli line after it would fail with NOAUTH")
		}
		cfg := opts.serverConfig(slog.New(slog.NewTextHandler(io.Discard, nil)))
		cfg.Port = -1
		srv, err := server.New(cfg)
		if err != nil {
			t.Fatalf("example %d: %v", i+1, err)
		}
		srv.Close()
	}
}
