package server

// Server commands.
// https://redis.io/commands/?group=server

func registerServerCommands(t commandTable) {}
