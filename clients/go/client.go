// Package parzen is the Go client of Parzen, a hyperparameter-optimization
// service: a training loop asks it which configuration to try next
// (Suggest) and tells it how that configuration scored (Report).
//
//	c, err := parzen.Dial(ctx, "127.0.0.1:50051")
//	exp, err := c.CreateExperiment(ctx, parzen.ExperimentSpec{
//		Name:  "mnist-mlp",
//		Space: []parzen.Param{parzen.LogUniform("lr", 1e-5, 1e-1), parzen.Int("layers", 1, 4)},
//	})
//	t, err := exp.Suggest(ctx)
//	loss := train(t.MustFloat("lr"), t.MustInt("layers")) // or lr, err := t.Float("lr")
//	err = t.Report(ctx, loss, nil)
//
// Every method takes a context first. Errors wrap the gRPC status, so
// status.Code(err), errors.Is(err, parzen.ErrNotFound) and
// parzen.IsNotFound(err) all work. The generated protobuf and gRPC code is
// in the gen/parzen/v1 package, for anything this layer does not cover.
package parzen

import (
	"context"
	"crypto/tls"
	_ "embed"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

// DefaultAddress is where `parzen serve` listens by default.
const DefaultAddress = "127.0.0.1:50051"

// AddressFromEnv is the server address every Parzen client reads from the
// environment: $PARZEN_ADDRESS, else DefaultAddress. $PARZEN_ADDR, the name
// this client's example once read, still works but is deprecated: it is
// read only when PARZEN_ADDRESS is unset, with a note on stderr.
func AddressFromEnv() string {
	if a := os.Getenv("PARZEN_ADDRESS"); a != "" {
		return a
	}
	if a := os.Getenv("PARZEN_ADDR"); a != "" {
		fmt.Fprintln(os.Stderr, "parzen: PARZEN_ADDR is deprecated: set PARZEN_ADDRESS (the name every Parzen client reads)")
		return a
	}
	return DefaultAddress
}

// ServiceConfig is the gRPC service config Dial's connection uses: retries
// of UNAVAILABLE, with backoff, for the calls that are safe to repeat. It is
// declared once for every Parzen client, in proto/parzen/v1/service_config.json,
// and embedded here as a copy. Suggest and Report are retried because this
// client sends both with a request_id the server de-duplicates, and so is
// AddTrials; a caller of RPC().Suggest or RPC().AddTrials must set one too.
// DeleteExperiment and Enqueue are not retried: a repeat is not harmless.
// Dial's connection also makes retried calls wait for the connection to be
// ready, and sends a unary one again when gRPC gives up on it with
// UNAVAILABLE, until its deadline (ride_out.go), so they ride out a server
// restart. With NewClient, pass it to your own
// connection with grpc.WithDefaultServiceConfig(parzen.ServiceConfig).
//
//go:embed service_config.json
var ServiceConfig string

// DefaultCallTimeout is the deadline Dial's connection gives a unary call
// whose context has none (see WithCallTimeout).
const DefaultCallTimeout = 60 * time.Second

// Client talks to one Parzen server. It is safe for concurrent use.
type Client struct {
	conn     *grpc.ClientConn // nil when the caller owns the connection
	rpc      parzenv1.OptimizerServiceClient
	workerID string
	// Bounds how long Suggest waits through retry_after when its context has no deadline.
	callTimeout time.Duration
}

// Option configures Dial and NewClient.
type Option func(*config)

type config struct {
	workerID    string
	tls         *tls.Config
	token       string
	callTimeout time.Duration
	grpcOpts    []grpc.DialOption
}

// WithWorkerID sets the worker id sent with Suggest (shown in each trial's
// worker_id). Default: "<hostname>-<pid>".
func WithWorkerID(id string) Option { return func(c *config) { c.workerID = id } }

// WithTLS connects over TLS with the given configuration (nil means the
// system roots). Set RootCAs to trust a private CA that signed the server's
// certificate, and Certificates to present a client certificate to a server
// that requires one (mutual TLS, `--tls-client-ca`); the server name checked
// is the host in the address unless ServerName says otherwise. Without
// WithTLS, Dial uses plaintext, which suits a server on localhost, a unix
// socket or a sidecar in the same pod.
func WithTLS(cfg *tls.Config) Option {
	return func(c *config) {
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		c.tls = cfg
	}
}

// WithToken sends "authorization: Bearer <token>" with every call, for
// servers started with token authentication. Combine it with WithTLS
// unless the connection is local: the token is otherwise sent in clear.
// Surrounding whitespace (e.g. the newline of a token read from a file) is
// dropped: it is never part of a token.
func WithToken(token string) Option {
	return func(c *config) { c.token = strings.TrimSpace(token) }
}

// WithCallTimeout sets the deadline of a unary call whose context has none,
// retries included (default DefaultCallTimeout; 0: none). A deadline on the
// context always wins. Streams get none: a stream may run long.
func WithCallTimeout(d time.Duration) Option { return func(c *config) { c.callTimeout = d } }

// WithGRPCOptions adds raw gRPC dial options (interceptors, keepalive, ...).
// They come after the client's own, so grpc.WithDefaultServiceConfig here
// replaces ServiceConfig and grpc.WithDisableRetry turns retries off: then
// no call waits for the server or is sent again either.
func WithGRPCOptions(opts ...grpc.DialOption) Option {
	return func(c *config) { c.grpcOpts = append(c.grpcOpts, opts...) }
}

func newConfig(opts []Option) *config {
	c := &config{callTimeout: DefaultCallTimeout}
	for _, o := range opts {
		o(c)
	}
	if c.workerID == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "go"
		}
		c.workerID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	return c
}

