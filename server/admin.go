package server

// The admin HTTP listener (Config.AdminAddr, off by default), after the
// model of nats-server's monitor.go:
//
//	/metrics   Prometheus text format (metrics.go)
//	/healthz   200 while the process serves
//	/readyz    200 once the server is started (its disk tier open), 503
//	           while it shuts down
//	/warmup    GET: every warm-up job's status as JSON
//	/warmup/{job}  POST: run the job, answer its counts as JSON
//	/          the dashboard, a page built into the binary (dashboard/)
//	/api/dashboard  the dashboard's numbers as JSON
//
// While the default user needs a password (requirepass) or is off, every
// path but /healthz and /readyz asks for HTTP Basic credentials of an ACL
// user (none: the default user) that may run INFO, whose numbers the
// others show. The probes stay open so that an orchestrator can call
// them; they tell nothing but up or ready. With a TLS certificate
// configured (tls-cert-file), the listener serves HTTPS with the tls-*
// settings, certificate reloads included (Server.TLSConfig).
//
// A POST from a page of another origin is refused (403): the browser of an
// operator who has the dashboard open, or its password cached, would
// otherwise run jobs for any site it visits.

import (
	"crypto/tls"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stratakv/strata/acl"
	"github.com/stratakv/strata/scheduler"
)

//go:embed dashboard
var dashboardFiles embed.FS

// startAdmin listens on cfg.AdminAddr and serves the admin endpoints in
// the background, when the address is set.
func (s *Server) startAdmin() error {
	if s.cfg.AdminAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.AdminAddr)
	if err != nil {
		return fmt.Errorf("server: admin-addr %s: %w", s.cfg.AdminAddr, err)
	}
	if cfg := s.TLSConfig(); cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	page, _ := fs.Sub(dashboardFiles, "dashboard")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.Handle("GET /metrics", s.authorized(promhttp.HandlerFor(s.newMetricsRegistry(), promhttp.HandlerOpts{}), "info"))
	mux.Handle("GET /api/dashboard", s.authorized(http.HandlerFunc(s.serveDashboard), "info"))
	mux.Handle("GET /warmup", s.authorized(http.HandlerFunc(s.serveWarmup), "info"))
	mux.Handle("POST /warmup/{job}", s.authorized(http.HandlerFunc(s.serveWarmupRun), "cache.warmup|run"))
	mux.Handle("GET /", s.authorized(http.FileServerFS(page), "info"))
	s.admin = &http.Server{Handler: http.NewCrossOriginProtection().Handler(mux), ReadHeaderTimeout: 10 * time.Second}
	s.adminLn = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("admin listener stopped", "err", err)
		}
	}()
	s.log.Info("admin endpoints ready", "addr", ln.Addr().String())
	return nil
}

// AdminAddr returns the admin listener's address, "" when it is off or
// before Start.
func (s *Server) AdminAddr() string {
	if s.adminLn == nil {
		return ""
	}
	return s.adminLn.Addr().String()
}

// serveReady answers /readyz: ready from Start (the disk tier opened in
// New) until shutdown begins.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.done:
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	default:
		fmt.Fprintln(w, "ready")
	}
}

