package server

// The admin HTTP listener (Config.AdminAddr, off by default), after the
// model of nats-server's monitor.go:
//
//	/metrics   Prometheus text format (metrics.go)
//	/healthz   200 while the process serves
//	/readyz    200 once the server is started (its disk tier open), 503
//	           while it shuts down
//	/          the dashboard, a page built into the binary (dashboard/)
//	/api/dashboard  the dashboard's numbers as JSON
//
// With requirepass set, every path but /healthz and /readyz asks for HTTP
// Basic credentials: the password, with the user "default" (Redis's user)
// or none. The probes stay open so that an orchestrator can call them;
// they tell nothing but up or ready.

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	page, _ := fs.Sub(dashboardFiles, "dashboard")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.Handle("GET /metrics", s.authorized(promhttp.HandlerFor(s.newMetricsRegistry(), promhttp.HandlerOpts{})))
	mux.Handle("GET /api/dashboard", s.authorized(http.HandlerFunc(s.serveDashboard)))
	mux.Handle("GET /api/warmup", s.authorized(http.HandlerFunc(s.serveWarmup))) // cmd_warmup.go
	mux.Handle("GET /", s.authorized(http.FileServerFS(page)))
	s.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
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

// authorized wraps h with requirepass: Basic credentials with the
// password and the user "default" or none, while a password is set.
func (s *Server) authorized(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pass := s.password(); pass != "" {
			user, given, ok := r.BasicAuth()
			if !ok || user != "" && user != "default" || subtle.ConstantTimeCompare([]byte(given), []byte(pass)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="strata", charset="UTF-8"`)
				http.Error(w, "requirepass is set: give it as the password (user default)", http.StatusUnauthorized)
				return
			}
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
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(d)
}
