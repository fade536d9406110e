package script

// FUNCTION DUMP and FUNCTION RESTORE: the payload is Redis 7.0's
// (internal/rdb), so payloads move between Redis and Strata byte for byte.

import (
	"errors"
	"slices"

	"github.com/stratakv/strata/internal/rdb"
)

// RestorePolicy is FUNCTION RESTORE's policy for the libraries it loads.
type RestorePolicy int

// Restore policies.
const (
	// RestoreAppend adds the payload's libraries and fails on a name
	// already taken (the default).
	RestoreAppend RestorePolicy = iota
	// RestoreReplace adds them, replacing libraries of the same name.
	RestoreReplace
	// RestoreFlush replaces every library with the payload's.
	RestoreFlush
)

// DumpLibraries returns FUNCTION DUMP's payload of every library, by
// name.
func (e *Engine) DumpLibraries() []byte {
	libs := e.Libraries()
	codes := make([][]byte, len(libs))
	for i, l := range libs {
		codes[i] = l.code
	}
	return rdb.DumpFunctions(codes)
}

// RestoreLibraries is FUNCTION RESTORE: it loads the libraries of payload
// as policy says, all or none. It returns a *ReplyError with Redis's
// reply when the payload is not one, or a library in it does not load or
// collides with another. Like LoadLibrary it runs Lua.
func (e *Engine) RestoreLibraries(payload []byte, policy RestorePolicy) error {
	codes, err := rdb.LoadFunctions(payload)
	switch {
	case errors.Is(err, rdb.ErrChecksum):
		return replyError(msgRestorePayload)
	case errors.Is(err, rdb.ErrFunctionPreGA):
		return replyError(msgRestorePreGA)
	case errors.Is(err, rdb.ErrNotFunction):
		return replyError(msgRestoreType)
	case err != nil:
		return replyError(msgRestoreLoadString)
	}
	loaded := newRegistry()
	for _, code := range codes {
		name, skip, err := parseLibraryHeader(code)
		if err != nil {
			return err
		}
		if loaded.libs[name] != nil {
			return replyError(msgLibExists, name)
		}
		l, err := e.compileLibrary(name, code, skip, 0)
		if err != nil {
			return err
		}
		if err := loaded.add(l, false); err != nil {
			return err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if policy == RestoreFlush {
		e.fns = loaded
		return nil
	}
	return e.fns.join(loaded, policy == RestoreReplace)
}

// join adds src's libraries to g as Redis's libraryJoin: a library whose
// name g has fails the join unless replace, and a function whose name
// another library of g has fails it; then g is left as it was.
func (g *registry) join(src registry, replace bool) error {
	var replaced []*Library
	restore := func() {
		for _, l := range replaced {
			g.link(l)
		}
	}
	names := make([]string, 0, len(src.libs))
	for name := range src.libs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if old := g.libs[name]; old != nil {
			if !replace {
				restore()
				return replyError(msgLibExistsRestore, name)
			}
			g.unlink(old)
			replaced = append(replaced, old)
		}
	}
	for _, name := range names {
		if err := g.collision(src.libs[name]); err != nil {
			restore()
			return err
		}
	}
	for _, name := range names {
		g.link(src.libs[name])
	}
	return nil
}
