package server

import (
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestNetYieldLetsPolledConnectionsRun: on one P, a goroutine that never
// blocks but steps aside with netYield.wait lets a connection whose data
// has arrived run within a few turns. With runtime.Gosched in its place it
// takes until sysmon polls the network (10 ms, thousands of turns).
func TestNetYieldLetsPolledConnectionsRun(t *testing.T) {
	y, err := newNetYield()
	if err != nil {
		t.Fatal(err)
	}
	defer y.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var served atomic.Bool
	reading := make(chan struct{})
	go func() {
		close(reading)
		server.Read(make([]byte, 1)) // parks in the network poller
		served.Store(true)
	}()
	<-reading
	time.Sleep(20 * time.Millisecond) // let it park; not a measurement
	client.Write([]byte{1})
	turns := 0
	for deadline := time.Now().Add(5 * time.Second); !served.Load() && time.Now().Before(deadline); turns++ {
		y.wait()
	}
	if !served.Load() || turns > 10 {
		t.Errorf("the connection ran after %d turns of a goroutine stepping aside (served %v)", turns, served.Load())
	}
}

// TestNetYieldReleasesAll: concurrent waiters all return, and after close
// wait returns at once.
func TestNetYieldReleasesAll(t *testing.T) {
	y, err := newNetYield()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				y.wait()
			}
		}()
	}
	wg.Wait()
	y.close()
	done := make(chan struct{})
	go func() {
		for range 10 {
			y.wait()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("wait blocked after close")
	}
}
