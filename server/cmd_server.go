package server

// Server commands: INFO, TIME, LASTSAVE, MEMORY, SLOWLOG, SHUTDOWN, and
// the CONFIG and COMMAND families (cmd_config.go, cmd_command.go).
// https://redis.io/commands/?group=server

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
)

func registerServerCommands(t commandTable) {
	t.add(
		// INFO reads only counters and atomics: it takes no storage lock,
		// so monitoring never stalls clients.
		&command{name: "info", handler: cmdInfo, arity: -1, flags: flagNoData},
		&command{name: "time", handler: cmdTime, arity: 1, flags: flagNoData},
		&command{name: "lastsave", handler: cmdLastSave, arity: 1, flags: flagNoData},
		&command{name: "shutdown", handler: cmdShutdown, arity: -1, flags: flagNoData | flagNoMulti},
	)
	t.container("memory", -2,
		&command{name: "usage", handler: cmdMemoryUsage, arity: -3, firstKey: 2, lastKey: 2, keyStep: 1},
		&command{name: "stats", handler: cmdMemoryStats, arity: 2, flags: flagNoData},
		&command{name: "doctor", handler: cmdMemoryDoctor, arity: 2, flags: flagNoData},
		&command{name: "malloc-stats", handler: cmdMemoryMallocStats, arity: 2, flags: flagNoData},
		&command{name: "purge", handler: cmdMemoryPurge, arity: 2, flags: flagNoData},
		&command{name: "help", handler: cmdMemoryHelp, arity: 2, flags: flagNoData},
	)
	t.container("slowlog", -2,
		&command{name: "get", handler: cmdSlowlogGet, arity: -2, flags: flagNoData},
		&command{name: "len", handler: cmdSlowlogLen, arity: 2, flags: flagNoData},
		&command{name: "reset", handler: cmdSlowlogReset, arity: 2, flags: flagNoData},
		&command{name: "help", handler: cmdSlowlogHelp, arity: 2, flags: flagNoData},
	)
	registerConfigCommands(t)
	registerCommandCommands(t)
}

