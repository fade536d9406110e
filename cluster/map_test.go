package cluster

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func threeNodes(version string) []string {
	return []string{version,
		"NODE", "a", "127.0.0.1:7000", "0-5460",
		"NODE", "b", "127.0.0.1:7001", "5461-10922",
		"NODE", "c", "127.0.0.1:7002", "10923-16383"}
}

func TestParseMap(t *testing.T) {
	m, err := Parse(threeNodes("3"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 3 || len(m.Nodes) != 3 || m.Nodes[1].Addr() != "127.0.0.1:7001" {
		t.Fatalf("parsed %+v", m.Nodes)
	}
	for slot, owner := range map[int]int{0: 0, 5460: 0, 5461: 1, 10922: 1, 10923: 2, 16383: 2} {
		if got := m.Owner(slot); got != owner {
			t.Errorf("Owner(%d) = %d, want %d", slot, got, owner)
		}
		if m.MigratingTo(slot) != -1 {
			t.Errorf("slot %d migrating", slot)
		}
	}
	if m.Index("c") != 2 || m.Index("d") != -1 || m.IndexOfAddr("127.0.0.1:7000") != 0 {
		t.Error("Index or IndexOfAddr")
	}
	if got := strings.Join(m.Args(), " "); got != strings.Join(threeNodes("3"), " ") {
		t.Errorf("Args: %s", got)
	}
}

func TestParseMapMigrating(t *testing.T) {
	args := []string{"7",
		"node", "a", "[::1]:7000", "0-99,200-16383",
		"NODE", "b", "[::1]:7001", "100-199",
		"NODE", "spare", "[::1]:7002", "",
		"migrating", "150-199,300", "spare",
		"MIGRATING", "0-1", "b"}
	m, err := Parse(args)
	if err != nil {
		t.Fatal(err)
	}
	for slot, to := range map[int]int{0: 1, 1: 1, 2: -1, 149: -1, 150: 2, 199: 2, 300: 2, 301: -1} {
		if got := m.MigratingTo(slot); got != to {
			t.Errorf("MigratingTo(%d) = %d, want %d", slot, got, to)
		}
	}
	if r := m.Ranges(0, m.Owner); !slices.Equal(r, []Range{{0, 99}, {200, 16383}}) {
		t.Errorf("ranges of a: %v", r)
	}
	want := "7 NODE a [::1]:7000 0-99,200-16383 NODE b [::1]:7001 100-199 NODE spare [::1]:7002  " +
		"MIGRATING 0-1 b MIGRATING 150-199,300 spare"
	if got := strings.Join(m.Args(), " "); got != want {
		t.Errorf("Args:\n got %s\nwant %s", got, want)
	}
	again, err := Parse(m.Args())
	if err != nil || !slices.Equal(again.Args(), m.Args()) {
		t.Errorf("Args do not parse back: %v", err)
	}
}

func TestParseMapErrors(t *testing.T) {
	replace := func(i int, v string) []string {
		a := threeNodes("1")
		a[i] = v
		return a
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"empty", nil, "no version"},
		{"zero version", replace(0, "0"), "not a positive integer"},
		{"bad version", replace(0, "x"), "not a positive integer"},
		{"no nodes", []string{"1"}, "no nodes"},
		{"short entry", threeNodes("1")[:12], "expected NODE"},
		{"unknown keyword", append(threeNodes("1"), "REPLICA", "x", "y"), "expected NODE"},
		{"bad id", replace(2, "a b"), "node id"},
		{"long id", replace(2, strings.Repeat("f", 41)), "node id"},
		{"duplicate id", replace(6, "a"), "given twice"},
		{"bad address", replace(3, "127.0.0.1"), "not host:port"},
		{"bad port", replace(3, "127.0.0.1:70000"), "not host:port"},
		{"duplicate address", replace(7, "127.0.0.1:7000"), "given twice"},
		{"bad range", replace(4, "0-x"), "slot range"},
		{"reversed range", replace(4, "5460-0"), "slot range"},
		{"slot out of range", replace(12, "10923-16384"), "slot range"},
		{"overlap", replace(8, "5460-10922"), "owned by both"},
		{"gap", replace(4, "0-5459"), "slot 5460 has no owner"},
		{"migrate to owner", append(threeNodes("1"), "MIGRATING", "5", "a"), "to its owner"},
		{"migrate to unknown", append(threeNodes("1"), "MIGRATING", "5", "z"), "unknown node"},
		{"migrate twice", append(threeNodes("1"), "MIGRATING", "5", "b", "MIGRATING", "5", "c"), "migrates twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.args)
			if !errors.Is(err, ErrInvalidMap) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestFormatRanges(t *testing.T) {
	r, err := ParseRanges("0,2-4,16383")
	if err != nil || !slices.Equal(r, []Range{{0, 0}, {2, 4}, {16383, 16383}}) {
		t.Fatalf("ParseRanges: %v, %v", r, err)
	}
	if s := FormatRanges(r); s != "0,2-4,16383" {
		t.Errorf("FormatRanges: %q", s)
	}
}

func TestMigrateAndAssign(t *testing.T) {
	m, err := Parse(threeNodes("1"))
	if err != nil {
		t.Fatal(err)
	}
	moving, err := m.Migrate(2, []Range{{5000, 5500}}, "c")
	if err != nil {
		t.Fatal(err)
	}
	want := "2 NODE a 127.0.0.1:7000 0-5460 NODE b 127.0.0.1:7001 5461-10922 NODE c 127.0.0.1:7002 10923-16383 MIGRATING 5000-5500 c"
	if got := strings.Join(moving.Args(), " "); got != want || m.Version != 1 || m.MigratingTo(5000) != -1 {
		t.Errorf("Migrate: %s", got)
	}
	if _, err := moving.Migrate(3, []Range{{0, 10}}, "c"); err == nil || !strings.Contains(err.Error(), "finish that move first") {
		t.Errorf("a second move while one is open: %v", err)
	}
	again, err := moving.Migrate(3, []Range{{5000, 5500}}, "c") // resuming the same move
	if err != nil || again.MigratingTo(5000) != 2 {
		t.Errorf("resuming: %v", err)
	}
	done, err := moving.Assign(3, []Range{{5000, 5500}}, "c")
	if err != nil {
		t.Fatal(err)
	}
	want = "3 NODE a 127.0.0.1:7000 0-4999 NODE b 127.0.0.1:7001 5501-10922 NODE c 127.0.0.1:7002 5000-5500,10923-16383"
	if got := strings.Join(done.Args(), " "); got != want || done.MigratingTo(5000) != -1 {
		t.Errorf("Assign: %s", got)
	}
	if _, err := m.Migrate(2, nil, "z"); err == nil {
		t.Error("Migrate to an unknown node")
	}
	if _, err := m.Assign(2, nil, "z"); err == nil {
		t.Error("Assign to an unknown node")
	}
}
