package server

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeListsNoopParams keeps README.md's list of the CONFIG
// parameters accepted without effect equal to the server's.
func TestReadmeListsNoopParams(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const open, end = "<!-- noop-params -->\n", "\n<!-- /noop-params -->"
	text := string(readme)
	i, j := strings.Index(text, open), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", open, end)
	}
	quoted := make([]string, 0, len(NoopConfigParams()))
	for _, name := range NoopConfigParams() {
		quoted = append(quoted, "`"+name+"`")
	}
	if want, got := strings.Join(quoted, ", "), text[i+len(open):j]; got != want {
		t.Errorf("README.md's no-op parameter list is out of date; it should read:\n%s", want)
	}
}
