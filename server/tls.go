package server

// TLS: the tls-* settings, the *tls.Config they build, and the listeners
// on tls-port. TLS clients are served as any other once the handshake is
// done (it happens on the connection's first read or write). Every new
// handshake takes the config built from the current settings, so CONFIG
// SET of a certificate applies to the next connection, as in Redis.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// TLSSettings are Redis's tls-* settings. They configure the TLS listener
// on Port and, through Server.TLSConfig, any other TLS listener of the
// process (the admin HTTP port). The zero value is TLS off, with Redis's
// defaults for the rest.
type TLSSettings struct {
	// Port is tls-port: where TLS clients connect, on every bind address
	// (0: no TLS listener; -1 picks a free port, for tests).
	Port int
	// CertFile and KeyFile are the server's PEM certificate chain and
	// unencrypted key (tls-cert-file, tls-key-file): needed for a Port.
	CertFile, KeyFile string
	// CACertFile and CACertDir hold the PEM CA certificates that client
	// certificates are verified against (tls-ca-cert-file,
	// tls-ca-cert-dir: every file of the directory is read). One is
	// needed unless AuthClients is "no".
	CACertFile, CACertDir string
	// AuthClients is tls-auth-clients: "yes" (the default: a client must
	// present a certificate signed by a CA), "optional" (one presented is
	// verified) or "no".
	AuthClients string
	// Protocols is tls-protocols, the versions accepted: TLSv1, TLSv1.1,
	// TLSv1.2, TLSv1.3, space-separated and without gaps ("" for TLSv1.2
	// and TLSv1.3).
	Protocols string
	// Ciphers is tls-ciphers, the cipher suites of TLS 1.2 and older
	// allowed: colon-separated IANA or OpenSSL names
	// ("ECDHE-RSA-AES128-GCM-SHA256"); "" for Go's defaults.
	Ciphers string
	// CipherSuites is tls-ciphersuites, the TLS 1.3 suites allowed:
	// colon-separated (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
	// TLS_CHACHA20_POLY1305_SHA256); "" for all. Go negotiates TLS 1.3
	// suites by its own order, so a handshake that settles on a suite not
	// listed is refused, rather than steered to one that is.
	CipherSuites string
	// SessionCaching is tls-session-caching, "yes" (the default: session
	// tickets let clients resume) or "no".
	SessionCaching string
}

// withDefaults returns t with Redis's defaults (DefaultConfig's) where it
// leaves them unset.
func (t TLSSettings) withDefaults() TLSSettings {
	d := DefaultConfig().TLS
	if t.AuthClients == "" {
		t.AuthClients = d.AuthClients
	}
	if t.SessionCaching == "" {
		t.SessionCaching = d.SessionCaching
	}
	return t
}

// enabled reports whether the settings ask for TLS at all: a port, or a
// certificate for other listeners to serve.
func (t TLSSettings) enabled() bool { return t.Port != 0 || t.CertFile != "" }

