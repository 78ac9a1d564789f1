// Command portal runs Portal, the self-hosted B2B customer portal: the web
// server, database migrations, demo data and the administrator bootstrap.
// With no DATABASE_URL it runs its own PostgreSQL under the data directory.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
