"""``fmin``: hyperopt's minimisation loop on a Parzen server.

Contract, as in hyperopt: ``fn(params)`` returns a float loss, or a dict with
``"loss"`` and ``"status"`` (``"ok"`` / ``"fail"``; extra numeric entries are
stored as metrics); an exception from ``fn`` is recorded as a FAIL trial and
re-raised. Differences: ``params`` and the return value are actual values
shaped like the space (what hyperopt's ``space_eval`` gives), and an
experiment name makes the search resumable and shareable: ``max_evals``
becomes the experiment's ``max_trials`` budget on the server, so any number
of processes running ``fmin`` on one experiment together finish exactly
``max_evals`` COMPLETE (or PRUNED) trials, and each returns once the server
says the experiment is done.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Callable

from . import pruners as _pruners
from . import template as tpl
from .algorithms import algorithm_name
from .client import Client
from .compat import Trials
from .errors import (
    AllTrialsFailed,
    AlreadyExists,
    DeadlineExceeded,
    ExperimentDone,
    FailedPrecondition,
    ParzenError,
    TrialPruned,
)
from .experiment import Experiment
from .handover import release_quietly, report_and_next
from .heartbeat import SharedHeartbeats
from .local_server import LocalServer
from .progress import Progress
from .trial import _CURRENT, Trial
from .v1 import optimizer_service_pb2 as svc

STATUS_OK = "ok"
STATUS_FAIL = "fail"

EarlyStopFn = Callable[..., tuple[bool, Sequence[Any]]]


def fmin(
    fn: Callable[[Any], Any],
    space: Any,
    algo: Any = None,
    max_evals: int | None = None,
    *,
    client: Client | str | None = None,
    experiment: Experiment | str | None = None,
    seed: int | None = None,
    timeout: float | None = None,
    loss_threshold: float | None = None,
    early_stop_fn: EarlyStopFn | None = None,
    points_to_evaluate: Sequence[Any] | None = None,
    show_progressbar: bool = True,
    db: str | None = None,
    options: Mapping[str, Any] | None = None,
    pruner: _pruners.PrunerLike | None = None,
    rstate: Any = None,
    trials: Trials | None = None,
) -> Any:
    """Minimises ``fn`` over ``space``; returns the best parameters (actual
    values shaped like the space).

    ``algo``: ``"tpe"`` (the server's default when None), ``"random"``,
    ``"gp"``, ``"cmaes"``, ``"qmc"``, ``"grid"``, ``"nsga2"``, ``parzen.tpe.suggest`` or hyperopt's
    ``tpe.suggest``.
    ``max_evals``: COMPLETE and PRUNED trials in total, counting those of a
    resumed experiment and of other processes on the same experiment: a new
    experiment is created with ``max_trials=max_evals`` (and
    ``goal=loss_threshold``), and the search ends when the server says the
    experiment is done. FAIL trials do not use up the budget, but this call
    stops after ``max_evals`` FAIL trials of its own (an objective that always
    fails would otherwise run forever). An existing
    experiment whose budget differs from ``max_evals`` (or that has none) is
    run until this call has seen ``max_evals`` finished trials in total. ``client``: a ``Client`` or an
    address; when None, ``$PARZEN_ADDRESS`` if set, else a local server is
    started for the call (SQLite file ``db``, temporary when None) and stopped
    afterwards. ``experiment``: an ``Experiment`` or a name (resumed when it
    exists with the same space); a fresh random name when None. ``seed`` (or
    hyperopt's ``rstate``, a numpy Generator) seeds a new experiment.
    ``timeout`` (seconds), ``loss_threshold`` and ``early_stop_fn(experiment,
    *args) -> (stop, args)`` end the search early. ``points_to_evaluate``:
    configurations to try first (shaped actual values, or hyperopt's
    ``{label: value}`` points with choice indices); already-tried ones are
    skipped. ``options``: the algorithm's options. ``pruner``: a new
    experiment's pruner (as ``create_experiment`` takes it); the objective
    reports its curve through ``parzen.current_trial().report_intermediate``
    and raises ``parzen.TrialPruned`` to stop: the trial is then PRUNED
    (loss: its last intermediate value) and the search goes on. ``trials``: a
    ``parzen.Trials`` filled with hyperopt-style trial dicts afterwards;
    passing it again resumes its experiment.
    """
    if max_evals is None and timeout is None:
        raise ValueError("fmin needs max_evals or timeout")
    if seed is None and rstate is not None:
        seed = int(rstate.integers(0, 2**31 - 1))
    if experiment is None and trials is not None and trials.experiment is not None:
        experiment = trials.experiment.name
    with _connect(client, db) as c:
        exp = _experiment(c, experiment, space, algo, seed, options, pruner, max_evals, loss_threshold)
        if points_to_evaluate:
            exp.enqueue_many([_shape_point(exp.template, p) for p in points_to_evaluate], skip_if_exists=True)
        try:
            _run(exp, fn, max_evals, timeout, loss_threshold, early_stop_fn, show_progressbar)
        except BaseException:
            if trials is not None:
                with contextlib.suppress(Exception):
                    trials.attach(exp)
            raise
        if trials is not None:
            trials.attach(exp)
        best = exp.best_trial
        if best is None:
            raise AllTrialsFailed(f"experiment {exp.name!r} has no COMPLETE trial")
        return best.params


@contextlib.contextmanager
def _connect(client: Client | str | None, db: str | None) -> Iterator[Client]:
    if isinstance(client, Client):
        yield client
        return
    if client is None and db is None:
        client = os.environ.get("PARZEN_ADDRESS") or None
    if client is not None:
        with Client(client) as c:
            yield c
        return
    with LocalServer(db) as server:
        assert server.address is not None
        with Client(server.address) as c:
            yield c


def _experiment(
    c: Client,
    experiment: Experiment | str | None,
    space: Any,
    algo: Any,
    seed: int | None,
    options: Mapping[str, Any] | None,
    pruner: _pruners.PrunerLike | None,
    max_evals: int | None,
    loss_threshold: float | None,
) -> Experiment:
    if isinstance(experiment, Experiment):
        return experiment
    name = experiment or f"fmin-{uuid.uuid4().hex[:12]}"
    kwargs: dict[str, Any] = {"algorithm": algorithm_name(algo), "seed": seed, "options": options, "pruner": pruner}
    wanted: dict[str, Any] = {"max_trials": max_evals, "goal": loss_threshold}
    try:
        # The stop conditions it was created with go into user_attrs: a later fmin with another max_evals
        # re-creates it with those (its identity) and then changes the budget.
        exp = c.create_experiment(name, space, **kwargs, **wanted, user_attrs={_CREATED_WITH: json.dumps(wanted)})
    except (AlreadyExists, FailedPrecondition) as first:
        exp = _resume(c, name, space, kwargs, first)
    change: dict[str, Any] = {k: v for k, v in wanted.items() if v is not None and getattr(exp, k) != v}
    if change:
        with contextlib.suppress(FailedPrecondition):  # stored before stop conditions existed: fmin counts itself
            exp.update(**change)
    return exp


#: ``user_attrs`` key of the stop conditions an fmin-created experiment was created with (JSON).
_CREATED_WITH = "parzen.fmin.created_with"


def _resume(c: Client, name: str, space: Any, kwargs: dict[str, Any], first: ParzenError) -> Experiment:
    """The experiment ``name`` when only its stop conditions differ from this call's: re-created under the ones
    it was created with (recorded by fmin, else those in force, else none); ``first`` when that is not the case."""
    stored = c.get_experiment(name)
    candidates: list[dict[str, Any]] = []
    recorded = stored.proto.user_attrs.get(_CREATED_WITH)
    if recorded:
        with contextlib.suppress(ValueError):
            candidates.append(dict(json.loads(recorded)))
    candidates.append(
        {
            "max_trials": stored.max_trials,
            "max_failed_trials": stored.max_failed_trials,
            "goal": stored.goal,
            "deadline": stored.deadline,
        }
    )
    candidates.append({})
    for stop in candidates:
        with contextlib.suppress(AlreadyExists, FailedPrecondition):
            return c.create_experiment(name, space, **kwargs, **stop)
    raise first


def _shape_point(template: tpl.Node, point: Any) -> Any:
    """A point as shaped values: given so, or converted from hyperopt's form."""
    try:
        tpl.encode(template, point)
        return point
    except tpl.ShapeError:
        if not isinstance(point, Mapping):
            raise
        return tpl.decode(template, tpl.from_hyperopt_point(template, point))


def _finished(exp: Experiment, server_budget: bool) -> int:
    counts = exp.refresh().trial_counts
    return counts["COMPLETE"] + counts["PRUNED"] + (0 if server_budget else counts["FAIL"])


def _run(
    exp: Experiment,
    fn: Callable[[Any], Any],
    max_evals: int | None,
    timeout: float | None,
    loss_threshold: float | None,
    early_stop_fn: EarlyStopFn | None,
    show_progressbar: bool,
) -> None:
    start = time.monotonic()
    # The server counts the budget for every process when it is ours; else this call counts.
    server_budget = max_evals is not None and exp.max_trials == max_evals
    done = _finished(exp, server_budget)
    failed = 0
    best_trial = exp.best_trial
    best = best_trial.loss if best_trial is not None else None

    def left() -> float | None:
        return None if timeout is None else timeout - (time.monotonic() - start)

    def going_on() -> bool:
        if max_evals is not None and (failed >= max_evals if server_budget else done >= max_evals):
            return False
        remaining = left()
        if remaining is not None and remaining <= 0:
            return False
        return loss_threshold is None or best is None or best > loss_threshold

    stop_args: Sequence[Any] = []
    progress = Progress(max_evals, done, show_progressbar)
    # A trial handed over by a Report and not yet given to fn: released if fmin stops first (handover.py).
    unstarted: Trial | None = None
    beats = SharedHeartbeats()
    try:
        trial = _suggest(exp, left()) if going_on() else None
        unstarted = trial
        while trial is not None:
            unstarted = None
            status, loss, metrics, reason = _evaluate(fn, trial, beats)
            if loss is not None and (best is None or loss < best):
                best = loss
            failed += status == _FAIL
            done += 1
            # One round trip: the report asks for the next trial when the loop is sure to run it (early_stop_fn
            # decides after the report, so with one the next trial is asked for separately).
            more = going_on()
            if more and early_stop_fn is None:
                resp = report_and_next(trial, status, loss=loss, metrics=metrics, fail_reason=reason)
                trial = unstarted = _next(exp, resp, left())
                progress.update(best)
                continue
            trial._send(status, loss=loss, metrics=metrics, fail_reason=reason)
            progress.update(best)
            if early_stop_fn is not None:
                stop, stop_args = early_stop_fn(exp, *stop_args)
                more = more and not stop
            trial = unstarted = _suggest(exp, left()) if more else None
    except BaseException:
        release_quietly(unstarted)
        raise
    finally:
        beats.close()
        progress.close()


_OK, _FAIL, _PRUNED = svc.REPORT_STATUS_OK, svc.REPORT_STATUS_FAIL, svc.REPORT_STATUS_PRUNED


def _suggest(exp: Experiment, left: float | None) -> Trial | None:
    """The next trial, waiting while other processes hold the rest of the budget (one of their trials may fail);
    None when the experiment is done or ``left`` runs out."""
    try:
        return exp.suggest(timeout=math.inf if left is None else left)
    except ExperimentDone:
        return None
    except DeadlineExceeded:
        if left is None:
            raise
        return None


def _next(exp: Experiment, resp: svc.ReportResponse, left: float | None) -> Trial | None:
    try:
        return exp._next_from(resp, math.inf if left is None else left)
    except DeadlineExceeded:
        if left is None:
            raise
        return None


def _evaluate(
    fn: Callable[[Any], Any], trial: Trial, beats: SharedHeartbeats
) -> tuple[int, float | None, dict[str, float], str]:
    """Runs ``fn`` on the trial (heartbeating on ``beats``): the report to send (status, loss, metrics, fail
    reason). ``TrialPruned`` from ``fn`` makes it PRUNED; another exception fails the trial at once and propagates."""
    trial.start_heartbeats(beats)
    token = _CURRENT.set(trial)
    try:
        result = fn(trial.params)
    except TrialPruned:
        return _PRUNED, None, {}, ""
    except BaseException as e:
        trial.fail(f"{type(e).__name__}: {e}"[:1000])
        raise
    finally:
        _CURRENT.reset(token)
        trial.stop_heartbeats()
    status, loss, metrics, reason = interpret_result(result)
    if status == STATUS_OK:
        assert loss is not None
        if not math.isfinite(loss):
            return _FAIL, None, {}, f"loss is not finite: {loss}"
        return _OK, loss, metrics, ""
    return _FAIL, None, metrics, reason


def interpret_result(result: Any) -> tuple[str, float | None, dict[str, float], str]:
    """(status, loss, metrics, fail reason) of what ``fn`` returned."""
    if isinstance(result, Mapping):
        status = str(result.get("status", STATUS_OK if "loss" in result else STATUS_FAIL))
        metrics = {
            k: float(v)
            for k, v in result.items()
            if k not in ("loss", "status") and not isinstance(v, bool) and isinstance(v, (int, float))
        }
        if status == STATUS_OK:
            if result.get("loss") is None:
                raise ValueError("fn returned status 'ok' without a 'loss'")
            return STATUS_OK, float(result["loss"]), metrics, ""
        if status == STATUS_FAIL:
            reason = next((str(result[k]) for k in ("failure", "reason", "error") if k in result), "")
            return STATUS_FAIL, None, metrics, reason
        raise ValueError(f"fn returned unsupported status {status!r} (use 'ok' or 'fail')")
    if isinstance(result, bool) or not _is_number(result):
        raise TypeError(f"fn must return a float or a dict with 'loss' and 'status', got {type(result).__name__}")
    return STATUS_OK, float(result), {}, ""


def _is_number(x: Any) -> bool:
    if isinstance(x, (int, float)):
        return True
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return not isinstance(x, (str, bytes))
