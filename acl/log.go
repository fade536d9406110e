package acl

import "sync"

// LogContext is where a denied command was run.
type LogContext uint8

// The contexts ACL LOG reports.
const (
	ContextTopLevel LogContext = iota
	ContextMulti
	ContextLua
)

func (c LogContext) String() string {
	return [...]string{"toplevel", "multi", "lua"}[c]
}

func (d Denial) String() string {
	return [...]string{"allowed", "command", "key", "auth", "channel"}[d]
}

// LogEntry is an ACL LOG entry: a denied command or a failed AUTH.
type LogEntry struct {
	// Count is how many such denials the entry stands for.
	Count    int64
	Reason   Denial
	Context  LogContext
	Object   string // the command, key or channel refused; for auth, the command
	Username string
	// Time is the last such denial, in unix milliseconds; ClientInfo
	// describes its client (CLIENT INFO's line).
	Time       int64
	ClientInfo string
}

// logGrouping is how close in time a denial must be to an entry like it
// to be counted in it, in milliseconds (Redis's
// ACL_LOG_GROUPING_MAX_TIME_DELTA).
const logGrouping = 60000

// logScan is how many recent entries a denial is compared with.
const logScan = 10

// Log is the ACL LOG: the most recent entries first, at most MaxLen. It
// is safe for concurrent use.
type Log struct {
	mu      sync.Mutex
	entries []*LogEntry
	maxLen  int
}

// NewLog returns an empty log of at most maxLen entries.
func NewLog(maxLen int) *Log { return &Log{maxLen: maxLen} }

// Add records e (with its Count ignored). A recent entry for the same
// reason, context, object and user within a minute counts it instead,
// takes its time and client, and moves to the front.
func (l *Log) Add(e LogEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, old := range l.entries[:min(logScan, len(l.entries))] {
		delta := old.Time - e.Time
		if old.Reason == e.Reason && old.Context == e.Context && old.Object == e.Object &&
			old.Username == e.Username && delta <= logGrouping && delta >= -logGrouping {
			old.Count++
			old.Time, old.ClientInfo = e.Time, e.ClientInfo
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = old
			return
		}
	}
	e.Count = 1
	l.entries = append([]*LogEntry{&e}, l.entries...)
	if len(l.entries) > l.maxLen {
		l.entries = l.entries[:l.maxLen]
	}
}

// Recent returns up to n entries, the most recent first.
func (l *Log) Recent(n int) []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]LogEntry, 0, min(n, len(l.entries)))
	for _, e := range l.entries[:min(n, len(l.entries))] {
		out = append(out, *e)
	}
	return out
}

// Reset empties the log.
func (l *Log) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// SetMaxLen bounds the log to n entries from the next one added, as
// acllog-max-len does in Redis.
func (l *Log) SetMaxLen(n int) {
	l.mu.Lock()
	l.maxLen = n
	l.mu.Unlock()
}

// MaxLen returns the bound on the log's length.
func (l *Log) MaxLen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.maxLen
}
