"""`make dev`'s mode (`python -m ocop_local serve --processes N`): moto served once over loopback in
a process of its own, the functions in N worker processes (ocop_local/processes.py). Started as a
developer starts it; scans answered and seen by the anomaly detector; no process left behind,
whether the stack is stopped (SIGTERM, Ctrl-C) or killed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from helpers.local_stack import free_port, read_banner

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 2


def _descendants(pid: int) -> dict[int, str]:
    """Every living process under ``pid``: {pid: name}."""
    parents: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            fields = text.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = (int(fields[1]), text[text.index("(") + 1 : text.rindex(")")])
    found: dict[int, str] = {}
    for child, (_, name) in parents.items():
        ancestor = child
        while ancestor in parents and ancestor != pid:
            ancestor = parents[ancestor][0]
        if ancestor == pid and child != pid:
            found[child] = name
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                alive.add(pid)
        except OSError:
            pass
    return alive


def _start(port: int, state: Path) -> tuple[subprocess.Popen[str], str]:
    serve = ["serve", "--port", str(port), "--state-dir", str(state), "--processes", str(PROCESSES)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocop_local", *serve],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )
    return proc, read_banner(proc, 180)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
@pytest.mark.slow
def test_given_serve_with_worker_processes_when_scanned_at_once_then_answers_are_seen_and_sigterm_leaves_no_process(
    tmp_path: Path,
) -> None:
    port = free_port()
    proc, banner = _start(port, tmp_path)
    children: dict[int, str] = {}
    try:
        assert "Ctrl-C" in banner, banner
        assert f"{PROCESSES} worker processes" in banner
        children = _descendants(proc.pid)
        names = sorted(children.values())
        assert "ocop-moto" in names, names
        assert [n for n in names if n.startswith("ocop-worker-")] == [f"ocop-worker-{i}" for i in range(1, 3)]
        genuine = re.search(r"/ genuine stamp\s+(http://\S+)", banner)
        assert genuine, banner
        before = requests.post(f"http://127.0.0.1:{port}/_local/streams/catch-up", timeout=60).json()["records"]

        def scan(_: int) -> str:
            answer = requests.get(genuine.group(1), headers={"Accept": "application/json"}, timeout=60)
            assert answer.status_code == 200, answer.text
            return str(answer.json()["verdict"])

        scan(0)  # a first scan warms the workers (as a first one does on Lambda)
        # one request per worker process at a time: enough to show them answering side by
        # side, without cold environments on a loaded machine missing the function's 10 s
        with ThreadPoolExecutor(PROCESSES) as pool:
            verdicts = list(pool.map(scan, range(8)))
        assert set(verdicts) <= {"genuine", "repeat"}, verdicts
        seen = requests.post(f"http://127.0.0.1:{port}/_local/streams/catch-up", timeout=60).json()["records"]
        assert seen >= before + 9  # the detector, in a worker, was handed every scan
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0
    # multiprocessing's helper process ("python") exits when its pipe from serve closes: soon after
    deadline = time.monotonic() + 15
    while _alive(set(children)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert children and not _alive(set(children)), {p: children[p] for p in _alive(set(children))}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
@pytest.mark.slow
def test_given_serve_with_worker_processes_when_it_is_killed_then_its_children_exit_by_themselves(
    tmp_path: Path,
) -> None:
    proc, banner = _start(free_port(), tmp_path)
    children = _descendants(proc.pid)
    proc.kill()  # no clean-up code runs: each child sees its pipe to the parent close
    proc.wait(timeout=30)
    assert "Ctrl-C" in banner, banner
    assert len(children) >= PROCESSES + 1, children
    deadline = time.monotonic() + 30
    while _alive(set(children)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(set(children)), {p: children[p] for p in _alive(set(children))}
