package server

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeListsConfigParams keeps README.md's lists of the CONFIG
// parameters accepted without effect, and of those Strata takes only
// Redis's default for, equal to the server's.
func TestReadmeListsConfigParams(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for section, names := range map[string][]string{
		"noop-params":        NoopConfigParams(),
		"unsupported-params": UnsupportedConfigParams(),
	} {
		open, end := "<!-- "+section+" -->\n", "\n<!-- /"+section+" -->"
		_, rest, ok := strings.Cut(string(readme), open)
		got, _, ok2 := strings.Cut("\n"+rest, end)
		if !ok || !ok2 {
			t.Errorf("README.md has no %q ... %q section", open, end)
			continue
		}
		quoted := make([]string, 0, len(names))
		for _, name := range names {
			quoted = append(quoted, "`"+name+"`")
		}
		if want := strings.Join(quoted, ", "); strings.TrimPrefix(got, "\n") != want {
			t.Errorf("README.md's %s list is out of date; it should read:\n%s", section, want)
		}
	}
}
