package server

// LATENCY LATEST|HISTORY|RESET|DOCTOR|HISTOGRAM|HELP: Redis's latency
// monitor, as latency.c keeps it. With latency-monitor-threshold above 0,
// a command that takes at least that many milliseconds is a sample of the
// event "command", or "fast-command" for those Redis flags fast; each
// event keeps its last 160 samples, one per second (the worst of the
// second), and its worst ever. Strata has no fork, AOF or expire-cycle
// events. HISTOGRAM reads the per-command latencies of INFO latencystats.
// https://redis.io/docs/management/optimization/latency-monitor/

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratakv/strata/internal/hist"
	"github.com/stratakv/strata/internal/resp"
	"github.com/stratakv/strata/storage"
)

func registerLatencyCommands(t commandTable) {
	t.container("latency", -2,
		&command{name: "latest", handler: cmdLatencyLatest, arity: 2, flags: flagNoData},
		&command{name: "history", handler: cmdLatencyHistory, arity: 3, flags: flagNoData},
		&command{name: "reset", handler: cmdLatencyReset, arity: -2, flags: flagNoData},
		&command{name: "doctor", handler: cmdLatencyDoctor, arity: 2, flags: flagNoData},
		&command{name: "histogram", handler: cmdLatencyHistogram, arity: -2, flags: flagNoData},
		&command{name: "help", handler: cmdLatencyHelp, arity: 2, flags: flagNoData},
	)
}

// latencySamples is Redis's LATENCY_TS_LEN.
const latencySamples = 160

type latencySample struct{ time, ms int64 }

// latencySeries is one event's samples, a ring ending before next.
type latencySeries struct {
	samples [latencySamples]latencySample
	next    int
	max     int64
}

// latencyMonitor is the server's latency events. The zero value is ready.
type latencyMonitor struct {
	threshold atomic.Int64 // latency-monitor-threshold, ms; 0: off

	mu     sync.Mutex
	events map[string]*latencySeries
}