func cmdTime(c *client, args [][]byte) {
	now := time.Now()
	c.out.Array(2)
	c.out.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.out.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

// cmdLastSave answers as a Redis that has never saved: its start time.
func cmdLastSave(c *client, args [][]byte) { c.out.Int(c.srv.started.Unix()) }

// cmdShutdown is SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Strata's
// shutdown is Close: it stops accepting, closes the clients and lets the
// storage finish its work (a write-back flush) whatever the flags say; the
// connection closes without a reply, as Redis's does. ABORT has nothing to
// abort.
func cmdShutdown(c *client, args [][]byte) {
	var save, nosave, abort, other bool
	for _, a := range args[1:] {
		switch {
		case is(a, "nosave"):
			nosave = true
		case is(a, "save"):
			save = true
		case is(a, "now"), is(a, "force"):
			other = true
		case is(a, "abort"):
			abort = true
		default:
			c.out.Error(msgSyntax)
			return
		}
	}
	if abort && (save || nosave || other) || save && nosave {
		c.out.Error(msgSyntax)
		return
	}
	if abort {
		c.out.Error(msgNoShutdown)
		return
	}
	c.srv.log.Warn("user requested shutdown", "client", c.addr)
	c.closeAfter = true
	go c.srv.Close() // Close waits for this connection's goroutine
}

var memoryHelp = []string{
	"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
	"HELP",
	"    Prints this help.",
}

func cmdMemoryHelp(c *client, args [][]byte) { c.out.Help(memoryHelp) }

// cmdMemoryUsage is MEMORY USAGE key [SAMPLES count]: what the key costs
// in the memory tier, as used_memory counts it. Strata's accounting is
// exact, so SAMPLES is checked and otherwise unused.
func cmdMemoryUsage(c *client, args [][]byte) {
	for i := 3; i < len(args); i += 2 {
		if !is(args[i], "samples") || i+1 >= len(args) {
			c.out.Error(msgSyntax)
			return
		}
		n, ok := argInt(args[i+1])
		if !ok {
			c.out.Error(msgNotInteger)
			return
		}
		if n < 0 {
			c.out.Error(msgSyntax)
			return
		}
	}
	n, ok := c.tx.MemoryUsage(args[2])
	if !ok {
		c.out.Null()
		return
	}
	c.out.Int(n)
}

// cmdMemoryStats is MEMORY STATS in Redis's shape, with the figures
// Strata has: the keys' accounted bytes and the Go runtime's heap.
func cmdMemoryStats(c *client, args [][]byte) {
	s := c.srv
	used := s.usedMemory()
	peak := s.info.peakMemory.Load()
	keys := int64(0)
	for i := 0; i < s.store.Databases(); i++ {
		keys += int64(s.store.DB(i).Len())
	}
	perKey := int64(0)
	if keys > 0 {
		perKey = used / keys
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rss := residentMemory()
	type stat struct {
		name string
		v    any
	}
	stats := []stat{
		{"peak.allocated", peak},
		{"total.allocated", used},
		{"startup.allocated", int64(0)},
		{"replication.backlog", int64(0)},
		{"clients.slaves", int64(0)},
		{"clients.normal", int64(0)},
		{"aof.buffer", int64(0)},
		{"overhead.total", int64(0)},
		{"keys.count", keys},
		{"keys.bytes-per-key", perKey},
		{"dataset.bytes", used},
		{"dataset.percentage", share(used, used)},
		{"peak.percentage", share(used, peak)},
		{"allocator.allocated", int64(m.HeapAlloc)},
		{"allocator.active", int64(m.HeapInuse)},
		{"allocator.resident", int64(m.Sys - m.HeapReleased)},
		{"fragmentation", share(rss, used) / 100},
		{"fragmentation.bytes", rss - used},
	}
	c.out.Map(len(stats))
	for _, st := range stats {
		c.out.BulkString(st.name)
		switch v := st.v.(type) {
		case int64:
			c.out.Int(v)
		case float64:
			c.out.Double(v)
		}
	}
}

// share is part/whole in percent, 0 when whole is 0.
func share(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

// cmdMemoryDoctor answers with Redis's reports for an instance without
// memory issues.
func cmdMemoryDoctor(c *client, args [][]byte) {
	if c.srv.store.Used() < 5<<20 {
		c.out.Verbatim("txt", msgDoctorEmpty)
		return
	}
	c.out.Verbatim("txt", msgDoctorFine)
}

// cmdMemoryMallocStats answers as Redis built without jemalloc: Go's
// allocator has no such report.
func cmdMemoryMallocStats(c *client, args [][]byte) {
	c.out.BulkString("Stats not supported for the current allocator")
}

// cmdMemoryPurge returns freed memory to the operating system.
func cmdMemoryPurge(c *client, args [][]byte) {
	debug.FreeOSMemory()
	c.out.OK()
}

var slowlogHelp = []string{
	"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
	"HELP",
	"    Prints this help.",
}

func cmdSlowlogHelp(c *client, args [][]byte) { c.out.Help(slowlogHelp) }

func cmdSlowlogLen(c *client, args [][]byte) { c.out.Int(int64(c.srv.slowlog.len())) }

func cmdSlowlogReset(c *client, args [][]byte) {
	c.srv.slowlog.reset()
	c.out.OK()
}

// cmdSlowlogGet is SLOWLOG GET [count]: the newest entries, 10 by default,
// all with -1.
func cmdSlowlogGet(c *client, args [][]byte) {
	if len(args) > 3 {
		c.out.Error(fmt.Sprintf(msgSubcommandSyntax, truncate(string(args[1]), 128), "SLOWLOG"))
		return
	}
	count := int64(10)
	if len(args) == 3 {
		n, ok := argInt(args[2])
		if !ok || n < -1 {
			c.out.Error(msgSlowlogCount)
			return
		}
		count = n
	}
	entries := c.srv.slowlog.get(int(count))
	c.out.Array(len(entries))
	for _, e := range entries {
		c.out.Array(6)
		c.out.Int(e.id)
		c.out.Int(e.at)
		c.out.Int(e.micros)
		c.out.Strings(e.args)
		c.out.BulkString(e.addr)
		c.out.BulkString(e.name)
	}
}
