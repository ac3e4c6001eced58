//go:build unix

package parzen_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

// A worker rides out a server restart: the server is killed (SIGKILL)
// mid-loop and started again on the same address and database; the worker
// sees no error and no trial is left RUNNING.
func TestAWorkerSeesNoErrorThroughAKillAndRestart(t *testing.T) {
	skipIntegration(t)
	const trials, killAfter = 120, 40
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	db := filepath.Join(t.TempDir(), "parzen.db")
	srv, err := startServer(db, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.stop() }()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := parzen.Dial(ctx, addr, parzen.WithWorkerID("rider"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exp, err := c.CreateExperiment(ctx, parzen.ExperimentSpec{
		Name: "restart", Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, Algorithm: "random",
	})
	if err != nil {
		t.Fatal(err)
	}
	halfway := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; i < trials; i++ {
			tr, err := exp.Suggest(ctx)
			if err != nil {
				done <- err
				return
			}
			x := tr.MustFloat("x")
			if err := tr.Report(ctx, (x-0.3)*(x-0.3), nil); err != nil {
				done <- err
				return
			}
			if i == killAfter {
				close(halfway)
			}
		}
		done <- nil
	}()
	select {
	case <-halfway:
	case err := <-done:
		t.Fatalf("the worker stopped before the kill: %v", err)
	}
	signalGroup(srv.cmd, true)
	<-srv.done
	if srv, err = startServer(db, addr); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the worker saw: %v", err)
	}
	n := 0
	for tr, err := range exp.Trials(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if tr.State() != parzen.Complete {
			t.Errorf("trial %d is %v", tr.ID(), tr.State())
		}
	}
	if n != trials {
		t.Errorf("%d trials, want %d", n, trials)
	}
}
