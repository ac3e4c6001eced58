"""Choice option labels from Python: a dict option stored as its index is
labelled by its "name" (or first string value), so every client, the CLI and
the dashboard call it the same; trial.labels gives the chosen option's label."""

from __future__ import annotations

import parzen
from parzen import hp
from parzen.compile import compile_space

SPACE = {
    "opt": hp.choice(
        "opt", [{"name": "sgd", "momentum": hp.uniform("momentum", 0, 0.99)}, {"name": "adam"}, {"kind": "rmsprop"}]
    ),
    "act": hp.choice("act", ["relu", "tanh"]),
    "width": hp.choice("width", [32, 64]),
}


def labels_of(space: object, name: str) -> list[str | None]:
    param = next(p for p in compile_space(space).proto.parameters if p.name == name)
    return [o.label if o.HasField("label") else None for o in param.choice.options]


def test_dict_options_are_labelled_by_their_name_or_first_string() -> None:
    assert labels_of(SPACE, "opt") == ["sgd", "adam", "rmsprop"]
    assert labels_of(SPACE, "act") == [None, None]  # sent as themselves: the value is the label
    # Two options with one name: labels are unique, so neither gets it.
    assert labels_of({"o": hp.choice("o", [{"name": "a", "x": 1}, {"name": "a", "x": 2}, {"name": "b"}])}, "o") == [
        None,
        None,
        "b",
    ]
    assert labels_of({"f": hp.choice("f", [len, max])}, "f") == ["len", "max"]


def test_trial_labels_are_the_chosen_options_labels(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", seed=1)
    seen = set()
    for _ in range(12):
        with exp.suggest() as trial:
            labels = trial.labels
            assert set(labels) == {"opt", "act", "width"}
            assert labels["opt"] == trial.params["opt"].get("name", "rmsprop")
            assert labels["act"] == trial.params["act"] and labels["width"] == str(trial.params["width"])
            seen.add(labels["opt"])
            trial.report(0.5)
    assert seen == {"sgd", "adam", "rmsprop"}
    # Another client's view of the same experiment: the same labels.
    again = client.get_experiment(name)
    assert [t.labels for t in again.trials()] == [t.labels for t in exp.trials()]
