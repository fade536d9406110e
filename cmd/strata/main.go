// Command strata runs the Strata server, a Redis-compatible cache.
//
// With no arguments it serves on 127.0.0.1:6379 with data in ./data.
// Settings come from a YAML file (--config strata.yaml) and from flags
// spelled as redis-server's, which override the file:
//
//	strata --port 7000 --maxmemory 100mb --maxmemory-policy allkeys-lru
//
// It stops gracefully on SIGINT, SIGTERM or the SHUTDOWN command.
//
// strata cluster push|show|move drives a cluster's slot map (cluster.go).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/stratakv/strata/server"
)

func main() {
	tuneRuntime()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run starts Strata as args ask and serves until it is told to stop. It
// returns the process's exit code: 1 when a setting is invalid or the
// server cannot start.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "cluster" {
		return runCluster(args[1:], stdout, stderr)
	}
	opts, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "strata:", err)
		return 1
	}
	if opts.version {
		fmt.Fprintf(stdout, "strata v=%s redis=%s go=%s\n", server.Version, server.RedisVersion, runtime.Version())
		return 0
	}
	log := newLogger(stderr, opts.LogLevel)
	srv, err := server.New(opts.serverConfig(log))
	if err != nil {
		fmt.Fprintln(stderr, "strata:", err)
		return 1
	}
	log.Info("starting strata", "version", server.Version, "pid", os.Getpid(), "config", opts.file)
	if err := srv.Start(); err != nil {
		fmt.Fprintln(stderr, "strata:", err)
		return 1
	}
	log.Info("shutting down", "reason", waitForStop(srv.Done(), log))
	if err := srv.Close(); err != nil {
		log.Warn("shutdown", "err", err)
		return 1
	}
	log.Info("bye")
	return 0
}
