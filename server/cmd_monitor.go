package server

// MONITOR: every command the server runs, as a status line to the
// monitoring clients, as Redis's replicationFeedMonitors writes it:
//
//	+1700000000.123456 [0 127.0.0.1:50000] "SET" "k" "v"
//
// A command is shown once it has run (so SELECT shows its new database),
// so the commands EXEC runs come before EXEC's own line; EVAL and FCALL
// are shown before the commands their scripts run, whose lines say
// [db lua]. Administrative commands (CONFIG, DEBUG...) and those Redis
// skips are not shown; AUTH's and HELLO's credentials read "(redacted)".
// https://redis.io/commands/monitor/

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func registerMonitorCommands(t commandTable) {
	t.add(&command{name: "monitor", handler: cmdMonitor, arity: 1, flags: flagNoData})
}

// monitors are the clients in MONITOR mode.
type monitors struct {
	active  atomic.Int64 // with none, a command costs one atomic load
	mu      sync.Mutex
	clients map[*client]struct{}
}

func cmdMonitor(c *client, args [][]byte) {
	m := &c.srv.monitors
	s := c.subscriber() // the lines queue on it
	m.mu.Lock()
	if m.clients == nil {
		m.clients = map[*client]struct{}{}
	}
	if _, ok := m.clients[c]; !ok {
		m.clients[c] = struct{}{}
		m.active.Add(1)
		c.listed.monitor.Store(true)
	}
	m.mu.Unlock()
	s.takeQueue()
	c.out.OK()
}

// remove takes a closing client out of MONITOR mode.
func (m *monitors) remove(c *client) {
	if !c.listed.monitor.Load() {
		return
	}
	m.mu.Lock()
	delete(m.clients, c)
	m.active.Add(-1)
	m.mu.Unlock()
}

// scriptRunner reports whether cmd runs a script: MONITOR shows it before
// the commands its script runs.
func scriptRunner(cmd *command) bool {
	switch cmd.name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// feed shows c's command args to the monitors. It runs on c's goroutine.
func (m *monitors) feed(c *client, args [][]byte) {
	now := time.Now()
	b := append(make([]byte, 0, 64), '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	usec := strconv.AppendInt(nil, int64(now.Nanosecond()/1000), 10)
	for range 6 - len(usec) {
		b = append(b, '0')
	}
	b = append(b, usec...)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(c.dbIndex), 10)
	if c.script != nil {
		b = append(b, " lua] "...)
	} else {
		b = append(append(append(b, ' '), c.addr...), "] "...)
	}
	redactFrom := redactedFrom(args)
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		if i >= redactFrom {
			a = []byte("(redacted)")
		}
		b = appendRepr(b, a)
	}
	b = append(b, "\r\n"...)
	at := c.srv.store.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for mc := range m.clients {
		if s := mc.psShared.Load(); s != nil {
			c.srv.pubsub.deliver(s, b, c, at)
		}
	}
}

// redactedFrom returns the index of the first argument MONITOR hides, as
// Redis's redactClientCommandArgument does for credentials: every
// argument of AUTH, and those after HELLO's AUTH; len(args) for others.
func redactedFrom(args [][]byte) int {
	switch {
	case is(args[0], "auth"):
		return 1
	case is(args[0], "hello"):
		for i := 2; i < len(args); i++ {
			if is(args[i], "auth") {
				return i + 1
			}
		}
	}
	return len(args)
}

// appendRepr appends s quoted as Redis's sdscatrepr does.
func appendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= ' ' && ch <= '~' {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(b, '"')
}
