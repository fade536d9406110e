package main

// strata cluster: pushing slot maps to the nodes of a cluster and moving
// slots between them, over the nodes' own commands (CLUSTER.GETMAP,
// CLUSTER.SETMAP, CLUSTER.MOVEKEYS), so that redis-cli can do the same by
// hand.

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/internal/resp"
)

const clusterUsage = `Usage:
  strata cluster push --config strata.yaml       push the file's slot map to every node in it
  strata cluster show --node host:port            print a node's slot map
  strata cluster move --node host:port --slots 0-99,200 --to id
                                                  move slots to node id, under load
Each takes --password when the nodes have requirepass.
`

// moveTimeout bounds CLUSTER.MOVEKEYS, which moves every key of the slots.
const moveTimeout = time.Hour

// runCluster runs `strata cluster ...` and returns the exit code.
func runCluster(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, clusterUsage)
		return 2
	}
	fs := flag.NewFlagSet("strata cluster "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "config file with the cluster section (push)")
	node := fs.String("node", "", "address of any node of the cluster (show, move)")
	slots := fs.String("slots", "", "slots to move, e.g. 0-99,200 (move)")
	to := fs.String("to", "", "id of the node the slots move to (move)")
	password := fs.String("password", "", "the nodes' requirepass")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var err error
	switch args[0] {
	case "push":
		err = clusterPush(*file, *password, stdout)
	case "show":
		err = clusterShow(*node, *password, stdout)
	case "move":
		err = clusterMove(*node, *slots, *to, *password, stdout)
	default:
		fmt.Fprint(stderr, clusterUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "strata cluster:", err)
		return 1
	}
	return 0
}

// clusterPush pushes the config file's map to every node it lists.
func clusterPush(file, password string, out io.Writer) error {
	if file == "" {
		return errors.New("push needs --config")
	}
	opts, err := parseArgs([]string{"--config", file}, io.Discard)
	if err != nil {
		return err
	}
	m := opts.clusterMap()
	if m == nil {
		return fmt.Errorf("%s has no cluster section", file)
	}
	if err := pushMap(m, nil, password); err != nil {
		return err
	}
	fmt.Fprintf(out, "pushed map version %d to %d nodes\n", m.Version, len(m.Nodes))
	return nil
}

// clusterShow prints a node's map as CLUSTER.SETMAP takes it.
func clusterShow(node, password string, out io.Writer) error {
	m, err := fetchMap(node, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "version %d\n", m.Version)
	for i, n := range m.Nodes {
		fmt.Fprintf(out, "%s %s %s", n.ID, n.Addr(), cluster.FormatRanges(m.Ranges(i, m.Owner)))
		if r := m.Ranges(i, m.MigratingTo); len(r) > 0 {
			fmt.Fprintf(out, " (importing %s)", cluster.FormatRanges(r))
		}
		fmt.Fprintln(out)
	}
	return nil
}

// clusterMove moves slots to node to: the map with the slots migrating,
// CLUSTER.MOVEKEYS on each node that owns some of them, the map with the
// slots given to the new node. Each map goes to the new owner first, so
// that it serves clients sent on with ASK (and then owns the slots)
// before the others send them. A move that stopped half way is finished
// by running it again.
func clusterMove(node, slots, to, password string, out io.Writer) error {
	if node == "" || slots == "" || to == "" {
		return errors.New("move needs --node, --slots and --to")
	}
	ranges, err := cluster.ParseRanges(slots)
	if err != nil {
		return err
	}
	m, err := fetchMap(node, password)
	if err != nil {
		return err
	}
	moving, err := m.Migrate(m.Version+1, ranges, to)
	if err != nil {
		return err
	}
	first := []int{moving.Index(to)}
	if err := pushMap(moving, first, password); err != nil {
		return err
	}
	var sources []int
	for s := range cluster.Slots {
		if o := moving.Owner(s); moving.MigratingTo(s) >= 0 && !slices.Contains(sources, o) {
			sources = append(sources, o)
		}
	}
	for _, i := range sources {
		n := moving.Nodes[i]
		reply, err := call(n.Addr(), password, moveTimeout, "CLUSTER.MOVEKEYS", slots)
		if err != nil {
			return fmt.Errorf("moving keys from %s (%s): %w", n.ID, n.Addr(), err)
		}
		fmt.Fprintf(out, "moved %d keys from %s to %s\n", reply.Num, n.ID, to)
	}
	done, err := moving.Assign(moving.Version+1, ranges, to)
	if err != nil {
		return err
	}
	if err := pushMap(done, first, password); err != nil {
		return err
	}
	fmt.Fprintf(out, "slots %s now on %s (map version %d)\n", slots, to, done.Version)
	return nil
}

// fetchMap reads the map of the node at addr.
func fetchMap(addr, password string) (*cluster.Map, error) {
	if addr == "" {
		return nil, errors.New("--node is required")
	}
	reply, err := call(addr, password, 10*time.Second, "CLUSTER.GETMAP")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	args := make([]string, len(reply.Elems))
	for i, e := range reply.Elems {
		args[i] = e.Str
	}
	return cluster.Parse(args)
}

// pushMap sends m to the nodes listed first, then to the rest of its
// nodes.
func pushMap(m *cluster.Map, first []int, password string) error {
	order := slices.Clone(first)
	for i := range m.Nodes {
		if !slices.Contains(order, i) {
			order = append(order, i)
		}
	}
	args := append([]string{"CLUSTER.SETMAP"}, m.Args()...)
	for _, i := range order {
		if _, err := call(m.Nodes[i].Addr(), password, 10*time.Second, args...); err != nil {
			return fmt.Errorf("pushing map version %d to %s (%s): %w", m.Version, m.Nodes[i].ID, m.Nodes[i].Addr(), err)
		}
	}
	return nil
}

// call runs one command on the node at addr, authenticating first when
// password is set, and returns its reply; an error reply is an error.
func call(addr, password string, timeout time.Duration, args ...string) (resp.Node, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return resp.Node{}, err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(timeout))
	var b []byte
	replies := 1
	if password != "" {
		b = resp.AppendCommand(b, []byte("AUTH"), []byte(password))
		replies++
	}
	ab := make([][]byte, len(args))
	for i, a := range args {
		ab[i] = []byte(a)
	}
	if _, err := nc.Write(resp.AppendCommand(b, ab...)); err != nil {
		return resp.Node{}, err
	}
	br := bufio.NewReader(nc)
	var reply resp.Node
	for range replies {
		if reply, err = resp.ReadReply(br); err != nil {
			return resp.Node{}, err
		}
		if reply.Kind == resp.KindError {
			return resp.Node{}, errors.New(reply.Str)
		}
	}
	return reply, nil
}
