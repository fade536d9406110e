package server

import (
	"regexp"
	"strings"
	"testing"
)

// TestCommandStats: every call counts once, where it runs (a connection,
// EXEC, a script), and every error reply once, by its code.
func TestCommandStats(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "a", "1")
	c.expect(bulk("1"), "GET", "a")
	c.expect(errReply(wrongArity("get")), "GET")            // rejected
	c.expect(errReply(msgNotInteger), "INCRBY", "a", "x")   // failed
	c.expect(errReply(msgWrongType), "HSET", "a", "f", "v") // failed
	c.expect("-ERR unknown command 'NOSUCH', with args beginning with: \r\n", "NOSUCH")
	c.expect("+OK\r\n", "MULTI")
	c.expect("+QUEUED\r\n", "SET", "b", "2")
	c.expect("+QUEUED\r\n", "INCR", "a")
	c.expect("*2\r\n+OK\r\n:2\r\n", "EXEC")
	// The script's INCRBY fails; the error reaches the client once, as
	// EVAL's.
	got := c.do("EVAL", "return redis.call('INCRBY', 'b', 'x')", "0")
	if !strings.HasPrefix(got, "-ERR ") {
		t.Fatalf("EVAL = %q", got)
	}
	c.expect("+OK\r\n", "CONFIG", "SET", "slowlog-max-len", "10")

	info := c.do("INFO", "commandstats", "errorstats", "stats")
	for _, want := range []string{
		`cmdstat_set:calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0`,
		`cmdstat_get:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0`,
		`cmdstat_incrby:calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=2`,
		`cmdstat_incr:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0`,
		`cmdstat_hset:calls=1,.*,failed_calls=1`,
		`cmdstat_exec:calls=1,.*,rejected_calls=0,failed_calls=0`,
		`cmdstat_eval:calls=1,.*,failed_calls=1`,
		`cmdstat_config\|set:calls=1,.*`,
		`errorstat_ERR:count=4`,
		`errorstat_WRONGTYPE:count=1`,
		`total_error_replies:5`,
	} {
		if !regexp.MustCompile(`\r\n` + want + `\r\n`).MatchString(info) {
			t.Errorf("INFO lacks %s:\n%s", want, info)
		}
	}
	if strings.Contains(info, "cmdstat_multi:") == false || strings.Contains(info, "cmdstat_nosuch") {
		t.Errorf("INFO commandstats: want MULTI and no unknown command:\n%s", info)
	}
	lat := c.do("INFO", "latencystats")
	if !regexp.MustCompile(`\r\nlatency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n`).MatchString(lat) {
		t.Errorf("INFO latencystats:\n%s", lat)
	}
	c.expect("+OK\r\n", "CONFIG", "SET", "latency-tracking-info-percentiles", "50 75")
	if lat := c.do("INFO", "latencystats"); !regexp.MustCompile(`latency_percentiles_usec_get:p50=\d+\.\d{3},p75=\d+\.\d{3}\r\n`).MatchString(lat) {
		t.Errorf("INFO latencystats after CONFIG SET latency-tracking-info-percentiles:\n%s", lat)
	}

	c.expect("+OK\r\n", "CONFIG", "RESETSTAT")
	info = c.do("INFO", "commandstats", "errorstats", "stats")
	if strings.Contains(info, "cmdstat_get") || strings.Contains(info, "errorstat_") || !strings.Contains(info, "total_error_replies:0\r\n") {
		t.Errorf("after CONFIG RESETSTAT:\n%s", info)
	}
}

func TestErrorCode(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{"ERR syntax error", "ERR"},
		{"WRONGTYPE Operation against a key", "WRONGTYPE"},
		{"NOSPACE", "ERR"},
		{"AVERYLONGERRORCODETHATGOESONANDON x", "ERR"},
		{"MY made up", "MY"},
	} {
		if got := string(errorCode([]byte(tc.msg))); got != tc.want {
			t.Errorf("errorCode(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}
