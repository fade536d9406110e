package server

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// slowlog keeps the most recent commands slower than a threshold, as
// Redis's SLOWLOG. Its methods are safe for concurrent use.
type slowlog struct {
	slowerThan atomic.Int64 // microseconds; <0 disables, 0 logs everything
	maxLen     atomic.Int64
	mu         sync.Mutex
	nextID     int64
	entries    []slowlogEntry // newest first
}

type slowlogEntry struct {
	id     int64
	at     int64 // unix seconds
	micros int64
	args   []string
	addr   string
	name   string
}

// Redis's limits on what one entry keeps of a command.
const (
	slowlogMaxArgs   = 32
	slowlogMaxArgLen = 128
)

func newSlowlog() *slowlog {
	l := &slowlog{}
	l.slowerThan.Store(10000)
	l.maxLen.Store(128)
	return l
}

func (l *slowlog) record(c *client, args [][]byte, d time.Duration) {
	threshold := l.slowerThan.Load()
	micros := d.Microseconds()
	if threshold < 0 || micros < threshold {
		return
	}
	e := slowlogEntry{at: time.Now().Unix(), micros: micros, addr: c.addr, name: c.clientName()}
	n := len(args)
	if n > slowlogMaxArgs {
		n = slowlogMaxArgs
	}
	for i := 0; i < n; i++ {
		if i == slowlogMaxArgs-1 && len(args) > slowlogMaxArgs {
			e.args = append(e.args, "... ("+strconv.Itoa(len(args)-slowlogMaxArgs+1)+" more arguments)")
			break
		}
		a := args[i]
		if len(a) > slowlogMaxArgLen {
			e.args = append(e.args, string(a[:slowlogMaxArgLen])+"... ("+strconv.Itoa(len(a)-slowlogMaxArgLen)+" more bytes)")
		} else {
			e.args = append(e.args, string(a))
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append([]slowlogEntry{e}, l.entries...)
	l.trim()
}

// trim drops the oldest entries beyond maxLen; callers hold mu.
func (l *slowlog) trim() {
	if max := int(l.maxLen.Load()); len(l.entries) > max {
		l.entries = l.entries[:max]
	}
}

func (l *slowlog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

func (l *slowlog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// get returns up to n of the newest entries (n < 0: all).
func (l *slowlog) get(n int) []slowlogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	return append([]slowlogEntry(nil), l.entries[:n]...)
}
