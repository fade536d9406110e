package server

import (
	"testing"

	"github.com/stratakv/strata/cluster"
)

// BenchmarkClusterRoute measures the routing check a cluster node adds to
// every command, for GET of one of its own keys and MGET of two.
func BenchmarkClusterRoute(b *testing.B) {
	nodes := startCluster(b, Config{}, threeWay)
	c := &client{srv: nodes[0]}
	k := []byte(keyIn(b, "k", cluster.Range{First: 0, Last: 5460}))
	for _, bc := range []struct {
		name string
		args [][]byte
	}{
		{"GET", [][]byte{[]byte("GET"), k}},
		{"MGET", [][]byte{[]byte("MGET"), k, append([]byte("{"+string(k)+"}"), 'x')}},
	} {
		cmd := nodes[0].commands.find(bc.args)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c.redirected(cmd, bc.args) {
					b.Fatal("redirected")
				}
			}
		})
	}
}
