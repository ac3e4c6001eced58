package parzen

// Background heartbeats: a long trial keeps its lease alive from a
// goroutine, so the server does not mark it LOST while it is still being
// evaluated. Transient failures (server restarting, network blip) are
// retried at the next tick; a refusal from the server (the trial is no
// longer RUNNING or no longer exists) ends the heartbeat and is reported
// through Done and Err so the trainer can stop wasting work.

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
)

// fallbackLease is assumed when a trial carries no lease information.
const fallbackLease = 30 * time.Second

// Heartbeat is a running background heartbeat; see Trial.KeepAlive.
type Heartbeat struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	err error
}

// HeartbeatOption configures KeepAlive.
type HeartbeatOption func(*heartbeatConfig)

type heartbeatConfig struct{ interval time.Duration }

// Every sets the heartbeat interval. Default: a third of the trial's lease.
func Every(d time.Duration) HeartbeatOption {
	return func(c *heartbeatConfig) { c.interval = d }
}

// KeepAlive starts heartbeating the trial in the background until Stop is
// called, ctx ends, the trial is finished through Report, Fail or Prune, or
// the server refuses a heartbeat (then Err says why). Calling it again
// replaces the previous heartbeat.
//
//	hb := t.KeepAlive(ctx)
//	defer hb.Stop()
//	loss := trainForHours(t) // may check <-hb.Done() to give up early
//	err := t.Report(ctx, loss, nil)
func (t *Trial) KeepAlive(ctx context.Context, opts ...HeartbeatOption) *Heartbeat {
	cfg := heartbeatConfig{interval: t.defaultHeartbeatInterval()}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.interval <= 0 {
		cfg.interval = time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	h := &Heartbeat{cancel: cancel, done: make(chan struct{})}

	t.mu.Lock()
	prev := t.hb
	t.hb = h
	t.mu.Unlock()
	if prev != nil {
		prev.Stop()
	}

	go h.run(ctx, t, cfg.interval)
	return h
}

// defaultHeartbeatInterval is a third of the lease, measured on the
// server's clock (deadline - start) so client clock skew does not matter.
func (t *Trial) defaultHeartbeatInterval() time.Duration {
	pb := t.snapshot()
	lease := fallbackLease
	if pb.GetLeaseDeadline() != nil && pb.GetStartTime() != nil {
		if d := pb.GetLeaseDeadline().AsTime().Sub(pb.GetStartTime().AsTime()); d > 0 {
			lease = d
		}
	}
	return max(lease/3, 10*time.Millisecond)
}

func (h *Heartbeat) run(ctx context.Context, t *Trial, interval time.Duration) {
	defer close(h.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		callCtx, cancel := context.WithTimeout(ctx, interval)
		_, err := t.Heartbeat(callCtx)
		cancel()
		if err == nil || ctx.Err() != nil {
			continue
		}
		switch Code(err) {
		case codes.NotFound, codes.FailedPrecondition, codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated:
			h.mu.Lock()
			h.err = err
			h.mu.Unlock()
			return
		}
		// Anything else is likely transient: try again at the next tick.
	}
}

// Stop ends the heartbeat and waits for its goroutine to exit. It is safe
// to call more than once and after the heartbeat ended on its own.
func (h *Heartbeat) Stop() {
	h.cancel()
	<-h.done
}

// Done is closed when the heartbeat has ended, for whatever reason.
func (h *Heartbeat) Done() <-chan struct{} { return h.done }

// Err is why the heartbeat ended on its own: the server's refusal (e.g.
// FAILED_PRECONDITION when the trial was already finished or marked LOST).
// It is nil while running and after Stop, ctx cancellation or a report.
func (h *Heartbeat) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}
