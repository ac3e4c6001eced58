package parzen_test

// Bearer tokens, TLS and mutual TLS against real servers: each test starts
// its own `parzen serve` (ephemeral port, temporary database) with the
// flags and environment it needs, and stops it when done. Certificates are
// made at test time with crypto/x509: a CA, a server certificate for
// localhost/127.0.0.1/::1, a client certificate, and a second CA nobody
// trusts.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

const (
	goToken   = "s3cret-token-for-go-tests-0123456789"
	goOther   = "another-valid-token-abcdefghijkl"
	fileToken = "token-from-the-tokens-file-0123456789"
	wrongTok  = "not-a-configured-token-0123456789"
)

// ---- certificates ----------------------------------------------------------

type issued struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

func (i *issued) pair(t *testing.T) tls.Certificate {
	t.Helper()
	c, err := tls.X509KeyPair(i.certPEM, i.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type certOpts struct {
	cn     string
	issuer *issued // self-signed when nil
	ca     bool
	dns    []string
	ips    []net.IP
	usage  x509.ExtKeyUsage
}

func issueCert(t *testing.T, o certOpts) *issued {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 96))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		BasicConstraintsValid: true,
		IsCA:                  o.ca,
		DNSNames:              o.dns,
		IPAddresses:           o.ips,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if o.ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{o.usage}
	}
	parent, signer := tmpl, key
	if o.issuer != nil {
		parent, signer = o.issuer.cert, o.issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &issued{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
	}
}

type pki struct {
	dir                              string
	ca, server, client, otherCA, xcl *issued
}

func newPKI(t *testing.T) *pki {
	ca := issueCert(t, certOpts{cn: "Parzen Go Test CA", ca: true})
	other := issueCert(t, certOpts{cn: "Some Other CA", ca: true})
	return &pki{
		dir: t.TempDir(),
		ca:  ca,
		server: issueCert(t, certOpts{cn: "localhost", issuer: ca, dns: []string{"localhost"},
			ips: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}, usage: x509.ExtKeyUsageServerAuth}),
		client:  issueCert(t, certOpts{cn: "worker-1", issuer: ca, usage: x509.ExtKeyUsageClientAuth}),
		otherCA: other,
		xcl:     issueCert(t, certOpts{cn: "worker-x", issuer: other, usage: x509.ExtKeyUsageClientAuth}),
	}
}

func (p *pki) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// tlsArgs are the server flags for p.server, and --tls-client-ca p.ca when mutual.
func (p *pki) tlsArgs(t *testing.T, mutual bool) []string {
	args := []string{"--tls-cert", p.write(t, "server.pem", p.server.certPEM), "--tls-key", p.write(t, "server.key", p.server.keyPEM)}
	if mutual {
		args = append(args, "--tls-client-ca", p.write(t, "ca.pem", p.ca.certPEM))
	}
	return args
}

func pool(certs ...*issued) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c.cert)
	}
	return p
}

// ---- servers and calls -----------------------------------------------------

// startAuthServer starts a server of the test's own with extra flags and
// environment; tokens from the caller's environment are cleared first.
func startAuthServer(t *testing.T, args []string, env ...string) string {
	t.Helper()
	skipIntegration(t)
	dir := t.TempDir()
	env = append([]string{"PARZEN_TOKENS=", "PARZEN_TOKENS_FILE="}, env...)
	srv, err := startServerWith(filepath.Join(dir, "parzen.db"), "127.0.0.1:0", args, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.stop)
	return srv.addr
}

// roundTrip creates an experiment, suggests a trial, reports it and reads
// the best trial back.
func roundTrip(ctx context.Context, c *parzen.Client, name string) error {
	exp, err := c.CreateExperiment(ctx, parzen.ExperimentSpec{
		Name: name, Space: []parzen.Param{parzen.Uniform("x", -2, 2)}, Algorithm: "random", Seed: parzen.SeedOf(1),
	})
	if err != nil {
		return err
	}
	tr, err := exp.Suggest(ctx)
	if err != nil {
		return err
	}
	x := tr.MustFloat("x")
	if err := tr.Report(ctx, x*x, nil); err != nil {
		return err
	}
	best, err := exp.Best(ctx)
	if err != nil {
		return err
	}
	if best.ID() != tr.ID() {
		return errors.New("best is not the one reported trial")
	}
	return nil
}

// failsWith checks that connecting with opts, or else the first call,
// fails with code, and that the error mentions why (want, unless ""). A
// failed TLS handshake may surface either way: with TLS 1.3 the client
// finishes its side before the server checks the client certificate.
func failsWith(t *testing.T, addr string, code codes.Code, want string, opts ...parzen.Option) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := parzen.Dial(ctx, addr, opts...)
	if err == nil {
		defer c.Close()
		callCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = c.Experiment(callCtx, "nope")
	}
	if status.Code(err) != code || !strings.Contains(err.Error(), want) {
		t.Fatalf("want %v mentioning %q, got %v", code, want, err)
	}
	t.Logf("as expected: %v", err)
}

// health asks the standard health service over conn-level credentials.
func health(t *testing.T, addr string, creds credentials.TransportCredentials) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetStatus()
}

// ---- tokens -----------------------------------------------------------------

