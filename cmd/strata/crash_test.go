package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestKillNineLosesNoAcknowledgedWrite builds strata, runs it with a
// write_through namespace under concurrent writers, kills it with SIGKILL
// mid-load, restarts it on the same directory, and checks that every write
// it acknowledged is there; several times over, counting.
func TestKillNineLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process")
	}
	work := t.TempDir()
	bin := filepath.Join(work, "strata")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := filepath.Join(work, "data")
	conf := filepath.Join(work, "strata.yaml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`dir: %s
namespaces:
  - match: "wt:*"
    strategy: write_through
  - match: "wb:*"
    strategy: write_back
`, dir)), 0o644)

	acked := map[string]string{} // every acknowledged write_through key and value
	const rounds, writers = 4, 8
	for round := 0; round < rounds; round++ {
		port := freePort(t)
		cmd := exec.Command(bin, "--config", conf, "--port", fmt.Sprint(port))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		waitListening(t, addr)
		// Everything acknowledged so far must be there after the restart.
		checkAcked(t, addr, acked, round)

		var mu sync.Mutex
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer nc.Close()
				br := bufio.NewReader(nc)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					key := fmt.Sprintf("wt:r%d:w%d:%d", round, w, i)
					val := fmt.Sprintf("v%d-%s", i, strings.Repeat("x", i%200))
					if _, err := fmt.Fprintf(nc, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(key), key, len(val), val); err != nil {
						return
					}
					line, err := br.ReadString('\n')
					if err != nil {
						return // killed: this write was not acknowledged
					}
					if line == "+OK\r\n" {
						mu.Lock()
						acked[key] = val
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(150+round*70) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(stop)
		wg.Wait()
	}
	port := freePort(t)
	cmd := exec.Command(bin, "--config", conf, "--port", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, addr)
	checkAcked(t, addr, acked, rounds)
	if len(acked) < rounds*writers {
		t.Fatalf("only %d writes were acknowledged: the load did not run", len(acked))
	}
	t.Logf("%d acknowledged write_through writes over %d kill -9 restarts: none lost", len(acked), rounds)
}

// checkAcked reads every key of acked back (pipelined) and fails on any
// missing or different.
func checkAcked(t *testing.T, addr string, acked map[string]string, round int) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	bw, br := bufio.NewWriter(nc), bufio.NewReader(nc)
	keys := make([]string, 0, len(acked))
	for k := range acked {
		keys = append(keys, k)
		fmt.Fprintf(bw, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(k), k)
	}
	go bw.Flush()
	lost := 0
	for _, k := range keys {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		want := acked[k]
		if line == "$-1\r\n" {
			lost++
			continue
		}
		body := make([]byte, len(want)+2)
		if _, err := io.ReadFull(br, body); err != nil {
			t.Fatal(err)
		}
		if line != fmt.Sprintf("$%d\r\n", len(want)) || string(body[:len(want)]) != want {
			t.Errorf("round %d: %s = %q %q, want %q", round, k, line, body, want)
		}
	}
	if lost > 0 {
		t.Fatalf("round %d: %d of %d acknowledged write_through writes lost", round, lost, len(keys))
	}
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if nc, err := net.Dial("tcp", addr); err == nil {
			nc.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("strata did not listen on %s", addr)
}
