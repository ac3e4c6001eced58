package parzen

// Client behaviour that needs no real server: a scripted in-memory fake
// over bufconn checks what the client sends and how it reacts. The
// end-to-end tests against the real server are in server_test.go.

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

type fake struct {
	parzenv1.UnimplementedOptimizerServiceServer

	mu             sync.Mutex
	suggests       []*parzenv1.SuggestRequest
	reports        []*parzenv1.ReportRequest
	heartbeats     int
	heartbeatErr   error // returned once heartbeats reaches failAfter
	failAfter      int
	suggestFails   int // Suggest answers UNAVAILABLE this many times first
	extraTrials    int // Suggest answers this many trials more than it was asked for (a misbehaving server)
	authorizations []string
	lease          time.Duration
}

func (f *fake) Suggest(ctx context.Context, r *parzenv1.SuggestRequest) (*parzenv1.SuggestResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	md, _ := metadata.FromIncomingContext(ctx)
	f.authorizations = append(f.authorizations, md.Get("authorization")...)
	f.suggests = append(f.suggests, r)
	if f.suggestFails > 0 {
		f.suggestFails--
		return nil, status.Error(codes.Unavailable, "restarting")
	}
	now := time.Now()
	resp := &parzenv1.SuggestResponse{}
	for i := range r.Count + int32(f.extraTrials) {
		resp.Trials = append(resp.Trials, &parzenv1.Trial{
			Id: int64(100 + i), Experiment: r.Experiment, Number: int64(i), State: Running,
			WorkerId:      r.WorkerId,
			Params:        map[string]*parzenv1.Value{"lr": doubleValue(0.01), "layers": intValue(3), "opt": {Kind: &parzenv1.Value_StringValue{StringValue: "sgd"}}, "steps": doubleValue(40), "flag": {Kind: &parzenv1.Value_BoolValue{BoolValue: true}}},
			StartTime:     timestamppb.New(now),
			LeaseDeadline: timestamppb.New(now.Add(f.lease)),
		})
	}
	return resp, nil
}

func (f *fake) Report(_ context.Context, r *parzenv1.ReportRequest) (*parzenv1.ReportResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reports = append(f.reports, r)
	st := map[parzenv1.ReportStatus]TrialState{
		parzenv1.ReportStatus_REPORT_STATUS_OK:     Complete,
		parzenv1.ReportStatus_REPORT_STATUS_FAIL:   Failed,
		parzenv1.ReportStatus_REPORT_STATUS_PRUNED: Pruned,
	}[r.Status]
	return &parzenv1.ReportResponse{Trial: &parzenv1.Trial{Id: r.TrialId, State: st, Loss: r.Loss, Metrics: r.Metrics}}, nil
}

func (f *fake) Heartbeat(_ context.Context, r *parzenv1.HeartbeatRequest) (*parzenv1.HeartbeatResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heartbeats++
	if f.heartbeatErr != nil && f.heartbeats >= f.failAfter {
		return nil, f.heartbeatErr
	}
	return &parzenv1.HeartbeatResponse{LeaseDeadline: timestamppb.New(time.Now().Add(f.lease))}, nil
}

func (f *fake) ListTrials(_ context.Context, r *parzenv1.ListTrialsRequest) (*parzenv1.ListTrialsResponse, error) {
	// Five trials, two per page.
	start := 0
	if r.PageToken != "" {
		start = int(r.PageToken[0] - '0')
	}
	resp := &parzenv1.ListTrialsResponse{}
	for i := start; i < min(start+2, 5); i++ {
		resp.Trials = append(resp.Trials, &parzenv1.Trial{Id: int64(i), Number: int64(i), State: Complete})
	}
	if start+2 < 5 {
		resp.NextPageToken = string(rune('0' + start + 2))
	}
	return resp, nil
}

func (f *fake) count(what *int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *what
}

