// Command loadgen drives a running Parzen server with many concurrent
// workers doing Suggest -> Report(OK) cycles through the Go client, and
// prints throughput and cycle latency. It is the load stage of
// `npm run bench`: written in Go so that the load generator costs little
// CPU next to the server on a small machine, the way a fleet of trainers
// on other hosts would.
//
//	go run . --address 127.0.0.1:50051 [--algorithm random] [--workers 64]
//	         [--seconds 20] [--conns 4] [--json out.json]
//	go run . --address ... --mode health   (the transport's own ceiling: no-op health checks)
//	go run . --address ... --mode health-cycles   (cycles of two no-op health checks: a cycle's transport floor)
//
// Bounded: every worker stops at --seconds; each call has a 30 s deadline.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	parzen "github.com/parzen-hpo/parzen/clients/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

type result struct {
	Mode         string  `json:"mode"`
	Algorithm    string  `json:"algorithm,omitempty"`
	Workers      int     `json:"workers"`
	Conns        int     `json:"conns"`
	Seconds      float64 `json:"seconds"`
	Cycles       int     `json:"cycles"`
	CyclesPerSec float64 `json:"cycles_per_s"`
	Transport    string  `json:"transport"`
	P50ms        float64 `json:"p50_ms"`
	P99ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	// Per call, as a caller of one RPC sees it (a cycle is a Suggest then a Report).
	SuggestP50ms float64  `json:"suggest_p50_ms,omitempty"`
	SuggestP99ms float64  `json:"suggest_p99_ms,omitempty"`
	ReportP50ms  float64  `json:"report_p50_ms,omitempty"`
	ReportP99ms  float64  `json:"report_p99_ms,omitempty"`
	Errors       int      `json:"errors"`
	Duplicates   int      `json:"duplicates"`
	ErrorSamples []string `json:"error_samples"`
	ClientCPUSec float64  `json:"client_cpu_s"`
}

// hartmann6 is the objective the workers report: a realistic small
// continuous problem, so TPE experiments see a real loss surface.
func hartmann6(x []float64) float64 {
	a := [4][6]float64{{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}}
	p := [4][6]float64{{1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991}, {2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}}
	alpha := [4]float64{1.0, 1.2, 3.0, 3.2}
	s := 0.0
	for i := 0; i < 4; i++ {
		inner := 0.0
		for j := 0; j < 6; j++ {
			d := x[j] - p[i][j]*1e-4
			inner += a[i][j] * d * d
		}
		s += alpha[i] * math.Exp(-inner)
	}
	return -s
}

// recorder collects what every worker saw; one mutex is cheap next to an RPC.
type recorder struct {
	mu         sync.Mutex
	latencies  []float64
	suggests   []float64
	reports    []float64
	seen       map[int64]bool
	duplicates int
	errors     int
	samples    []string
}

// ok records a finished cycle: its two calls' times too when it had two (twoCalls), and its trial (trialID != 0).
func (r *recorder) ok(ms, suggestMs, reportMs float64, twoCalls bool, trialID int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies = append(r.latencies, ms)
	if twoCalls {
		r.suggests = append(r.suggests, suggestMs)
		r.reports = append(r.reports, reportMs)
	}
	if trialID != 0 {
		if r.seen[trialID] {
			r.duplicates++
		}
		r.seen[trialID] = true
	}
}

func (r *recorder) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors++
	if len(r.samples) < 5 {
		r.samples = append(r.samples, err.Error())
	}
}

// oneTrip runs one worker through Experiment.Run until stopAt: each report carries the request for the next
// trial, so a cycle is the time from one trial's start to the next one's (its Report with suggest_next and the
// objective). The first trial (its Suggest) starts the clock and is not a cycle; the last is reported when the
// context ends and Run returns that context's error, which is the expected end here.
func oneTrip(ctx context.Context, exp *parzen.Experiment, stopAt time.Time, rec *recorder) {
	runCtx, cancel := context.WithDeadline(ctx, stopAt)
	defer cancel()
	x := make([]float64, 6)
	var last time.Time
	err := exp.Run(runCtx, func(_ context.Context, t *parzen.Trial) (float64, error) {
		now := time.Now()
		if !last.IsZero() {
			rec.ok(float64(now.Sub(last).Microseconds())/1000, 0, 0, false, t.ID())
		}
		last = now
		for j := range x {
			x[j] = t.MustFloat(fmt.Sprintf("x%d", j))
		}
		return hartmann6(x), nil
	})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		rec.fail(err)
	}
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(q * float64(len(sorted)))
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func cpuSeconds() float64 {
	var ru syscallRusage
	if getrusage(&ru) != nil {
		return math.NaN()
	}
	return ru.user + ru.sys
}

