"""Bearer tokens, TLS and mutual TLS against real servers.

Each server is a ``parzen serve`` child process on an ephemeral port with a
temporary database, started once per module with extra flags/environment.
Certificates (a CA, a server certificate for localhost/127.0.0.1/::1, a
client certificate and a second, untrusted CA) are made at test time with
the ``cryptography`` package. Calls that must fail use one attempt and a
short deadline, so the module stays quick.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import parzen
from parzen import hp
from parzen.rpc import SERVICE_CONFIG

TOKEN = "s3cret-token-for-python-tests-0123456789"
OTHER = "another-valid-token-abcdefghijkl"
FILE_TOKEN = "token-from-the-tokens-file-0123456789"
WRONG = "not-a-configured-token-0123456789"

# Calls that must fail are not retried (retries only ever see the same refusal).
ONCE = [("grpc.enable_retries", 0)]
SPACE = {"x": hp.uniform("x", -2, 2)}


# ---------------------------------------------------------------- certificates


@dataclass
class Issued:
    cert: bytes
    key: bytes
    name: x509.Name
    private_key: ec.EllipticCurvePrivateKey


def issue(
    cn: str,
    *,
    issuer: Issued | None = None,
    ca: bool = False,
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    usage: x509.ObjectIdentifier | None = None,
) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.name if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    alt: list[x509.GeneralName] = [x509.DNSName(d) for d in dns] + [
        x509.IPAddress(ipaddress.ip_address(i)) for i in ips
    ]
    if alt:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    cert = builder.sign(issuer.private_key if issuer else key, hashes.SHA256())
    return Issued(
        cert=cert.public_bytes(serialization.Encoding.PEM),
        key=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        name=name,
        private_key=key,
    )


@dataclass
class Pki:
    dir: Path
    ca: Issued
    server: Issued
    client: Issued
    other_ca: Issued
    stranger: Issued  # a client certificate signed by other_ca

    def write(self, name: str, data: bytes) -> str:
        path = self.dir / name
        path.write_bytes(data)
        return str(path)

    def tls_args(self, *, client_ca: bool = False) -> list[str]:
        args = [
            "--tls-cert",
            self.write("server.pem", self.server.cert),
            "--tls-key",
            self.write("server.key", self.server.key),
        ]
        if client_ca:
            args += ["--tls-client-ca", self.write("ca.pem", self.ca.cert)]
        return args


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    ca = issue("Parzen Python Test CA", ca=True)
    other = issue("Some Other CA", ca=True)
    return Pki(
        dir=tmp_path_factory.mktemp("pki"),
        ca=ca,
        server=issue(
            "localhost", issuer=ca, dns=("localhost",), ips=("127.0.0.1", "::1"), usage=ExtendedKeyUsageOID.SERVER_AUTH
        ),
        client=issue("worker-1", issuer=ca, usage=ExtendedKeyUsageOID.CLIENT_AUTH),
        other_ca=other,
        stranger=issue("worker-x", issuer=other, usage=ExtendedKeyUsageOID.CLIENT_AUTH),
    )


# --------------------------------------------------------------------- servers


def local_server(tmp: Path, *, args: list[str], env: dict[str, str] | None = None) -> parzen.LocalServer:
    """A server on a database in tmp, not started yet (``with`` starts and stops it)."""
    # Tokens from the caller's environment must not leak into the server.
    base = {k: "" for k in ("PARZEN_TOKENS", "PARZEN_TOKENS_FILE") if k in os.environ}
    return parzen.LocalServer(str(tmp / "parzen.db"), args=args, env={**base, **(env or {})}, startup_timeout=90)


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[parzen.LocalServer]:
    tmp = tmp_path_factory.mktemp("tokens")
    tokens_file = tmp / "tokens"
    tokens_file.write_text(f"# tokens for the tests\n{FILE_TOKEN}\n")
    with local_server(tmp, args=["--tokens-file", str(tokens_file)], env={"PARZEN_TOKENS": f"{TOKEN},{OTHER}"}) as srv:
        yield srv


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[parzen.LocalServer]:
    with local_server(tmp_path_factory.mktemp("tls"), args=pki.tls_args(), env={"PARZEN_TOKENS": TOKEN}) as srv:
        yield srv


@pytest.fixture(scope="module")
def mtls_server(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[parzen.LocalServer]:
    with local_server(tmp_path_factory.mktemp("mtls"), args=pki.tls_args(client_ca=True)) as srv:
        yield srv


def addr(srv: parzen.LocalServer) -> str:
    assert srv.address is not None
    return srv.address


def port(srv: parzen.LocalServer) -> str:
    return addr(srv).rsplit(":", 1)[1]


def round_trip(c: parzen.Client) -> None:
    """Create an experiment, suggest a trial and report it."""
    exp = c.create_experiment(f"auth-{uuid.uuid4().hex[:8]}", SPACE, algorithm="random", seed=1)
    trial = exp.suggest()
    trial.report(trial.params["x"] ** 2)
    best = exp.best_trial
    assert best is not None and best.id == trial.id


def health(channel: grpc.Channel, metadata: tuple[tuple[str, str], ...] = ()) -> bytes:
    """grpc.health.v1.Health/Check for the whole server, as raw bytes
    (an empty request; ``b"\\x08\\x01"`` is status SERVING)."""
    check: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
        "/grpc.health.v1.Health/Check", request_serializer=None, response_deserializer=None
    )
    return check(b"", timeout=10, metadata=metadata)


# ---------------------------------------------------------------------- tokens


def test_right_token_works(token_server: parzen.LocalServer) -> None:
    # The last one as read from a file, newline included.
    for tok in (TOKEN, OTHER, FILE_TOKEN + "\n"):
        with parzen.Client(addr(token_server), token=tok) as c:
            round_trip(c)


@pytest.mark.parametrize("token", [None, WRONG], ids=["none", "wrong"])
def test_missing_or_wrong_token_is_unauthenticated(
    token_server: parzen.LocalServer, token: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARZEN_TOKEN", raising=False)
    with parzen.Client(addr(token_server), token=token, timeout=10) as c:
        with pytest.raises(parzen.errors.Unauthenticated) as info:
            c.create_experiment(f"auth-{uuid.uuid4().hex[:8]}", SPACE, algorithm="random")
        assert info.value.code == "UNAUTHENTICATED"
        assert ("missing" if token is None else "unknown bearer token") in str(info.value)
        with pytest.raises(parzen.errors.Unauthenticated):
            list(c.list_experiments())


def test_unauthenticated_is_not_retried(token_server: parzen.LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARZEN_TOKEN", raising=False)
    # The client's policy with a 5 s first pause: a single retry would show.
    config = json.loads(SERVICE_CONFIG)
    config["methodConfig"][0]["retryPolicy"]["initialBackoff"] = "5s"
    slow = [("grpc.service_config", json.dumps(config))]
    with parzen.Client(addr(token_server), token=WRONG, channel_options=slow, timeout=10) as c:
        t0 = time.monotonic()
        with pytest.raises(parzen.errors.Unauthenticated):
            c.get_experiment("whatever")
        assert time.monotonic() - t0 < 2.0


def test_token_from_environment(token_server: parzen.LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARZEN_TOKEN", OTHER)
    with parzen.Client(addr(token_server)) as c:
        round_trip(c)
    # An explicit token wins over the environment.
    monkeypatch.setenv("PARZEN_TOKEN", WRONG)
    with parzen.Client(addr(token_server), token=TOKEN) as c:
        round_trip(c)
    with parzen.Client(addr(token_server), timeout=10) as c, pytest.raises(parzen.errors.Unauthenticated):
        list(c.list_experiments())


def test_fmin_with_token(token_server: parzen.LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARZEN_TOKEN", raising=False)
    with parzen.Client(addr(token_server), token=TOKEN) as c:
        best = parzen.fmin(
            lambda p: (p["x"] - 0.5) ** 2, SPACE, algo="random", max_evals=5, client=c, seed=3, show_progressbar=False
        )
    assert -2 <= best["x"] <= 2
    # fmin given an address picks the token up from $PARZEN_TOKEN.
    monkeypatch.setenv("PARZEN_TOKEN", FILE_TOKEN)
    best = parzen.fmin(
        lambda p: p["x"] ** 2,
        SPACE,
        algo="random",
        max_evals=3,
        client=addr(token_server),
        seed=4,
        show_progressbar=False,
    )
    assert -2 <= best["x"] <= 2
    monkeypatch.delenv("PARZEN_TOKEN")
    with pytest.raises(parzen.errors.Unauthenticated):
        parzen.fmin(
            lambda p: p["x"], SPACE, algo="random", max_evals=1, client=addr(token_server), show_progressbar=False
        )


def test_health_check_needs_no_token(token_server: parzen.LocalServer) -> None:
    with grpc.insecure_channel(addr(token_server)) as ch:
        assert health(ch) == b"\x08\x01"


# ------------------------------------------------------------------------- TLS


def test_tls_with_root_certificates(tls_server: parzen.LocalServer, pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARZEN_TOKEN", raising=False)
    # The certificate names 127.0.0.1 and localhost: both work.
    for address in (addr(tls_server), f"localhost:{port(tls_server)}"):
        with parzen.Client(address, token=TOKEN, root_certificates=pki.ca.cert) as c:
            round_trip(c)
    # TLS works; the token is still required on top of it.
    with (
        parzen.Client(addr(tls_server), root_certificates=pki.ca.cert, timeout=10) as c,
        pytest.raises(parzen.errors.Unauthenticated),
    ):
        list(c.list_experiments())
    # The health check is served over the same TLS, without a token.
    creds = grpc.ssl_channel_credentials(root_certificates=pki.ca.cert)
    with grpc.secure_channel(addr(tls_server), creds) as ch:
        assert health(ch) == b"\x08\x01"


def test_tls_fmin(tls_server: parzen.LocalServer, pki: Pki) -> None:
    with parzen.Client(addr(tls_server), token=TOKEN, root_certificates=pki.ca.cert) as c:
        best = parzen.fmin(
            lambda p: p["x"] ** 2, SPACE, algo="random", max_evals=3, client=c, seed=5, show_progressbar=False
        )
    assert -2 <= best["x"] <= 2


@pytest.mark.parametrize(
    "how",
    ["system-roots", "other-ca", "plain-text"],
)
def test_tls_without_the_ca_is_unavailable(tls_server: parzen.LocalServer, pki: Pki, how: str) -> None:
    options: dict[str, dict[str, Any]] = {
        "system-roots": {"tls": True},
        "other-ca": {"root_certificates": pki.other_ca.cert},
        "plain-text": {},
    }
    kwargs = options[how]
    with (
        parzen.Client(addr(tls_server), token=TOKEN, channel_options=ONCE, timeout=10, **kwargs) as c,
        pytest.raises(parzen.errors.Unavailable),
    ):
        list(c.list_experiments())


def test_tls_name_mismatch_is_unavailable(tls_server: parzen.LocalServer, pki: Pki) -> None:
    # A certificate for another host name, from the trusted CA.
    elsewhere = issue("elsewhere", issuer=pki.ca, dns=("elsewhere.example",), usage=ExtendedKeyUsageOID.SERVER_AUTH)
    with (
        parzen.LocalServer(
            None,
            args=[
                "--tls-cert",
                pki.write("elsewhere.pem", elsewhere.cert),
                "--tls-key",
                pki.write("elsewhere.key", elsewhere.key),
            ],
            startup_timeout=90,
        ) as srv,
        parzen.Client(addr(srv), root_certificates=pki.ca.cert, channel_options=ONCE, timeout=10) as c,
        pytest.raises(parzen.errors.Unavailable),
    ):
        list(c.list_experiments())


# ------------------------------------------------------------------ mutual TLS


def test_mutual_tls(mtls_server: parzen.LocalServer, pki: Pki) -> None:
    with parzen.Client(
        addr(mtls_server), root_certificates=pki.ca.cert, private_key=pki.client.key, certificate_chain=pki.client.cert
    ) as c:
        round_trip(c)


@pytest.mark.parametrize("how", ["no-client-cert", "untrusted-client-cert"])
def test_mutual_tls_refuses_other_clients(mtls_server: parzen.LocalServer, pki: Pki, how: str) -> None:
    kwargs: dict[str, Any] = (
        {} if how == "no-client-cert" else {"private_key": pki.stranger.key, "certificate_chain": pki.stranger.cert}
    )
    with (
        parzen.Client(
            addr(mtls_server), root_certificates=pki.ca.cert, channel_options=ONCE, timeout=10, **kwargs
        ) as c,
        pytest.raises(parzen.errors.Unavailable),
    ):
        list(c.list_experiments())


def test_client_key_and_chain_go_together(pki: Pki) -> None:
    with pytest.raises(ValueError, match="together"):
        parzen.Client("127.0.0.1:1", root_certificates=pki.ca.cert, private_key=pki.client.key)
    with pytest.raises(ValueError, match="together"):
        parzen.Client("127.0.0.1:1", certificate_chain=pki.client.cert)