// startFake serves f in memory and returns a client dialled through Dial.
func startFake(t *testing.T, f *fake, opts ...Option) *Client {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	parzenv1.RegisterOptimizerServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	dialer := func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts = append(opts, WithGRPCOptions(grpc.WithContextDialer(dialer)))
	c, err := Dial(ctx, "passthrough:///bufnet", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSuggestSendsWorkerAndRequestID(t *testing.T) {
	f := &fake{lease: time.Minute}
	c := startFake(t, f, WithWorkerID("pod-7"), WithToken("s3cret"))
	exp := &Experiment{c: c, name: "e"}
	ctx := context.Background()
	ts, err := exp.SuggestN(ctx, 3)
	if err != nil || len(ts) != 3 {
		t.Fatalf("SuggestN: %v %v", ts, err)
	}
	if _, err := exp.Suggest(ctx); err != nil {
		t.Fatal(err)
	}
	r0, r1 := f.suggests[0], f.suggests[1]
	if r0.Experiment != "e" || r0.Count != 3 || r0.WorkerId != "pod-7" || r1.Count != 1 {
		t.Errorf("request: %v", r0)
	}
	if r0.RequestId == "" || r0.RequestId == r1.RequestId {
		t.Errorf("request ids must be set and distinct: %q %q", r0.RequestId, r1.RequestId)
	}
	if len(f.authorizations) != 2 || f.authorizations[0] != "Bearer s3cret" {
		t.Errorf("authorization metadata: %v", f.authorizations)
	}
	if _, err := exp.SuggestN(ctx, 0); !IsInvalidArgument(err) {
		t.Errorf("count 0: %v", err)
	}
}

func TestSuggestRetriesUnavailableWithTheSameRequestID(t *testing.T) {
	f := &fake{lease: time.Minute, suggestFails: 2}
	c := startFake(t, f)
	if _, err := (&Experiment{c: c, name: "e"}).Suggest(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.suggests) != 3 {
		t.Fatalf("want 3 attempts, got %d", len(f.suggests))
	}
	if f.suggests[0].RequestId != f.suggests[2].RequestId {
		t.Errorf("retries must reuse the idempotency key")
	}
}

func TestTrialAccessors(t *testing.T) {
	f := &fake{lease: time.Minute}
	c := startFake(t, f)
	tr, err := (&Experiment{c: c, name: "e"}).Suggest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tr.MustFloat("lr") != 0.01 || tr.MustFloat("layers") != 3 || tr.MustInt("layers") != 3 || tr.MustInt("steps") != 40 {
		t.Errorf("numbers: %v", tr.Params())
	}
	if tr.MustString("opt") != "sgd" || !tr.MustBool("flag") {
		t.Errorf("typed accessors: %v", tr.Params())
	}
	// A value of another type is an error, never a zero value.
	if _, err := tr.String("lr"); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), `parameter "lr": it is float64 0.01, not a string`) {
		t.Errorf("String on a float: %v", err)
	}
	if _, err := tr.Int("lr"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Int on a fraction: %v", err)
	}
	// A misspelt name is an error naming the closest one, never a silent 0.
	if _, err := tr.Float("lrr"); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), `no parameter "lrr"`) ||
		!strings.Contains(err.Error(), `did you mean "lr"?`) || !strings.Contains(err.Error(), "Float of trial #") {
		t.Errorf("Float on a typo: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("MustFloat on a typo must panic")
			}
		}()
		tr.MustFloat("lrr")
	}()
	if !tr.Has("lr") || tr.Has("momentum") {
		t.Errorf("Has/absent")
	}
	if _, err := tr.Float("momentum"); err == nil {
		t.Errorf("an absent conditional parameter is an error")
	}
	if v, ok := tr.Value("layers"); !ok || v != int64(3) {
		t.Errorf("Value: %v %v", v, ok)
	}
	p := tr.Params()
	p["lr"] = 1.0
	if tr.MustFloat("lr") != 0.01 {
		t.Errorf("Params must return a copy")
	}
	if tr.State() != Running || tr.ID() != 100 || tr.Experiment() != "e" || tr.LeaseDeadline().IsZero() {
		t.Errorf("metadata: %s", tr.Summary())
	}
	if _, ok := tr.Loss(); ok {
		t.Errorf("running trial has no loss")
	}
}

