package conformance

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var record = flag.Bool("record", false, "re-record the goldens in testdata from redis-server (must be on PATH)")

const (
	testdataDir  = "testdata"
	versionFile  = testdataDir + "/REDIS_VERSION"
	recordPasses = 2 // a case whose replies differ between passes is not deterministic
)

// TestConformance checks every case's golden against Strata, and against a
// live redis-server when one is on PATH. With -record it re-records the
// goldens from redis-server instead.
func TestConformance(t *testing.T) {
	files, err := loadScripts(testdataDir)
	if err != nil {
		t.Fatal(err)
	}
	if *record {
		addr, version := startRedis(t, redisBinary(t))
		recordGoldens(t, files, addr, version)
		return
	}
	t.Run("strata", func(t *testing.T) {
		checkFiles(t, target{name: "strata", addr: startStrata(t), strata: true}, files)
	})
	t.Run("redis", func(t *testing.T) {
		bin := redisBinary(t)
		addr, version := startRedis(t, bin)
		requireGoldensVersion(t, version)
		checkFiles(t, target{name: "redis", addr: addr}, files)
	})
}

// requireGoldensVersion skips a live check against a redis-server of
// another major.minor version than the goldens' (fails it under
// STRATA_REQUIRE_REDIS=1).
func requireGoldensVersion(t *testing.T, version string) {
	t.Helper()
	want, err := os.ReadFile(versionFile)
	if err != nil {
		t.Fatal(err)
	}
	if !sameMinor(version, strings.TrimSpace(string(want))) {
		skipOrFail(t, "redis-server "+version+" is not the goldens' version "+strings.TrimSpace(string(want)))
	}
}

// sameMinor reports whether two versions share major.minor.
func sameMinor(a, b string) bool {
	minor := func(v string) string {
		p := strings.SplitN(v, ".", 3)
		if len(p) < 2 {
			return v
		}
		return p[0] + "." + p[1]
	}
	return minor(a) == minor(b)
}

// checkFiles runs every case on tg, one subtest per file and case.
func checkFiles(t *testing.T, tg target, files []*scriptFile) {
	s, err := newSession(tg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			for _, tc := range f.cases {
				t.Run(tc.name, func(t *testing.T) {
					replies, err := s.run(tc)
					if err != nil {
						t.Fatalf("%s:%d: %v", f.path, tc.line, err)
					}
					for _, msg := range checkCase(tc, replies, tg.strata) {
						t.Errorf("%s %s", f.path, msg)
					}
				})
			}
		})
	}
}

// recordGoldens runs every case on the fresh redis-server at addr, checks
// that the replies are deterministic and meet the cases' own looser
// comparisons, and rewrites the files with them.
func recordGoldens(t *testing.T, files []*scriptFile, addr, version string) {
	s, err := newSession(target{name: "redis", addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	for _, f := range files {
		for _, tc := range f.cases {
			for pass := 0; pass < recordPasses; pass++ {
				replies, err := s.run(tc)
				if err != nil {
					t.Fatalf("%s:%d: %v", f.path, tc.line, err)
				}
				if pass == 0 {
					for i, st := range tc.steps {
						// A loosely compared golden that the new reply
						// still matches is kept, so re-recording does not
						// churn ids, addresses and times.
						keep := st.recorded && st.cmp.name != "" && st.cmp.check(st.golden, replies[i], false) == nil
						if st.expectsReply() && !keep {
							st.golden, st.recorded = st.cmp.reduce(replies[i]), true
						}
					}
				}
				for _, msg := range checkCase(tc, replies, false) {
					t.Errorf("%s case %s (pass %d): %s", f.path, tc.name, pass+1, msg)
				}
			}
		}
		if err := os.WriteFile(f.path, []byte(f.render()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(versionFile, []byte(version+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d files from redis-server %s", len(files), version)
}