func TestAuthTokens(t *testing.T) {
	t.Parallel()
	tokensFile := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokensFile, []byte("# test tokens\n"+fileToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := startAuthServer(t, []string{"--tokens-file", tokensFile}, "PARZEN_TOKENS="+goToken+","+goOther)
	ctx := testCtx(t)

	t.Run("right token", func(t *testing.T) {
		// The last one as read from a file, newline included.
		for _, tok := range []string{goToken, goOther, fileToken + "\n"} {
			c := dialOK(t, addr, parzen.WithToken(tok))
			if err := roundTrip(ctx, c, uniqueName(t)); err != nil {
				t.Fatalf("token %q: %v", tok[:8], err)
			}
			// A paged read (ListExperiments) carries the token too.
			n := 0
			for _, err := range c.Experiments(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n == 0 {
				t.Fatal("no experiments listed")
			}
		}
	})

	for name, opts := range map[string][]parzen.Option{
		"no token":    nil,
		"wrong token": {parzen.WithToken(wrongTok)},
	} {
		t.Run(name, func(t *testing.T) {
			// Dial succeeds (the transport needs no token); every call fails.
			c := dialOK(t, addr, opts...)
			start := time.Now()
			_, err := c.CreateExperiment(ctx, parzen.ExperimentSpec{Name: uniqueName(t), Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, Algorithm: "random"})
			if status.Code(err) != codes.Unauthenticated || !parzen.IsUnauthenticated(err) || !errors.Is(err, parzen.ErrUnauthenticated) {
				t.Fatalf("want UNAUTHENTICATED, got %v", err)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("UNAUTHENTICATED took %v: retried?", time.Since(start))
			}
			want := "unknown bearer token"
			if opts == nil {
				want = "missing"
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
			var pe *parzen.Error
			if !errors.As(err, &pe) || pe.Op == "" {
				t.Errorf("not a *parzen.Error naming its operation: %#v", err)
			}
			for _, err := range c.Experiments(ctx) {
				if !parzen.IsUnauthenticated(err) {
					t.Fatalf("Experiments: want UNAUTHENTICATED, got %v", err)
				}
				break
			}
		})
	}

	t.Run("health check needs no token", func(t *testing.T) {
		if s := health(t, addr, insecure.NewCredentials()); s != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %v", s)
		}
	})
}

// ---- TLS --------------------------------------------------------------------

func TestAuthTLS(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	addr := startAuthServer(t, p.tlsArgs(t, false), "PARZEN_TOKENS="+goToken)
	ctx := testCtx(t)
	_, port, _ := net.SplitHostPort(addr)
	trusting := &tls.Config{RootCAs: pool(p.ca), MinVersion: tls.VersionTLS12}

	t.Run("trusted CA and token", func(t *testing.T) {
		// The certificate names both 127.0.0.1 and localhost.
		for _, a := range []string{addr, net.JoinHostPort("localhost", port)} {
			c := dialOK(t, a, parzen.WithTLS(trusting), parzen.WithToken(goToken))
			if err := roundTrip(ctx, c, uniqueName(t)); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
		}
	})

	t.Run("TLS without token", func(t *testing.T) {
		failsWith(t, addr, codes.Unauthenticated, "missing", parzen.WithTLS(trusting))
	})

	t.Run("untrusted server", func(t *testing.T) {
		// System roots (nil), another CA, and plaintext: none gets through.
		// Dial names the reason, not just the state it gave up in.
		unknownCA := "certificate signed by unknown authority"
		failsWith(t, addr, codes.Unavailable, unknownCA, parzen.WithTLS(nil), parzen.WithToken(goToken))
		failsWith(t, addr, codes.Unavailable, unknownCA, parzen.WithTLS(&tls.Config{RootCAs: pool(p.otherCA)}), parzen.WithToken(goToken))
		failsWith(t, addr, codes.Unavailable, "", parzen.WithToken(goToken))
	})

	t.Run("wrong server name", func(t *testing.T) {
		cfg := trusting.Clone()
		cfg.ServerName = "elsewhere.example"
		failsWith(t, addr, codes.Unavailable, "elsewhere.example", parzen.WithTLS(cfg), parzen.WithToken(goToken))
	})

	t.Run("health over TLS without token", func(t *testing.T) {
		if s := health(t, addr, credentials.NewTLS(trusting)); s != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %v", s)
		}
	})
}

// ---- mutual TLS -------------------------------------------------------------

func TestAuthMutualTLS(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	addr := startAuthServer(t, p.tlsArgs(t, true))
	ctx := testCtx(t)

	t.Run("client certificate", func(t *testing.T) {
		cfg := &tls.Config{RootCAs: pool(p.ca), Certificates: []tls.Certificate{p.client.pair(t)}}
		c := dialOK(t, addr, parzen.WithTLS(cfg))
		if err := roundTrip(ctx, c, uniqueName(t)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("no client certificate", func(t *testing.T) {
		// The reason varies with timing ("tls: certificate required", a
		// broken pipe, a reset): the server closes the connection.
		failsWith(t, addr, codes.Unavailable, "", parzen.WithTLS(&tls.Config{RootCAs: pool(p.ca)}))
	})

	t.Run("untrusted client certificate", func(t *testing.T) {
		// Go would leave out a certificate the server's CA list does not
		// cover (the case above); GetClientCertificate sends it anyway.
		pair := p.xcl.pair(t)
		cfg := &tls.Config{RootCAs: pool(p.ca), GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }}
		failsWith(t, addr, codes.Unavailable, "", parzen.WithTLS(cfg))
	})
}
