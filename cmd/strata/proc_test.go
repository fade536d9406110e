package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Helpers for the tests that run the strata binary as a user would: build
// it once, run it on a directory and a config, kill it, talk RESP to it.

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// TestMain removes the binary buildBinary built.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// buildBinary builds strata once for the test binary's run and returns its
// path; the test skips under -short or without the go tool.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "strata-test-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "strata")
		if out, err := exec.Command(gobin, "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// strataProc is a strata process a test started.
type strataProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string
	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan struct{}
	err    error // the exit, once exited is closed
}

// launch starts strata with args on a free loopback port and waits until
// it accepts connections, or until it exits (start-up refused): exited is
// then closed and log holds why.
func launch(t *testing.T, args ...string) *strataProc {
	t.Helper()
	port := freePort(t)
	p := &strataProc{t: t, addr: fmt.Sprintf("127.0.0.1:%d", port), exited: make(chan struct{})}
	p.cmd = exec.Command(buildBinary(t), append([]string{"--port", strconv.Itoa(port)}, args...)...)
	p.cmd.Stderr = &lockedWriter{p}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return p
		default:
		}
		if nc, err := net.Dial("tcp", p.addr); err == nil {
			nc.Close()
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("strata did not listen on %s:\n%s", p.addr, p.log())
	return nil
}

type lockedWriter struct{ p *strataProc }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.stderr.Write(b)
}

// log returns what the process wrote to stderr so far.
func (p *strataProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// running reports whether the process has not exited.
func (p *strataProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill stops the process as kill -9 does and waits for it.
func (p *strataProc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop stops the process with SIGTERM and waits for its graceful exit.
func (p *strataProc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			p.t.Errorf("exit after SIGTERM: %v\n%s", p.err, p.log())
		}
	case <-time.After(30 * time.Second):
		p.t.Fatalf("strata did not exit on SIGTERM:\n%s", p.log())
	}
}

// checkNoPanic fails the test if the process's log shows a Go panic or a
// fatal runtime error.
func (p *strataProc) checkNoPanic() {
	p.t.Helper()
	if l := p.log(); strings.Contains(l, "panic:") || strings.Contains(l, "fatal error:") || strings.Contains(l, "goroutine ") {
		p.t.Errorf("strata crashed:\n%s", l)
	}
}

// respConn is a RESP connection to a strata process.
type respConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

// dialProc connects to p, closing the connection when the test ends.
func dialProc(t *testing.T, p *strataProc) *respConn {
	t.Helper()
	c, err := dialQuiet(p)
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, p.log())
	}
	t.Cleanup(func() { c.nc.Close() })
	return c
}

// dialQuiet connects to p, returning the error rather than failing the
// test (p may be gone); the caller closes the connection.
func dialQuiet(p *strataProc) (*respConn, error) {
	nc, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &respConn{t: p.t, nc: nc, br: bufio.NewReader(nc), bw: bufio.NewWriter(nc)}, nil
}

// send buffers one command; flush writes the buffer.
func (c *respConn) send(args ...string) {
	fmt.Fprintf(c.bw, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.bw, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *respConn) flush() error { return c.bw.Flush() }

// reply reads one reply as raw RESP.
func (c *respConn) reply() (string, error) {
	c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	err := readRESP(c.br, &b)
	return b.String(), err
}

// do runs one command and returns its raw reply, failing the test on a
// connection error.
func (c *respConn) do(args ...string) string {
	c.t.Helper()
	c.send(args...)
	if err := c.flush(); err != nil {
		c.t.Fatalf("%v: %v", args, err)
	}
	r, err := c.reply()
	if err != nil {
		c.t.Fatalf("%v: %v", args, err)
	}
	return r
}

// readRESP reads one RESP2 reply into b.
func readRESP(br *bufio.Reader, b *strings.Builder) error {
	line, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	if len(line) < 3 {
		return errors.New("short reply line")
	}
	b.WriteString(line)
	n, _ := strconv.Atoi(strings.TrimSuffix(line[1:], "\r\n"))
	switch line[0] {
	case '$':
		if n >= 0 {
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(br, buf); err != nil {
				return err
			}
			b.Write(buf)
		}
	case '*':
		for i := 0; i < n; i++ {
			if err := readRESP(br, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// bulk is a bulk string reply as raw RESP.
func bulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

// mountTmpfs mounts a tmpfs of size bytes on a new directory for the
// test, or skips the test where mounting is not permitted.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// remount remounts the tmpfs at dir with opts (ro, rw).
func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v %s", dir, opts, err, out)
	}
}

// writeConfig writes a strata.yaml of text and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "strata.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
