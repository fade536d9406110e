package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []int
		wantErr bool
	}{
		{"one", "0", []int{0}, false},
		{"range", "0-3", []int{0, 1, 2, 3}, false},
		{"ranges and singles", "0-1,4,6-7", []int{0, 1, 4, 6, 7}, false},
		{"unsorted and repeated", "3,1-2,2", []int{1, 2, 3}, false},
		{"backwards range", "3-1", nil, true},
		{"not a number", "a", nil, true},
		{"empty", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPUList(tt.in)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Fatalf("parseCPUList(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				if back, _ := parseCPUList(formatCPUList(got)); !slices.Equal(back, got) {
					t.Fatalf("formatCPUList(%v) = %q does not parse back", got, formatCPUList(got))
				}
			}
		})
	}
	if got := formatCPUList([]int{0, 1, 2, 5, 7, 8}); got != "0-2,5,7-8" {
		t.Fatalf("formatCPUList = %q", got)
	}
}

func TestPlanCPUs(t *testing.T) {
	tests := []struct {
		name           string
		n              int
		allowed        []int
		server, client []int
		wantErr        string
	}{
		{"no pinning", 0, []int{0, 1}, nil, nil, ""},
		{"one of two", 1, []int{0, 1}, []int{0}, []int{1}, ""},
		{"half of eight", 4, []int{0, 1, 2, 3, 4, 5, 6, 7}, []int{0, 1, 2, 3}, []int{4, 5, 6, 7}, ""},
		{"an affinity with gaps", 2, []int{2, 3, 8, 9}, []int{2, 3}, []int{8, 9}, ""},
		{"all of them", 2, []int{0, 1}, nil, nil, "at most 1"},
		{"more than there are", 3, []int{0, 1}, nil, nil, "may use 2 CPUs (0-1)"},
		{"negative", -1, []int{0, 1}, nil, nil, "must be 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planCPUs(tt.n, tt.allowed)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(p.server, tt.server) || !slices.Equal(p.client, tt.client) {
				t.Fatalf("planCPUs(%d, %v) = %+v, %v", tt.n, tt.allowed, p, err)
			}
			if p.active() != (tt.n > 0) {
				t.Fatalf("active = %v for n = %d", p.active(), tt.n)
			}
		})
	}
}

func TestCPUPlanWrap(t *testing.T) {
	argv := []string{"redis-server", "--port", "1"}
	if got := (cpuPlan{}).wrap(argv); !slices.Equal(got, argv) {
		t.Fatalf("the zero plan wraps: %q", got)
	}
	p := cpuPlan{server: []int{0, 1}, client: []int{2}}
	if got, want := p.wrap(argv), []string{"taskset", "-c", "0-1", "redis-server", "--port", "1"}; !slices.Equal(got, want) {
		t.Fatalf("wrap = %q, want %q", got, want)
	}
}
