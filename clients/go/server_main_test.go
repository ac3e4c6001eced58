package parzen_test

// A real Parzen server for the integration tests: the repository's own
// `npx tsx src/cli/main.ts serve` on a temporary database and an ephemeral port,
// found from this file's location, started on first use and stopped with
// SIGTERM by TestMain. Set PARZEN_TEST_ADDR to test against a server you
// started yourself instead.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

var (
	repoRoot string

	// The shared test server, started on first use so that unit tests run
	// (fast) without one.
	shared struct {
		once sync.Once
		addr string
		err  error
		stop func()
	}
)

func TestMain(m *testing.M) {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}

// skipIntegration skips a test that needs a server when
// PARZEN_SKIP_INTEGRATION=1 (for a quick unit-test run without Node), and
// fails it instead under PARZEN_REQUIRE_ALL=1 (CI), where no test may skip.
func skipIntegration(t *testing.T) {
	t.Helper()
	if os.Getenv("PARZEN_SKIP_INTEGRATION") == "1" {
		skipOrFail(t, "PARZEN_SKIP_INTEGRATION=1")
	}
}

// skipOrFail is t.Skip, except under PARZEN_REQUIRE_ALL=1 where a skipped
// test is a check that silently did not happen, so it fails.
func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("PARZEN_REQUIRE_ALL") == "1" {
		t.Fatalf("would skip (%s), but PARZEN_REQUIRE_ALL=1 turns skips into failures", reason)
	}
	t.Skip(reason)
}

// serverAddr is the address of the shared test server: PARZEN_TEST_ADDR
// when set, else a server started on a temporary database.
func serverAddr(t *testing.T) string {
	t.Helper()
	skipIntegration(t)
	shared.once.Do(func() {
		if shared.addr = os.Getenv("PARZEN_TEST_ADDR"); shared.addr != "" {
			return
		}
		dir, err := os.MkdirTemp("", "parzen-go-test-")
		if err != nil {
			shared.err = err
			return
		}
		srv, err := startServer(filepath.Join(dir, "parzen.db"), "127.0.0.1:0")
		if err != nil {
			os.RemoveAll(dir)
			shared.err = err
			return
		}
		shared.addr = srv.addr
		shared.stop = func() { srv.stop(); os.RemoveAll(dir) }
	})
	if shared.err != nil {
		t.Fatalf("cannot start the parzen server for integration tests: %v", shared.err)
	}
	return shared.addr
}

// server is a `parzen serve` process started by the tests.
type server struct {
	addr string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lineWriter calls line for every complete line written to it.
type lineWriter struct {
	buf  []byte
	line func([]byte)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}

// startServer runs the server on db and listen, and waits for its
// "listening" log line (JSON, with the bound address).
func startServer(db, listen string) (*server, error) {
	return startServerWith(db, listen, nil, nil)
}

// startServerWith is startServer with extra `serve` flags (e.g. --tls-cert)
// and environment variables ("NAME=value", e.g. PARZEN_TOKENS=...), which
// override the inherited ones.
func startServerWith(db, listen string, args, env []string) (*server, error) {
	if _, err := os.Stat(filepath.Join(repoRoot, "src", "cli", "main.ts")); err != nil {
		return nil, fmt.Errorf("no server source at %s: %w", repoRoot, err)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "node_modules")); err != nil {
		return nil, fmt.Errorf("run `npm ci` in %s first: %w", repoRoot, err)
	}
	cmd := exec.Command("npx", append([]string{"tsx", "src/cli/main.ts", "serve", "--db", db, "--listen", listen}, args...)...)
	cmd.Dir = repoRoot
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	inOwnGroup(cmd)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	found := make(chan string, 1)
	cmd.Stdout = &lineWriter{line: func(line []byte) {
		logs.Write(append(append([]byte(nil), line...), '\n'))
		var rec struct {
			Msg     string `json:"msg"`
			Address string `json:"address"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" && rec.Address != "" {
			select {
			case found <- rec.Address:
			default:
			}
		}
	}}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	select {
	case addr := <-found:
		if strings.HasPrefix(listen, "unix:") && !strings.HasPrefix(addr, "unix:") {
			addr = listen
		}
		s.addr = addr
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("server exited before listening:\n%s", logs.String())
	case <-time.After(90 * time.Second):
		s.stop()
		return nil, fmt.Errorf("server did not log \"listening\" within 90s:\n%s", logs.String())
	}
}

// stop sends SIGTERM (clean shutdown), then SIGKILL after 15s.
func (s *server) stop() {
	signalGroup(s.cmd, false)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		signalGroup(s.cmd, true)
		<-s.done
	}
}

// dial connects to the shared test server.
func dial(t *testing.T, opts ...parzen.Option) *parzen.Client {
	t.Helper()
	return dialOK(t, serverAddr(t), opts...)
}

// dialOK connects to the server at addr with opts, or fails the test.
func dialOK(t *testing.T, addr string, opts ...parzen.Option) *parzen.Client {
	t.Helper()
	// Generous: on a loaded machine a freshly started server (TypeScript
	// compiled on the fly, worker threads spinning up) can take many
	// seconds to answer its first connection after logging "listening".
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c, err := parzen.Dial(ctx, addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testCtx is a context that ends with the test (or after two minutes).
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// uniqueName makes an experiment name no other test (or earlier run against
// PARZEN_TEST_ADDR) uses.
func uniqueName(t *testing.T) string {
	return fmt.Sprintf("go-%s-%d", strings.NewReplacer("/", ".", " ", "_").Replace(t.Name()), time.Now().UnixNano())
}
