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

// TestBinary builds strata, starts it as a user would, talks to it with
// redis-cli (or raw RESP when redis-cli is missing) and stops it with
// SIGTERM, expecting a graceful exit.
func TestBinary(t *testing.T) {
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
	port := strconv.Itoa(freePort(t))
	cmd := exec.Command(bin, "--port", port, "--dir", t.TempDir(), "--maxmemory", "10mb", "--maxmemory-policy", "allkeys-lru")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Kill() // no-op once it exited
	})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait() // after stderr is drained, as Wait requires
	}()
	waitForLine(t, lines, "ready to accept connections")

	if cli, err := exec.LookPath("redis-cli"); err == nil {
		for _, step := range []struct{ args, want string }{
			{"PING", "PONG"},
			{"SET greeting hello", "OK"},
			{"GET greeting", "hello"},
		} {
			out, err := exec.Command(cli, append([]string{"-p", port}, strings.Fields(step.args)...)...).CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != step.want {
				t.Errorf("redis-cli %s: %q, %v; want %q", step.args, got, err, step.want)
			}
		}
	} else {
		nc, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 5*time.Second)
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

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitForLine(t, lines, `reason="received SIGTERM"`)
	waitForLine(t, lines, "bye")
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("strata did not exit after SIGTERM")
	}
}

// waitForLine reads log lines until one contains want.
func waitForLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
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
