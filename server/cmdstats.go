package server

// Per-command and per-error statistics: INFO's commandstats, errorstats
// and latencystats sections with Redis 7.0's field names, and the
// command latency histograms of the admin endpoint's /metrics.
//
// Every command run is counted once, where it runs (client.call): from a
// connection, from EXEC, from a script. A command refused before it runs
// (wrong arity, NOAUTH, a MULTI context refusal) counts as a rejected call
// of its command (client.refuse); one that ran and replied with an error as
// a failed call. Error replies are counted by their code (the first word:
// ERR, WRONGTYPE...) when a client receives them: an error a script's
// redis.call receives is the script's to reply, so it counts once, as the
// script's.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratakv/strata/internal/hist"
)

// cmdStats are one command's counters. Calls and their total time are the
// latency histogram's count and sum.
type cmdStats struct {
	latency          hist.Histogram
	rejected, failed atomic.Int64
}

// statsOf returns cmd's counters, made on first use: most commands are
// never called, and a histogram is 4.7 KB.
func (cmd *command) statsOf() *cmdStats {
	if st := cmd.stats.Load(); st != nil {
		return st
	}
	cmd.stats.CompareAndSwap(nil, new(cmdStats))
	return cmd.stats.Load()
}

// maxErrorCodes bounds the error codes errorstats tracks: scripts can make
// up codes (redis.error_reply), and each would stay in the map. Later codes
// are counted in total_error_replies only.
const maxErrorCodes = 128

// errorStats count error replies by code.
type errorStats struct {
	total atomic.Int64 // total_error_replies
	mu    sync.Mutex
	codes map[string]int64
}

// count counts one error reply, msg without its leading '-'.
func (e *errorStats) count(msg []byte) {
	e.total.Add(1)
	code := errorCode(msg)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.codes == nil {
		e.codes = map[string]int64{}
	}
	if _, ok := e.codes[string(code)]; ok || len(e.codes) < maxErrorCodes {
		e.codes[string(code)]++
	}
}

// errorCode is an error's code as Redis finds it: the text before the first
// space within the first 31 bytes, else ERR.
func errorCode(msg []byte) []byte {
	for i, ch := range msg[:min(len(msg), 31)] {
		if ch == ' ' {
			return msg[:i]
		}
	}
	return []byte("ERR")
}

// snapshot returns the codes and their counts, sorted by code.
func (e *errorStats) snapshot() ([]string, map[string]int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int64, len(e.codes))
	codes := make([]string, 0, len(e.codes))
	for c, n := range e.codes {
		out[c] = n
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes, out
}

func (e *errorStats) reset() {
	e.mu.Lock()
	e.codes = nil
	e.total.Store(0)
	e.mu.Unlock()
}

// commandRan records a command that ran: its time, and whether its reply
// (c.out from mark) is an error.
func (s *Server) commandRan(c *client, cmd *command, mark int, d time.Duration) {
	st := cmd.statsOf()
	st.latency.Observe(d)
	if b := c.out.Bytes(); len(b) > mark && b[mark] == '-' {
		st.failed.Add(1)
		if c.script == nil {
			s.errors.count(b[mark+1:])
		}
	}
}

// refuse replies msg to a command refused before it ran, and counts it: a
// rejected call of cmd (nil when no command was found) and an error reply.
func (c *client) refuse(cmd *command, msg string) {
	if cmd != nil {
		cmd.statsOf().rejected.Add(1)
	}
	c.srv.errors.count([]byte(msg))
	c.out.Error(msg)
}

// eachCommand calls fn for every command and subcommand of the table that
// has counters, by name.
func (t commandTable) eachCommand(fn func(cmd *command, st *cmdStats)) {
	for _, cmd := range t.sorted() {
		for _, c := range append([]*command{cmd}, sortedSubcommands(cmd)...) {
			if st := c.stats.Load(); st != nil {
				fn(c, st)
			}
		}
	}
}

// resetCommandStats zeroes the command and error statistics (CONFIG
// RESETSTAT).
func (s *Server) resetCommandStats() {
	s.commands.eachCommand(func(_ *command, st *cmdStats) {
		st.latency.Reset()
		st.rejected.Store(0)
		st.failed.Store(0)
	})
	s.errors.reset()
}

// infoCommandStats writes INFO commandstats: one line per command called
// or refused since the last reset.
func (s *Server) infoCommandStats(w *infoWriter) {
	s.commands.eachCommand(func(cmd *command, st *cmdStats) {
		calls, usec := int64(st.latency.Count()), st.latency.Sum().Microseconds()
		rejected, failed := st.rejected.Load(), st.failed.Load()
		if calls == 0 && rejected == 0 && failed == 0 {
			return
		}
		perCall := 0.0
		if calls > 0 {
			perCall = float64(usec) / float64(calls)
		}
		w.field("cmdstat_"+cmd.name, fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			calls, usec, perCall, rejected, failed))
	})
}

// infoErrorStats writes INFO errorstats: error replies by code.
func (s *Server) infoErrorStats(w *infoWriter) {
	codes, counts := s.errors.snapshot()
	for _, code := range codes {
		w.field("errorstat_"+code, "count="+strconv.FormatInt(counts[code], 10))
	}
}

// infoLatencyStats writes INFO latencystats: each called command's latency
// percentiles in microseconds, those latency-tracking-info-percentiles
// names (default 50, 99, 99.9).
func (s *Server) infoLatencyStats(w *infoWriter) {
	s.cfgMu.RLock()
	tracking := s.configValue(configParams["latency-tracking"]) == "yes"
	percentiles := strings.Fields(s.configValue(configParams["latency-tracking-info-percentiles"]))
	s.cfgMu.RUnlock()
	if !tracking {
		return
	}
	s.commands.eachCommand(func(cmd *command, st *cmdStats) {
		snap := st.latency.Snapshot()
		if snap.Count() == 0 {
			return
		}
		parts := make([]string, len(percentiles))
		for i, p := range percentiles {
			f, _ := strconv.ParseFloat(p, 64) // validated by CONFIG SET
			parts[i] = fmt.Sprintf("p%s=%.3f", p, float64(snap.Percentile(f))/1e3)
		}
		w.field("latency_percentiles_usec_"+cmd.name, strings.Join(parts, ","))
	})
}
