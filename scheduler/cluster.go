package scheduler

// Warm-ups in a cluster: a job that loads keys from a source runs on one
// node of the cluster, which writes each key on the node that owns it. A
// job that works on the keys a node holds (hot, refresh) runs on every
// node, each for its own keys.

// Cluster is what a cluster node tells its Scheduler (Config.Cluster; nil
// outside a cluster).
type Cluster interface {
	// Runs reports whether this node runs the scheduled and on-start runs
	// of the job named name; the other nodes skip them. Runs asked for by
	// hand (Run, RunAsync, Clear) run where they are asked.
	Runs(name string) bool
	// Sender returns a Sender for one worker of a run.
	Sender() Sender
}

// Sender writes the keys other nodes own on those nodes, for one worker:
// it is not safe for concurrent use.
type Sender interface {
	// Send queues key for its owner and reports whether that is another
	// node (false: the key is written here). It is called with the key's
	// lock held, so that a slot that starts moving cannot miss a key
	// written here. An error fails the key: its slot is moving, say.
	Send(key string, value []byte, expireAt int64) (remote bool, err error)
	// Flush writes the queued keys on their owners, and returns once each
	// has them as durable as its namespace says, or with the first
	// failure.
	Flush() error
}

// runsHere reports whether this node runs js's scheduled and on-start
// runs (see Cluster.Runs).
func (s *Scheduler) runsHere(js *jobState) bool {
	src := js.job.Source
	return s.cluster == nil || src.Hot != nil || src.Refresh != nil || s.cluster.Runs(js.job.Name)
}
