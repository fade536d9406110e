package main

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// process is a strata binary running for a test.
type process struct {
	cmd    *exec.Cmd
	port   string
	lines  <-chan string // its log, line by line
	exited <-chan error  // its exit, after the log is drained
}

// startBinary builds strata and starts it as a user would, on a free port,
// returning once it logs that it is ready.
func startBinary(t *testing.T) *process {
	t.Helper()
	bin := buildBinary(t)
	port := strconv.Itoa(freePort(t))
	return startProcess(t, bin, port, "--port", port, "--dir", t.TempDir(), "--maxmemory", "10mb", "--maxmemory-policy", "allkeys-lru")
}

// buildBinary builds strata into a temporary directory and returns its
// path, or skips the test in -short mode or without the go tool.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "strata")
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs bin with args, listening on port, and returns once
// it logs that it is ready; it is killed when the test ends.
func startProcess(t *testing.T, bin, port string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // a no-op once it exited
	lines := make(chan string, 100)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait() // after stderr is drained, as Wait requires
	}()
	p := &process{cmd: cmd, port: port, lines: lines, exited: exited}
	p.waitForLine(t, "ready to accept connections")
	return p
}

// cli runs redis-cli against p, or skips the test without redis-cli.
func (p *process) cli(t *testing.T, args ...string) string {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not on PATH")
	}
	out, err := exec.Command(cli, append([]string{"-p", p.port}, args...)...).CombinedOutput()
	if err != nil {
		t.Errorf("redis-cli %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// waitExit expects a graceful exit, status 0, for the reason given.
func (p *process) waitExit(t *testing.T, reason string) {
	t.Helper()
	p.waitForLine(t, `reason="`+reason+`"`)
	p.waitForLine(t, "bye")
	select {
	case err := <-p.exited:
		if err != nil {
			t.Errorf("exit: %v, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("strata did not exit")
	}
}

// TestBinarySIGTERM runs strata, talks to it (with redis-cli when present,
// else raw RESP) and stops it with SIGTERM.
func TestBinarySIGTERM(t *testing.T) {
	p := startBinary(t)
	if _, err := exec.LookPath("redis-cli"); err == nil {
		for _, step := range []struct{ args, want string }{
			{"PING", "PONG"},
			{"SET greeting hello", "OK"},
			{"GET greeting", "hello"},
		} {
			if got := p.cli(t, strings.Fields(step.args)...); got != step.want {
				t.Errorf("redis-cli %s: %q, want %q", step.args, got, step.want)
			}
		}
	} else {
		nc, err := net.DialTimeout("tcp", "127.0.0.1:"+p.port, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(nc, "*1\r\n$4\r\nPING\r\n")
		if reply, _ := bufio.NewReader(nc).ReadString('\n'); reply != "+PONG\r\n" {
			t.Errorf("PING: %q", reply)
		}
		nc.Close()
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitExit(t, "received SIGTERM")
}

// TestBinaryShutdownCommand stops strata with SHUTDOWN from redis-cli.
func TestBinaryShutdownCommand(t *testing.T) {
	p := startBinary(t)
	p.cli(t, "SHUTDOWN") // redis-cli reports the closed connection; the exit is what counts
	p.waitExit(t, "SHUTDOWN command")
}

// waitForLine reads p's log until a line contains want.
func (p *process) waitForLine(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("strata exited before logging %q", want)
			}
			if strings.Contains(line, want) {
				return
			}
		case <-timeout:
			t.Fatalf("no log line with %q within 10s", want)
		}
	}
}