// Config builds the *tls.Config of the settings, loading the certificate,
// key and CAs from their files. The caller owns the result. An error
// names the setting at fault.
func (t TLSSettings) Config() (*tls.Config, error) {
	t = t.withDefaults()
	cfg := &tls.Config{}
	if err := t.configure(cfg); err != nil {
		return nil, err
	}
	if t.CertFile == "" || t.KeyFile == "" {
		return nil, errors.New("tls-cert-file and tls-key-file are needed")
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls-cert-file, tls-key-file: %w", err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	if t.AuthClients == "no" {
		return cfg, nil
	}
	if cfg.ClientCAs, err = t.clientCAs(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// configure sets what the settings say besides files: versions, suites,
// client authentication and tickets. It checks them without touching the
// disk, so settings for a TLS still off are checked too.
func (t TLSSettings) configure(cfg *tls.Config) error {
	switch t.AuthClients {
	case "yes":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "no":
		cfg.ClientAuth = tls.NoClientCert
	default:
		return fmt.Errorf("tls-auth-clients: invalid value %q: want yes, no or optional", t.AuthClients)
	}
	var err error
	if cfg.MinVersion, cfg.MaxVersion, err = parseProtocols(t.Protocols); err != nil {
		return err
	}
	if cfg.CipherSuites, err = parseCiphers(t.Ciphers); err != nil {
		return err
	}
	allowed, err := parseCipherSuites(t.CipherSuites)
	if err != nil {
		return err
	}
	if allowed != nil {
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if cs.Version == tls.VersionTLS13 && !allowed[cs.CipherSuite] {
				return fmt.Errorf("tls: cipher suite %s is not in tls-ciphersuites", tls.CipherSuiteName(cs.CipherSuite))
			}
			return nil
		}
	}
	switch t.SessionCaching {
	case "yes", "no":
		cfg.SessionTicketsDisabled = t.SessionCaching == "no"
	default:
		return fmt.Errorf("tls-session-caching: invalid value %q: want yes or no", t.SessionCaching)
	}
	return nil
}

// clientCAs reads the CAs of tls-ca-cert-file and tls-ca-cert-dir.
func (t TLSSettings) clientCAs() (*x509.CertPool, error) {
	if t.CACertFile == "" && t.CACertDir == "" {
		return nil, fmt.Errorf("tls-ca-cert-file or tls-ca-cert-dir is needed to verify clients (tls-auth-clients %s)", t.AuthClients)
	}
	pool := x509.NewCertPool()
	if t.CACertFile != "" {
		pem, err := os.ReadFile(t.CACertFile)
		if err != nil {
			return nil, fmt.Errorf("tls-ca-cert-file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls-ca-cert-file: no PEM certificate in %s", t.CACertFile)
		}
	}
	if t.CACertDir != "" {
		entries, err := os.ReadDir(t.CACertDir)
		if err != nil {
			return nil, fmt.Errorf("tls-ca-cert-dir: %w", err)
		}
		found := false
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			pem, err := os.ReadFile(filepath.Join(t.CACertDir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("tls-ca-cert-dir: %w", err)
			}
			found = pool.AppendCertsFromPEM(pem) || found
		}
		if !found {
			return nil, fmt.Errorf("tls-ca-cert-dir: no PEM certificate in %s", t.CACertDir)
		}
	}
	return pool, nil
}

// tlsVersions are tls-protocols' names, oldest first.
var tlsVersions = []struct {
	name    string
	version uint16
}{
	{"TLSv1", tls.VersionTLS10}, {"TLSv1.1", tls.VersionTLS11}, {"TLSv1.2", tls.VersionTLS12}, {"TLSv1.3", tls.VersionTLS13},
}

// parseProtocols reads tls-protocols as the range of versions Go takes:
// the versions named must follow one another.
func parseProtocols(s string) (minV, maxV uint16, err error) {
	if strings.TrimSpace(s) == "" {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	var on [4]bool
	for _, f := range strings.Fields(s) {
		i := -1
		for j, v := range tlsVersions {
			if strings.EqualFold(f, v.name) {
				i = j
			}
		}
		if i < 0 {
			return 0, 0, fmt.Errorf("tls-protocols: invalid protocol %q: use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'", f)
		}
		on[i] = true
	}
	first, last := -1, -1
	for i, set := range on {
		if set {
			if first < 0 {
				first = i
			}
			if last >= 0 && last != i-1 {
				return 0, 0, fmt.Errorf("tls-protocols: %q leaves a gap, which Go's TLS cannot: name versions that follow one another", s)
			}
			last = i
		}
	}
	return tlsVersions[first].version, tlsVersions[last].version, nil
}

// openSSLCiphers maps OpenSSL's names of the TLS 1.2 suites Go has to
// their IANA names, so tls-ciphers can be written as for Redis.
var openSSLCiphers = map[string]string{
	"ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"ECDHE-RSA-AES128-GCM-SHA256":   "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384":   "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"ECDHE-RSA-CHACHA20-POLY1305":   "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"ECDHE-ECDSA-AES128-SHA":        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	"ECDHE-RSA-AES128-SHA":          "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	"ECDHE-ECDSA-AES256-SHA":        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	"ECDHE-RSA-AES256-SHA":          "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"AES128-GCM-SHA256":             "TLS_RSA_WITH_AES_128_GCM_SHA256",
	"AES256-GCM-SHA384":             "TLS_RSA_WITH_AES_256_GCM_SHA384",
	"AES128-SHA":                    "TLS_RSA_WITH_AES_128_CBC_SHA",
	"AES256-SHA":                    "TLS_RSA_WITH_AES_256_CBC_SHA",
}

// cipherSuiteIDs returns Go's cipher suites by IANA name, for TLS 1.2 and
// older (tls13 false) or TLS 1.3.
func cipherSuiteIDs(tls13 bool) map[string]uint16 {
	ids := map[string]uint16{}
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, cs := range list {
			if slices.Contains(cs.SupportedVersions, tls.VersionTLS13) == tls13 {
				ids[cs.Name] = cs.ID
			}
		}
	}
	return ids
}

// parseCiphers reads tls-ciphers; nil for Go's defaults.
func parseCiphers(s string) ([]uint16, error) {
	if s == "" {
		return nil, nil
	}
	ids := cipherSuiteIDs(false)
	var out []uint16
	for _, name := range strings.Split(s, ":") {
		if iana, ok := openSSLCiphers[name]; ok {
			name = iana
		}
		id, ok := ids[name]
		if !ok {
			return nil, fmt.Errorf("tls-ciphers: unknown TLS 1.2 cipher suite %q", name)
		}
		out = append(out, id)
	}
	return out, nil
}

// parseCipherSuites reads tls-ciphersuites; nil allows every suite.
func parseCipherSuites(s string) (map[uint16]bool, error) {
	if s == "" {
		return nil, nil
	}
	ids := cipherSuiteIDs(true)
	allowed := map[uint16]bool{}
	for _, name := range strings.Split(s, ":") {
		id, ok := ids[name]
		if !ok {
			return nil, fmt.Errorf("tls-ciphersuites: unknown TLS 1.3 cipher suite %q", name)
		}
		allowed[id] = true
	}
	return allowed, nil
}

// tlsState is a server's TLS side: the config handshakes use and the
// listeners on tls-port.
type tlsState struct {
	// conf is built from the current settings; nil while they configure
	// no certificate.
	conf atomic.Pointer[tls.Config]
	// wrapper hands every handshake the current conf (see TLSConfig).
	wrapper *tls.Config

	// mu guards listeners and port; CONFIG SET holds it while it rebinds.
	// Lock order: Server.cfgMu, then mu.
	mu        sync.Mutex
	listeners []net.Listener
	port      int // the port listened on, 0 for none
}

// TLSConfig returns a *tls.Config that serves every handshake with the
// server's current TLS settings (certificates reloaded by CONFIG SET
// included), for other listeners of the process, such as the admin HTTP
// port; nil when the settings configure no certificate. It is safe for
// concurrent use.
func (s *Server) TLSConfig() *tls.Config {
	if s.tls.conf.Load() == nil {
		return nil
	}
	return s.tls.wrapper
}

// TLSAddr returns the address of the first TLS listener, "" when there is
// none.
func (s *Server) TLSAddr() string {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	if len(s.tls.listeners) == 0 {
		return ""
	}
	return s.tls.listeners[0].Addr().String()
}

// initTLS builds the TLS config from cfg.TLS at New; an error names the
// setting at fault.
func (s *Server) initTLS() error {
	s.tls.wrapper = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		if c := s.tls.conf.Load(); c != nil {
			return c, nil
		}
		return nil, errors.New("tls: no certificate configured")
	}}
	t := s.cfg.TLS
	if !t.enabled() {
		return t.configure(&tls.Config{})
	}
	cfg, err := t.Config()
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.tls.conf.Store(cfg)
	return nil
}