func main() {
	address := flag.String("address", "127.0.0.1:50051", "server address (host:port or unix:///path)")
	mode := flag.String("mode", "cycles", "cycles (Suggest+Report), one-trip (Experiment.Run: Report with suggest_next), health (no-op health checks) or health-cycles (two health checks per cycle)")
	algorithm := flag.String("algorithm", "random", "algorithm of the load experiment")
	workers := flag.Int("workers", 64, "concurrent workers")
	seconds := flag.Float64("seconds", 20, "how long to run")
	nConns := flag.Int("conns", 4, "client connections the workers share")
	jsonOut := flag.String("json", "", "write the result here as JSON")
	flag.Parse()
	if *workers < 1 || *nConns < 1 || *seconds <= 0 {
		fmt.Fprintln(os.Stderr, "loadgen: --workers, --conns and --seconds must be positive")
		os.Exit(2)
	}
	if *mode != "cycles" && *mode != "one-trip" && *mode != "health" && *mode != "health-cycles" {
		fmt.Fprintf(os.Stderr, "loadgen: --mode must be cycles, one-trip, health or health-cycles, got %q\n", *mode)
		os.Exit(2)
	}

	ctx := context.Background()
	target := *address
	if !strings.HasPrefix(target, "unix:") && !strings.Contains(target, "://") {
		target = "passthrough:///" + target
	}
	conns := make([]*grpc.ClientConn, *nConns)
	clients := make([]*parzen.Client, *nConns)
	for i := range conns {
		// Distinct user agents keep grpc-go from pooling them into one HTTP/2 connection.
		conn, err := grpc.NewClient(target,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithUserAgent(fmt.Sprintf("parzen-loadgen/%d", i)))
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		defer conn.Close()
		conns[i] = conn
		clients[i] = parzen.NewClient(conn, parzen.WithWorkerID(fmt.Sprintf("loadgen-%d", i)))
	}

	var exps []*parzen.Experiment
	if *mode == "cycles" || *mode == "one-trip" {
		space := make([]parzen.Param, 6)
		for j := range space {
			space[j] = parzen.Uniform(fmt.Sprintf("x%d", j), 0, 1)
		}
		name := fmt.Sprintf("load-%s-%d", *algorithm, time.Now().UnixNano())
		spec := parzen.ExperimentSpec{Name: name, Space: space, Algorithm: *algorithm, Seed: parzen.SeedOf(1)}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if _, err := clients[0].CreateExperiment(cctx, spec); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		for _, c := range clients {
			e, err := c.Experiment(cctx, name)
			if err != nil {
				fmt.Fprintln(os.Stderr, "loadgen:", err)
				os.Exit(1)
			}
			exps = append(exps, e)
		}
		cancel()
	}

	rec := &recorder{seen: map[int64]bool{}}
	cpu0 := cpuSeconds()
	start := time.Now()
	stopAt := start.Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			x := make([]float64, 6)
			if *mode == "one-trip" {
				oneTrip(ctx, exps[w%len(exps)], stopAt, rec)
				return
			}
			for time.Now().Before(stopAt) {
				callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
				t0 := time.Now()
				var id int64
				var err error
				var suggestMs float64
				switch *mode {
				case "health":
					_, err = healthpb.NewHealthClient(conns[w%len(conns)]).Check(callCtx, &healthpb.HealthCheckRequest{})
				case "health-cycles":
					// A cycle's shape (two calls in a row) with no work behind either call.
					health := healthpb.NewHealthClient(conns[w%len(conns)])
					_, err = health.Check(callCtx, &healthpb.HealthCheckRequest{})
					suggestMs = float64(time.Since(t0).Microseconds()) / 1000
					if err == nil {
						_, err = health.Check(callCtx, &healthpb.HealthCheckRequest{})
					}
				default:
					var t *parzen.Trial
					t, err = exps[w%len(exps)].Suggest(callCtx)
					suggestMs = float64(time.Since(t0).Microseconds()) / 1000
					if err == nil {
						id = t.ID()
						for j := range x {
							x[j] = t.MustFloat(fmt.Sprintf("x%d", j))
						}
						err = t.Report(callCtx, hartmann6(x), nil)
					}
				}
				cancel()
				if err != nil {
					rec.fail(err)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				ms := float64(time.Since(t0).Microseconds()) / 1000
				rec.ok(ms, suggestMs, ms-suggestMs, *mode != "health", id)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	sort.Float64s(rec.latencies)
	sort.Float64s(rec.suggests)
	sort.Float64s(rec.reports)
	transport := "tcp"
	if strings.HasPrefix(*address, "unix:") {
		transport = "unix socket"
	}
	res := result{
		Transport: transport,
		Mode:      *mode, Workers: *workers, Conns: *nConns, Seconds: elapsed,
		Cycles: len(rec.latencies), CyclesPerSec: float64(len(rec.latencies)) / elapsed,
		P50ms: quantile(rec.latencies, 0.5), P99ms: quantile(rec.latencies, 0.99), MaxMs: quantile(rec.latencies, 1),
		Errors: rec.errors, Duplicates: rec.duplicates, ErrorSamples: rec.samples,
		ClientCPUSec: cpuSeconds() - cpu0,
	}
	if *mode == "cycles" || *mode == "health-cycles" {
		res.SuggestP50ms, res.SuggestP99ms = quantile(rec.suggests, 0.5), quantile(rec.suggests, 0.99)
		res.ReportP50ms, res.ReportP99ms = quantile(rec.reports, 0.5), quantile(rec.reports, 0.99)
	}
	if res.ErrorSamples == nil {
		res.ErrorSamples = []string{}
	}
	what := "health checks"
	switch *mode {
	case "one-trip":
		res.Algorithm = *algorithm
		what = *algorithm + " one-trip cycles"
	case "cycles":
		res.Algorithm = *algorithm
		what = *algorithm + " cycles"
	case "health-cycles":
		what = "cycles of two health checks"
	}
	fmt.Fprintf(os.Stderr, "loadgen: %s, %d workers on %d %s connections, %.1f s: %d, %.0f/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, errors %d, duplicate ids %d, client CPU %.1f s\n",
		what, *workers, *nConns, transport, elapsed, res.Cycles, res.CyclesPerSec, res.P50ms, res.P99ms, res.MaxMs, res.Errors, res.Duplicates, res.ClientCPUSec)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(res, "", " ")
		if err == nil {
			err = os.WriteFile(*jsonOut, b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
	}
	if res.Errors > 0 || res.Duplicates > 0 {
		os.Exit(1)
	}
}
