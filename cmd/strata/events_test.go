package main

import (
	"io"
	"reflect"
	"testing"
)

func TestEventsSection(t *testing.T) {
	path := writeFile(t, "strata.yaml", `events:
  product_updated: ["product:{product_id}:*", "product:list:*"]
index_prefixes: ["session:"]
`)
	opts, err := parseArgs([]string{"--config", path}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := opts.serverConfig(nil)
	want := map[string][]string{"product_updated": {"product:{product_id}:*", "product:list:*"}}
	if !reflect.DeepEqual(got.Events, want) || !reflect.DeepEqual(got.IndexPrefixes, []string{"session:"}) {
		t.Fatalf("events %v, index prefixes %v", got.Events, got.IndexPrefixes)
	}
	def := defaultConfig()
	if got := def.serverConfig(nil); got.Events != nil || got.IndexPrefixes != nil {
		t.Fatalf("defaults: events %v, index prefixes %v", got.Events, got.IndexPrefixes)
	}
}
