package server

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
)

// chromiumFlags run Debian's chromium headless, with nothing that reaches
// past the loopback (updates, sync, QUIC probes).
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
}

// chromium returns the headless browser's path: a missing one skips the
// test, or fails it when STRATA_REQUIRE_CLIENTS=1 (CI installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if bin, err := exec.LookPath(name); err == nil {
			return bin
		}
	}
	if os.Getenv("STRATA_REQUIRE_CLIENTS") == "1" {
		t.Fatal("chromium not on PATH (STRATA_REQUIRE_CLIENTS=1)")
	}
	t.Skip("chromium not on PATH")
	return ""
}

// renderPage loads url in headless chromium, lets its scripts run (a
// virtual time budget, which also waits for its fetches), and returns the
// DOM it ends with.
func renderPage(t *testing.T, url string) string {
	t.Helper()
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=3000", "--dump-dom"}, chromiumFlags...)
	out, err := exec.CommandContext(ctx, bin, append(args, url)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom %s: %v", url, err)
	}
	return string(out)
}

// cell returns the text of the cell of class cls in the row whose
// data-key is key, from a DOM dump.
func cell(dom, key, cls string) string {
	row := regexp.MustCompile(`<tr data-key="` + regexp.QuoteMeta(key) + `">(.*?)</tr>`).FindStringSubmatch(dom)
	if row == nil {
		return ""
	}
	m := regexp.MustCompile(`<td class="` + cls + `">([^<]*)</td>`).FindStringSubmatch(row[1])
	if m == nil {
		return ""
	}
	return m[1]
}

// TestDashboard loads the dashboard in a real browser: after SETs and GETs
// through RESP it shows the namespace's numbers and the hot keys.
func TestDashboard(t *testing.T) {
	clk := newTestClock() // stopped: the hot key's count does not decay while the page loads
	s := startServer(t, Config{Clock: clk.Now, AdminAddr: "127.0.0.1:0", Namespaces: []policy.Namespace{
		{Name: "products", Match: "product:*"},
	}})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "product:1", "a")
	c.expect("+OK\r\n", "SET", "product:2", "b")
	for i := 0; i < 3; i++ {
		c.expect(bulk("a"), "GET", "product:1")
	}
	c.expect("$-1\r\n", "GET", "product:none")

	dom := renderPage(t, "http://"+s.AdminAddr()+"/")
	if !strings.Contains(dom, `data-loaded="true"`) {
		t.Fatalf("the page did not load its numbers:\n%s", dom)
	}
	for cls, want := range map[string]string{"keys": "2", "hits": "3", "misses": "1", "sets": "2", "hit-rate": "75.00%", "strategy": "cache_aside"} {
		if got := cell(dom, "products", cls); got != want {
			t.Errorf("namespace products, %s: %q, want %q", cls, got, want)
		}
	}
	if got := cell(dom, "product:1", "count"); got != "3.0" {
		t.Errorf("hot key product:1: %q, want 3.0\n%s", got, dom)
	}
}
