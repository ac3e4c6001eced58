"""The built package works outside this repository: its wheel carries the
retry policy (service_config.json) and the py.typed marker, and the client
loads the policy from the installed files. Lint and types are checked by
scripts/check.sh, not here."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from parzen.local_server import find_repo

ROOT = Path(__file__).resolve().parents[1]
# The checkout (found upwards: mutmut runs a copy of these tests one directory deeper).
REPO = find_repo(ROOT) or ROOT.parents[1]


def test_the_wheel_ships_the_retry_policy(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("parzen-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    assert (site / "parzen" / "py.typed").is_file()
    shipped = (site / "parzen" / "service_config.json").read_text(encoding="utf-8")
    # Imported from the unpacked wheel, run from elsewhere: nothing of the checkout is reachable.
    probe = "import parzen, parzen.rpc; print(parzen.__file__); print(parzen.rpc.SERVICE_CONFIG)"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    where, loaded = out.split("\n", 1)
    assert Path(where).is_relative_to(site)
    assert json.loads(loaded) == json.loads(shipped)
    assert shipped == (REPO / "proto" / "parzen" / "v1" / "service_config.json").read_text(encoding="utf-8")
