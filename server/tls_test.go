package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testPKI is a CA with a server and a client certificate, generated for
// the test and written as PEM files in a temporary directory.
type testPKI struct {
	dir                           string
	ca                            *x509.Certificate
	caKey                         *ecdsa.PrivateKey
	caFile, certFile, keyFile     string
	clientCertFile, clientKeyFile string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	p.caKey = newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "strata test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.caKey.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if p.ca, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	p.caFile = p.write(t, "ca.pem", "CERTIFICATE", der)
	p.certFile, p.keyFile = p.issue(t, "server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCertFile, p.clientKeyFile = p.issue(t, "client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (p *testPKI) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue signs a certificate named name for 127.0.0.1 and returns its
// certificate and key files.
func (p *testPKI) issue(t *testing.T, name string, serial int64, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, name+".pem", "CERTIFICATE", der), p.write(t, name+".key", "PRIVATE KEY", keyDER)
}

// settings are TLS settings with the PKI's server certificate and CA.
func (p *testPKI) settings() TLSSettings {
	return TLSSettings{Port: -1, CertFile: p.certFile, KeyFile: p.keyFile, CACertFile: p.caFile}
}

// clientConfig trusts the PKI's CA and, with cert, presents the client
// certificate.
func (p *testPKI) clientConfig(t *testing.T, cert bool) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	cfg := &tls.Config{RootCAs: pool}
	if cert {
		c, err := tls.LoadX509KeyPair(p.clientCertFile, p.clientKeyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg
}

// tlsPing connects over TLS and returns the reply to PING, or the error
// that stopped it (a refused handshake shows at the first read).
func tlsPing(addr string, cfg *tls.Config) (string, *tls.ConnectionState, error) {
	nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return "", nil, err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write([]byte("PING\r\n")); err != nil {
		return "", nil, err
	}
	buf := make([]byte, 64)
	n, err := nc.Read(buf)
	if err != nil {
		return "", nil, err
	}
	state := nc.ConnectionState()
	return string(buf[:n]), &state, nil
}

func expectPong(t *testing.T, addr string, cfg *tls.Config) *tls.ConnectionState {
	t.Helper()
	reply, state, err := tlsPing(addr, cfg)
	if err != nil || reply != "+PONG\r\n" {
		t.Fatalf("PING over TLS: %q, %v", reply, err)
	}
	return state
}

func expectRefused(t *testing.T, addr string, cfg *tls.Config) {
	t.Helper()
	if reply, _, err := tlsPing(addr, cfg); err == nil {
		t.Fatalf("PING over TLS served: %q", reply)
	}
}

func TestTLSClientAuth(t *testing.T) {
	p := newTestPKI(t)
	for _, tt := range []struct {
		auth             string
		withCert, noCert bool // served with and without a client certificate
	}{
		{"", true, false}, // yes, Redis's default
		{"yes", true, false},
		{"optional", true, true},
		{"no", true, true},
	} {
		t.Run("auth-clients="+tt.auth, func(t *testing.T) {
			ts := p.settings()
			ts.AuthClients = tt.auth
			s := startServer(t, Config{TLS: ts})
			for _, cert := range []bool{true, false} {
				if served := map[bool]bool{true: tt.withCert, false: tt.noCert}[cert]; served {
					expectPong(t, s.TLSAddr(), p.clientConfig(t, cert))
				} else {
					expectRefused(t, s.TLSAddr(), p.clientConfig(t, cert))
				}
			}
			dial(t, s).expect("+PONG\r\n", "PING") // the plain port still serves
		})
	}
	// A client certificate from another CA is refused.
	other := newTestPKI(t)
	s := startServer(t, Config{TLS: p.settings()})
	cfg := p.clientConfig(t, false)
	cfg.Certificates = other.clientConfig(t, true).Certificates
	expectRefused(t, s.TLSAddr(), cfg)
}

func TestTLSGoRedis(t *testing.T) {
	p := newTestPKI(t)
	s := startServer(t, Config{TLS: p.settings(), RequirePass: "secret"})
	rdb := redis.NewClient(&redis.Options{Addr: s.TLSAddr(), Password: "secret", TLSConfig: p.clientConfig(t, true)})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "over tls", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "over tls" {
		t.Fatalf("GET: %q, %v", v, err)
	}
}

func TestTLSRedisCli(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not on PATH")
	}
	if help, _ := exec.Command(cli, "--help").CombinedOutput(); !strings.Contains(string(help), "--tls") {
		t.Skip("redis-cli built without TLS")
	}
	p := newTestPKI(t)
	s := startServer(t, Config{TLS: p.settings()})
	_, port, _ := net.SplitHostPort(s.TLSAddr())
	run := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, _ := exec.CommandContext(ctx, cli, append([]string{"-h", "127.0.0.1", "-p", port}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	tlsArgs := []string{"--tls", "--cacert", p.caFile, "--cert", p.clientCertFile, "--key", p.clientKeyFile}
	if out := run(append(tlsArgs, "SET", "k", "v")...); out != "OK" {
		t.Fatalf("redis-cli --tls SET: %q", out)
	}
	if out := run(append(tlsArgs, "GET", "k")...); out != "v" {
		t.Errorf("redis-cli --tls GET: %q", out)
	}
	if out := run("--tls", "--cacert", p.caFile, "PING"); out == "PONG" {
		t.Error("redis-cli without a client certificate was served")
	}
}

// TestTLSConfigSet checks that CONFIG SET tls-port starts, moves and stops
// the listener or is refused, never accepted without effect, and that
// certificates are reloaded.
func TestTLSConfigSet(t *testing.T) {
	p := newTestPKI(t)
	s := startServer(t, Config{})
	c := dial(t, s)
	port := freePort(t)
	c.expect(configFailed("tls-port", string(errTLSConfig)), "CONFIG", "SET", "tls-port", port)
	if s.TLSAddr() != "" {
		t.Fatal("tls-port refused, yet a TLS listener runs")
	}
	c.expect("*2\r\n$8\r\ntls-port\r\n$1\r\n0\r\n", "CONFIG", "GET", "tls-port")
	c.expect(ok, "CONFIG", "SET", "tls-cert-file", p.certFile, "tls-key-file", p.keyFile, "tls-ca-cert-file", p.caFile)
	c.expect(ok, "CONFIG", "SET", "tls-port", port)
	expectPong(t, "127.0.0.1:"+port, p.clientConfig(t, true))

	// A port taken by another listener is refused; the old one serves on.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	c.expect(configFailed("tls-port", string(errParamListen)), "CONFIG", "SET", "tls-port", busyPort)
	c.expect("*2\r\n$8\r\ntls-port\r\n$"+strconv.Itoa(len(port))+"\r\n"+port+"\r\n", "CONFIG", "GET", "tls-port")
	expectPong(t, "127.0.0.1:"+port, p.clientConfig(t, true))

	// A new certificate serves the next handshakes; a bad one is refused
	// and the old one kept.
	newCert, newKey := p.issue(t, "renewed", 9, x509.ExtKeyUsageServerAuth)
	c.expect(ok, "CONFIG", "SET", "tls-cert-file", newCert, "tls-key-file", newKey)
	if st := expectPong(t, "127.0.0.1:"+port, p.clientConfig(t, true)); st.PeerCertificates[0].Subject.CommonName != "renewed" {
		t.Errorf("served %q after the reload", st.PeerCertificates[0].Subject.CommonName)
	}
	c.expect(configFailed("tls-cert-file", string(errTLSConfig)), "CONFIG", "SET", "tls-cert-file", filepath.Join(p.dir, "missing.pem"))
	c.expect("*2\r\n$13\r\ntls-cert-file\r\n"+bulk(newCert), "CONFIG", "GET", "tls-cert-file")
	expectPong(t, "127.0.0.1:"+port, p.clientConfig(t, true))

	c.expect(ok, "CONFIG", "SET", "tls-port", "0")
	if _, _, err := tlsPing("127.0.0.1:"+port, p.clientConfig(t, true)); err == nil {
		t.Error("tls-port 0 left the listener open")
	}
}

// freePort returns a TCP port free on 127.0.0.1 when it returns.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func TestTLSProtocolsAndSuites(t *testing.T) {
	p := newTestPKI(t)
	ts := p.settings()
	ts.Protocols = "TLSv1.2"
	s := startServer(t, Config{TLS: ts})
	tls13 := p.clientConfig(t, true)
	tls13.MinVersion = tls.VersionTLS13
	expectRefused(t, s.TLSAddr(), tls13)
	if st := expectPong(t, s.TLSAddr(), p.clientConfig(t, true)); st.Version != tls.VersionTLS12 {
		t.Errorf("version %x, want TLS 1.2", st.Version)
	}

	// tls-ciphers limits TLS 1.2 suites, in OpenSSL's names or IANA's.
	c := dial(t, s)
	c.expect(ok, "CONFIG", "SET", "tls-ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384")
	if st := expectPong(t, s.TLSAddr(), p.clientConfig(t, true)); st.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Errorf("suite %s", tls.CipherSuiteName(st.CipherSuite))
	}
	c.expect(configFailed("tls-ciphers", string(errTLSConfig)), "CONFIG", "SET", "tls-ciphers", "NO-SUCH-CIPHER")

	// tls-ciphersuites: a TLS 1.3 handshake on a suite not listed is
	// refused. Which suite Go picks depends on the hardware, so the test
	// asks first.
	c.expect(ok, "CONFIG", "SET", "tls-protocols", "TLSv1.3", "tls-ciphers", "")
	picked := expectPong(t, s.TLSAddr(), p.clientConfig(t, true)).CipherSuite
	var others []string
	for _, cs := range tls.CipherSuites() {
		if cs.ID != picked && len(cs.SupportedVersions) == 1 && cs.SupportedVersions[0] == tls.VersionTLS13 {
			others = append(others, cs.Name)
		}
	}
	c.expect(ok, "CONFIG", "SET", "tls-ciphersuites", strings.Join(others, ":"))
	expectRefused(t, s.TLSAddr(), p.clientConfig(t, true))
	c.expect(ok, "CONFIG", "SET", "tls-ciphersuites", tls.CipherSuiteName(picked))
	expectPong(t, s.TLSAddr(), p.clientConfig(t, true))
}

func TestTLSSettingsChecked(t *testing.T) {
	p := newTestPKI(t)
	tests := []struct {
		name string
		edit func(ts *TLSSettings)
		want string
	}{
		{"bad protocol", func(ts *TLSSettings) { ts.Protocols = "SSLv3" }, `tls-protocols: invalid protocol "SSLv3"`},
		{"protocol gap", func(ts *TLSSettings) { ts.Protocols = "TLSv1.1 TLSv1.3" }, "leaves a gap"},
		{"bad cipher", func(ts *TLSSettings) { ts.Ciphers = "RC5" }, `tls-ciphers: unknown TLS 1.2 cipher suite "RC5"`},
		{"TLS 1.3 suite in tls-ciphers", func(ts *TLSSettings) { ts.Ciphers = "TLS_AES_128_GCM_SHA256" }, "unknown TLS 1.2 cipher suite"},
		{"bad suite", func(ts *TLSSettings) { ts.CipherSuites = "TLS_RSA_WITH_AES_128_CBC_SHA" }, "unknown TLS 1.3 cipher suite"},
		{"bad auth-clients", func(ts *TLSSettings) { ts.AuthClients = "maybe" }, "tls-auth-clients: invalid value"},
		{"no CA", func(ts *TLSSettings) { ts.CACertFile = "" }, "tls-ca-cert-file or tls-ca-cert-dir is needed"},
		{"no certificate", func(ts *TLSSettings) { ts.CertFile = "" }, "tls-cert-file and tls-key-file are needed"},
		{"missing key", func(ts *TLSSettings) { ts.KeyFile = filepath.Join(p.dir, "nope") }, "no such file"},
		{"CA dir without certificates", func(ts *TLSSettings) { ts.CACertFile, ts.CACertDir = "", t.TempDir() }, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := p.settings()
			tt.edit(&ts)
			_, err := New(Config{Port: -1, Dir: t.TempDir(), TLS: ts})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// The CAs may come from a directory, and "no" needs none.
	ts := p.settings()
	ts.CACertFile, ts.CACertDir = "", filepath.Dir(p.caFile)
	expectPong(t, startServer(t, Config{TLS: ts}).TLSAddr(), p.clientConfig(t, true))
	ts = p.settings()
	ts.CACertFile, ts.AuthClients = "", "no"
	expectPong(t, startServer(t, Config{TLS: ts}).TLSAddr(), p.clientConfig(t, false))
}

func TestTLSUnsupportedParams(t *testing.T) {
	c := dial(t, startServer(t, Config{}))
	c.expect(configFailed("tls-replication", "not supported by Strata: it has no replication"), "CONFIG", "SET", "tls-replication", "yes")
	c.expect(ok, "CONFIG", "SET", "tls-replication", "no")
	c.expect(configFailed("tls-dh-params-file", "not supported by Strata: Go's crypto/tls has no DHE cipher suites"),
		"CONFIG", "SET", "tls-dh-params-file", "/etc/dh.pem")
	c.expect(ok, "CONFIG", "SET", "tls-session-cache-size", "20480")
}

// TestTLSConfigSeam checks Server.TLSConfig, through which another
// listener of the process (the admin HTTP port) serves TLS with the
// server's settings, reloads included.
func TestTLSConfigSeam(t *testing.T) {
	if startServer(t, Config{}).TLSConfig() != nil {
		t.Error("TLSConfig without a certificate")
	}
	p := newTestPKI(t)
	s := startServer(t, Config{TLS: p.settings()})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", s.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				buf := make([]byte, 64)
				if _, err := nc.Read(buf); err == nil {
					nc.Write([]byte("+PONG\r\n"))
				}
			}()
		}
	}()
	if st := expectPong(t, ln.Addr().String(), p.clientConfig(t, true)); st.PeerCertificates[0].Subject.CommonName != "server" {
		t.Errorf("served %q", st.PeerCertificates[0].Subject.CommonName)
	}
	newCert, newKey := p.issue(t, "renewed", 9, x509.ExtKeyUsageServerAuth)
	dial(t, s).expect(ok, "CONFIG", "SET", "tls-cert-file", newCert, "tls-key-file", newKey)
	if st := expectPong(t, ln.Addr().String(), p.clientConfig(t, true)); st.PeerCertificates[0].Subject.CommonName != "renewed" {
		t.Errorf("served %q after the reload", st.PeerCertificates[0].Subject.CommonName)
	}
	expectRefused(t, ln.Addr().String(), p.clientConfig(t, false)) // tls-auth-clients yes applies too
}

// TestAdminServesTLS checks that the admin listener serves HTTPS with the
// tls-* settings when a certificate is configured, client certificates
// included.
func TestAdminServesTLS(t *testing.T) {
	p := newTestPKI(t)
	s := startServer(t, Config{AdminAddr: "127.0.0.1:0", TLS: p.settings()})
	get := func(cfg *tls.Config) (int, error) {
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := client.Get("https://" + s.AdminAddr() + "/healthz")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := get(p.clientConfig(t, true)); err != nil || code != http.StatusOK {
		t.Fatalf("GET /healthz over TLS: %d, %v", code, err)
	}
	if _, err := get(p.clientConfig(t, false)); err == nil {
		t.Error("served without a client certificate, with tls-auth-clients yes")
	}
}