// applyTLS makes the TLS settings take effect after CONFIG SET: it builds
// the config anew (reading the certificate files again) and moves the
// listener when tls-port changed. Nothing changes unless all of it
// succeeds; the error is Redis's reply, and the cause is logged.
func (s *Server) applyTLS() paramError {
	s.cfgMu.RLock()
	t := s.cfg.TLS
	s.cfgMu.RUnlock()
	var cfg *tls.Config
	err := t.configure(&tls.Config{})
	if err == nil && t.enabled() {
		cfg, err = t.Config()
	}
	if err != nil {
		s.log.Warn("cannot update the TLS configuration", "err", err)
		return errTLSConfig
	}
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	if t.Port != s.tls.port && !(t.Port == -1 && s.tls.port != 0) {
		if err := s.listenTLS(t.Port); err != nil {
			s.log.Warn("cannot listen on the TLS port", "port", t.Port, "err", err)
			return errParamListen
		}
	}
	s.tls.conf.Store(cfg)
	return ""
}

// listenTLS moves the TLS listeners to port on every bind address (none
// for 0; -1 picks a free one). The caller holds s.tls.mu. On an error the
// listeners are as they were.
func (s *Server) listenTLS(port int) error {
	var fresh []net.Listener
	bound := port
	if port == -1 {
		bound = 0
	}
	for _, addr := range s.cfg.Bind {
		if port == 0 {
			break
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(bound)))
		if err != nil {
			for _, l := range fresh {
				l.Close()
			}
			return fmt.Errorf("listen on %s port %d: %w", addr, bound, err)
		}
		if bound == 0 {
			bound = ln.Addr().(*net.TCPAddr).Port // every address gets the same port
		}
		fresh = append(fresh, tls.NewListener(ln, s.tls.wrapper))
	}
	for _, ln := range s.tls.listeners {
		ln.Close() // its accept loop ends; its clients stay, as in Redis
	}
	s.tls.listeners, s.tls.port = fresh, bound
	for _, ln := range fresh {
		s.wg.Add(1)
		go s.acceptLoop(ln)
	}
	return nil
}

// closeTLS closes the TLS listeners, at shutdown.
func (s *Server) closeTLS() {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	for _, ln := range s.tls.listeners {
		ln.Close()
	}
}

// tlsPort is tls-port as CONFIG GET shows it: the port listened on, or
// the setting when there is no listener.
func (s *Server) tlsPort() int {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	if s.tls.port != 0 {
		return s.tls.port
	}
	return max(s.cfg.TLS.Port, 0)
}