func TestReportFailPrune(t *testing.T) {
	f := &fake{lease: time.Minute}
	c := startFake(t, f)
	ctx := context.Background()
	ts, _ := (&Experiment{c: c, name: "e"}).SuggestN(ctx, 3)
	if err := ts[0].Report(ctx, 0.25, map[string]float64{"acc": 0.9}); err != nil {
		t.Fatal(err)
	}
	if l, ok := ts[0].Loss(); !ok || l != 0.25 || ts[0].State() != Complete || ts[0].Metrics()["acc"] != 0.9 {
		t.Errorf("after Report: %s", ts[0].Summary())
	}
	if err := ts[1].Fail(ctx, "diverged"); err != nil || ts[1].State() != Failed {
		t.Errorf("Fail: %v %v", err, ts[1].State())
	}
	if err := ts[2].Prune(ctx); err != nil || ts[2].State() != Pruned {
		t.Errorf("Prune: %v %v", err, ts[2].State())
	}
	r := f.reports
	if r[0].TrialId != 100 || r[0].GetLoss() != 0.25 || r[1].FailReason != "diverged" || r[1].Loss != nil || r[2].Status != parzenv1.ReportStatus_REPORT_STATUS_PRUNED {
		t.Errorf("reports sent: %v", r)
	}
}

