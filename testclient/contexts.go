package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"
)

// sessionContexts returns the context of the whole run, which ends after
// timeout, and one that ends at the first Ctrl-C, which cancels the
// sessions. After that first Ctrl-C a second one kills the process as usual,
// for a server that does not confirm the cancel.
func sessionContexts(timeout time.Duration) (ctx, interrupt context.Context, release func()) {
	ctx, cancel := context.WithTimeoutCause(context.Background(), timeout,
		fmt.Errorf("no result within --timeout %v", timeout))
	interrupt, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	context.AfterFunc(interrupt, stop)
	return ctx, interrupt, func() {
		stop()
		cancel()
	}
}
