package parzen

// The cross-client behaviour table, ../behaviour.json, checked against this
// client: which calls are retried and how often, which request ids a retry
// reuses, how each status code surfaces, and the defaults. The Python and
// TypeScript suites check the same table. The server is a scripted fake of
// every OptimizerService method that answers each attempt with the next
// status scripted for it, then with an empty response, so each attempt the
// client makes is counted on the server's side.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

type behaviour struct {
	Defaults struct {
		Address            string  `json:"address"`
		CallTimeoutSeconds float64 `json:"call_timeout_seconds"`
	} `json:"defaults"`
	Retry struct {
		StatusCodes           []string `json:"status_codes"`
		MaxAttempts           int      `json:"max_attempts"`
		InitialBackoffSeconds float64  `json:"initial_backoff_seconds"`
		MaxBackoffSeconds     float64  `json:"max_backoff_seconds"`
		BackoffMultiplier     float64  `json:"backoff_multiplier"`
		BackoffJitter         float64  `json:"backoff_jitter"`
		Retried               []string `json:"retried"`
		NotRetried            []string `json:"not_retried"`
		RequestID             []string `json:"request_id"`
		RestartWindowSeconds  float64  `json:"restart_window_seconds"`
		ResendPauseSeconds    float64  `json:"resend_pause_seconds"`
	} `json:"retry"`
	Errors []struct {
		Status string  `json:"status"`
		Go     *string `json:"go"`
	} `json:"errors"`
}

func loadBehaviour(t *testing.T) behaviour {
	t.Helper()
	raw, err := os.ReadFile("../behaviour.json")
	if err != nil {
		t.Fatal(err)
	}
	var b behaviour
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

var optimizerService = parzenv1.File_parzen_v1_optimizer_service_proto.Services().ByName("OptimizerService")

func newMessage(t *testing.T, d protoreflect.MessageDescriptor) proto.Message {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(d.FullName())
	if err != nil {
		t.Fatal(err)
	}
	return mt.New().Interface()
}

// statusCode parses a status name as the table spells it ("NOT_FOUND").
func statusCode(t *testing.T, name string) codes.Code {
	var c codes.Code
	if err := c.UnmarshalJSON([]byte(`"` + name + `"`)); err != nil {
		t.Fatal(err)
	}
	return c
}

type scripted struct {
	t         *testing.T
	mu        sync.Mutex
	script    map[string][]string // status names, as the table spells them
	requests  map[string][]proto.Message
	timeLeft  map[string][]time.Duration // 0: the call had no deadline
	at        map[string][]time.Time     // when each attempt arrived
	responses map[string]proto.Message
}

func (s *scripted) attempts(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests[method])
}

// handle serves any method of the service: grpc.UnknownServiceHandler.
func (s *scripted) handle(_ any, stream grpc.ServerStream) error {
	full, _ := grpc.MethodFromServerStream(stream)
	name := full[strings.LastIndex(full, "/")+1:]
	md := optimizerService.Methods().ByName(protoreflect.Name(name))
	if md == nil {
		return status.Errorf(codes.Unimplemented, "no method %s", full)
	}
	req := newMessage(s.t, md.Input())
	if err := stream.RecvMsg(req); err != nil {
		return err
	}
	var left time.Duration
	if dl, ok := stream.Context().Deadline(); ok {
		left = time.Until(dl)
	}
	s.mu.Lock()
	s.requests[name] = append(s.requests[name], req)
	s.timeLeft[name] = append(s.timeLeft[name], left)
	s.at[name] = append(s.at[name], time.Now())
	answer := ""
	if plan := s.script[name]; len(plan) > 0 {
		answer, s.script[name] = plan[0], plan[1:]
	}
	resp := s.responses[name]
	s.mu.Unlock()
	if answer != "" {
		return status.Errorf(statusCode(s.t, answer), "scripted %s for %s", answer, name)
	}
	if resp == nil {
		resp = newMessage(s.t, md.Output())
	}
	return stream.SendMsg(resp)
}

