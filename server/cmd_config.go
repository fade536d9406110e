package server

// CONFIG GET|SET|RESETSTAT|REWRITE|HELP.
// https://redis.io/commands/config-set/
//
// The parameter registry knows Redis 7.0's parameter names. Those Strata
// uses (maxmemory, maxmemory-policy, timeout, maxclients, requirepass,
// slowlog-*, notify-keyspace-events, proto-max-bulk-len) take effect at
// once; the others are accepted, validated and reported back (see
// noopConfigParams). CONFIG SET of several parameters is atomic: every
// value is checked before any is applied.

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stratakv/strata/internal/units"
	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

func registerConfigCommands(t commandTable) {
	t.container("config", -2,
		&command{name: "get", handler: cmdConfigGet, arity: -3, flags: flagNoData},
		// SET takes the exclusive storage lock (no flagNoData, no keys): a
		// lower maxmemory evicts at once.
		&command{name: "set", handler: cmdConfigSet, arity: -4},
		&command{name: "resetstat", handler: cmdConfigResetStat, arity: 2, flags: flagNoData},
		&command{name: "rewrite", handler: cmdConfigRewrite, arity: 2, flags: flagNoData},
		&command{name: "help", handler: cmdConfigHelp, arity: 2, flags: flagNoData},
	)
}

// paramKind is how a parameter's value is parsed and written back.
type paramKind uint8

const (
	paramString paramKind = iota
	paramBool
	paramInt
	paramMemory          // bytes with Redis's units: 100mb, 1gb
	paramMemoryOrPercent // a memory value or N%
	paramEnum
	paramEnumFlags // one or more enum words, space-separated
	paramNotify    // notify-keyspace-events letters
	paramSave      // "seconds changes" pairs
	paramBufferLimit
	paramOOMValues
	paramPercentiles
)

// paramFlags qualify a parameter.
type paramFlags uint8

const (
	// paramImmutable parameters are set at start-up only.
	paramImmutable paramFlags = 1 << iota
	// paramProtected parameters are refused as Redis refuses them with
	// enable-protected-configs no (its default).
	paramProtected
	// paramSecret values are kept out of the slow log.
	paramSecret
)

// configParam is one parameter of CONFIG GET and SET.
type configParam struct {
	name  string
	kind  paramKind
	flags paramFlags
	// min and max bound integer and memory values.
	min, max int64
	// values are an enum's words in Redis's order, which its error lists.
	values []string
	// extra are enum words Strata accepts besides Redis's (allkeys-2q,
	// allkeys-tinylfu), left out of the error so that it stays Redis's
	// text.
	extra []string
	// def is the starting value of a parameter Strata does not use.
	def string
	// alias names the parameter whose value this old name shares
	// (slaveof is replicaof); the other fields come from it.
	alias string
	// get and set read and apply a parameter Strata uses, with cfgMu
	// held; nil for the others, whose values the server keeps as set.
	get func(s *Server) string
	set func(s *Server, v string)
	// apply, when set, makes the parameter take effect after set, without
	// cfgMu; it may fail (see configApply).
	apply *configApply
	// unsupported is why Strata takes only def as the value (see
	// unsupportedConfigParams).
	unsupported string
}

// configApply is work that makes parameters take effect and can fail,
// such as binding a port or loading certificates. As Redis's apply
// functions, each runs once per CONFIG SET however many of its parameters
// were set, and when one fails every parameter set goes back to its old
// value.
type configApply struct{ run func(s *Server) paramError }

// applyTLSParams reloads the TLS config and moves the TLS listener.
var applyTLSParams = &configApply{run: (*Server).applyTLS}

// applyListenParams moves the TCP listeners to bind and port.
var applyListenParams = &configApply{run: (*Server).applyListen}

// tlsParam is a tls-* parameter Strata acts on: a string field of
// TLSSettings, checked and applied by applyTLS.
func tlsParam(name string, kind paramKind, field func(t *TLSSettings) *string, values ...string) configParam {
	return configParam{name: name, kind: kind, values: values, apply: applyTLSParams,
		get: func(s *Server) string { return *field(&s.cfg.TLS) },
		set: func(s *Server, v string) { *field(&s.cfg.TLS) = v }}
}

