"""The client: a connection to one Parzen server, and its experiments.

client = parzen.Client("127.0.0.1:50051")        # or "unix:///tmp/parzen.sock"
exp = client.create_experiment("mnist-lr", {"lr": hp.loguniform("lr", -10, 0)})
with exp.suggest() as trial:
    trial.report(train(**trial.params))
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from google.protobuf import duration_pb2

from . import pruners as _pruners
from . import template as tpl
from .compile import compile_space
from .experiment import Experiment
from .rpc import Connection
from .v1 import experiment_pb2
from .v1 import optimizer_service_pb2 as svc
from .values import to_value_map

#: Where ``Client()`` connects when given no address and ``PARZEN_ADDRESS`` is unset.
DEFAULT_ADDRESS = "127.0.0.1:50051"

_DIRECTIONS = {
    "minimize": experiment_pb2.DIRECTION_MINIMIZE,
    "minimise": experiment_pb2.DIRECTION_MINIMIZE,
    "maximize": experiment_pb2.DIRECTION_MAXIMIZE,
    "maximise": experiment_pb2.DIRECTION_MAXIMIZE,
}


def _objectives(
    directions: Sequence[str] | None, objectives: Mapping[str, str] | Sequence[tuple[str, str]] | None
) -> list[experiment_pb2.Objective]:
    """The declared objectives of create_experiment (none: the single-objective form)."""
    if directions is not None and objectives is not None:
        raise ValueError("give directions or objectives, not both")
    pairs: list[tuple[str, str]]
    if objectives is not None:
        pairs = list(objectives.items()) if isinstance(objectives, Mapping) else [(n, d) for n, d in objectives]
    elif directions is not None:
        if isinstance(directions, str):
            raise ValueError("directions must be a list of 'minimize' or 'maximize'")
        pairs = [("", d) for d in directions]
    else:
        return []
    out = []
    for name, d in pairs:
        if d not in _DIRECTIONS:
            raise ValueError(f"objective directions must be 'minimize' or 'maximize', got {d!r}")
        out.append(experiment_pb2.Objective(name=name, direction=_DIRECTIONS[d]))
    return out


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Client:
    """A connection to a Parzen server.

    ``address``: ``host:port``, ``unix:///path.sock`` (or a bare ``/path.sock``);
    defaults to ``$PARZEN_ADDRESS``, else ``127.0.0.1:50051``. ``token`` is
    sent as ``authorization: Bearer <token>`` on every call; it defaults to
    ``$PARZEN_TOKEN``. ``tls=True`` uses a TLS channel trusting the system
    roots; ``root_certificates`` (PEM bytes: the CA that signed the server's
    certificate) implies TLS. For mutual TLS, pass the client's PEM
    ``private_key`` and ``certificate_chain`` too. ``timeout`` is each call's
    deadline in seconds, retries included. ``worker_id`` labels the trials
    this client suggests (default ``hostname:pid``). ``channel_options`` are
    extra gRPC channel options, e.g. ``[("grpc.enable_retries", 0)]`` to
    turn off the retries of UNAVAILABLE (see ``parzen.rpc``).
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        token: str | None = None,
        tls: bool = False,
        root_certificates: bytes | None = None,
        private_key: bytes | None = None,
        certificate_chain: bytes | None = None,
        timeout: float | None = 60.0,
        worker_id: str | None = None,
        channel_options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        self.address = address or os.environ.get("PARZEN_ADDRESS") or DEFAULT_ADDRESS
        self.worker_id = worker_id or default_worker_id()
        self.connection = Connection(
            self.address,
            token=token or os.environ.get("PARZEN_TOKEN") or None,
            tls=tls,
            root_certificates=root_certificates,
            private_key=private_key,
            certificate_chain=certificate_chain,
            timeout=timeout,
            channel_options=channel_options,
        )

    # ----------------------------------------------------------- experiments

    def create_experiment(
        self,
        name: str,
        space: Any,
        *,
        algorithm: str | None = None,
        seed: int | None = None,
        direction: str = "minimize",
        directions: Sequence[str] | None = None,
        objectives: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        options: Mapping[str, Any] | None = None,
        pruner: _pruners.PrunerLike | None = None,
        pruner_options: Mapping[str, Any] | None = None,
        lease_duration: float | None = None,
        retry_lost: bool = False,
        user_attrs: Mapping[str, str] | None = None,
        max_trials: int | None = None,
        max_failed_trials: int | None = None,
        goal: float | None = None,
        deadline: datetime | None = None,
    ) -> Experiment:
        """Creates an experiment, or returns the existing one of that name when
        its definition is identical (``exp.created`` tells which); a different
        definition raises ``AlreadyExists``.

        ``algorithm``: ``"tpe"``, ``"random"``, ``"gp"``, ``"cmaes"``, ``"qmc"``,
        ``"grid"`` or ``"nsga2"``; ``None`` takes the server's default (``"tpe"``).
        ``options`` are the algorithm's options, checked by the server
        (``{"population_size": 40, "crossover": "sbx"}`` for ``"nsga2"``).
        Several objectives take ``"tpe"``, ``"nsga2"`` or ``"random"``.
        ``pruner``: a ``parzen.pruners`` object (``Median(n_warmup_steps=2)``),
        a dict with ``"name"`` and options (``{"name": "median",
        "n_warmup_steps": 2}``) or a bare name (``"median"``, with
        ``pruner_options`` if any); None: no pruning.
        ``lease_duration``: seconds a suggested trial may run without a
        heartbeat (server default when None). ``retry_lost``: re-enqueue the
        configuration of a trial whose lease lapsed.

        Stop conditions (part of the experiment's identity; None: no limit):
        the experiment is COMPLETED once COMPLETE + PRUNED trials reach
        ``max_trials`` (FAIL and LOST trials do not use it up), once FAIL
        trials reach ``max_failed_trials``, or once a COMPLETE loss reaches
        ``goal`` (at or below it when minimising, at or above when
        maximising), or once the clock passes ``deadline`` (a timezone-aware
        datetime). Then ``exp.suggest()`` raises ``parzen.ExperimentDone``.
        ``exp.update(...)`` changes them later; ``exp.pause()``,
        ``exp.resume()`` and ``exp.stop()`` control the lifecycle.
        Several objectives: ``directions=["minimize", "maximize"]`` (Optuna's
        spelling; the objectives are named ``objective_0``, ...) or
        ``objectives={"error": "minimize", "latency": "minimize"}`` (names in
        order); ``direction`` is then left alone. Trials report a list of
        values, ``exp.best_trials`` is the Pareto front.
        """
        if direction not in _DIRECTIONS:
            raise ValueError(
                f"direction must be 'minimize' or 'maximize' (or 'minimise', 'maximise'), got {direction!r}"
            )
        declared = _objectives(directions, objectives)
        if declared and _DIRECTIONS[direction] != experiment_pb2.DIRECTION_MINIMIZE:
            raise ValueError("give either direction or directions/objectives, not both")
        compiled = compile_space(space)
        attrs: dict[str, str] = dict(user_attrs or {})
        attrs[tpl.TEMPLATE_ATTR] = compiled.template_json
        exp = experiment_pb2.Experiment(
            name=name,
            space=compiled.proto,
            direction=_DIRECTIONS[direction],
            algorithm=experiment_pb2.AlgorithmConfig(name=algorithm or "", options=to_value_map(options or {})),
            user_attrs=attrs,
            retry_lost=retry_lost,
            objectives=declared,
        )
        if declared:
            exp.ClearField("direction")
        if seed is not None:
            exp.seed = int(seed)
        if max_trials is not None:
            exp.max_trials = int(max_trials)
        if max_failed_trials is not None:
            exp.max_failed_trials = int(max_failed_trials)
        if goal is not None:
            exp.goal = float(goal)
        if deadline is not None:
            if deadline.tzinfo is None:
                raise ValueError("deadline: give a timezone-aware datetime (an absolute instant)")
            exp.deadline.FromDatetime(deadline.astimezone(timezone.utc))
        pruner_config = _pruners.to_proto(pruner, pruner_options)
        if pruner_config is not None:
            exp.pruner.CopyFrom(pruner_config)
        if lease_duration is not None:
            d = duration_pb2.Duration()
            d.FromNanoseconds(int(lease_duration * 1e9))
            exp.lease_duration.CopyFrom(d)
        resp = self.connection.call("CreateExperiment", svc.CreateExperimentRequest(experiment=exp))
        return Experiment(self, resp.experiment, compiled.template, created=resp.created)

    def get_experiment(self, name: str, space: Any = None) -> Experiment:
        """An existing experiment. Trial parameters are shaped by the template
        stored at creation; pass ``space`` to shape them with your own objects
        instead (e.g. when options are classes, which JSON cannot hold).
        Experiments created by other clients have flat ``name -> value`` params."""
        resp = self.connection.call("GetExperiment", svc.GetExperimentRequest(name=name))
        return Experiment(self, resp.experiment, self._template_for(resp.experiment, space))

    def list_experiments(self, page_size: int = 100) -> Iterator[Experiment]:
        """Every experiment on the server, paging hidden."""
        token = ""
        while True:
            req = svc.ListExperimentsRequest(page_size=page_size, page_token=token)
            resp = self.connection.call("ListExperiments", req)
            for e in resp.experiments:
                yield Experiment(self, e, self._template_for(e, None))
            token = resp.next_page_token
            if not token:
                return

    def delete_experiment(self, name: str) -> None:
        """Deletes an experiment and its whole history."""
        self.connection.call("DeleteExperiment", svc.DeleteExperimentRequest(name=name))

    @staticmethod
    def _template_for(e: experiment_pb2.Experiment, space: Any) -> tpl.Node:
        if space is not None:
            return compile_space(space).template
        stored = e.user_attrs.get(tpl.TEMPLATE_ATTR)
        if stored:
            try:
                return tpl.from_json(stored)
            except (ValueError, tpl.ShapeError):
                pass
        return tpl.FLAT

    # ------------------------------------------------------------- lifetime

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.address!r})"
