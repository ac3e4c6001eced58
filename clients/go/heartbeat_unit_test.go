package parzen

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

// KeepAlive's default interval is a third of the trial's lease (heartbeat.go's Every): two heartbeats in a row may
// be lost before the lease lapses. Without lease information, a third of fallbackLease; never below 10 ms.
func TestDefaultHeartbeatIntervalIsAThirdOfTheLease(t *testing.T) {
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	trial := func(lease time.Duration) *Trial {
		pb := &parzenv1.Trial{StartTime: timestamppb.New(start), LeaseDeadline: timestamppb.New(start.Add(lease))}
		return (&Client{}).newTrial(pb)
	}
	for _, c := range []struct{ lease, want time.Duration }{
		{30 * time.Second, 10 * time.Second},
		{90 * time.Second, 30 * time.Second},
		{15 * time.Millisecond, 10 * time.Millisecond},
	} {
		if got := trial(c.lease).defaultHeartbeatInterval(); got != c.want {
			t.Errorf("lease %v: interval %v, want %v", c.lease, got, c.want)
		}
	}
	if got := (&Client{}).newTrial(&parzenv1.Trial{}).defaultHeartbeatInterval(); got != fallbackLease/3 {
		t.Errorf("no lease: interval %v, want %v", got, fallbackLease/3)
	}
}

// Every(d) with d <= 0 is no interval at all: KeepAlive falls back to one second rather than a ticker that cannot
// exist (time.NewTicker panics on 0), and stops cleanly.
func TestKeepAliveWithoutAPositiveIntervalFallsBack(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		tr := (&Client{}).newTrial(&parzenv1.Trial{})
		h := tr.KeepAlive(context.Background(), Every(d))
		h.Stop()
		select {
		case <-h.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("Every(%v): the heartbeats did not stop", d)
		}
	}
}
