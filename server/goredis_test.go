package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestGoRedisConnectionAndServer connects go-redis v9 as applications do
// (HELLO with AUTH, CLIENT SETNAME, CLIENT SETINFO pipelined after it) in
// RESP2 and RESP3, and uses the connection and server commands through its
// typed API, which parses the replies the way applications see them.
func TestGoRedisConnectionAndServer(t *testing.T) {
	s := startServer(t, Config{RequirePass: "secret"})
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: proto, Password: "secret", ClientName: "app", DB: 1})
			t.Cleanup(func() { rdb.Close() })
			if err := rdb.Ping(ctx).Err(); err != nil {
				t.Fatalf("PING: %v", err)
			}
			info, err := rdb.ClientInfo(ctx).Result()
			if err != nil {
				t.Fatalf("CLIENT INFO: %v", err)
			}
			// go-redis's CLIENT SETINFO is taken, and not shown, as Redis
			// 7.0 shows no lib-name or lib-ver.
			if info.Name != "app" || info.DB != 1 || info.Resp != proto || info.LibName != "" {
				t.Errorf("CLIENT INFO: %+v", info)
			}
			if name := rdb.ClientGetName(ctx).Val(); name != "app" {
				t.Errorf("CLIENT GETNAME: %q", name)
			}
			if id := rdb.ClientID(ctx).Val(); id != info.ID {
				t.Errorf("CLIENT ID %d, CLIENT INFO id %d", id, info.ID)
			}
			hello, err := rdb.Do(ctx, "HELLO").Result()
			if err != nil {
				t.Fatalf("HELLO: %v", err)
			}
			if m := toMap(hello); m["server"] != "redis" || m["version"] != RedisVersion || m["proto"] != int64(proto) {
				t.Errorf("HELLO: %v", hello)
			}

			if v := rdb.Info(ctx, "server").Val(); !strings.Contains(v, "redis_version:"+RedisVersion+"\r\n") {
				t.Errorf("INFO server: %q", v)
			}
			if err := rdb.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
				t.Fatalf("CONFIG SET: %v", err)
			}
			got, err := rdb.ConfigGet(ctx, "maxmemory*").Result()
			if err != nil || got["maxmemory-policy"] != "allkeys-lru" || got["maxmemory"] != "0" || len(got) != 5 {
				t.Errorf("CONFIG GET maxmemory*: %v, %v", got, err)
			}
			if err := rdb.ConfigSet(ctx, "maxmemory", "10mb").Err(); err != nil {
				t.Errorf("CONFIG SET maxmemory 10mb: %v", err)
			}
			if v := rdb.ConfigGet(ctx, "maxmemory").Val()["maxmemory"]; v != "10485760" {
				t.Errorf("CONFIG GET maxmemory: %q", v)
			}
			rdb.ConfigSet(ctx, "maxmemory", "0")

			rdb.Set(ctx, "k", "value", 0)
			if n, err := rdb.MemoryUsage(ctx, "k").Result(); err != nil || n <= 0 {
				t.Errorf("MEMORY USAGE: %d, %v", n, err)
			}
			if now, err := rdb.Time(ctx).Result(); err != nil || time.Since(now).Abs() > time.Minute {
				t.Errorf("TIME: %v, %v", now, err)
			}
			if n, err := rdb.DBSize(ctx).Result(); err != nil || n != 1 {
				t.Errorf("DBSIZE: %d, %v", n, err)
			}

			rdb.ConfigSet(ctx, "slowlog-log-slower-than", "0")
			rdb.Echo(ctx, "slow")
			logs, err := rdb.SlowLogGet(ctx, 1).Result()
			if err != nil || len(logs) != 1 || strings.Join(logs[0].Args, " ") != "echo slow" || logs[0].ClientName != "app" {
				t.Errorf("SLOWLOG GET: %+v, %v", logs, err)
			}
			rdb.ConfigSet(ctx, "slowlog-log-slower-than", "10000")

			cmds, err := rdb.Command(ctx).Result()
			if err != nil {
				t.Fatalf("COMMAND: %v", err)
			}
			if get := cmds["get"]; get == nil || get.Arity != 2 || get.FirstKeyPos != 1 || !get.ReadOnly {
				t.Errorf("COMMAND get: %+v", get)
			}
			if len(cmds) != len(s.commands) {
				t.Errorf("COMMAND: %d commands, the table has %d", len(cmds), len(s.commands))
			}
			if keys, err := rdb.CommandGetKeys(ctx, "mset", "a", "1", "b", "2").Result(); err != nil || strings.Join(keys, ",") != "a,b" {
				t.Errorf("COMMAND GETKEYS: %v, %v", keys, err)
			}
			if list, err := rdb.CommandList(ctx, &redis.FilterBy{Pattern: "client*"}).Result(); err != nil || len(list) < 2 {
				t.Errorf("COMMAND LIST: %v, %v", list, err)
			}
		})
	}
}

// toMap reads a HELLO reply as go-redis returns it: a map in RESP3, a
// flat list in RESP2.
func toMap(v any) map[string]any {
	switch v := v.(type) {
	case map[any]any:
		m := map[string]any{}
		for k, x := range v {
			m[fmt.Sprint(k)] = x
		}
		return m
	case []any:
		m := map[string]any{}
		for i := 0; i+1 < len(v); i += 2 {
			m[fmt.Sprint(v[i])] = v[i+1]
		}
		return m
	}
	return nil
}

// TestGoRedisWrongPassword checks that go-redis reports a bad password.
func TestGoRedisWrongPassword(t *testing.T) {
	s := startServer(t, Config{RequirePass: "secret"})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: "wrong", MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.Ping(context.Background()).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Errorf("PING with a wrong password: %v", err)
	}
}
