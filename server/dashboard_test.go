package server

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/scheduler"
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

// browser is a headless chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: it reads commands on its fd 3 and writes
// answers and events on its fd 4, each a JSON message ended by a NUL), so
// that a test can click. It drives one page.
type browser struct {
	t       *testing.T
	in      *os.File            // chromium's fd 3
	msgs    chan map[string]any // what chromium wrote, read in the background
	id      int                 // of the last command
	session string              // the page's, once attached
	events  []map[string]any    // read while waiting for an answer, kept for navigate
}

// browserWait bounds each wait for chromium: to start, to answer a
// command. pageWait bounds a script's own polling in the page, below it,
// so that the script's failure is the one reported.
const (
	browserWait = 30 * time.Second
	pageWait    = 20 * time.Second
)

// newBrowser starts chromium and opens a blank page; it is killed with
// the test.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	bin := chromium(t)
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*browserWait)
	cmd := exec.CommandContext(ctx, bin, append([]string{"--user-data-dir=" + t.TempDir(), "--remote-debugging-pipe"}, chromiumFlags...)...)
	cmd.ExtraFiles = []*os.File{cmdR, outW} // fds 3 and 4
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("chromium: %v", err)
	}
	cmdR.Close()
	outW.Close()
	b := &browser{t: t, in: cmdW, msgs: make(chan map[string]any, 64)}
	go func() {
		defer close(b.msgs)
		r := bufio.NewReader(outR)
		for {
			raw, err := r.ReadBytes(0)
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(raw[:len(raw)-1], &m) == nil {
				b.msgs <- m
			}
		}
	}()
	t.Cleanup(func() {
		defer cancel()
		cmdW.Close() // chromium exits when its command pipe closes
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cancel() // kills it
			<-done
		}
		outR.Close()
		for range b.msgs { // let the reader end
		}
	})
	target := b.call("Target.createTarget", map[string]any{"url": "about:blank"})
	b.session = b.call("Target.attachToTarget", map[string]any{"targetId": target["targetId"], "flatten": true})["sessionId"].(string)
	return b
}

// call sends a command (to the page once attached) and returns its result,
// skipping the events that come first.
func (b *browser) call(method string, params map[string]any) map[string]any {
	b.t.Helper()
	b.id++
	msg := map[string]any{"id": b.id, "method": method, "params": params}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.in.Write(append(raw, 0)); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	for {
		m := b.next(method)
		if _, event := m["method"]; event {
			b.events = append(b.events, m)
			continue
		}
		if id, _ := m["id"].(float64); int(id) != b.id {
			continue // the answer to an earlier command
		}
		if e, ok := m["error"]; ok {
			b.t.Fatalf("%s: %v", method, e)
		}
		result, _ := m["result"].(map[string]any)
		return result
	}
}

// next returns the next message from chromium, waiting browserWait at
// most; what names the wait in a failure.
func (b *browser) next(what string) map[string]any {
	b.t.Helper()
	select {
	case m, ok := <-b.msgs:
		if !ok {
			b.t.Fatalf("%s: chromium closed its pipe", what)
		}
		return m
	case <-time.After(browserWait):
		b.t.Fatalf("%s: nothing from chromium in %v", what, browserWait)
	}
	return nil
}

// navigate loads url in the page and returns once its load event fired,
// so that its document and scripts are there.
func (b *browser) navigate(url string) {
	b.t.Helper()
	b.call("Page.enable", nil)
	b.call("Page.setLifecycleEventsEnabled", map[string]any{"enabled": true})
	b.events = b.events[:0]
	loader := b.call("Page.navigate", map[string]any{"url": url})["loaderId"]
	loaded := func(m map[string]any) bool {
		p, _ := m["params"].(map[string]any)
		return m["method"] == "Page.lifecycleEvent" && p["name"] == "load" && p["loaderId"] == loader
	}
	for _, m := range b.events { // the load may come before navigate's answer
		if loaded(m) {
			return
		}
	}
	for !loaded(b.next("the load of " + url)) {
	}
}

// eval runs a JavaScript expression in the page, waits for the promise it
// may return, and decodes its value into out (when not nil).
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	res := b.call("Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true})
	if ex, ok := res["exceptionDetails"].(map[string]any); ok {
		why := ex["text"]
		if e, ok := ex["exception"].(map[string]any); ok {
			why = e["description"] // the message and the stack
		}
		b.t.Fatalf("the page's script failed: %v", why)
	}
	if out == nil {
		return
	}
	value, _ := res["result"].(map[string]any)
	raw, err := json.Marshal(value["value"])
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
}