// Dial connects to a Parzen server at addr: "host:port" for TCP or
// "unix:///path/to.sock" for a unix socket; when addr is empty, the address
// in $PARZEN_ADDRESS, else DefaultAddress (the name the Python and
// TypeScript clients and the CLI read too). It returns once the connection
// is ready, or fails when ctx ends first, so give ctx a deadline unless
// waiting for a server that is still starting is what you want.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	cfg := newConfig(opts)
	if addr == "" {
		addr = AddressFromEnv()
	}
	op := "Dial " + addr
	target := addr
	if !strings.HasPrefix(addr, "unix:") && !strings.Contains(addr, "://") {
		// A bare host:port: use the passthrough resolver so IP literals and
		// names resolve the way net.Dial does, without a DNS round trip.
		target = "passthrough:///" + addr
	}
	creds := insecure.NewCredentials()
	if cfg.tls != nil {
		creds = credentials.NewTLS(cfg.tls)
	}
	dopts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(ServiceConfig),
		grpc.WithConnectParams(reconnectParams),
	}
	// The first interceptor runs first: the deadline is set before the
	// resends, so it bounds them all.
	if cfg.callTimeout > 0 {
		dopts = append(dopts, grpc.WithChainUnaryInterceptor(callTimeout(cfg.callTimeout)))
	}
	dopts = append(dopts,
		grpc.WithChainUnaryInterceptor(rideOutUnary),
		grpc.WithChainStreamInterceptor(waitForReadyStream))
	if cfg.token != "" {
		dopts = append(dopts,
			grpc.WithChainUnaryInterceptor(tokenUnary(cfg.token)),
			grpc.WithChainStreamInterceptor(tokenStream(cfg.token)))
	}
	dopts = append(dopts, cfg.grpcOpts...)
	conn, err := grpc.NewClient(target, dopts...)
	if err != nil {
		return nil, &Error{Op: op, err: status.Error(codes.InvalidArgument, err.Error())}
	}
	conn.Connect()
	for {
		s := conn.GetState()
		if s == connectivity.Ready {
			break
		}
		if !conn.WaitForStateChange(ctx, s) {
			why := ""
			if s == connectivity.TransientFailure {
				why = lastConnError(conn)
			}
			conn.Close()
			return nil, &Error{Op: op, err: status.Errorf(codes.Unavailable,
				"not connected when the context ended (%v; last state %s%s)", ctx.Err(), s, why)}
		}
	}
	return &Client{conn: conn, rpc: parzenv1.NewOptimizerServiceClient(conn), workerID: cfg.workerID, callTimeout: cfg.callTimeout}, nil
}

// lastConnError is why a connection in TRANSIENT_FAILURE failed (e.g. "tls:
// failed to verify certificate: x509: certificate signed by unknown
// authority"), as "; <reason>", or "". gRPC keeps that reason only for
// fail-fast calls, so it makes one: a health check, which the server never
// receives (the connection is down) and which no retry policy covers.
func lastConnError(conn *grpc.ClientConn) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unavailable && st.Message() != "" {
		return "; " + st.Message()
	}
	return ""
}

// NewClient wraps a connection the caller made and owns (Close leaves it
// open). Only WithWorkerID applies; transport options belong to conn.
func NewClient(conn grpc.ClientConnInterface, opts ...Option) *Client {
	cfg := newConfig(opts)
	return &Client{rpc: parzenv1.NewOptimizerServiceClient(conn), workerID: cfg.workerID, callTimeout: cfg.callTimeout}
}

// Close closes the connection Dial opened.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// RPC is the generated gRPC client, for calls this package does not wrap. On
// a connection from Dial its calls follow ServiceConfig: give a Suggest a
// request_id (any unique string) before it may be retried.
func (c *Client) RPC() parzenv1.OptimizerServiceClient { return c.rpc }

// WorkerID is the worker id this client sends with Suggest.
func (c *Client) WorkerID() string { return c.workerID }

// callTimeout gives a unary call without a deadline one of d. The deadline
// is set above gRPC's retries, so it bounds all attempts together.
func callTimeout(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

func tokenUnary(token string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return invoker(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), method, req, reply, cc, opts...)
	}
}

func tokenStream(token string) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		return streamer(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), desc, cc, method, opts...)
	}
}
