package conformance

// Real clients against Strata, unchanged: redis-cli, redis-benchmark,
// redis-py, django-redis and Celery (go-redis is covered in package
// server). Each runs against Strata, and against a real redis-server when
// one is on PATH, with the same expectations, so an expectation that Redis
// itself does not meet is caught.
//
// The Python clients are Debian's packages (python3-redis,
// python3-django-redis, python3-celery), which load under /usr/bin/python3
// only. A missing interpreter or module skips their tests, or fails them
// when STRATA_REQUIRE_CLIENTS=1 (as in CI). Each runs a script from
// testdata/clients that uses the client as an application does.
//
// What each Python client sends is recorded from redis-server's INFO
// commandstats in testdata/clients/<client>.commands, and each run logs
// the recorded commands Strata lacks. Against a live redis-server the test
// checks that the record is complete; -record adds what it sees to it.
// A client that cannot run at all without commands Strata lacks (Celery
// with Redis as its broker) is skipped naming them, and only then.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	clientsDir = testdataDir + "/clients"
	// systemPython is the interpreter Debian's python3-* packages install
	// into; another python3 first on PATH does not see them.
	systemPython = "/usr/bin/python3"
	// scriptTimeout bounds one client script; every script finishes in a
	// few seconds.
	scriptTimeout = 40 * time.Second
	// exitUnknownCommand is a script's exit status when the server refused
	// a command the client cannot do without (see celery_client.py).
	exitUnknownCommand = 3
)

// clientRedisPorts are the ports tried for this file's redis-server, apart
// from the conformance suite's, so both can run at once.
var clientRedisPorts = [2]int{7950, 7999}

// TestClients runs each real client against Strata and, when redis-server
// is on PATH, against Redis.
func TestClients(t *testing.T) {
	targets := []target{{name: "strata", addr: startStrata(t), strata: true}}
	if addr := startClientRedis(t); addr != "" {
		targets = append(targets, target{name: "redis", addr: addr})
	} else if *record {
		t.Fatal("-record needs redis-server on PATH")
	}
	t.Run("redis-cli", func(t *testing.T) {
		bin := toolBinary(t, "redis-cli")
		for _, tg := range targets {
			t.Run(tg.name, func(t *testing.T) { testRedisCLI(t, bin, tg) })
		}
	})
	t.Run("redis-benchmark", func(t *testing.T) {
		bin := toolBinary(t, "redis-benchmark")
		for _, tg := range targets {
			t.Run(tg.name, func(t *testing.T) { testRedisBenchmark(t, bin, tg) })
		}
	})
	for _, pc := range pythonClients {
		t.Run(pc.name, func(t *testing.T) {
			py := pythonWith(t, pc.modules)
			// Redis first: it checks the script and the recorded commands.
			for _, tg := range slices.Backward(targets) {
				t.Run(tg.name, func(t *testing.T) { testPythonClient(t, py, pc, tg) })
			}
		})
	}
}

// startClientRedis starts a redis-server of the goldens' version for the
// test's life and returns its address; "" when there is none to start
// (a failure under STRATA_REQUIRE_REDIS=1).
func startClientRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("STRATA_REQUIRE_REDIS") == "1" {
			t.Fatal("redis-server not on PATH (STRATA_REQUIRE_REDIS=1)")
		}
		t.Log("redis-server not on PATH: clients run against Strata only")
		return ""
	}
	want, err := os.ReadFile(versionFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for port := clientRedisPorts[0]; port <= clientRedisPorts[1]; port++ {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // busy
		}
		ln.Close()
		addr, version, err := tryRedis(t, bin, dir, port)
		if err != nil {
			t.Logf("redis-server on port %d: %v", port, err)
			continue
		}
		if !sameMinor(version, strings.TrimSpace(string(want))) {
			if os.Getenv("STRATA_REQUIRE_REDIS") == "1" {
				t.Fatalf("redis-server %s is not the goldens' version %s (STRATA_REQUIRE_REDIS=1)", version, want)
			}
			t.Logf("redis-server %s is not the goldens' version: clients run against Strata only", version)
			return ""
		}
		return addr
	}
	t.Fatalf("no redis-server could start on ports %d-%d", clientRedisPorts[0], clientRedisPorts[1])
	return ""
}