// startScripted serves a scripted fake in memory and dials it with Dial.
func startScripted(t *testing.T, opts ...Option) (*scripted, *Client) {
	t.Helper()
	s := &scripted{
		t: t, script: map[string][]string{}, requests: map[string][]proto.Message{},
		timeLeft: map[string][]time.Duration{}, at: map[string][]time.Time{}, responses: map[string]proto.Message{},
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(grpc.UnknownServiceHandler(s.handle))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	dialer := func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, "passthrough:///bufnet", append(opts, WithGRPCOptions(grpc.WithContextDialer(dialer)))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c
}

// invoke calls method with an empty request over the client's connection,
// as the generated client (RPC()) does.
func invoke(t *testing.T, c *Client, method string) error {
	return invokeCtx(context.Background(), t, c, method)
}

func invokeCtx(ctx context.Context, t *testing.T, c *Client, method string) error {
	md := optimizerService.Methods().ByName(protoreflect.Name(method))
	path := "/" + string(optimizerService.FullName()) + "/" + method
	if !md.IsStreamingServer() {
		return c.conn.Invoke(ctx, path, newMessage(t, md.Input()), newMessage(t, md.Output()))
	}
	st, err := c.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, path)
	if err != nil {
		return err
	}
	if err := st.SendMsg(newMessage(t, md.Input())); err != nil {
		return err
	}
	if err := st.CloseSend(); err != nil {
		return err
	}
	for {
		if err := st.RecvMsg(newMessage(t, md.Output())); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func TestBehaviourTableSortsEveryMethod(t *testing.T) {
	b := loadBehaviour(t)
	var all []string
	methods := optimizerService.Methods()
	for i := range methods.Len() {
		all = append(all, string(methods.Get(i).Name()))
	}
	listed := append(slices.Clone(b.Retry.Retried), b.Retry.NotRetried...)
	slices.Sort(all)
	slices.Sort(listed)
	if !slices.Equal(all, listed) {
		t.Errorf("table lists %v, the service has %v (each exactly once)", listed, all)
	}
}

func TestServiceConfigDeclaresTheTablePolicy(t *testing.T) {
	b := loadBehaviour(t)
	var sc struct {
		MethodConfig []struct {
			Name []struct {
				Service string `json:"service"`
				Method  string `json:"method"`
			} `json:"name"`
			RetryPolicy struct {
				MaxAttempts          int      `json:"maxAttempts"`
				InitialBackoff       string   `json:"initialBackoff"`
				MaxBackoff           string   `json:"maxBackoff"`
				BackoffMultiplier    float64  `json:"backoffMultiplier"`
				RetryableStatusCodes []string `json:"retryableStatusCodes"`
			} `json:"retryPolicy"`
		} `json:"methodConfig"`
	}
	if err := json.Unmarshal([]byte(ServiceConfig), &sc); err != nil || len(sc.MethodConfig) != 1 {
		t.Fatalf("ServiceConfig: %v %+v", err, sc)
	}
	mc := sc.MethodConfig[0]
	var methods []string
	for _, n := range mc.Name {
		if n.Service != string(optimizerService.FullName()) {
			t.Errorf("service %q", n.Service)
		}
		methods = append(methods, n.Method)
	}
	want := slices.Clone(b.Retry.Retried)
	slices.Sort(methods)
	slices.Sort(want)
	if !slices.Equal(methods, want) {
		t.Errorf("retried methods %v, table %v", methods, want)
	}
	seconds := func(d string) float64 {
		v, err := time.ParseDuration(d)
		if err != nil {
			t.Fatal(err)
		}
		return v.Seconds()
	}
	rp := mc.RetryPolicy
	if rp.MaxAttempts != b.Retry.MaxAttempts || seconds(rp.InitialBackoff) != b.Retry.InitialBackoffSeconds ||
		seconds(rp.MaxBackoff) != b.Retry.MaxBackoffSeconds || rp.BackoffMultiplier != b.Retry.BackoffMultiplier ||
		!slices.Equal(rp.RetryableStatusCodes, b.Retry.StatusCodes) {
		t.Errorf("policy %+v, table %+v", rp, b.Retry)
	}
}

func TestRetriedMethodsRideOutAnUnavailableServer(t *testing.T) {
	b := loadBehaviour(t)
	s, c := startScripted(t)
	for _, m := range b.Retry.Retried {
		s.script[m] = []string{"UNAVAILABLE"}
		if err := invoke(t, c, m); err != nil {
			t.Errorf("%s: %v", m, err)
		}
		if n := s.attempts(m); n != 2 {
			t.Errorf("%s: %d attempts, want 2", m, n)
		}
	}
}

func TestOtherMethodsFailAtTheFirstUnavailable(t *testing.T) {
	b := loadBehaviour(t)
	s, c := startScripted(t)
	for _, m := range b.Retry.NotRetried {
		s.script[m] = slices.Repeat([]string{"UNAVAILABLE"}, b.Retry.MaxAttempts)
		if err := invoke(t, c, m); status.Code(err) != codes.Unavailable {
			t.Errorf("%s: %v", m, err)
		}
		if n := s.attempts(m); n != 1 {
			t.Errorf("%s: %d attempts, want 1", m, n)
		}
	}
}

func TestOnlyTheTableStatusCodesAreRetried(t *testing.T) {
	b := loadBehaviour(t)
	for _, row := range b.Errors {
		s, c := startScripted(t)
		s.script["GetExperiment"] = []string{row.Status}
		err := invoke(t, c, "GetExperiment")
		retried := slices.Contains(b.Retry.StatusCodes, row.Status)
		want := 1
		if retried {
			want = 2
		}
		if n := s.attempts("GetExperiment"); n != want || (err == nil) != retried {
			t.Errorf("%s: %d attempts (want %d), %v", row.Status, n, want, err)
		}
	}
}

// gRPC gives up after the policy's attempts; the client then sends the call
// again after resendPause (ride_out.go), which the server sees as a short gap
// where the policy's next pause would be at least (1 - jitter) * max_backoff.
func TestAttemptsAndBackoffFollowThePolicy(t *testing.T) {
	b := loadBehaviour(t)
	if resendPause.Seconds() != b.Retry.ResendPauseSeconds {
		t.Errorf("resendPause %v, table %vs", resendPause, b.Retry.ResendPauseSeconds)
	}
	s, c := startScripted(t)
	n := b.Retry.MaxAttempts
	s.script["GetExperiment"] = slices.Repeat([]string{"UNAVAILABLE"}, n)
	start := time.Now()
	if err := invoke(t, c, "GetExperiment"); err != nil {
		t.Fatal(err)
	}
	at := s.at["GetExperiment"]
	if len(at) != n+1 {
		t.Fatalf("%d attempts, want the policy's %d and one resend", len(at), n)
	}
	elapsed := at[n-1].Sub(start).Seconds()
	// The pause before retry k is min(initial * multiplier^(k-1), max), times
	// a random factor in [1 - jitter, 1 + jitter] (as grpc-go, gRPC core and
	// grpc-js draw it).
	bound, pauses := b.Retry.InitialBackoffSeconds, 0.0
	for range n - 1 {
		pauses += min(bound, b.Retry.MaxBackoffSeconds)
		bound *= b.Retry.BackoffMultiplier
	}
	j := b.Retry.BackoffJitter
	// The slack above is for the attempts themselves on a busy machine.
	if elapsed < (1-j)*pauses || elapsed > (1+j)*pauses+2 {
		t.Errorf("%d attempts took %.2fs; the policy's pauses add up to %.2fs (+-%.0f%%)", n, elapsed, pauses, 100*j)
	}
	if gap := at[n].Sub(at[n-1]); gap < resendPause || gap.Seconds() >= (1-j)*b.Retry.MaxBackoffSeconds {
		t.Errorf("the resend came %v after the policy's last attempt, want about %v", gap, resendPause)
	}
}

func TestRetriedCallsAreResentUntilTheirDeadline(t *testing.T) {
	b := loadBehaviour(t)
	s, c := startScripted(t)
	s.responses["Suggest"] = &parzenv1.SuggestResponse{Trials: []*parzenv1.Trial{{Id: 7, Experiment: "e", State: Running}}}
	n := b.Retry.MaxAttempts
	// Two rounds of the policy, then the server answers.
	s.script["Suggest"] = slices.Repeat([]string{"UNAVAILABLE"}, 2*n)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(b.Retry.RestartWindowSeconds)*time.Second)
	defer cancel()
	tr, err := (&Experiment{c: c, name: "e"}).Suggest(ctx)
	if err != nil || tr.ID() != 7 {
		t.Fatalf("Suggest: %v %v", tr, err)
	}
	reqs := s.requests["Suggest"]
	if len(reqs) != 2*n+1 {
		t.Fatalf("%d attempts, want %d", len(reqs), 2*n+1)
	}
	for _, r := range reqs {
		if id := r.(*parzenv1.SuggestRequest).RequestId; id == "" || id != reqs[0].(*parzenv1.SuggestRequest).RequestId {
			t.Fatalf("a resend must carry the same request id: %q", id)
		}
	}

	// Never answered: the call ends at its deadline, not before and not long after.
	s.script["GetExperiment"] = slices.Repeat([]string{"UNAVAILABLE"}, 1000)
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	err = invokeCtx(ctx, t, c, "GetExperiment")
	if code := status.Code(err); code != codes.Unavailable && code != codes.DeadlineExceeded {
		t.Errorf("after the deadline: %v", err)
	}
	if took := time.Since(start); took < 2*time.Second-resendPause || took > 3*time.Second {
		t.Errorf("gave up after %v, the deadline was 2s", took)
	}
}

func TestRetriesOffMeansOneAttempt(t *testing.T) {
	b := loadBehaviour(t)
	s, c := startScripted(t, WithGRPCOptions(grpc.WithDisableRetry()))
	for _, m := range b.Retry.Retried {
		s.script[m] = []string{"UNAVAILABLE"}
		if err := invoke(t, c, m); status.Code(err) != codes.Unavailable {
			t.Errorf("%s: %v", m, err)
		}
		if n := s.attempts(m); n != 1 {
			t.Errorf("%s: %d attempts, want 1", m, n)
		}
	}
}

func TestRetriesResendTheSameRequestID(t *testing.T) {
	b := loadBehaviour(t)
	s, c := startScripted(t)
	s.responses["GetExperiment"] = &parzenv1.GetExperimentResponse{Experiment: &parzenv1.Experiment{Name: "e"}}
	s.responses["Suggest"] = &parzenv1.SuggestResponse{Trials: []*parzenv1.Trial{{Id: 7, Experiment: "e", State: Running}}}
	loss := 0.5
	s.responses["Report"] = &parzenv1.ReportResponse{Trial: &parzenv1.Trial{Id: 7, State: Complete, Loss: &loss}}
	for _, m := range b.Retry.RequestID {
		s.script[m] = []string{"UNAVAILABLE"}
	}
	ctx := context.Background()
	exp, err := c.Experiment(ctx, "e")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Report(ctx, loss, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := exp.Import(ctx, Observation{Params: map[string]any{}, Loss: 1}); err != nil {
		t.Fatal(err)
	}
	for _, m := range b.Retry.RequestID {
		reqs := s.requests[m]
		if len(reqs) != 2 {
			t.Fatalf("%s: %d attempts, want 2", m, len(reqs))
		}
		id := func(r proto.Message) string {
			fd := r.ProtoReflect().Descriptor().Fields().ByName("request_id")
			return r.ProtoReflect().Get(fd).String()
		}
		if id(reqs[0]) == "" || id(reqs[0]) != id(reqs[1]) {
			t.Errorf("%s: request ids %q then %q", m, id(reqs[0]), id(reqs[1]))
		}
	}
}

func TestEachStatusSurfacesAsTheTableError(t *testing.T) {
	b := loadBehaviour(t)
	sentinels := map[string]error{
		"ErrNotFound": ErrNotFound, "ErrAlreadyExists": ErrAlreadyExists, "ErrInvalidArgument": ErrInvalidArgument,
		"ErrFailedPrecondition": ErrFailedPrecondition, "ErrUnavailable": ErrUnavailable,
		"ErrUnauthenticated": ErrUnauthenticated, "ErrPermissionDenied": ErrPermissionDenied,
		"ErrDeadlineExceeded": ErrDeadlineExceeded, "ErrResourceExhausted": ErrResourceExhausted, "ErrInternal": ErrInternal,
	}
	s, c := startScripted(t)
	for _, row := range b.Errors {
		code := statusCode(t, row.Status)
		s.script["DeleteExperiment"] = []string{row.Status}
		err := c.DeleteExperiment(context.Background(), "e")
		if Code(err) != code || status.Convert(err).Message() != "scripted "+row.Status+" for DeleteExperiment" {
			t.Errorf("%s: %v", row.Status, err)
		}
		if row.Go != nil && sentinels[*row.Go] == nil {
			t.Errorf("%s: no sentinel %s", row.Status, *row.Go)
		}
		for name, sentinel := range sentinels {
			if want := row.Go != nil && *row.Go == name; errors.Is(err, sentinel) != want {
				t.Errorf("%s: errors.Is(err, %s) = %v", row.Status, name, !want)
			}
		}
	}
}

func TestDefaultAddressAndCallTimeout(t *testing.T) {
	b := loadBehaviour(t)
	if DefaultAddress != b.Defaults.Address {
		t.Errorf("DefaultAddress %q, table %q", DefaultAddress, b.Defaults.Address)
	}
	want := time.Duration(b.Defaults.CallTimeoutSeconds * float64(time.Second))
	for _, tc := range []struct {
		name string
		opts []Option
		ctx  time.Duration // the caller's deadline, 0 for none
		want time.Duration // what the server sees, 0 for none
	}{
		{"default", nil, 0, want},
		{"caller's deadline wins", nil, 5 * time.Second, 5 * time.Second},
		{"WithCallTimeout", []Option{WithCallTimeout(2 * time.Second)}, 0, 2 * time.Second},
		{"none", []Option{WithCallTimeout(0)}, 0, 0},
	} {
		s, c := startScripted(t, tc.opts...)
		ctx := context.Background()
		if tc.ctx > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, tc.ctx)
			defer cancel()
		}
		if _, err := c.Experiment(ctx, "e"); err != nil {
			t.Fatal(err)
		}
		left := s.timeLeft["GetExperiment"][0]
		if (tc.want == 0) != (left == 0) || left > tc.want || left < tc.want-5*time.Second {
			t.Errorf("%s: the server saw %v left, want about %v", tc.name, left, tc.want)
		}
	}
}
