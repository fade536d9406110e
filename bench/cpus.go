package main

// --server-cpus: each server runs on the first N of the CPUs the bench may
// use, and the bench itself (its Go load generators) and the
// redis-benchmark runs it starts on the rest, so that servers and clients
// stop taking each other's time slices and the same command measures
// scaling on a machine with more cores. Pinning goes through taskset
// (util-linux): `taskset -c LIST argv...` for each server, and
// `taskset -a -p -c LIST PID` for the bench's own threads once, which the
// processes it starts later inherit.
//
// Go reads the CPU affinity at start-up (runtime.NumCPU), so a pinned
// Strata sizes GOMAXPROCS from the CPUs it is pinned to: cmd/strata's
// default is half of them, at least one, unless GOMAXPROCS is set in the
// environment, which the servers inherit from the bench. The throughput
// table's heading shows what Strata ran with (INFO go_maxprocs), so that a
// row states what it measured.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// cpuPlan is where the servers and the clients run. The zero plan pins
// nothing.
type cpuPlan struct {
	server []int // CPUs each server is pinned to
	client []int // CPUs of the bench and of redis-benchmark
}

// strataMaxProcs is the GOMAXPROCS the last Strata started ran with, from
// its INFO (0: not known), for the heading of the throughput table.
var strataMaxProcs int

// noteMaxProcs reads go_maxprocs from the INFO of the Strata at addr into
// strataMaxProcs; a failure leaves it unknown.
func noteMaxProcs(addr string) {
	c, err := dial(addr)
	if err != nil {
		return
	}
	defer c.Close()
	if info, err := c.info("server"); err == nil {
		strataMaxProcs, _ = strconv.Atoi(info["go_maxprocs"])
	}
}

// pinning is the run's plan, set once from --server-cpus before any
// server starts.
var pinning cpuPlan

// planCPUs splits allowed (the CPUs the bench may use, in order) into n for
// the servers and the rest for the clients. n = 0 pins nothing; n must
// leave at least one CPU for the clients.
func planCPUs(n int, allowed []int) (cpuPlan, error) {
	switch {
	case n < 0:
		return cpuPlan{}, fmt.Errorf("--server-cpus %d: must be 0 (no pinning) or more", n)
	case n == 0:
		return cpuPlan{}, nil
	case n >= len(allowed):
		return cpuPlan{}, fmt.Errorf("--server-cpus %d leaves no CPU for redis-benchmark and the bench's own load: "+
			"this process may use %d CPUs (%s), so N must be at most %d", n, len(allowed), formatCPUList(allowed), len(allowed)-1)
	}
	return cpuPlan{server: slices.Clone(allowed[:n]), client: slices.Clone(allowed[n:])}, nil
}

// active reports whether the plan pins anything.
func (p cpuPlan) active() bool { return len(p.server) > 0 }

// wrap returns argv run on the server CPUs: under taskset when the plan is
// active, else argv itself. taskset execs argv, so the process ID is the
// server's.
func (p cpuPlan) wrap(argv []string) []string {
	if !p.active() {
		return argv
	}
	return append([]string{"taskset", "-c", formatCPUList(p.server)}, argv...)
}

// check returns an error unless process pid runs on the server CPUs of an
// active plan, so that no row claims a pinning that did not happen.
func (p cpuPlan) check(pid int) error {
	if !p.active() {
		return nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			got, err := parseCPUList(strings.TrimSpace(rest))
			if err != nil || !slices.Equal(got, p.server) {
				return fmt.Errorf("--server-cpus: process %d runs on CPUs %q, not %s", pid, strings.TrimSpace(rest), formatCPUList(p.server))
			}
			return nil
		}
	}
	return fmt.Errorf("--server-cpus: no Cpus_allowed_list for process %d", pid)
}

// pinSelf moves every thread of the bench to the client CPUs, so that its
// own load generators and the processes it starts from now on (each
// redis-benchmark) run there, and sizes its GOMAXPROCS to match.
func (p cpuPlan) pinSelf() error {
	if !p.active() {
		return nil
	}
	out, err := exec.Command("taskset", "-a", "-p", "-c", formatCPUList(p.client), strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("--server-cpus: taskset (util-linux) could not pin the bench to CPUs %s: %v\n%s", formatCPUList(p.client), err, out)
	}
	runtime.GOMAXPROCS(len(p.client))
	return nil
}

// describe says where servers and clients run, for the header of the
// output. What GOMAXPROCS Strata chose shows in the throughput table's
// heading, from its INFO.
func (p cpuPlan) describe() string {
	if !p.active() {
		return "CPUs: not pinned (--server-cpus 0); servers and clients share them"
	}
	return fmt.Sprintf("CPUs: each server on %s (taskset), the bench and redis-benchmark on %s",
		formatCPUList(p.server), formatCPUList(p.client))
}

// allowedCPUs returns the CPUs this process may run on, from
// Cpus_allowed_list in /proc/self/status (what nproc counts).
func allowedCPUs() ([]int, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, fmt.Errorf("--server-cpus needs Linux's /proc: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Cpus_allowed_list:"); ok {
			return parseCPUList(strings.TrimSpace(rest))
		}
	}
	return nil, fmt.Errorf("--server-cpus: no Cpus_allowed_list in /proc/self/status")
}

// parseCPUList parses a Linux CPU list ("0-3,8,10-11") into CPU numbers in
// ascending order.
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a {
			return nil, fmt.Errorf("bad CPU list %q", s)
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	slices.Sort(cpus)
	return slices.Compact(cpus), nil
}

// formatCPUList writes CPU numbers in ascending order as a Linux CPU list,
// runs folded into ranges ("0-3,8").
func formatCPUList(cpus []int) string {
	var b strings.Builder
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(cpus[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(cpus[j]))
		}
		i = j + 1
	}
	return b.String()
}