// authorized wraps h with the ACL: the request runs as the default user
// while it needs no password, else as the user of its Basic credentials
// (none: default), and that user must be allowed the command named by
// fullName ("info", "cache.warmup|run"), whose work the path does.
func (s *Server) authorized(h http.Handler, fullName string) http.Handler {
	cmd := s.users.Catalog().Lookup(fullName)
	var args [][]byte
	for _, a := range strings.Split(fullName, "|") {
		args = append(args, []byte(a))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := s.users.Default()
		if !u.Open() {
			name, pass, given := r.BasicAuth()
			if name == "" {
				name = acl.DefaultUser
			}
			var ok bool
			if u, ok = s.users.Authenticate([]byte(name), []byte(pass)); !given || !ok {
				w.Header().Set("WWW-Authenticate", `Basic realm="strata", charset="UTF-8"`)
				http.Error(w, "authentication required: an ACL user and its password (user default for requirepass)", http.StatusUnauthorized)
				return
			}
		}
		if d, _ := u.Check(cmd, args, nil); d != acl.Allowed {
			http.Error(w, "this user may not run "+strings.ToUpper(strings.ReplaceAll(fullName, "|", " ")), http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// dashboardData is what the dashboard shows, as /api/dashboard sends it.
type dashboardData struct {
	Version    string              `json:"version"`
	Uptime     int64               `json:"uptime_seconds"`
	Clients    int                 `json:"connected_clients"`
	OpsPerSec  int64               `json:"ops_per_sec"`
	UsedMemory int64               `json:"used_memory"`
	Namespaces []dashboardSpace    `json:"namespaces"`
	Disk       *dashboardDisk      `json:"disk"` // nil without a disk tier
	HotKeys    []dashboardHotKey   `json:"hot_keys"`
	SlowLog    []dashboardSlowCall `json:"slowlog"`
	Warmup     []warmupJob         `json:"warmup"`
}

type dashboardSpace struct {
	Name        string  `json:"name"`
	Match       string  `json:"match"`
	Strategy    string  `json:"strategy"`
	Hits        int64   `json:"hits"`
	DiskHits    int64   `json:"disk_hits"`
	Misses      int64   `json:"misses"`
	HitRate     float64 `json:"hit_rate"`
	Sets        int64   `json:"sets"`
	Keys        int64   `json:"keys"`
	MemoryBytes int64   `json:"memory_bytes"`
	Compression float64 `json:"compression_ratio"`
}

type dashboardDisk struct {
	Keys         int64 `json:"keys"`
	Bytes        int64 `json:"bytes"`
	BacklogKeys  int64 `json:"write_back_backlog_keys"`
	LastFlushMS  int64 `json:"last_flush_unix_ms"`
	FlushFailing bool  `json:"flush_failing"`
}

type dashboardHotKey struct {
	DB    int     `json:"db"`
	Key   string  `json:"key"`
	Count float64 `json:"count"`
}

type dashboardSlowCall struct {
	ID       int64    `json:"id"`
	At       int64    `json:"unix_time"`
	Micros   int64    `json:"duration_us"`
	Args     []string `json:"args"`
	ClientIP string   `json:"client"`
}

// dashboardSlowCalls is how many slow log entries the dashboard shows.
const dashboardSlowCalls = 20

// serveDashboard answers /api/dashboard.
func (s *Server) serveDashboard(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	clients := len(s.clients)
	s.mu.Unlock()
	d := dashboardData{Version: Version, Uptime: int64(time.Since(s.started).Seconds()), Clients: clients,
		OpsPerSec: s.opsPerSec(), UsedMemory: s.store.Used()}
	spaces := s.cache.Rules().Spaces()
	for i, st := range s.namespaceStats() {
		d.Namespaces = append(d.Namespaces, dashboardSpace{Name: st.name, Match: spaces[i].Match,
			Strategy: spaces[i].Strategy.String(), Hits: st.hits, DiskHits: st.ctr.DiskHits.Load(), Misses: st.misses,
			HitRate: st.hitRate(), Sets: st.ctr.Sets.Load(), Keys: st.keys, MemoryBytes: st.bytes, Compression: st.compression()})
	}
	if t := s.cache.Tier(); t != nil {
		st := t.Stats()
		d.Disk = &dashboardDisk{Keys: st.Keys, Bytes: st.Bytes, BacklogKeys: st.BacklogKeys, LastFlushMS: st.LastFlush, FlushFailing: st.FlushFailed}
	}
	for db := 0; db < s.store.Databases(); db++ {
		if s.store.DB(db).Len() == 0 {
			continue
		}
		for _, h := range s.store.HotKeys(db, hotKeysExported, nil) {
			d.HotKeys = append(d.HotKeys, dashboardHotKey{DB: db, Key: h.Key, Count: h.Count})
		}
	}
	for _, e := range s.slowlog.get(dashboardSlowCalls) {
		d.SlowLog = append(d.SlowLog, dashboardSlowCall{ID: e.id, At: e.at, Micros: e.micros, Args: e.args, ClientIP: e.addr})
	}
	d.Warmup = s.warmupJobs()
	writeJSON(w, http.StatusOK, d)
}

// warmupJob is a job's status as GET /warmup gives it: CACHE.WARMUP
// STATUS's fields, in JSON.
type warmupJob struct {
	Name        string     `json:"name"`
	Schedule    string     `json:"schedule"`
	Source      string     `json:"source"`
	State       string     `json:"state"`
	Done        int64      `json:"done"`
	Total       int64      `json:"total"`
	Runs        int64      `json:"runs"`
	FailedRuns  int64      `json:"failed_runs"`
	SkippedRuns int64      `json:"skipped_runs"`
	NextRun     *time.Time `json:"next_run"` // null: no schedule
	Last        *warmupRun `json:"last"`     // null before the first run
}

// warmupRun is a finished run: a job's last, or the one a POST ran.
type warmupRun struct {
	Trigger    string    `json:"trigger"`
	Started    time.Time `json:"started"`
	DurationMS int64     `json:"duration_ms"`
	Loaded     int64     `json:"loaded"`
	Failed     int64     `json:"failed"`
	Skipped    int64     `json:"skipped"`
	Error      string    `json:"error,omitempty"` // the last failure's cause
}

// newWarmupRun returns res as JSON gives it: times in milliseconds, as
// CACHE.WARMUP gives them.
func newWarmupRun(res scheduler.Result) *warmupRun {
	return &warmupRun{Trigger: res.Trigger, Started: res.Started.Truncate(time.Millisecond), DurationMS: res.Duration.Milliseconds(),
		Loaded: res.Loaded, Failed: res.Failed, Skipped: res.Skipped, Error: res.Err}
}

// warmupJobs returns every job's status, in config order.
func (s *Server) warmupJobs() []warmupJob {
	jobs := []warmupJob{}
	for _, st := range s.scheduler.List() {
		j := warmupJob{Name: st.Name, Schedule: st.Schedule, Source: st.Source, State: jobState(st),
			Done: st.Done, Total: st.Total, Runs: st.Runs, FailedRuns: st.FailedRuns, SkippedRuns: st.SkippedRuns}
		if !st.Next.IsZero() {
			j.NextRun = &st.Next
		}
		if st.Last != nil {
			j.Last = newWarmupRun(*st.Last)
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// serveWarmup answers GET /warmup: {"jobs": [...]}, every job's status,
// so a dashboard or a check can see whether the warm-ups ran.
func (s *Server) serveWarmup(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"jobs": s.warmupJobs()})
}

// serveWarmupRun answers POST /warmup/{job}: it runs the job and, once
// the run ends, answers 200 with its counts (a run that failed keys is
// still a 200: its error says why). An unknown job is a 404, a job
// already running a 409, a server shutting down a 503, each with
// {"error": ...} worded as CACHE.WARMUP RUN's. A client that hangs up
// stops waiting, not the run.
func (s *Server) serveWarmupRun(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("job")
	res, err := s.scheduler.Run(r.Context(), name)
	if err == nil {
		writeJSON(w, http.StatusOK, newWarmupRun(res))
		return
	}
	if r.Context().Err() != nil {
		return // nobody is waiting for the answer
	}
	status := http.StatusServiceUnavailable
	switch {
	case errors.Is(err, scheduler.ErrUnknownJob):
		status = http.StatusNotFound
	case errors.Is(err, scheduler.ErrRunning):
		status = http.StatusConflict
	}
	writeJSON(w, status, map[string]string{"error": strings.TrimPrefix(warmupError(name, err), "ERR ")})
}

// writeJSON answers v as JSON with status, never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
