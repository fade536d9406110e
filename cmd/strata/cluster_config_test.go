package main

import (
	"io"
	"strings"
	"testing"
)

func TestClusterSection(t *testing.T) {
	path := writeFile(t, "strata.yaml", `cluster-enabled: yes
cluster-node-id: b
cluster:
  version: 3
  nodes:
    - {id: a, addr: "127.0.0.1:7000", slots: "0-5460"}
    - {id: b, addr: "127.0.0.1:7001", slots: "5461-10922"}
    - {id: c, addr: "127.0.0.1:7002", slots: "10923-16383"}
`)
	opts, err := parseArgs([]string{"--config", path}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := opts.serverConfig(nil)
	if !got.ClusterEnabled || got.ClusterNodeID != "b" || got.ClusterMap == nil || got.ClusterMap.Version != 3 ||
		got.ClusterMap.Nodes[2].Addr() != "127.0.0.1:7002" || got.ClusterMap.Owner(5461) != 1 {
		t.Fatalf("server config: enabled %v, id %q, map %+v", got.ClusterEnabled, got.ClusterNodeID, got.ClusterMap)
	}
	opts, err = parseArgs([]string{"--cluster-enabled", "YES"}, io.Discard)
	if err != nil || !opts.serverConfig(nil).ClusterEnabled || opts.serverConfig(nil).ClusterMap != nil {
		t.Fatalf("--cluster-enabled YES: %v", err)
	}
	def := defaultConfig()
	if got := def.serverConfig(nil); got.ClusterEnabled || got.ClusterMap != nil {
		t.Error("cluster mode by default")
	}
}

func TestClusterSectionErrors(t *testing.T) {
	tests := []struct{ name, file, wantErr string }{
		{"map without cluster mode", "cluster: {version: 1, nodes: [{id: a, addr: \"h:1\", slots: 0-16383}]}\n",
			"cluster: a slot map needs cluster-enabled yes"},
		{"not yes or no", "cluster-enabled: maybe\n", `:1: cluster-enabled: invalid value "maybe": want yes or no`},
		{"slot without owner", "cluster-enabled: yes\ncluster: {version: 1, nodes: [{id: a, addr: \"h:1\", slots: 0-16382}]}\n",
			"cluster: invalid slot map: slot 16383 has no owner"},
		{"no version", "cluster-enabled: yes\ncluster: {nodes: [{id: a, addr: \"h:1\", slots: 0-16383}]}\n",
			`cluster: invalid slot map: version "0" is not a positive integer`},
		{"unknown key", "cluster-enabled: yes\ncluster: {version: 1, nodes: [{id: a, address: \"h:1\"}]}\n",
			`unknown setting "cluster.nodes[0].address"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseArgs([]string{"--config", writeFile(t, "strata.yaml", tt.file)}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