func TestKeepAliveHeartbeatsUntilReport(t *testing.T) {
	f := &fake{lease: 90 * time.Millisecond} // default interval: 30ms
	c := startFake(t, f)
	ctx := context.Background()
	tr, _ := (&Experiment{c: c, name: "e"}).Suggest(ctx)
	first := tr.LeaseDeadline()
	hb := tr.KeepAlive(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for f.count(&f.heartbeats) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.count(&f.heartbeats); n < 3 {
		t.Errorf("want several heartbeats at a 30ms interval, got %d", n)
	}
	if !tr.LeaseDeadline().After(first) {
		t.Errorf("lease deadline not extended")
	}
	if err := tr.Report(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hb.Done():
	case <-time.After(time.Second):
		t.Fatal("Report did not stop the heartbeat")
	}
	n := f.count(&f.heartbeats)
	time.Sleep(100 * time.Millisecond)
	if f.count(&f.heartbeats) != n || hb.Err() != nil {
		t.Errorf("heartbeats after Report, or Err %v", hb.Err())
	}
	hb.Stop() // idempotent
}

func TestKeepAliveEndsWhenServerRefuses(t *testing.T) {
	f := &fake{lease: time.Hour, heartbeatErr: status.Error(codes.FailedPrecondition, "trial 100 is LOST"), failAfter: 2}
	c := startFake(t, f)
	ctx := context.Background()
	tr, _ := (&Experiment{c: c, name: "e"}).Suggest(ctx)
	hb := tr.KeepAlive(ctx, Every(10*time.Millisecond))
	select {
	case <-hb.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("heartbeat did not end on FAILED_PRECONDITION")
	}
	if !IsFailedPrecondition(hb.Err()) {
		t.Errorf("Err: %v", hb.Err())
	}
}

func TestKeepAliveSurvivesTransientErrorsAndStops(t *testing.T) {
	f := &fake{lease: time.Hour, heartbeatErr: status.Error(codes.Internal, "hiccup"), failAfter: 1}
	c := startFake(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	tr, _ := (&Experiment{c: c, name: "e"}).Suggest(ctx)
	hb := tr.KeepAlive(ctx, Every(10*time.Millisecond))
	// Every heartbeat fails with INTERNAL; the loop must go on trying (an event to wait for, not a duration).
	deadline := time.Now().Add(5 * time.Second)
	for f.count(&f.heartbeats) < 4 && time.Now().Before(deadline) {
		select {
		case <-hb.Done():
			t.Fatalf("a transient error ended the heartbeat after %d attempts: %v", f.count(&f.heartbeats), hb.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	if n := f.count(&f.heartbeats); n < 4 {
		t.Fatalf("heartbeat stopped trying after a transient error: %d attempts", n)
	}
	cancel()
	select {
	case <-hb.Done():
	case <-time.After(time.Second):
		t.Fatal("context cancellation did not end the heartbeat")
	}
	if hb.Err() != nil {
		t.Errorf("Err after cancellation: %v", hb.Err())
	}
}

func TestTrialsIteratorPagesAndStopsEarly(t *testing.T) {
	c := startFake(t, &fake{})
	exp := &Experiment{c: c, name: "e"}
	all, err := exp.AllTrials(context.Background())
	if err != nil || len(all) != 5 {
		t.Fatalf("AllTrials: %d %v", len(all), err)
	}
	for i, tr := range all {
		if tr.Number() != int64(i) {
			t.Errorf("order: %d at %d", tr.Number(), i)
		}
	}
	n := 0
	for _, err := range exp.Trials(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("break: %d", n)
	}
}

func TestUnimplementedIsWrapped(t *testing.T) {
	c := startFake(t, &fake{})
	_, err := c.Experiment(context.Background(), "x")
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("got %v", err)
	}
}

func TestDialFailsWhenContextEnds(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = Dial(ctx, addr)
	if !IsUnavailable(err) {
		t.Errorf("want UNAVAILABLE, got %v", err)
	}
	// An empty address is PARZEN_ADDRESS (address_test.go), here one where nothing listens.
	t.Setenv("PARZEN_ADDRESS", addr)
	if _, err := Dial(ctx, ""); !IsUnavailable(err) || !strings.Contains(err.Error(), addr) {
		t.Errorf("empty address: %v", err)
	}
}

func TestDialHostnameOverTCP(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	parzenv1.RegisterOptimizerServiceServer(srv, &fake{lease: time.Minute})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	_, port, _ := net.SplitHostPort(lis.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, "localhost:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := (&Experiment{c: c, name: "e"}).Suggest(ctx); err != nil {
		t.Fatal(err)
	}
}

// Summary names the trial and lists its parameters sorted by name, separated by ", ".
func TestSummaryListsParametersSortedByName(t *testing.T) {
	c := startFake(t, &fake{lease: time.Hour})
	tr, err := (&Experiment{c: c, name: "e"}).Suggest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "trial 100 (#0 of e, TRIAL_STATE_RUNNING) {flag: true, layers: 3, lr: 0.01, opt: sgd, steps: 40}"
	if got := tr.Summary(); got != want {
		t.Errorf("Summary:\n got %s\nwant %s", got, want)
	}
}

// Count is checked against the documented 1..1000 before any call, both ends exact; and a server answering more
// trials than asked is an error, not extra trials the caller would leave RUNNING.
func TestSuggestNCountBoundsAndOversizedAnswers(t *testing.T) {
	f := &fake{lease: time.Minute}
	exp := &Experiment{c: startFake(t, f), name: "e"}
	ctx := context.Background()
	if ts, err := exp.SuggestN(ctx, 1000); err != nil || len(ts) != 1000 {
		t.Fatalf("count 1000: %d trials, %v", len(ts), err)
	}
	if _, err := exp.SuggestN(ctx, 1001); !IsInvalidArgument(err) || len(f.suggests) != 1 {
		t.Errorf("count 1001: %v after %d calls", err, len(f.suggests))
	}
	f.extraTrials = 1
	if ts, err := exp.SuggestN(ctx, 2); err == nil || !strings.Contains(err.Error(), "asked for 2 trials, got 3") {
		t.Errorf("an answer of 3 trials to a count of 2: %d trials, %v", len(ts), err)
	}
}

// Direction is for one objective, Objectives for several: both at once is refused before any call.
func TestCreateExperimentRefusesDirectionWithObjectives(t *testing.T) {
	f := &fake{lease: time.Minute}
	c := startFake(t, f)
	spec := ExperimentSpec{
		Name:       "both",
		Space:      []Param{Uniform("x", 0, 1)},
		Direction:  Maximize,
		Objectives: []Objective{{Name: "a", Direction: Minimize}, {Name: "b", Direction: Maximize}},
	}
	_, err := c.CreateExperiment(context.Background(), spec)
	if !IsInvalidArgument(err) || !strings.Contains(err.Error(), "set Direction or Objectives, not both") {
		t.Errorf("Direction with Objectives: %v", err)
	}
}
