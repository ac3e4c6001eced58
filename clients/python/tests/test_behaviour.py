"""The cross-client behaviour table, ``clients/behaviour.json``, checked
against this client: which calls are retried and how often, which request
ids a retry reuses, how each status code surfaces, and the defaults. The Go
and TypeScript suites check the same table. The server is a scripted fake
(every method of ``OptimizerService``, answering each attempt with the next
status scripted for it, then with an empty response), so each attempt the
client makes is counted on the server's side."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.message import Message

import parzen
from parzen import errors
from parzen.rpc import RESEND_PAUSE, SERVICE_CONFIG
from parzen.v1 import experiment_pb2, trial_pb2
from parzen.v1 import optimizer_service_pb2 as svc

# clients/behaviour.json, found upwards (mutmut runs a copy of these tests one directory deeper).
BEHAVIOUR: dict[str, Any] = json.loads(
    next(d / "behaviour.json" for d in Path(__file__).resolve().parents if (d / "behaviour.json").is_file()).read_text()
)
RETRY: dict[str, Any] = BEHAVIOUR["retry"]
SERVICE = svc.DESCRIPTOR.services_by_name["OptimizerService"]
STREAMS = {m.name for m in SERVICE.methods if m.server_streaming}


class Fake:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.script: dict[str, list[grpc.StatusCode]] = {}
        self.requests: dict[str, list[Any]] = defaultdict(list)
        self.time_left: dict[str, list[float | None]] = defaultdict(list)
        self.responses: dict[str, Message] = {}

    def reset(self) -> None:
        with self.lock:
            self.script.clear()
            self.requests.clear()
            self.time_left.clear()
            self.responses.clear()

    def attempts(self, method: str) -> int:
        with self.lock:
            return len(self.requests[method])

    def handlers(self) -> dict[str, grpc.RpcMethodHandler[Any, Any]]:
        out: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
        for method in SERVICE.methods:
            request = message_factory.GetMessageClass(method.input_type)
            response = message_factory.GetMessageClass(method.output_type)

            def answer(req: Any, context: grpc.ServicerContext, name: str = method.name, empty: Any = response) -> Any:
                with self.lock:
                    self.requests[name].append(req)
                    self.time_left[name].append(context.time_remaining())
                    planned = self.script.get(name)
                    code = planned.pop(0) if planned else None
                    reply = self.responses.get(name) or empty()
                if code is not None:
                    context.abort(code, f"scripted {code.name} for {name}")
                return reply

            if method.server_streaming:

                def stream(req: Any, context: grpc.ServicerContext, answer: Any = answer) -> Iterator[Any]:
                    yield answer(req, context)

                out[method.name] = grpc.unary_stream_rpc_method_handler(
                    stream, request.FromString, response.SerializeToString
                )
            else:
                out[method.name] = grpc.unary_unary_rpc_method_handler(
                    answer, request.FromString, response.SerializeToString
                )
        return out


@pytest.fixture(scope="module")
def fake_server() -> Iterator[tuple[Fake, str]]:
    fake = Fake()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE.full_name, fake.handlers()),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield fake, f"127.0.0.1:{port}"
    server.stop(None)


@pytest.fixture
def fake(fake_server: tuple[Fake, str]) -> Fake:
    fake_server[0].reset()
    return fake_server[0]


@pytest.fixture
def client(fake_server: tuple[Fake, str]) -> Iterator[parzen.Client]:
    with parzen.Client(fake_server[1], worker_id="behaviour") as c:
        yield c


def call(client: parzen.Client, method: str) -> None:
    """Calls ``method`` through the client's connection (the channel every
    client call goes through), with an empty request."""
    request = message_factory.GetMessageClass(SERVICE.methods_by_name[method].input_type)()
    if method in STREAMS:
        list(client.connection.stream(method, request))
    else:
        client.connection.call(method, request)


def seconds(duration: str) -> float:
    assert duration.endswith("s"), duration
    return float(duration[:-1])


def test_the_table_sorts_every_method_of_the_service() -> None:
    retried, not_retried = set(RETRY["retried"]), set(RETRY["not_retried"])
    assert not retried & not_retried
    assert retried | not_retried == {m.name for m in SERVICE.methods}


def test_the_shipped_service_config_declares_the_tables_policy() -> None:
    (config,) = json.loads(SERVICE_CONFIG)["methodConfig"]
    assert {n["service"] for n in config["name"]} == {SERVICE.full_name}
    assert sorted(n["method"] for n in config["name"]) == sorted(RETRY["retried"])
    policy = config["retryPolicy"]
    assert policy["maxAttempts"] == RETRY["max_attempts"]
    assert seconds(policy["initialBackoff"]) == RETRY["initial_backoff_seconds"]
    assert seconds(policy["maxBackoff"]) == RETRY["max_backoff_seconds"]
    assert policy["backoffMultiplier"] == RETRY["backoff_multiplier"]
    assert policy["retryableStatusCodes"] == RETRY["status_codes"]


@pytest.mark.parametrize("method", RETRY["retried"])
def test_retried_methods_ride_out_an_unavailable_server(fake: Fake, client: parzen.Client, method: str) -> None:
    fake.script[method] = [grpc.StatusCode.UNAVAILABLE]
    call(client, method)
    assert fake.attempts(method) == 2


@pytest.mark.parametrize("method", RETRY["not_retried"])
def test_other_methods_fail_at_the_first_unavailable(fake: Fake, client: parzen.Client, method: str) -> None:
    fake.script[method] = [grpc.StatusCode.UNAVAILABLE] * RETRY["max_attempts"]
    with pytest.raises(errors.Unavailable):
        call(client, method)
    assert fake.attempts(method) == 1


@pytest.mark.parametrize("status", [e["status"] for e in BEHAVIOUR["errors"]])
def test_only_the_tables_status_codes_are_retried(fake: Fake, client: parzen.Client, status: str) -> None:
    fake.script["GetExperiment"] = [grpc.StatusCode[status]]
    if status in RETRY["status_codes"]:
        call(client, "GetExperiment")
        assert fake.attempts("GetExperiment") == 2
    else:
        with pytest.raises(errors.ParzenError):
            call(client, "GetExperiment")
        assert fake.attempts("GetExperiment") == 1


def test_attempts_and_backoff_follow_the_policy(fake: Fake, client: parzen.Client) -> None:
    n = RETRY["max_attempts"]
    fake.script["GetExperiment"] = [grpc.StatusCode.UNAVAILABLE] * (n + 3)
    start = time.monotonic()
    with pytest.raises(errors.Unavailable):
        call(client, "GetExperiment")
    elapsed = time.monotonic() - start
    assert fake.attempts("GetExperiment") == n
    # The pause before retry k is min(initial * multiplier^(k-1), max), times a
    # random factor in [1 - jitter, 1 + jitter] (as gRPC core, grpc-go and grpc-js draw it).
    pauses = sum(
        min(RETRY["initial_backoff_seconds"] * RETRY["backoff_multiplier"] ** k, RETRY["max_backoff_seconds"])
        for k in range(n - 1)
    )
    jitter = RETRY["backoff_jitter"]
    # The slack above is for the attempts themselves on a busy machine.
    assert (1 - jitter) * pauses <= elapsed <= (1 + jitter) * pauses + 2.0


def test_retries_resend_the_same_request_id(fake: Fake, client: parzen.Client) -> None:
    running = trial_pb2.Trial(id=7, experiment="e", state=trial_pb2.TRIAL_STATE_RUNNING)
    done = trial_pb2.Trial(id=7, experiment="e", state=trial_pb2.TRIAL_STATE_COMPLETE, loss=0.5)
    fake.responses["GetExperiment"] = svc.GetExperimentResponse(experiment=experiment_pb2.Experiment(name="e"))
    fake.responses["Suggest"] = svc.SuggestResponse(trials=[running])
    fake.responses["Report"] = svc.ReportResponse(trial=done)
    for method in RETRY["request_id"]:
        fake.script[method] = [grpc.StatusCode.UNAVAILABLE]
    exp = client.get_experiment("e")
    trial = exp.suggest()
    trial.report(0.5)
    exp.add_trials([{"params": {}, "loss": 1.0}])
    for method in RETRY["request_id"]:
        first, retry = fake.requests[method]
        assert first.request_id and retry.request_id == first.request_id, method
    assert trial.state == "COMPLETE"


@pytest.mark.parametrize("row", BEHAVIOUR["errors"], ids=lambda row: row["status"])
def test_each_status_surfaces_as_the_tables_error(fake: Fake, client: parzen.Client, row: dict[str, Any]) -> None:
    fake.script["DeleteExperiment"] = [grpc.StatusCode[row["status"]]]
    with pytest.raises(errors.ParzenError) as info:
        client.delete_experiment("e")
    assert type(info.value) is getattr(errors, row["python"])
    assert info.value.code == row["status"]
    assert str(info.value) == f"scripted {row['status']} for DeleteExperiment"


def test_default_address_and_call_timeout(fake: Fake, client: parzen.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = BEHAVIOUR["defaults"]
    monkeypatch.delenv("PARZEN_ADDRESS", raising=False)
    with parzen.Client() as default:
        assert default.address == defaults["address"]
    call(client, "GetExperiment")
    (left,) = fake.time_left["GetExperiment"]
    # What is left of the deadline when the call arrives (the header rounds it).
    assert left is not None and abs(left - defaults["call_timeout_seconds"]) < 5


def test_resend_pause_is_the_tables() -> None:
    # The pause between resends after the policy gave up; the Go and TypeScript suites time theirs against it.
    assert RETRY["resend_pause_seconds"] == RESEND_PAUSE


@pytest.mark.parametrize("case", BEHAVIOUR["label_text"]["cases"], ids=lambda c: f"{c['kind']}:{c['value']}")
def test_an_option_without_a_label_is_called_by_its_value_as_every_client_writes_it(case: dict[str, Any]) -> None:
    from parzen.values import label_text

    value = float(case["value"]) if case["kind"] == "double" else case["value"]
    assert label_text(value) == case["text"]
