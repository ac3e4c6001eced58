"""``fmin``: hyperopt's minimisation loop on a Parzen server.

Contract, as in hyperopt: ``fn(params)`` returns a float loss, or a dict with
``"loss"`` and ``"status"`` (``"ok"`` / ``"fail"``; extra numeric entries are
stored as metrics); an exception from ``fn`` is recorded as a FAIL trial and
re-raised. Differences: ``params`` and the return value are actual values
shaped like the space (what hyperopt's ``space_eval`` gives), and an
experiment name makes the search resumable (it continues up to
``max_evals`` finished trials in total).
"""

from __future__ import annotations

import contextlib
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
from .errors import AllTrialsFailed, TrialPruned
from .experiment import Experiment
from .local_server import LocalServer
from .progress import Progress
from .trial import _CURRENT, Trial

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
    ``"gp"``, ``parzen.tpe.suggest`` or hyperopt's ``tpe.suggest``.
    ``max_evals``: finished (COMPLETE, FAIL or PRUNED) trials in total,
    counting those of a resumed experiment. ``client``: a ``Client`` or an
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
        exp = _experiment(c, experiment, space, algo, seed, options, pruner)
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
) -> Experiment:
    if isinstance(experiment, Experiment):
        return experiment
    name = experiment or f"fmin-{uuid.uuid4().hex[:12]}"
    return c.create_experiment(name, space, algorithm=algorithm_name(algo), seed=seed, options=options, pruner=pruner)


def _shape_point(template: tpl.Node, point: Any) -> Any:
    """A point as shaped values: given so, or converted from hyperopt's form."""
    try:
        tpl.encode(template, point)
        return point
    except tpl.ShapeError:
        if not isinstance(point, Mapping):
            raise
        return tpl.decode(template, tpl.from_hyperopt_point(template, point))


def _finished(exp: Experiment) -> int:
    counts = exp.refresh().trial_counts
    return counts["COMPLETE"] + counts["FAIL"] + counts["PRUNED"]


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
    done = _finished(exp)
    best_trial = exp.best_trial
    best = best_trial.loss if best_trial is not None else None
    stop_args: Sequence[Any] = []
    progress = Progress(max_evals, done, show_progressbar)
    try:
        while max_evals is None or done < max_evals:
            if timeout is not None and time.monotonic() - start >= timeout:
                break
            if loss_threshold is not None and best is not None and best <= loss_threshold:
                break
            trial = exp.suggest()
            loss = _evaluate(fn, trial)
            if loss is not None and (best is None or loss < best):
                best = loss
            done += 1
            progress.update(best)
            if early_stop_fn is not None:
                stop, stop_args = early_stop_fn(exp, *stop_args)
                if stop:
                    break
    finally:
        progress.close()


def _evaluate(fn: Callable[[Any], Any], trial: Trial) -> float | None:
    """Runs ``fn`` on the trial and reports the outcome; returns the loss of
    a COMPLETE trial. ``TrialPruned`` from ``fn`` finishes it as PRUNED."""
    trial.start_heartbeats()
    token = _CURRENT.set(trial)
    try:
        result = fn(trial.params)
    except TrialPruned:
        trial.prune()
        return None
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
            trial.fail(f"loss is not finite: {loss}")
            return None
        # Every extra key is a metric, even one named like report()'s keyword arguments.
        trial.report_metrics(loss, metrics)
        return loss
    trial.fail(reason)
    return None


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
