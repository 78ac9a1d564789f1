package main

import "runtime/debug"

// Garbage collector defaults for serve. A request allocates a few hundred
// kilobytes that die with it (gqlgen's per-field bookkeeping, rows, the
// response), over a live heap of a few tens of megabytes: Go's default
// (GOGC=100) collects every time the heap doubles, which on a page of
// orders was 10–15 % of the CPU. Collecting at 5× the live heap, under a
// soft limit so that a larger live heap makes it collect sooner rather
// than grow without bound, trades some memory for that CPU. GOGC and
// GOMEMLIMIT in the environment win, as they do for any Go program.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 1 << 30 // bytes
)

// tuneGC applies serve's collector defaults where the environment sets none.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
