// Package layers_test checks that Strata's packages import one way, as
// README's layout section draws them: cmd -> server -> {cache, script,
// resp, scheduler}; scheduler -> cache -> {storage, policy}; storage
// knows nothing of policy or the server, policy nothing of any other
// package of Strata, and the scheduler writes through the cache layer,
// never reaching into the server.
package layers_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/stratakv/strata/"

// forbidden lists, for each package (its path under the module), the
// packages it must not import, directly or through others; "*" forbids
// every package of the module.
var forbidden = map[string][]string{
	"storage": {"policy", "server", "cache"},
	"policy":  {"*"},
	// cluster is slots and slot maps, pure: the server routes by it.
	"cluster":   {"*"},
	"cache":     {"server", "scheduler"},
	"scheduler": {"server"},
	"script":    {"server"},
	// acl is users and rules alone: the server wires them in.
	"acl": {"server", "cache", "storage", "script", "scheduler"},
	// resp is the protocol alone: it needs nothing of Strata.
	"internal/resp": {"*"},
	// The geo and sort arithmetic is Redis's alone.
	"internal/geohash": {"*"},
	"internal/pqsort":  {"*"},
	// Redis's DUMP format: plain values in, bytes out.
	"internal/rdb": {"*"},
}

// imports returns the module packages pkg imports in its non-test files.
func imports(t *testing.T, root, pkg string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, pkg, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			if p := strings.Trim(imp.Path.Value, `"`); strings.HasPrefix(p, module) {
				out = append(out, strings.TrimPrefix(p, module))
			}
		}
	}
	return out
}

// deps returns every module package pkg reaches through its imports.
func deps(t *testing.T, root, pkg string) []string {
	seen := map[string]bool{}
	var visit func(p string)
	visit = func(p string) {
		for _, d := range imports(t, root, p) {
			if !seen[d] {
				seen[d] = true
				visit(d)
			}
		}
	}
	visit(pkg)
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

func TestImportsGoOneWay(t *testing.T) {
	root := filepath.Join("..", "..")
	for pkg, bad := range forbidden {
		if _, err := os.Stat(filepath.Join(root, pkg)); err != nil {
			t.Errorf("package %s: %v", pkg, err)
			continue
		}
		for _, d := range deps(t, root, pkg) {
			if slices.Contains(bad, "*") || slices.Contains(bad, d) || slices.ContainsFunc(bad, func(b string) bool { return strings.HasPrefix(d, b+"/") }) {
				t.Errorf("%s imports %s", pkg, d)
			}
		}
	}
}