// atomicIntParam is an integer parameter from min up, held in the atomic
// field returns.
func atomicIntParam(name string, min int64, field func(*Server) *atomic.Int64) configParam {
	return configParam{name: name, kind: paramInt, min: min, max: math.MaxInt64,
		get: func(s *Server) string { return strconv.FormatInt(field(s).Load(), 10) },
		set: func(s *Server, v string) {
			n, _ := strconv.ParseInt(v, 10, 64)
			field(s).Store(n)
		}}
}

// liveConfigParams are the parameters Strata acts on.
var liveConfigParams = []configParam{
	atomicIntParam("busy-reply-threshold", 0, func(s *Server) *atomic.Int64 { return &s.scriptLimit }),
	aliasParam("lua-time-limit", "busy-reply-threshold"),
	atomicIntParam("latency-monitor-threshold", 0, func(s *Server) *atomic.Int64 { return &s.latency.threshold }),
	{name: "enable-debug-command", flags: paramImmutable,
		get: func(s *Server) string { return s.cfg.EnableDebugCommand }},
	atomicIntParam("tracking-table-max-keys", 0, func(s *Server) *atomic.Int64 { return &s.tracking.maxKeys }),
	{name: "maxmemory", kind: paramMemory, max: math.MaxInt64,
		get: func(s *Server) string { return strconv.FormatInt(s.store.MaxMemory(), 10) },
		set: func(s *Server, v string) {
			n, _ := strconv.ParseInt(v, 10, 64)
			s.cfg.MaxMemory = n
			s.store.SetMaxMemory(n)
		}},
	{name: "maxmemory-policy", kind: paramEnum, values: []string{"volatile-lru", "volatile-lfu", "volatile-random",
		"volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"},
		extra: []string{storage.AllKeys2Q.String(), storage.AllKeysTinyLFU.String()},
		get:   func(s *Server) string { return s.store.Policy().String() },
		set: func(s *Server, v string) {
			p, _ := storage.ParseEvictionPolicy(v)
			s.cfg.MaxMemoryPolicy = v
			s.store.SetPolicy(p)
		}},
	{name: "timeout", kind: paramInt, max: math.MaxInt32,
		get: func(s *Server) string {
			return strconv.FormatInt(int64((s.cfg.Timeout+time.Second-1)/time.Second), 10)
		},
		set: func(s *Server, v string) {
			n, _ := strconv.ParseInt(v, 10, 64)
			s.cfg.Timeout = time.Duration(n) * time.Second
			s.timeout.Store(int64(s.cfg.Timeout))
		}},
	{name: "maxclients", kind: paramInt, min: 1, max: math.MaxUint32,
		get: func(s *Server) string { return strconv.Itoa(s.cfg.MaxClients) },
		set: func(s *Server, v string) { s.cfg.MaxClients, _ = strconv.Atoi(v) }},
	// requirepass is the default user's password: clients that have not
	// authenticated need AUTH from the next command on, and with "" need
	// it no more.
	{name: "requirepass", kind: paramString, flags: paramSecret,
		get: func(s *Server) string { return s.cfg.RequirePass },
		set: func(s *Server, v string) {
			s.cfg.RequirePass = v
			s.users.SetDefaultPassword(v)
		}},
	{name: "aclfile", flags: paramImmutable, get: func(s *Server) string { return s.cfg.ACLFile }},
	{name: "acllog-max-len", kind: paramInt, max: math.MaxInt64,
		get: func(s *Server) string { return strconv.Itoa(s.aclLog.MaxLen()) },
		set: func(s *Server, v string) {
			n, _ := strconv.Atoi(v)
			s.aclLog.SetMaxLen(n)
		}},
	// acl-pubsub-default is the channels of users and selectors made
	// from now on.
	{name: "acl-pubsub-default", kind: paramEnum, values: []string{"allchannels", "resetchannels"},
		get: func(s *Server) string { return s.cfg.ACLPubSubDefault },
		set: func(s *Server, v string) {
			s.cfg.ACLPubSubDefault = v
			s.users.SetPubSubDefault(v == "allchannels")
		}},
	// protected-mode applies to connections accepted from now on.
	{name: "protected-mode", kind: paramBool,
		get: func(s *Server) string { return s.cfg.ProtectedMode },
		set: func(s *Server, v string) { s.cfg.ProtectedMode = v }},
	atomicIntParam("slowlog-log-slower-than", -1, func(s *Server) *atomic.Int64 { return &s.slowlog.slowerThan }),
	atomicIntParam("slowlog-max-len", 0, func(s *Server) *atomic.Int64 { return &s.slowlog.maxLen }),
	{name: "notify-keyspace-events", kind: paramNotify,
		get: func(s *Server) string { return s.notifyKeyspaceEvents() },
		set: func(s *Server, v string) {
			s.cfg.NotifyKeyspaceEvents = v
			s.setNotifyKeyspaceEvents(v) // validated: cannot fail
		}},
	// proto-max-bulk-len applies to connections made after the change.
	{name: "proto-max-bulk-len", kind: paramMemory, min: 1 << 20, max: math.MaxInt64,
		get: func(s *Server) string { return strconv.FormatInt(s.cfg.ProtoMaxBulkLen, 10) },
		set: func(s *Server, v string) { s.cfg.ProtoMaxBulkLen, _ = strconv.ParseInt(v, 10, 64) }},
	// hll-sparse-max-bytes is kept as set, and read by PFADD and PFMERGE.
	memoryParam("hll-sparse-max-bytes", "3000", 0, math.MaxInt64),
	// tls-port starts, moves or stops the TLS listener: CONFIG SET
	// succeeds only once it listens (or the TLS settings are refused).
	{name: "tls-port", kind: paramInt, max: 65535, apply: applyTLSParams,
		get: func(s *Server) string { return strconv.Itoa(s.tlsPort()) },
		set: func(s *Server, v string) { s.cfg.TLS.Port, _ = strconv.Atoi(v) }},
	tlsParam("tls-cert-file", paramString, func(t *TLSSettings) *string { return &t.CertFile }),
	tlsParam("tls-key-file", paramString, func(t *TLSSettings) *string { return &t.KeyFile }),
	tlsParam("tls-ca-cert-file", paramString, func(t *TLSSettings) *string { return &t.CACertFile }),
	tlsParam("tls-ca-cert-dir", paramString, func(t *TLSSettings) *string { return &t.CACertDir }),
	tlsParam("tls-auth-clients", paramEnum, func(t *TLSSettings) *string { return &t.AuthClients }, "no", "yes", "optional"),
	tlsParam("tls-protocols", paramString, func(t *TLSSettings) *string { return &t.Protocols }),
	tlsParam("tls-ciphers", paramString, func(t *TLSSettings) *string { return &t.Ciphers }),
	tlsParam("tls-ciphersuites", paramString, func(t *TLSSettings) *string { return &t.CipherSuites }),
	tlsParam("tls-session-caching", paramBool, func(t *TLSSettings) *string { return &t.SessionCaching }),
	{name: "databases", flags: paramImmutable,
		get: func(s *Server) string { return strconv.Itoa(s.store.Databases()) }},
	{name: "cluster-enabled", flags: paramImmutable, get: func(s *Server) string {
		if s.clusterEnabled() {
			return "yes"
		}
		return "no"
	}},
	// port and bind move the TCP listeners; connections made stay.
	{name: "port", kind: paramInt, max: 65535, apply: applyListenParams,
		get: func(s *Server) string { return strconv.Itoa(s.port()) },
		set: func(s *Server, v string) { s.cfg.Port, _ = strconv.Atoi(v) }},
	{name: "bind", kind: paramString, apply: applyListenParams,
		get: func(s *Server) string { return strings.Join(s.cfg.Bind, " ") },
		set: func(s *Server, v string) { s.cfg.Bind = strings.Fields(v) }},
	{name: "dir", flags: paramProtected, get: func(s *Server) string {
		if abs, err := filepath.Abs(s.cfg.Dir); err == nil {
			return abs
		}
		return s.cfg.Dir
	}},
}

