package parzen

import (
	"context"
	"encoding/json"
	"reflect"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// resendPause is the pause before a retried call is sent again after gRPC's
// own retries gave up on it (see rideOutUnary).
const resendPause = 200 * time.Millisecond

// maxReconnectBackoff caps the pause between attempts to reconnect to a
// server that went away (gRPC's default grows to 120 s), so a restarted
// server is found again within about 2 s (clients/behaviour.json).
const maxReconnectBackoff = 2 * time.Second

// reconnectParams: gRPC's defaults but the cap, and a first retry after
// 0.2 s rather than 1 s, as the Python and TypeScript clients do.
var reconnectParams = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 200 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: maxReconnectBackoff},
	MinConnectTimeout: 20 * time.Second,
}

// retriedMethods are the full method names ServiceConfig retries.
var retriedMethods = func() map[string]bool {
	var sc struct {
		MethodConfig []struct {
			Name []struct{ Service, Method string }
		}
	}
	if err := json.Unmarshal([]byte(ServiceConfig), &sc); err != nil {
		panic("parzen: embedded service_config.json: " + err.Error())
	}
	out := map[string]bool{}
	for _, mc := range sc.MethodConfig {
		for _, n := range mc.Name {
			out["/"+n.Service+"/"+n.Method] = true
		}
	}
	return out
}()

// Dial returns only once the server was reached, so its retried calls can
// wait for the connection to be ready again: a server restarting under a
// worker then costs the worker a pause within the call's deadline, not an
// error (gRPC's retries alone give up after about 4 s). gRPC also does not
// retry a call whose answer had begun to arrive when the server died, yet
// these calls are safe to repeat (the same request, request id included), so
// one that ends UNAVAILABLE is sent again, waiting for the server, until the
// call's deadline (set by callTimeout, which runs before this interceptor).
func rideOutUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if !retriedMethods[method] || retriesDisabled(cc) {
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	opts = append([]grpc.CallOption{grpc.WaitForReady(true)}, opts...)
	for {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if status.Code(err) != codes.Unavailable {
			return err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= resendPause {
			return err
		}
		select {
		case <-time.After(resendPause):
		case <-ctx.Done():
			return err
		}
	}
}

// waitForReadyStream: a stream is not sent again (its answer may be half
// read), but it waits for the server as a unary call does.
func waitForReadyStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
	streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if retriedMethods[method] && !retriesDisabled(cc) {
		opts = append([]grpc.CallOption{grpc.WaitForReady(true)}, opts...)
	}
	return streamer(ctx, desc, cc, method, opts...)
}

// retriesDisabled reports whether conn was made with grpc.WithDisableRetry:
// a caller who turns retries off must see every failure, so then nothing
// waits for the server or is sent again. gRPC keeps dial options opaque, so
// this reads the connection's own record of that one (behaviour_test.go's
// TestRetriesOffMeansOneAttempt fails if gRPC moves it).
func retriesDisabled(conn *grpc.ClientConn) bool {
	v := reflect.ValueOf(conn).Elem().FieldByName("dopts")
	if !v.IsValid() || v.Kind() != reflect.Struct {
		return false
	}
	f := v.FieldByName("disableRetry")
	return f.IsValid() && f.Kind() == reflect.Bool && f.Bool()
}
