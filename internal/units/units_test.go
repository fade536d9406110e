package units

import (
	"errors"
	"flag"
	"io"
	"math"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"plain bytes", "100", 100, true},
		{"zero", "0", 0, true},
		{"leading zero as Redis", "01", 1, true},
		{"b", "7b", 7, true},
		{"k is 1000", "1k", 1000, true},
		{"kb is 1024", "512kb", 512 << 10, true},
		{"m is 10^6", "2m", 2000000, true},
		{"mb is 2^20", "256mb", 256 << 20, true},
		{"g is 10^9", "3g", 3000000000, true},
		{"gb is 2^30", "1gb", 1 << 30, true},
		{"upper case", "1GB", 1 << 30, true},
		{"mixed case", "1Kb", 1024, true},
		{"largest", "9223372036854775807", math.MaxInt64, true},
		{"empty", "", 0, false},
		{"unit only", "kb", 0, false},
		{"fraction", "1.5gb", 0, false},
		{"negative", "-1", 0, false},
		{"plus sign", "+5", 0, false},
		{"leading space", " 1", 0, false},
		{"trailing space", "1 ", 0, false},
		{"space before unit", "1 kb", 0, false},
		{"terabytes unsupported as in Redis", "1tb", 0, false},
		{"hex", "0x10", 0, false},
		{"overflow", "9223372036854775808", 0, false},
		{"overflow by unit", "9007199254740992kb", 0, false},
		{"many digits", "99999999999999999999999999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("ParseSize(%q) error = %v, want ok %v", tt.in, err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidSize) {
					t.Errorf("error %v does not wrap ErrInvalidSize", err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"plain seconds as Redis's timeout", "300", 300 * time.Second, true},
		{"zero", "0", 0, true},
		{"milliseconds", "300ms", 300 * time.Millisecond, true},
		{"minutes", "5m", 5 * time.Minute, true},
		{"hours", "1h", time.Hour, true},
		{"compound", "1h30m", 90 * time.Minute, true},
		{"fraction with unit", "1.5s", 1500 * time.Millisecond, true},
		{"empty", "", 0, false},
		{"negative", "-5s", 0, false},
		{"negative seconds", "-5", 0, false},
		{"fraction without unit", "1.5", 0, false},
		{"unknown unit", "1d", 0, false},
		{"space", "5 m", 0, false},
		{"too many seconds", "9223372036854775807", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("ParseDuration(%q) error = %v, want ok %v", tt.in, err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidDuration) {
					t.Errorf("error %v does not wrap ErrInvalidDuration", err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestYAML checks that Size and Duration decode from YAML scalars, quoted
// or not, and that a bad value fails the decode.
func TestYAML(t *testing.T) {
	type conf struct {
		Max Size     `yaml:"maxmemory"`
		TTL Duration `yaml:"ttl"`
	}
	tests := []struct {
		name    string
		doc     string
		want    conf
		wantErr error
	}{
		{"units", "maxmemory: 256mb\nttl: 5m\n", conf{256 << 20, Duration(5 * time.Minute)}, nil},
		{"plain numbers", "maxmemory: 1024\nttl: 30\n", conf{1024, Duration(30 * time.Second)}, nil},
		{"quoted", "maxmemory: \"1gb\"\nttl: '300ms'\n", conf{1 << 30, Duration(300 * time.Millisecond)}, nil},
		{"bad size", "maxmemory: 12xb\n", conf{}, ErrInvalidSize},
		{"bad duration", "ttl: soon\n", conf{}, ErrInvalidDuration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got conf
			err := yaml.Unmarshal([]byte(tt.doc), &got)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Unmarshal error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("Unmarshal = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestTextRoundTrip checks that the text forms read back to the same value,
// so a config can be written out and loaded again.
func TestTextRoundTrip(t *testing.T) {
	for _, s := range []Size{0, 1, 1 << 30, math.MaxInt64} {
		text, _ := s.MarshalText()
		var back Size
		if err := back.UnmarshalText(text); err != nil || back != s {
			t.Errorf("Size %d -> %q -> %d, %v", s, text, back, err)
		}
	}
	for _, d := range []Duration{0, Duration(time.Millisecond), Duration(90 * time.Minute)} {
		text, _ := d.MarshalText()
		var back Duration
		if err := back.UnmarshalText(text); err != nil || back != d {
			t.Errorf("Duration %v -> %q -> %v, %v", d, text, back, err)
		}
	}
}

// TestFlag checks that Size and Duration work as flag.TextVar values.
func TestFlag(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var size Size
	var d Duration
	fs.TextVar(&size, "maxmemory", Size(0), "")
	fs.TextVar(&d, "timeout", Duration(0), "")
	if err := fs.Parse([]string{"--maxmemory", "100mb", "--timeout", "1h"}); err != nil {
		t.Fatal(err)
	}
	if size != 100<<20 || d.Std() != time.Hour {
		t.Errorf("got %v %v", size, d)
	}
	if err := fs.Parse([]string{"--maxmemory", "lots"}); err == nil {
		t.Error("bad size flag accepted")
	}
}

func TestSizeHuman(t *testing.T) {
	for _, tc := range []struct {
		in   Size
		want string
	}{{0, "0"}, {512 << 20, "512mb"}, {1 << 30, "1gb"}, {3 << 10, "3kb"}, {1000, "1000"}, {1536, "1536"}} {
		if got := tc.in.Human(); got != tc.want {
			t.Errorf("Size(%d).Human() = %q, want %q", int64(tc.in), got, tc.want)
		}
		if n, err := ParseSize(tc.in.Human()); err != nil || Size(n) != tc.in {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in.Human(), n, err, int64(tc.in))
		}
	}
}
