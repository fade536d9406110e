package main

import (
	"fmt"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/stratakv/strata/internal/units"
	"github.com/stratakv/strata/policy"
)

// namespaceConfig is one entry of the config file's namespaces list (see
// policy.Namespace for what each setting means):
//
//	namespaces:
//	  - match: "product:*"          # glob or prefix
//	    strategy: write_through     # write_back, cache_aside (default)
//	    ttl: 5m
//	    max_ttl: 1h
//	    jitter: 0.2
//	    jitter_client_ttl: false    # jitter the default TTL only (default: true)
//	    compress: {min_size: 1kb, level: default}
//	  - match: "image_task:*"
//	    ttl_by_field: {field: status, ttl: {processing: 5m, success: 1h}, default: 5m}
//	    local_cache: false
//	  - match: "school:*"
//	    ttl: 30m
//	    origin: "http://127.0.0.1:8000/internal/cache/{suffix}"   # read-through
//	    origin_timeout: 2s
//	    negative_ttl: 30s
//	    stale_if_error: 10m
//	    refresh_ahead: true
//	    max_value_size: 1mb
//	    lease_stale: 30s
type namespaceConfig struct {
	Name       string          `yaml:"name"`
	Match      string          `yaml:"match"`
	Strategy   policy.Strategy `yaml:"strategy"`
	TTL        units.Duration  `yaml:"ttl"`
	MaxTTL     units.Duration  `yaml:"max_ttl"`
	TTLByField *fieldTTLConfig `yaml:"ttl_by_field"`
	Jitter     float64         `yaml:"jitter"`
	// JitterClientTTL false keeps the TTLs clients give exact (default
	// true: jitter applies to them too).
	JitterClientTTL *bool          `yaml:"jitter_client_ttl"`
	Compress        compressConfig `yaml:"compress"`
	LocalCache      *bool          `yaml:"local_cache"`

	Origin        string         `yaml:"origin"`
	OriginTimeout units.Duration `yaml:"origin_timeout"`
	NegativeTTL   units.Duration `yaml:"negative_ttl"`
	StaleIfError  units.Duration `yaml:"stale_if_error"`
	RefreshAhead  *bool          `yaml:"refresh_ahead"`
	MaxValueSize  units.Size     `yaml:"max_value_size"`
	LeaseStale    units.Duration `yaml:"lease_stale"`
}

type fieldTTLConfig struct {
	Field   string                    `yaml:"field"`
	TTL     map[string]units.Duration `yaml:"ttl"`
	Default units.Duration            `yaml:"default"`
}

// compressConfig is "off" (the default) or {min_size, level}.
type compressConfig struct {
	on      bool
	minSize units.Size
	level   policy.Level
}

// UnmarshalYAML reads "off", false, or a mapping of min_size and level
// (yaml.NodeUnmarshaler).
func (c *compressConfig) UnmarshalYAML(node ast.Node) error {
	switch n := node.(type) {
	case *ast.MappingNode:
		*c = compressConfig{on: true}
		for _, mv := range n.Values {
			k, v := mv.Key.GetToken().Value, mv.Value.GetToken().Value
			var err error
			switch k {
			case "min_size":
				err = c.minSize.UnmarshalText([]byte(v))
			case "level":
				err = c.level.UnmarshalText([]byte(v))
			default:
				return fmt.Errorf("unknown setting %q: want min_size or level", k)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return nil
	case *ast.StringNode, *ast.BoolNode:
		if v := node.GetToken().Value; v == "off" || v == "false" {
			*c = compressConfig{}
			return nil
		}
		return fmt.Errorf("invalid value %q: want off or {min_size: 1kb, level: default}", node.GetToken().Value)
	}
	return fmt.Errorf("want off or a mapping of min_size and level")
}

// namespaces converts the config file's namespaces; server.New validates
// them.
func namespaces(list *[]namespaceConfig) []policy.Namespace {
	if list == nil {
		return nil
	}
	out := make([]policy.Namespace, 0, len(*list))
	for _, n := range *list {
		ns := policy.Namespace{
			Name:           n.Name,
			Match:          n.Match,
			Strategy:       n.Strategy,
			TTL:            n.TTL.Std(),
			MaxTTL:         n.MaxTTL.Std(),
			Jitter:         n.Jitter,
			NoClientJitter: n.JitterClientTTL != nil && !*n.JitterClientTTL,
			NoLocalCache:   n.LocalCache != nil && !*n.LocalCache,

			Origin:         n.Origin,
			OriginTimeout:  n.OriginTimeout.Std(),
			NegativeTTL:    n.NegativeTTL.Std(),
			StaleIfError:   n.StaleIfError.Std(),
			NoRefreshAhead: n.RefreshAhead != nil && !*n.RefreshAhead,
			MaxValueSize:   int64(n.MaxValueSize),
			LeaseStale:     n.LeaseStale.Std(),
		}
		if f := n.TTLByField; f != nil {
			ns.TTLByField = &policy.FieldTTL{Field: f.Field, Default: f.Default.Std(), TTL: map[string]time.Duration{}}
			for v, d := range f.TTL {
				ns.TTLByField.TTL[v] = d.Std()
			}
		}
		if n.Compress.on {
			ns.Compress = &policy.Compress{MinSize: int(n.Compress.minSize), Level: n.Compress.level}
		}
		out = append(out, ns)
	}
	return out
}