// toolBinary finds a redis-tools binary: a missing one skips the test, or
// fails it when STRATA_REQUIRE_REDIS=1 (CI installs redis-tools).
func toolBinary(t *testing.T, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		skipOrFail(t, name+" not on PATH")
	}
	return bin
}

// flushTarget empties every database of tg and returns a session on it.
func flushTarget(t *testing.T, tg target) *session {
	t.Helper()
	s, err := newSession(tg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	if r := s.adminDo("FLUSHALL"); r != "+OK\r\n" {
		t.Fatalf("FLUSHALL: %q", r)
	}
	return s
}

// adminExpect runs a command on the session's connection and fails the
// test unless the raw reply is want.
func adminExpect(t *testing.T, s *session, want string, args ...string) {
	t.Helper()
	if got := s.adminDo(args...); got != want {
		t.Fatalf("%s: %s: got %q, want %q", s.tg.name, strings.Join(args, " "), got, want)
	}
}

// tool runs a redis-tools binary against one server.
type tool struct {
	t    *testing.T
	bin  string
	host string
	port string
}

func newTool(t *testing.T, bin string, tg target) tool {
	host, port, err := net.SplitHostPort(tg.addr)
	if err != nil {
		t.Fatal(err)
	}
	return tool{t: t, bin: bin, host: host, port: port}
}

// run runs the tool with stdin and args after -h/-p and returns its
// output; a non-zero exit fails the test.
func (tl tool) run(stdin string, args ...string) (stdout, stderr string) {
	tl.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tl.bin, append([]string{"-h", tl.host, "-p", tl.port}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		tl.t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(tl.bin), strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// expect runs the tool and compares its whole stdout with want; anything
// on stderr fails the test.
func (tl tool) expect(want, stdin string, args ...string) {
	tl.t.Helper()
	out, errOut := tl.run(stdin, args...)
	if out != want || errOut != "" {
		tl.t.Errorf("%s %s:\ngot:\n%s\nwant:\n%s\nstderr: %q", filepath.Base(tl.bin), strings.Join(args, " "), out, want, errOut)
	}
}

// respCommands encodes commands as RESP, the input of redis-cli --pipe.
func respCommands(cmds [][]string) string {
	var b strings.Builder
	for _, c := range cmds {
		b.WriteString(encodeCommand(c))
	}
	return b.String()
}

// testRedisCLI runs redis-cli as people do: one-shot commands (stdout not
// a terminal, so raw output), --no-raw and -3 formatting, commands read
// from stdin, -n, -r, -x, --pipe, --scan, --bigkeys, --hotkeys and --stat.
func testRedisCLI(t *testing.T, bin string, tg target) {
	cases := []struct {
		name string
		run  func(t *testing.T, cli tool, s *session)
	}{
		{"one-shot", func(t *testing.T, cli tool, s *session) {
			cli.expect("OK\n", "", "SET", "greeting", "hello world")
			cli.expect("hello world\n", "", "GET", "greeting")
			cli.expect("\n", "", "GET", "missing")
			cli.expect("1\n", "", "EXISTS", "greeting")
			cli.expect("PONG\n", "", "PING")
		}},
		{"no-raw types from stdin", func(t *testing.T, cli tool, s *session) {
			cli.expect(`OK
(integer) 11
1) "11"
2) (nil)
string
(integer) -1
(error) ERR wrong number of arguments for 'incr' command
(error) ERR value is not an integer or out of range
"3.5"
(integer) 1
`, "SET n 10\nINCR n\nMGET n missing\nTYPE n\nTTL n\nINCR n x\nINCRBY n x\nINCRBYFLOAT f 3.5\nEXISTS n\n", "--no-raw")
		}},
		{"resp3", func(t *testing.T, cli tool, s *session) {
			cli.expect("1# \"maxmemory\" => \"0\"\n", "", "-3", "--no-raw", "CONFIG", "GET", "maxmemory")
			cli.expect("OK\n1) \"1.5\"\n2) (nil)\n", "SET f 1.5\nMGET f missing\n", "-3", "--no-raw")
		}},
		{"select with -n", func(t *testing.T, cli tool, s *session) {
			cli.expect("OK\n", "", "-n", "3", "SET", "x", "1")
			cli.expect("1\n", "", "-n", "3", "DBSIZE")
			cli.expect("0\n", "", "DBSIZE")
			cli.expect("x\n", "", "-n", "3", "--scan")
			out, errOut := cli.run("", "-n", "99", "PING")
			if want := "SELECT 99 failed: ERR DB index is out of range\n"; !strings.Contains(errOut, want) || out != "PONG\n" {
				t.Errorf("-n 99: stdout %q, stderr %q; want PONG and %q", out, errOut, want)
			}
		}},
		{"repeat and stdin argument", func(t *testing.T, cli tool, s *session) {
			cli.expect("1\n2\n3\n", "", "-r", "3", "INCR", "c")
			cli.expect("OK\n", "line 1\nline 2", "-x", "SET", "doc")
			adminExpect(t, s, "$13\r\nline 1\nline 2\r\n", "GET", "doc")
		}},
		{"pipe mass insertion and scan", func(t *testing.T, cli tool, s *session) {
			var cmds [][]string
			for i := 0; i < 2000; i++ {
				cmds = append(cmds, []string{"SET", fmt.Sprintf("user:%d", i), fmt.Sprintf("value-%d", i)})
			}
			for i := 0; i < 100; i++ {
				cmds = append(cmds, []string{"INCR", "hits"})
			}
			out, _ := cli.run(respCommands(cmds), "--pipe")
			if !strings.Contains(out, "errors: 0, replies: 2100") {
				t.Fatalf("--pipe: %s", out)
			}
			adminExpect(t, s, ":2001\r\n", "DBSIZE")
			adminExpect(t, s, "$3\r\n100\r\n", "GET", "hits")
			out, _ = cli.run("", "--scan", "--pattern", "user:19?")
			got := strings.Fields(out)
			slices.Sort(got)
			var want []string
			for i := 190; i < 200; i++ {
				want = append(want, fmt.Sprintf("user:%d", i))
			}
			if !slices.Equal(got, want) {
				t.Errorf("--scan --pattern user:19?: got %v, want %v", got, want)
			}
		}},
		{"bigkeys", func(t *testing.T, cli tool, s *session) {
			adminExpect(t, s, "+OK\r\n", "MSET", "small", "x", "medium", strings.Repeat("m", 100), "big", strings.Repeat("b", 5000))
			out, _ := cli.run("", "--bigkeys")
			for _, want := range []string{
				"Sampled 3 keys in the keyspace!",
				`Biggest string found '"big"' has 5000 bytes`,
				"3 strings with 5101 bytes (100.00% of keys, avg size 1700.33)",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("--bigkeys: no %q in:\n%s", want, out)
				}
			}
		}},
		{"hotkeys", func(t *testing.T, cli tool, s *session) {
			// --hotkeys reads OBJECT FREQ, which needs an LFU policy; set it
			// before the keys are written so every key has an LFU counter.
			adminExpect(t, s, "+OK\r\n", "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
			t.Cleanup(func() { s.adminDo("CONFIG", "SET", "maxmemory-policy", "noeviction") })
			var cmds [][]string
			for i := 0; i < 100; i++ {
				cmds = append(cmds, []string{"SET", fmt.Sprintf("item:%d", i), "v"})
			}
			// Redis's LFU counter grows logarithmically: 200 reads take it
			// past the others' starting value with overwhelming odds.
			for i := 0; i < 200; i++ {
				cmds = append(cmds, []string{"GET", "item:42"})
			}
			if out, _ := cli.run(respCommands(cmds), "--pipe"); !strings.Contains(out, "errors: 0, replies: 300") {
				t.Fatalf("--pipe: %s", out)
			}
			out, _ := cli.run("", "--hotkeys")
			_, summary, ok := strings.Cut(out, "-------- summary -------")
			if !ok {
				t.Fatalf("--hotkeys: no summary in:\n%s", out)
			}
			if !strings.Contains(summary, "Sampled 100 keys in the keyspace!") {
				t.Errorf("--hotkeys: wrong key count in:\n%s", summary)
			}
			first := regexp.MustCompile(`hot key found with counter: (\d+)\tkeyname: "([^"]*)"`).FindStringSubmatch(summary)
			if first == nil || first[2] != "item:42" {
				t.Errorf("--hotkeys: the hottest key is not item:42:\n%s", summary)
			}
		}},
		{"stat", func(t *testing.T, cli tool, s *session) {
			adminExpect(t, s, "+OK\r\n", "MSET", "a", "1", "b", "2", "c", "3")
			rows := cli.stat(3)
			if len(rows) < 2 {
				t.Fatalf("--stat: no data rows")
			}
			for i, f := range rows {
				if len(f) != 7 || f[0] != "3" || !regexp.MustCompile(`^[\d.]+[BKMG]$`).MatchString(f[1]) || f[2] == "0" || f[3] != "0" || !strings.HasPrefix(f[5], "(+") {
					t.Errorf("--stat row %d: %q, want 3 keys, memory, clients, 0 blocked, requests, connections", i, f)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := flushTarget(t, tg)
			tc.run(t, newTool(t, bin, tg), s)
		})
	}
}

// statHeader is what redis-cli --stat prints above its rows.
const statHeader = "------- data ------ --------------------- load -------------------- - child -\n" +
	"keys       mem      clients blocked requests            connections          \n"

// stat runs redis-cli --stat, which polls INFO until it is killed, until it
// has printed n rows (or for at most scriptTimeout), checks its header, and
// returns the rows' fields. stdbuf makes its output line-buffered: killed,
// it would lose what it buffered.
func (tl tool) stat(n int) [][]string {
	tl.t.Helper()
	stdbuf, err := exec.LookPath("stdbuf")
	if err != nil {
		tl.t.Skip("stdbuf (coreutils) not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, stdbuf, "-oL", tl.bin, "-h", tl.host, "-p", tl.port, "--stat", "-i", "0.1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		tl.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tl.t.Fatal(err)
	}
	defer cmd.Wait()
	defer cancel()
	var text strings.Builder
	lines := bufio.NewScanner(out)
	for len(strings.Split(text.String(), "\n")) < n+3 && lines.Scan() {
		text.WriteString(lines.Text() + "\n")
	}
	head, rows, ok := strings.Cut(text.String(), "connections          \n")
	if !ok || head+"connections          \n" != statHeader {
		tl.t.Fatalf("redis-cli --stat printed:\n%s\nwant the header:\n%s", text.String(), statHeader)
	}
	var fields [][]string
	for _, r := range strings.Split(strings.TrimSuffix(rows, "\n"), "\n") {
		fields = append(fields, strings.Fields(r))
	}
	return fields
}

// testRedisBenchmark runs tiny redis-benchmark runs (which stop at the
// first error reply) in RESP2 and pipelined RESP3, and checks that every
// test ran and that every INCR reached the server.
func testRedisBenchmark(t *testing.T, bin string, tg target) {
	s := flushTarget(t, tg)
	bench := newTool(t, bin, tg)
	tests := []string{"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"}
	for i, args := range [][]string{
		{"-c", "10"},
		{"-c", "10", "-P", "16", "-3"},
	} {
		out, errOut := bench.run("", append([]string{"-n", "1000", "-t", "set,get,incr,mset,ping", "-q", "--csv"}, args...)...)
		if strings.Contains(out+errOut, "rror") {
			t.Errorf("redis-benchmark %v: %s%s", args, out, errOut)
		}
		var ran []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			f := strings.Split(line, ",")
			if len(f) < 2 {
				t.Fatalf("redis-benchmark %v: bad line %q", args, line)
			}
			if rps, err := strconv.ParseFloat(strings.Trim(f[1], `"`), 64); err != nil || rps <= 0 {
				t.Errorf("redis-benchmark %v: bad line %q", args, line)
			}
			ran = append(ran, strings.Trim(f[0], `"`))
		}
		if !slices.Equal(ran, tests) {
			t.Errorf("redis-benchmark %v ran %q, want %q", args, ran, tests)
		}
		// Without -r every INCR hits one key; with -P a run may send a
		// few more than -n.
		raw := s.adminDo("GET", "counter:__rand_int__")
		n, err := parseReply(raw)
		if err != nil {
			t.Fatalf("GET counter:__rand_int__: %q", raw)
		}
		if got, _ := strconv.Atoi(n.str); got < (i+1)*1000 || i == 0 && got != 1000 {
			t.Errorf("after run %d the INCR counter is %q, want 1000 per run", i+1, n.str)
		}
	}
	// redis-benchmark's default 3-byte payload.
	adminExpect(t, s, "$3\r\nVXK\r\n", "GET", "key:__rand_int__")
}

// pythonClient is a Python client and the script that exercises it.
type pythonClient struct {
	name    string   // test name; its commands are in clientsDir/<name>.commands
	script  string   // in clientsDir
	args    []string // after the server's address
	modules []string // what the script imports
	// stopsOnGap: the client cannot run at all without the commands it
	// needs, so a run on Strata that exits with exitUnknownCommand skips
	// the test, naming them. Other clients report gaps and carry on.
	stopsOnGap bool
}

var pythonClients = []pythonClient{
	{name: "redis-py", script: "redispy_client.py", modules: []string{"redis"}},
	{name: "django-redis", script: "django_client.py", modules: []string{"redis", "django", "django_redis"}},
	// Redis as Celery's broker and result backend: the broker needs lists,
	// sets, hashes, sorted sets and, for its restore mutex, Lua.
	{name: "celery", script: "celery_client.py", modules: []string{"redis", "celery", "kombu"}, stopsOnGap: true},
	// The same with kombu's restore mutex held beforehand, as another
	// worker may hold it: the worker then runs no Lua, which shows that
	// the rest of the broker works.
	{name: "celery-mutex-held", script: "celery_client.py", args: []string{"--restore-mutex-held"}, modules: []string{"redis", "celery", "kombu"}, stopsOnGap: true},
	// Redis as Celery's result backend only, the broker elsewhere.
	{name: "celery-results", script: "celery_client.py", args: []string{"--results-only"}, modules: []string{"redis", "celery", "kombu"}},
}

// pythonWith returns systemPython when it imports every module: otherwise
// it skips the test, or fails it when STRATA_REQUIRE_CLIENTS=1.
func pythonWith(t *testing.T, modules []string) string {
	t.Helper()
	missing := func(msg string) {
		t.Helper()
		if os.Getenv("STRATA_REQUIRE_CLIENTS") == "1" {
			t.Fatal(msg + " (STRATA_REQUIRE_CLIENTS=1)")
		}
		t.Skip(msg)
	}
	if _, err := os.Stat(systemPython); err != nil {
		missing(systemPython + " not found")
	}
	out, err := exec.Command(systemPython, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err != nil {
		missing(fmt.Sprintf("%s cannot import %s: %s", systemPython, strings.Join(modules, ", "), lastLine(string(out))))
	}
	return systemPython
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// runScript runs a client script against addr and returns its output and
// exit status. The script's process group is killed on timeout, so a
// worker it started does not outlive it.
func runScript(t *testing.T, py string, pc pythonClient, addr string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{filepath.Join(clientsDir, pc.script), addr}, pc.args...)...)
	// No __pycache__ in testdata: the Celery worker imports the script.
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish in %v:\n%s", pc.script, scriptTimeout, out)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", pc.script, err)
	}
	return string(out), 0
}

// unknownCommands are the commands a script reports the server refused,
// on its lines "UNKNOWN-COMMAND name".
func unknownCommands(out string) []string {
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "UNKNOWN-COMMAND "); ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// testPythonClient runs pc's script on tg. On Redis it must pass with
// every command known, and what it sends (by INFO commandstats) must be
// in the record. On Strata it must pass, except for features whose commands
// Strata lacks, which are logged; a client that cannot run without them
// is skipped, naming them.
func testPythonClient(t *testing.T, py string, pc pythonClient, tg target) {
	s := flushTarget(t, tg)
	recordPath := filepath.Join(clientsDir, pc.name+".commands")
	if !tg.strata {
		// Each client starts with no cached Lua scripts, as on a fresh
		// server, so it sends the SCRIPT LOAD it needs there.
		adminExpect(t, s, "+OK\r\n", "SCRIPT", "FLUSH")
		resetCommandStats(t, s)
		out, code := runScript(t, py, pc, tg.addr)
		seen := commandStats(t, s)
		if code != 0 || len(unknownCommands(out)) > 0 {
			t.Fatalf("%s against Redis: exit %d:\n%s", pc.script, code, out)
		}
		if *record {
			writeCommandList(t, recordPath, pc, seen)
			return
		}
		recorded := readCommandList(t, recordPath)
		for _, name := range seen {
			if !slices.Contains(recorded, name) {
				t.Errorf("%s sent %s, which is not in %s: re-record with -record", pc.name, name, recordPath)
			}
		}
		return
	}

	recorded := readCommandList(t, recordPath)
	lacks := lackingCommands(t, s, recorded)
	if len(lacks) > 0 {
		t.Logf("%s uses commands Strata lacks: %s", pc.name, strings.Join(lacks, " "))
	}
	out, code := runScript(t, py, pc, tg.addr)
	unknown := unknownCommands(out)
	for _, name := range unknown {
		if len(lackingCommands(t, s, []string{name})) == 0 {
			t.Errorf("Strata replied unknown command %q, but COMMAND INFO knows it", name)
		}
		if !slices.Contains(recorded, name) {
			t.Errorf("%s needs %s, which is not in %s: re-record with -record", pc.name, name, recordPath)
		}
	}
	switch {
	case code == 0:
		if len(unknown) > 0 {
			t.Logf("%s: features not run for lack of %s:\n%s", pc.name, strings.Join(unknown, " "), out)
		}
	case code == exitUnknownCommand && pc.stopsOnGap && len(unknown) > 0 && !t.Failed():
		t.Log(out)
		t.Skipf("%s cannot run on Strata: it needs %s, which Strata lacks (refused first: %s)",
			pc.name, strings.Join(lacks, " "), strings.Join(unknown, " "))
	default:
		t.Fatalf("%s against Strata: exit %d:\n%s", pc.script, code, out)
	}
}

// readCommandList reads a recorded command list: one command a line,
// "container|subcommand" for subcommands; '#' starts a comment.
func readCommandList(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			names = append(names, line)
		}
	}
	return names
}

// writeCommandList adds names to the record at path. Some commands are
// sent only on some runs (Celery's worker restores unacknowledged
// messages with HGET when its shutdown races a delivery), so recording
// adds to what was seen before; delete the file to start afresh.
func writeCommandList(t *testing.T, path string, pc pythonClient, names []string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		for _, name := range readCommandList(t, path) {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		slices.Sort(names)
	}
	version, err := os.ReadFile(versionFile)
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("# The commands %s sent to redis-server %s while running %s,\n"+
		"# from INFO commandstats (which counts the commands of Lua scripts too).\n"+
		"# Recorded with: go test ./conformance -run TestClients/%s -record\n"+
		"# (which adds to this list: delete the file first to start afresh)\n%s\n",
		pc.name, strings.TrimSpace(string(version)), strings.Join(append([]string{pc.script}, pc.args...), " "), pc.name, strings.Join(names, "\n"))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lackingCommands returns those of names (commands, or container|sub)
// that the server's COMMAND INFO does not know.
func lackingCommands(t *testing.T, s *session, names []string) []string {
	t.Helper()
	if len(names) == 0 {
		return nil
	}
	raw := s.adminDo(append([]string{"COMMAND", "INFO"}, names...)...)
	n, err := parseReply(raw)
	if err != nil || n.typ != '*' || len(n.kids) != len(names) {
		t.Fatalf("COMMAND INFO: %q", raw)
	}
	var lacks []string
	for i, kid := range n.kids {
		if kid.null {
			lacks = append(lacks, names[i])
		}
	}
	return lacks
}

// resetCommandStats zeroes a redis-server's INFO commandstats.
func resetCommandStats(t *testing.T, s *session) {
	t.Helper()
	adminExpect(t, s, "+OK\r\n", "CONFIG", "RESETSTAT")
}

// commandStats returns the commands a redis-server ran or rejected since
// resetCommandStats, sorted, subcommands as container|sub; the reset
// itself is left out. Unlike MONITOR, INFO commandstats also counts
// admin commands (CONFIG, CLIENT LIST, ...) and commands refused for
// their arguments; it counts the commands of Lua scripts too.
func commandStats(t *testing.T, s *session) []string {
	t.Helper()
	raw := s.adminDo("INFO", "commandstats")
	n, err := parseReply(raw)
	if err != nil || n.typ != '$' {
		t.Fatalf("INFO commandstats: %q", raw)
	}
	var names []string
	for _, line := range strings.Split(n.str, "\r\n") {
		name, _, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
		if ok && name != line && name != "config|resetstat" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