// record notes a command that took d, as Redis's
// latencyAddSampleIfNeeded, at the time clock gives. The clock is read only
// for a command past the threshold: every command passes here, and a
// clock read showed in pipelined profiles.
func (m *latencyMonitor) record(cmd *command, d time.Duration, clock *storage.Store) {
	threshold := m.threshold.Load()
	ms := d.Milliseconds()
	if threshold == 0 || ms < threshold {
		return
	}
	now := clock.Now() / 1000 // unix seconds
	event := "command"
	if hasFlag(infoEntry(cmd), "fast") {
		event = "fast-command"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = map[string]*latencySeries{}
	}
	ts := m.events[event]
	if ts == nil {
		ts = &latencySeries{}
		m.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	if prev := &ts.samples[(ts.next+latencySamples-1)%latencySamples]; prev.time == now {
		prev.ms = max(prev.ms, ms)
		return
	}
	ts.samples[ts.next] = latencySample{now, ms}
	ts.next = (ts.next + 1) % latencySamples
}

// names returns the events with samples, by name.
func (m *latencyMonitor) names() []string {
	out := make([]string, 0, len(m.events))
	for name := range m.events {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func cmdLatencyLatest(c *client, args [][]byte) {
	m := &c.srv.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	names := m.names()
	c.out.Array(len(names))
	for _, name := range names {
		ts := m.events[name]
		last := ts.samples[(ts.next+latencySamples-1)%latencySamples]
		c.out.Array(4)
		c.out.BulkString(name)
		c.out.Int(last.time)
		c.out.Int(last.ms)
		c.out.Int(ts.max)
	}
}

func cmdLatencyHistory(c *client, args [][]byte) {
	m := &c.srv.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.events[string(args[2])]
	if ts == nil {
		c.out.Array(0)
		return
	}
	var samples []latencySample
	for j := range latencySamples {
		if s := ts.samples[(ts.next+j)%latencySamples]; s.time != 0 {
			samples = append(samples, s)
		}
	}
	c.out.Array(len(samples))
	for _, s := range samples {
		c.out.Array(2)
		c.out.Int(s.time)
		c.out.Int(s.ms)
	}
}

// cmdLatencyReset is LATENCY RESET [event ...]: it forgets the events
// named, or all, and replies how many it forgot.
func cmdLatencyReset(c *client, args [][]byte) {
	m := &c.srv.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	if len(args) == 2 {
		n = len(m.events)
		clear(m.events)
	}
	for _, a := range args[2:] {
		if _, ok := m.events[string(a)]; ok {
			delete(m.events, string(a))
			n++
		}
	}
	c.out.Int(int64(n))
}

// cmdLatencyDoctor is Redis's createLatencyReport for the events Strata
// has.
func cmdLatencyDoctor(c *client, args [][]byte) {
	m := &c.srv.latency
	threshold := m.threshold.Load()
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	names := m.names()
	switch {
	case len(names) == 0 && threshold == 0:
		b.WriteString(msgLatencyDisabled)
	case len(names) == 0:
		b.WriteString(msgLatencyNoSpikes)
	default:
		b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		now := c.srv.store.Now() / 1000
		command, fast := false, false
		for i, name := range names {
			ts := m.events[name]
			n, sum, oldest := int64(0), int64(0), int64(0)
			for _, s := range ts.samples {
				if s.time != 0 {
					n, sum = n+1, sum+s.ms
					if oldest == 0 || s.time < oldest {
						oldest = s.time
					}
				}
			}
			avg, mad := sum/n, int64(0)
			for _, s := range ts.samples {
				if s.time != 0 {
					mad += max(avg-s.ms, s.ms-avg)
				}
			}
			period := max(now-oldest, 1)
			fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.\n",
				i+1, name, n, avg, mad/n, float64(period)/float64(n), ts.max)
			command = command || name == "command"
			fast = fast || name == "fast-command"
		}
		b.WriteString("\nI have a few advices for you:\n\n")
		if command {
			switch slower := c.srv.slowlog.slowerThan.Load(); {
			case slower < 0:
				fmt.Fprintf(&b, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold*1000)
			case slower/1000 > threshold:
				fmt.Fprintf(&b, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n", threshold*1000)
			}
			b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
		}
		if fast {
			b.WriteString(latencyAdviceScheduler)
		}
		if command {
			b.WriteString("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n")
		}
	}
	c.out.Verbatim("txt", b.String())
}

// The latency doctor's fixed texts, as Redis words them.
const (
	msgLatencyDisabled     = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	msgLatencyNoSpikes     = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
	latencyAdviceScheduler = "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
		"  1) Lower the system load.\n" +
		"  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
		"  3) Check if you have a \"noisy neighbour\" problem.\n" +
		"  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
		"  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n"
)

// cmdLatencyHistogram is LATENCY HISTOGRAM [command ...]: the calls and
// cumulative latency distribution of every command called (or of those
// named, a container standing for its subcommands), from the statistics
// INFO latencystats reads (cmdstats.go), as Redis's fillCommandCDF writes
// them.
func cmdLatencyHistogram(c *client, args [][]byte) {
	type entry struct {
		name string
		snap *hist.Snapshot
	}
	var entries []entry
	add := func(cmd *command) {
		if st := cmd.stats.Load(); st != nil {
			if snap := st.latency.Snapshot(); snap.Count() > 0 {
				entries = append(entries, entry{cmd.name, snap})
			}
		}
	}
	if len(args) == 2 {
		c.srv.commands.eachCommand(func(cmd *command, _ *cmdStats) { add(cmd) })
	}
	for _, a := range args[2:] {
		cmd := c.srv.commands.lookupFullName(string(a))
		if cmd == nil {
			continue
		}
		add(cmd)
		for _, sub := range sortedSubcommands(cmd) {
			add(sub)
		}
	}
	c.out.Map(len(entries))
	for _, e := range entries {
		c.out.BulkString(e.name)
		c.out.Map(2)
		c.out.BulkString("calls")
		c.out.Int(int64(e.snap.Count()))
		c.out.BulkString("histogram_usec")
		writeLatencyCDF(&c.out, e.snap)
	}
}

// writeLatencyCDF writes a latency distribution as Redis's HdrHistogram
// iteration does: at upper bounds doubling from 1024 ns, each named in
// microseconds as HdrHistogram's highest equivalent value (bound + bound/128
// - 1), with the count at or below it, where that count grew.
func writeLatencyCDF(w *resp.Writer, snap *hist.Snapshot) {
	var bounds []time.Duration
	for b := time.Duration(1024); ; b *= 2 {
		bounds = append(bounds, b)
		if snap.Cumulative([]time.Duration{b})[0] >= snap.Count() || b > time.Hour {
			break
		}
	}
	counts := snap.Cumulative(bounds)
	var keys []int64
	var vals []uint64
	prev := uint64(0)
	for i, b := range bounds {
		if counts[i] > prev {
			keys = append(keys, int64(b+b/128-1)/1000)
			vals = append(vals, counts[i])
		}
		prev = counts[i]
	}
	w.Map(len(keys))
	for i := range keys {
		w.Int(keys[i])
		w.Int(int64(vals[i]))
	}
}

func cmdLatencyHelp(c *client, args [][]byte) { c.out.Help(latencyHelp) }

var latencyHelp = []string{
	"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
	"HELP",
	"    Prints this help.",
}
