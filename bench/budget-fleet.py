"""Many workers, one budget (issue 16), against a running server:

* four processes each running ``parzen.fmin(max_evals=40)`` on one experiment
  end with exactly 40 COMPLETE trials, and every process returns;
* 16 ask-tell workers (``for trial in exp.loop()``) on an experiment with
  ``max_trials=200``, a 2 s lease and ``retry_lost``; one of them is killed
  (SIGKILL) in the middle of its first trial: exactly 200 COMPLETE, nothing
  left RUNNING, and the killed worker's configuration is re-run by another
  worker once its lease lapses.

    python bench/budget-fleet.py --address 127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid

FMIN = """
import sys, parzen
from parzen import hp
parzen.fmin(lambda p: (p["x"] - 0.3) ** 2 + p["y"] ** 2, {"x": hp.uniform("x", 0, 1), "y": hp.uniform("y", -1, 1)},
            max_evals=40, client=sys.argv[1], experiment=sys.argv[2], show_progressbar=False)
print("returned", flush=True)
"""

WORKER = """
import sys, time, parzen
c = parzen.Client(sys.argv[1], worker_id=sys.argv[3])
exp = c.get_experiment(sys.argv[2])
victim = sys.argv[4] == "victim"
n = 0
for trial in exp.loop(timeout=600):
    if victim:
        print("holding", trial.id, flush=True)
        time.sleep(3600)  # killed here, mid-trial
    trial.report((trial.flat_params["x"] - 0.3) ** 2)
    n += 1
print("ran", n, flush=True)
"""


def fmin_case(address: str) -> None:
    import parzen

    name = f"fleet-fmin-{uuid.uuid4().hex[:8]}"
    t0 = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-c", FMIN, address, name], stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    seconds = time.monotonic() - t0
    exp = parzen.Client(address).get_experiment(name)
    c = exp.trial_counts
    returned = sum(o.startswith("returned") for o in outs)
    print(
        f"4 fmin processes, max_evals=40: {c['COMPLETE']} COMPLETE, {c['RUNNING']} RUNNING, {c['FAIL']} FAIL; "
        f"{returned}/4 returned (exit codes {[p.returncode for p in procs]}); state {exp.state} "
        f"({exp.completion_reason}); {seconds:.1f} s"
    )


def fleet_case(address: str) -> None:
    import parzen
    from parzen import hp

    client = parzen.Client(address)
    name = f"fleet-ask-tell-{uuid.uuid4().hex[:8]}"
    client.create_experiment(
        name,
        {"x": hp.uniform("x", 0, 1)},
        algorithm="random",
        max_trials=200,
        lease_duration=2.0,
        retry_lost=True,
    )
    t0 = time.monotonic()
    victim = subprocess.Popen([sys.executable, "-c", WORKER, address, name, "w0", "victim"], stdout=subprocess.PIPE, text=True)
    assert victim.stdout is not None
    held = int(victim.stdout.readline().split()[1])  # it has its trial: now start the others
    others = [
        subprocess.Popen([sys.executable, "-c", WORKER, address, name, f"w{i}", "worker"], stdout=subprocess.PIPE, text=True)
        for i in range(1, 16)
    ]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    outs = [p.communicate(timeout=900)[0] for p in others]
    seconds = time.monotonic() - t0
    exp = client.get_experiment(name)
    c = exp.trial_counts
    trials = exp.trials()
    killed = next(t for t in trials if t.id == held)
    reruns = [t for t in trials if t.user_attrs.get("parzen.retry_of") == str(held)]
    ran = sum(int(o.split()[-1]) for o in outs if o.strip())
    print(
        f"16 ask-tell workers, max_trials=200, one killed mid-trial: {c['COMPLETE']} COMPLETE, {c['RUNNING']} RUNNING, "
        f"{c['LOST']} LOST; the killed worker's trial {killed.number} is {killed.state}, re-run as "
        f"{[(t.number, str(t.state), t.worker_id) for t in reruns]}; the 15 others ran {ran} trials and all returned "
        f"(exit codes {sorted({p.returncode for p in others})}); state {exp.state} ({exp.completion_reason}); {seconds:.1f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    args = ap.parse_args()
    fmin_case(args.address)
    fleet_case(args.address)


if __name__ == "__main__":
    main()
