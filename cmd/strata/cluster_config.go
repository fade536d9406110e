package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stratakv/strata/cluster"
)

// clusterConfig is the config file's cluster section: the slot map a node
// starts with (see cluster.Map), the same file for every node:
//
//	cluster-enabled: yes
//	cluster:
//	  version: 1
//	  nodes:
//	    - {id: a, addr: "127.0.0.1:7000", slots: "0-5460"}
//	    - {id: b, addr: "127.0.0.1:7001", slots: "5461-10922"}
//	    - {id: c, addr: "127.0.0.1:7002", slots: "10923-16383"}
//
// Each node finds itself by cluster-node-id, else by its address. Slots
// moved at run time are in the maps the nodes save (see strata cluster).
type clusterConfig struct {
	Version uint64              `yaml:"version"`
	Nodes   []clusterNodeConfig `yaml:"nodes"`
}

type clusterNodeConfig struct {
	ID    string `yaml:"id"`
	Addr  string `yaml:"addr"`
	Slots string `yaml:"slots"`
}

// slotMap returns the section as a cluster map; errors name the section.
func (c *clusterConfig) slotMap() (*cluster.Map, error) {
	args := []string{strconv.FormatUint(c.Version, 10)}
	for _, n := range c.Nodes {
		args = append(args, "NODE", n.ID, n.Addr, n.Slots)
	}
	m, err := cluster.Parse(args)
	if err != nil {
		return nil, fmt.Errorf("cluster: %s", strings.TrimPrefix(err.Error(), "cluster: "))
	}
	return m, nil
}

// yesNo is a Redis boolean setting: yes or no (true and false too).
type yesNo bool

// UnmarshalText reads yes, no, true or false, in any case.
func (b *yesNo) UnmarshalText(text []byte) error {
	switch strings.ToLower(string(text)) {
	case "yes", "true":
		*b = true
	case "no", "false":
		*b = false
	default:
		return fmt.Errorf("invalid value %q: want yes or no", text)
	}
	return nil
}

// String is the setting as Redis writes it, for --help.
func (b yesNo) String() string {
	if b {
		return "yes"
	}
	return "no"
}