// NoopConfigParams returns the names of the CONFIG parameters Strata
// accepts and reports but does not act on, sorted, for documentation.
func NoopConfigParams() []string {
	names := make([]string, len(noopConfigParams))
	for i, p := range noopConfigParams {
		names[i] = p.name
	}
	sort.Strings(names)
	return names
}

// UnsupportedConfigParams returns the names of the CONFIG parameters
// Strata takes only Redis's default value for, sorted, for documentation.
func UnsupportedConfigParams() []string {
	names := make([]string, len(unsupportedConfigParams))
	for i, p := range unsupportedConfigParams {
		names[i] = p.name
	}
	sort.Strings(names)
	return names
}

// configParams indexes every parameter by name; configParamList is the
// same in name order, for CONFIG GET patterns.
var configParams, configParamList = buildConfigParams()

func buildConfigParams() (map[string]*configParam, []*configParam) {
	byName := map[string]*configParam{}
	var list []*configParam
	for _, group := range [][]configParam{liveConfigParams, limitConfigParams, noopConfigParams, unsupportedConfigParams} {
		for i := range group {
			p := &group[i]
			if _, dup := byName[p.name]; dup {
				panic("server: config parameter listed twice: " + p.name)
			}
			byName[p.name] = p
			list = append(list, p)
		}
	}
	for _, p := range list {
		if p.alias != "" {
			target := byName[p.alias]
			name, alias := p.name, p.alias
			*p = *target
			p.name, p.alias = name, alias
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	return byName, list
}

// Constructors of noopConfigParams entries.

func boolParam(name, def string) configParam {
	return configParam{name: name, kind: paramBool, def: def}
}
func stringParam(name, def string) configParam {
	return configParam{name: name, kind: paramString, def: def}
}
func secretParam(name, def string) configParam {
	return configParam{name: name, kind: paramString, def: def, flags: paramSecret}
}
func immutableParam(name, def string) configParam {
	return configParam{name: name, def: def, flags: paramImmutable}
}
func protectedParam(name, def string) configParam {
	return configParam{name: name, def: def, flags: paramProtected}
}
func intParam(name, def string, min, max int64) configParam {
	return configParam{name: name, kind: paramInt, def: def, min: min, max: max}
}
func memoryParam(name, def string, min, max int64) configParam {
	return configParam{name: name, kind: paramMemory, def: def, min: min, max: max}
}
func enumParam(name, def string, values ...string) configParam {
	return configParam{name: name, kind: paramEnum, def: def, values: values}
}
func aliasParam(name, of string) configParam { return configParam{name: name, alias: of} }

// value returns p's current value; the caller holds cfgMu.
func (s *Server) configValue(p *configParam) string {
	if p.get != nil {
		return p.get(s)
	}
	if v, ok := s.noopConfig[p.storedName()]; ok {
		return v
	}
	if p.storedName() == "loglevel" {
		return s.cfg.LogLevel
	}
	return p.def
}

// storedName is the name a parameter's value is kept under: an alias
// shares its target's.
func (p *configParam) storedName() string {
	if p.alias != "" {
		return p.alias
	}
	return p.name
}

// paramError is why a value is refused, worded as Redis words what follows
// "CONFIG SET failed (possibly related to argument '...') - ".
type paramError string

const (
	errParamBool    paramError = "argument must be 'yes' or 'no'"
	errParamInt     paramError = "argument couldn't be parsed into an integer"
	errParamMemory  paramError = "argument must be a memory value"
	errParamMemPct  paramError = "argument must be a memory or percent value"
	errParamPct     paramError = "percentage argument must be less or equal to 100"
	errParamSave    paramError = "Invalid save parameters"
	errParamLimitN  paramError = "Wrong number of arguments in buffer limit configuration."
	errParamLimitC  paramError = "Invalid client class specified in buffer limit configuration."
	errParamLimitV  paramError = "Error in hard, soft or soft_seconds setting in buffer limit configuration."
	errParamOOMN    paramError = "wrong number of arguments"
	errParamOOMV    paramError = "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
	errParamPctlN   paramError = "Invalid latency-tracking-info-percentiles parameters"
	errParamPctlV   paramError = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
	errParamDup     paramError = "duplicate parameter"
	errParamImmut   paramError = "can't set immutable config"
	errParamProtect paramError = "can't set protected config"
	errTLSConfig    paramError = "Unable to update TLS configuration. Check server logs."
	errParamListen  paramError = "Unable to listen on this port. Check server logs."
	errParamBind    paramError = "Failed to bind to specified addresses."
	errParamBindN   paramError = "Too many bind addresses specified."
	// errParamUnsupported is Strata's own: a value other than the one it
	// works with, for a parameter it cannot honour otherwise.
	errParamUnsupported paramError = "not supported by Strata: %s"
)

// maxBindAddrs is Redis's CONFIG_BINDADDR_MAX.
const maxBindAddrs = 16

// normalize checks v for p and returns it as CONFIG GET will show it.
func (p *configParam) normalize(v string) (string, paramError) {
	switch p.kind {
	case paramBool:
		switch strings.ToLower(v) {
		case "yes", "no":
			return strings.ToLower(v), ""
		}
		return "", errParamBool
	case paramInt:
		n, ok := argInt([]byte(v))
		if !ok {
			return "", errParamInt
		}
		return p.bounded(n)
	case paramMemory:
		n, ok := parseMemory(v)
		if !ok {
			return "", errParamMemory
		}
		return p.bounded(n)
	case paramMemoryOrPercent:
		if pct, isPct := strings.CutSuffix(v, "%"); isPct {
			n, ok := argInt([]byte(pct))
			switch {
			case !ok || n < 0:
				return "", errParamMemPct
			case n > 100:
				return "", errParamPct
			}
			return strconv.FormatInt(n, 10) + "%", ""
		}
		n, ok := parseMemory(v)
		if !ok {
			return "", errParamMemPct
		}
		return strconv.FormatInt(n, 10), ""
	case paramEnum:
		for _, w := range p.values {
			if strings.EqualFold(v, w) {
				return w, ""
			}
		}
		for _, w := range p.extra {
			if strings.EqualFold(v, w) {
				return w, ""
			}
		}
		return "", p.enumError()
	case paramEnumFlags:
		return p.normalizeFlags(v)
	case paramNotify:
		f, err := parseNotifyClasses(v)
		if err != nil {
			return "", paramError(err.Error())
		}
		return f.String(), ""
	case paramSave:
		return normalizeSave(v)
	case paramBufferLimit:
		return normalizeBufferLimit(v)
	case paramOOMValues:
		return normalizeOOMValues(v)
	case paramPercentiles:
		return normalizePercentiles(v)
	}
	return v, ""
}

func (p *configParam) bounded(n int64) (string, paramError) {
	if n < p.min || n > p.max {
		return "", paramError(fmt.Sprintf("argument must be between %d and %d inclusive", p.min, p.max))
	}
	return strconv.FormatInt(n, 10), ""
}

func (p *configParam) enumError() paramError {
	return paramError("argument(s) must be one of the following: " + strings.Join(p.values, ", "))
}

// normalizeFlags reads space-separated enum words and writes them back in
// the enum's order; the first word is the empty set's name ("default").
func (p *configParam) normalizeFlags(v string) (string, paramError) {
	set := make([]bool, len(p.values))
	for _, word := range strings.Split(v, " ") {
		found := false
		for i, w := range p.values {
			if strings.EqualFold(word, w) {
				set[i], found = true, true
			}
		}
		if !found {
			return "", p.enumError()
		}
	}
	var out []string
	for i, w := range p.values[1:] {
		if set[i+1] {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return p.values[0], ""
	}
	return strings.Join(out, " "), ""
}

// parseMemory reads a memory value as Redis's memtoull: digits and an
// optional unit, where a unit alone (or nothing) reads as 0.
func parseMemory(v string) (int64, bool) {
	if strings.TrimLeft(v, "0123456789") == v {
		v = "0" + v
	}
	n, err := units.ParseSize(v)
	return n, err == nil
}

func normalizeSave(v string) (string, paramError) {
	if v == "" {
		return "", ""
	}
	fields := strings.Split(v, " ")
	if len(fields)%2 != 0 {
		return "", errParamSave
	}
	out := make([]string, len(fields))
	for i, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || (i%2 == 0 && n < 1) || n < 0 {
			return "", errParamSave
		}
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, " "), ""
}

// bufferClasses are client-output-buffer-limit's classes in the order
// CONFIG GET lists them; replica is slave's new name.
var bufferClasses = [numBufferClasses]string{"normal", "slave", "pubsub"}

// normalizeBufferLimit checks "class hard soft seconds ..." and returns it
// with the classes' canonical names and the sizes in bytes: CONFIG SET
// changes the classes it names and leaves the others (see
// setOutputLimits).
func normalizeBufferLimit(v string) (string, paramError) {
	fields := strings.Split(v, " ")
	if len(fields)%4 != 0 {
		return "", errParamLimitN
	}
	var out []string
	for i := 0; i < len(fields); i += 4 {
		class := strings.ToLower(fields[i])
		if class == "replica" {
			class = "slave"
		}
		if !slices.Contains(bufferClasses[:], class) {
			return "", errParamLimitC
		}
		hard, ok1 := parseMemory(fields[i+1])
		soft, ok2 := parseMemory(fields[i+2])
		secs, err := strconv.ParseInt(fields[i+3], 10, 64)
		if !ok1 || !ok2 || err != nil || secs < 0 {
			return "", errParamLimitV
		}
		out = append(out, fmt.Sprintf("%s %d %d %d", class, hard, soft, secs))
	}
	return strings.Join(out, " "), ""
}

func normalizeOOMValues(v string) (string, paramError) {
	fields := strings.Split(v, " ")
	if len(fields) != 3 {
		return "", errParamOOMN
	}
	for i, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < -2000 || n > 2000 {
			return "", errParamOOMV
		}
		fields[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(fields, " "), ""
}

func normalizePercentiles(v string) (string, paramError) {
	if v == "" {
		return "", ""
	}
	fields := strings.Split(v, " ")
	for i, f := range fields {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return "", errParamPctlN
		}
		if x < 0 || x > 100 {
			return "", errParamPctlV
		}
		fields[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(fields, " "), ""
}

// cmdConfigGet is CONFIG GET parameter|pattern [...]: a map of the
// matching parameters. An exact name is echoed as given; each parameter is
// listed once.
func cmdConfigGet(c *client, args [][]byte) {
	type match struct {
		name string
		p    *configParam
	}
	var matches []match
	seen := map[*configParam]bool{}
	for _, a := range args[2:] {
		pattern := string(a)
		if !strings.ContainsAny(pattern, "*?[") {
			if p := configParams[strings.ToLower(pattern)]; p != nil && !seen[p] {
				seen[p] = true
				matches = append(matches, match{pattern, p})
			}
			continue
		}
		for _, p := range configParamList {
			if !seen[p] && policy.MatchFold(pattern, p.name) {
				seen[p] = true
				matches = append(matches, match{p.name, p})
			}
		}
	}
	s := c.srv
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	c.out.Map(len(matches))
	for _, m := range matches {
		c.out.BulkString(m.name)
		c.out.BulkString(s.configValue(m.p))
	}
}

// cmdConfigSet is CONFIG SET parameter value [parameter value ...]. As in
// Redis, the first problem found is reported: unknown names and refused
// parameters before values, and nothing changes unless every value is
// valid.
func cmdConfigSet(c *client, args [][]byte) {
	if len(args)%2 != 0 {
		c.out.Error(msgSyntax)
		return
	}
	n := (len(args) - 2) / 2
	params := make([]*configParam, n)
	values := make([]string, n)
	var unknown, errArg string
	var errMsg paramError
	for i := 0; i < n; i++ {
		name := string(args[2+2*i])
		values[i] = string(args[3+2*i])
		p := configParams[strings.ToLower(name)]
		if p == nil {
			if unknown == "" && errMsg == "" {
				unknown = name
			}
			continue
		}
		if p.flags&paramSecret != 0 {
			args[3+2*i] = redacted
		}
		if unknown != "" || errMsg != "" {
			continue // keep going only to redact secrets
		}
		switch {
		case p.flags&paramImmutable != 0:
			errArg, errMsg = name, errParamImmut
		case p.flags&paramProtected != 0:
			errArg, errMsg = name, errParamProtect
		}
		for _, q := range params[:i] {
			if q == p {
				errArg, errMsg = name, errParamDup
			}
		}
		params[i] = p
	}
	if unknown == "" && errMsg == "" {
		for i, p := range params {
			v, err := p.normalize(values[i])
			if err == "" && p.unsupported != "" && v != p.def {
				err = paramError(fmt.Sprintf(string(errParamUnsupported), p.unsupported))
			}
			if err != "" {
				errArg, errMsg = p.name, err
				break
			}
			values[i] = v
		}
	}
	switch {
	case unknown != "":
		c.out.Error(fmt.Sprintf(msgConfigUnknown, unknown))
		return
	case errMsg != "":
		c.out.Error(fmt.Sprintf(msgConfigSetFailed, errArg, errMsg))
		return
	}
	s := c.srv
	old := s.setConfig(params, values)
	if i, err := s.applyConfig(params); err != "" {
		s.setConfig(params, old)
		s.applyConfig(params)
		c.out.Error(fmt.Sprintf(msgConfigSetFailed, params[i].name, err))
		return
	}
	s.configApplied(c)
	c.out.OK()
}

// setConfig gives params their values and returns their old ones.
func (s *Server) setConfig(params []*configParam, values []string) []string {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	old := make([]string, len(params))
	for i, p := range params {
		old[i] = s.configValue(p)
		if s.configChanged == nil {
			s.configChanged = map[string]bool{}
		}
		s.configChanged[p.storedName()] = true
		if p.set != nil {
			p.set(s, values[i])
			continue
		}
		if s.noopConfig == nil {
			s.noopConfig = map[string]string{}
		}
		s.noopConfig[p.storedName()] = values[i]
	}
	return old
}

// applyConfig runs the apply work of params once each, in their order,
// and returns the first failure and the index of the parameter it came
// with.
func (s *Server) applyConfig(params []*configParam) (int, paramError) {
	done := map[*configApply]bool{}
	for i, p := range params {
		if p.apply == nil || done[p.apply] {
			continue
		}
		done[p.apply] = true
		if err := p.apply.run(s); err != "" {
			return i, err
		}
	}
	return 0, ""
}

// configApplied brings the server in line with new settings: evict down to
// a lower maxmemory (the caller holds the exclusive storage lock).
func (s *Server) configApplied(c *client) {
	if err := c.tx.MakeRoom(nil); err != nil && s.store.Policy() != storage.NoEviction {
		s.log.Warn("cannot evict down to maxmemory", "maxmemory", s.store.MaxMemory(), "used", s.store.Used())
	}
}

// cmdConfigResetStat zeroes the statistics INFO reports.
func cmdConfigResetStat(c *client, args [][]byte) {
	s := c.srv
	s.store.Stats().Reset()
	s.store.Counters().Reset()
	s.stats.connections.Store(0)
	s.stats.commands.Reset()
	s.stats.rejected.Store(0)
	s.info.peakMemory.Store(0)
	s.resetCommandStats()
	s.scheduler.ResetStats()
	c.out.OK()
}

// cmdConfigRewrite writes the parameters CONFIG SET changed since start-up
// into the config file Strata was started with, through
// Config.RewriteConfig; started without one, it answers as Redis does.
func cmdConfigRewrite(c *client, args [][]byte) {
	s := c.srv
	if s.cfg.RewriteConfig == nil {
		c.out.Error(msgConfigNoFile)
		return
	}
	s.cfgMu.RLock()
	changed := make(map[string]string, len(s.configChanged))
	for name := range s.configChanged {
		changed[name] = s.configValue(configParams[name])
	}
	s.cfgMu.RUnlock()
	if err := s.cfg.RewriteConfig(changed); err != nil {
		s.log.Warn("CONFIG REWRITE failed", "file", s.cfg.ConfigFile, "err", err)
		c.out.Error(msgConfigRewrite + err.Error())
		return
	}
	c.out.OK()
}

var configHelp = []string{
	"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
	"HELP",
	"    Prints this help.",
}

func cmdConfigHelp(c *client, args [][]byte) { c.out.Help(configHelp) }
