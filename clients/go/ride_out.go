package parzen

import (
	"context"
	"encoding/json"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

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
// error (gRPC's retries alone give up after about 4 s).
func waitForReadyUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if retriedMethods[method] {
		opts = append([]grpc.CallOption{grpc.WaitForReady(true)}, opts...)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

func waitForReadyStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
	streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if retriedMethods[method] {
		opts = append([]grpc.CallOption{grpc.WaitForReady(true)}, opts...)
	}
	return streamer(ctx, desc, cc, method, opts...)
}