// waitJS is a script function that polls cond every 50 ms until it holds,
// and fails past pageWait.
var waitJS = fmt.Sprintf(`async (cond, what) => {
  for (let i = 0; i < %d; i++) {
    if (cond()) return;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error("waited too long for " + what);
}`, pageWait/(50*time.Millisecond))

// click clicks the middle of the element selector matches, with the
// mouse, as a user would: the element must be on screen and on top.
func (b *browser) click(selector string) {
	b.t.Helper()
	var at struct{ X, Y float64 }
	b.eval(`(() => {
  const el = document.querySelector(`+jsString(selector)+`);
  el.scrollIntoView({block: "center"});
  const r = el.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2};
})()`, &at)
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		b.call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": at.X, "y": at.Y, "button": "left", "clickCount": 1})
	}
}

// jsString quotes s as a JavaScript string.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// warmupRow returns the cells of the dashboard's row for job, by class.
func warmupRow(b *browser, job string) map[string]string {
	b.t.Helper()
	var row map[string]string
	b.eval(`Object.fromEntries([...document.querySelectorAll('#warmup tr[data-key=`+jsString(job)+`] td')].map(td => [td.className, td.textContent]))`, &row)
	return row
}

// TestDashboardWarmup: the dashboard, behind requirepass, lists the
// warm-up job with its next run, and a click on its Run button runs it:
// the page shows the run's counts, and the scheduler and the keyspace
// show the run and its keys.
func TestDashboardWarmup(t *testing.T) {
	o := newTestOrigin(t, schoolOrigin)
	s := startServer(t, Config{AdminAddr: "127.0.0.1:0", RequirePass: "secret",
		Namespaces: []policy.Namespace{{Name: "schools", Match: "school:"}},
		Warmup:     []scheduler.Job{schoolJob(o, "0 3,8 * * *")}})
	b := newBrowser(t)
	b.call("Network.enable", nil) // extra headers need the Network domain on
	b.call("Network.setExtraHTTPHeaders", map[string]any{"headers": map[string]string{
		"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("default:secret"))}})
	b.navigate("http://" + s.AdminAddr() + "/")
	b.eval(`(`+waitJS+`)(() => document.body.dataset.loaded === "true" && document.querySelector('#warmup tr[data-key="primary-schools"]'), "the warm-up jobs")`, nil)
	row := warmupRow(b, "primary-schools")
	if row["schedule"] != "0 3,8 * * *" || row["state"] != "idle" || row["next"] == "" || row["last"] != "never" || row["runs"] != "0" {
		t.Errorf("before Run, the row is %v", row)
	}

	b.click(`#warmup tr[data-key="primary-schools"] button`)
	var result string
	b.eval(`(async () => {
  await (`+waitJS+`)(() => document.getElementById("warmup-result").textContent.includes("loaded"), "the run's result");
  return document.getElementById("warmup-result").textContent;
})()`, &result)
	if !strings.HasPrefix(result, "primary-schools: loaded 2, failed 0, skipped 0 in ") {
		t.Errorf("after Run, the page says %q", result)
	}
	b.eval(`(`+waitJS+`)(() => document.querySelector('#warmup tr[data-key="primary-schools"] td.runs').textContent === "1", "the refreshed row")`, nil)
	if row := warmupRow(b, "primary-schools"); row["loaded"] != "2" || row["failed"] != "0" || row["last"] == "never" || row["error"] != "" {
		t.Errorf("after Run, the row is %v", row)
	}

	st, err := s.scheduler.Status("primary-schools")
	if err != nil || st.Runs != 1 || st.Last == nil || st.Last.Trigger != scheduler.TriggerManual || st.Last.Loaded != 2 {
		t.Errorf("the scheduler's status after the click: %+v, %v", st, err)
	}
	c := dial(t, s)
	c.expect("+OK\r\n", "AUTH", "secret")
	c.expect(bulk(`["central school 1"]`), "GET", "school:list:central:1")
	c.expect(bulk(`["east school 2"]`), "GET", "school:list:east:2")
	if n := o.requests.Load(); n != 2 {
		t.Errorf("origin requests = %d, want the run's 2", n)
	}
}
