package main

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// waitForStop blocks until SIGINT or SIGTERM arrives or the server shuts
// itself down (done closes on SHUTDOWN), and returns why. As in Redis, a
// second signal during the graceful shutdown that follows exits at once.
// All of strata's signal handling is here.
func waitForStop(done <-chan struct{}, log *slog.Logger) string {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	var reason string
	select {
	case sig := <-sigs:
		reason = "received " + signalName(sig)
	case <-done:
		reason = "SHUTDOWN command"
	}
	go func() {
		sig := <-sigs
		log.Warn("second signal during shutdown, exiting now", "signal", signalName(sig))
		os.Exit(1)
	}()
	return reason
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}
