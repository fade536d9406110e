package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a server under test, running as a child process on a loopback
// port.
type server struct {
	name string // "strata" or "redis"
	addr string
	cmd  *exec.Cmd
	log  string // file with its output
	done chan struct{}
}

// startServer runs argv with the port appended as --port, and waits until
// it answers PING. With --server-cpus it runs on the server CPUs.
func startServer(ctx context.Context, name string, argv []string, workDir string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(workDir, fmt.Sprintf("%s-%d", name, port))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &server{name: name, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), log: filepath.Join(dir, "log"), done: make(chan struct{})}
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	argv = pinning.wrap(append(append([]string(nil), argv...), "--port", strconv.Itoa(port), "--dir", dir)) // cpus.go
	s.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := dial(s.addr)
		if err == nil {
			_, err = c.do("PING")
			c.Close()
			if err == nil {
				if err := pinning.check(s.cmd.Process.Pid); err != nil {
					s.stop()
					return nil, err
				}
				if name == "strata" {
					noteMaxProcs(s.addr) // cpus.go
				}
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("%s exited at start-up (%v); its log %s:\n%s", name, s.cmd.ProcessState, s.log, tail(s.log))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not answer PING on %s within 15s", name, s.addr)
		}
	}
}

// stop asks the server to exit (SIGTERM) and kills it if it has not within
// 10 seconds.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// rss returns the server's resident set size in bytes (VmRSS).
func (s *server) rss() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the end of a log file, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// buildStrata compiles cmd/strata from the module this bench belongs to
// into dir and returns the binary's path.
func buildStrata(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "strata")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/stratakv/strata/cmd/strata")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/strata: %v\n%s", err, out)
	}
	return bin, nil
}
