package server_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/stratakv/strata/server"
)

// Example_embedded runs Strata inside a Go program, as a test would, on a
// free loopback port, and talks to it with an ordinary Redis client.
func Example_embedded() {
	srv, err := server.New(server.Config{
		Port:   -1, // any free port
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()

	fmt.Println(rdb.Ping(ctx).Val())
	rdb.Set(ctx, "greeting", "hello", 0)
	fmt.Println(rdb.Get(ctx, "greeting").Val())
	fmt.Println(rdb.ConfigGet(ctx, "maxmemory-policy").Val()["maxmemory-policy"])
	// Output:
	// PONG
	// hello
	// noeviction
}
