"""What a new user ran into (issue 16): fractional steps, str(state),
dir(parzen), trial numbers in messages, enqueue's ShapeError, 'minimise',
did-you-mean for options, and gRPC's empty "Resolution note:"."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

import parzen
from parzen import errors, hp

SPACE = {"x": hp.uniform("x", 0, 1)}


def test_report_intermediate_refuses_a_fractional_step_and_takes_keywords(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    trial = exp.suggest()
    for bad in (0.37, -1, True, "3"):
        with pytest.raises(ValueError, match=r"step must be an integer >= 0.*Optuna"):
            trial.report_intermediate(bad, 2)  # type: ignore[arg-type]
    assert trial.report_intermediate(step=3, value=0.41) is False
    assert trial.report_intermediate(4.0, 0.40) is False  # type: ignore[arg-type]  # an integral float is a step
    trial.report(0.4)
    assert exp.get_trial(trial.id).intermediate == {3: 0.41, 4: 0.40}


def test_str_of_a_state_is_its_name(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    trial = exp.suggest().report(0.1)
    assert str(trial.state) == "COMPLETE" and f"{trial.state}" == "COMPLETE" and trial.state == "COMPLETE"


def test_dir_shows_the_public_names_only() -> None:
    names = dir(parzen)
    assert not {"Any", "Mapping", "annotations"} & set(names)
    assert {"Client", "fmin", "hp", "ExperimentDone", "space_eval"} <= set(names)
    assert names == sorted(parzen.__all__)


def test_refusals_name_the_trial_by_its_number(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    exp.suggest().report(0.5)
    second = exp.suggest().report(0.5)
    with pytest.raises(errors.FailedPrecondition, match=rf"^trial #1 of '{name}': .*already finished"):
        second.report(0.7)


def test_enqueue_shape_error_names_the_key(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, {"x": hp.uniform("x", 0, 1), "m": {"depth": hp.randint("depth", 4)}})
    with pytest.raises(parzen.template.ShapeError, match=r"unexpected key 'y' \(the space has 'x', 'm'\)"):
        exp.enqueue({"y": 0.5, "x": 0.1, "m": {"depth": 1}})
    with pytest.raises(parzen.template.ShapeError, match=r"missing key 'x'"):
        exp.enqueue({"m": {"depth": 1}})
    with pytest.raises(parzen.template.ShapeError, match=r"'deep' .*at 'm'\['depth'\] is not a number"):
        exp.enqueue({"x": 0.1, "m": {"depth": "deep"}})


def test_british_spelling_of_the_direction(client: parzen.Client, name: str) -> None:
    assert client.create_experiment(name, SPACE, direction="minimise").direction == "minimize"
    assert client.create_experiment(name + "-max", SPACE, direction="maximise").direction == "maximize"
    with pytest.raises(ValueError, match="'minimise', 'maximise'"):
        client.create_experiment(name + "-bad", SPACE, direction="down")


def test_misspelt_options_get_a_suggestion(client: parzen.Client, name: str) -> None:
    with pytest.raises(
        errors.InvalidArgument, match=r'unknown option "n_startup_trial" \(did you mean "n_startup_trials"\?\)'
    ):
        client.create_experiment(name, SPACE, options={"n_startup_trial": 5})


class _Failed(grpc.RpcError, grpc.Call):
    """A failed call as grpc raises it, with the details gRPC gives a resolution failure."""

    def __init__(self, details: str) -> None:
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAVAILABLE

    def details(self) -> str:
        return self._details

    def initial_metadata(self) -> Any:
        return None

    def trailing_metadata(self) -> Any:
        return None

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> Any:
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


@pytest.mark.parametrize(
    ("details", "message"),
    [
        (
            "DNS resolution failed for nohost:1: Domain name not found. Resolution note: ",
            "DNS resolution failed for nohost:1: Domain name not found.",
        ),
        ("failed to connect (Resolution note: )", "failed to connect"),
        ("name failed; Resolution note: cached", "name failed; Resolution note: cached"),
    ],
)
def test_no_empty_resolution_note(details: str, message: str) -> None:
    err = errors.from_rpc_error(_Failed(details))
    assert isinstance(err, errors.Unavailable) and err.message == message
