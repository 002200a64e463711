"""The README's tour, run as a new user runs it (issue 13, kind 14): every block fenced as
```` ```sh tour ```` in README.md, in order, in one bash shell, against a fresh local stack
started as ``make dev`` starts it (``python -m ocop_local serve``, demo data, print-job worker,
anomaly detector), from a folder laid out like the repository (``.local/`` is the stack's
state, ``.venv`` this interpreter's environment).

What it holds the README to:

* every command runs (``set -euo pipefail``) and every HTTP answer is 2xx or 3xx, unless the
  README's comment on that line starts with the status (``# 404 "unknown"``);
* a comment naming a verdict in quotes (``# verdict "genuine"``) is the verdict answered;
* the tour writes nothing into the folder it is run from: its files go to ``$OUT``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from helpers.local_stack import free_port
from ocop_stamps.core.vocabulary import Verdict

if TYPE_CHECKING:
    from helpers.local_stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BASE_LINE = "BASE=http://127.0.0.1:3000"
_BLOCK = re.compile(r"^```sh tour\n(.*?)^```", re.S | re.M)
_COMMENT = re.compile(r"\s#\s(.*)$")
_VERDICT = re.compile(r'"(' + "|".join(v.value for v in Verdict) + r')"')
_STATUS = re.compile(r"^([1-5]\d\d)\b")  # a comment that starts with a status: "# 404 \"unknown\""
# Every curl of the tour reports its line, status and body (the line's own output is kept).
PRELUDE = r"""set -euo pipefail
curl() {
  local line=${BASH_LINENO[0]}
  command curl -w "%{stderr}TOUR-HTTP $line %{http_code}\n" "$@" 2>>"$TOUR_LOG" | tee -a "$TOUR_BODIES/$line"
}
"""


@dataclass(frozen=True)
class TourLine:
    readme_line: int
    text: str


def tour_script(base_url: str) -> tuple[str, dict[int, TourLine]]:
    """The tour as one bash script, and each script line's README line."""
    readme = README.read_text(encoding="utf-8")
    blocks = list(_BLOCK.finditer(readme))
    assert len(blocks) >= 4, "the tour, print files, lifecycle and inspectors blocks are marked ```sh tour"
    lines = PRELUDE.splitlines()
    where: dict[int, TourLine] = {}
    for block in blocks:
        first = readme.count("\n", 0, block.start(1)) + 1
        for offset, text in enumerate(block.group(1).splitlines()):
            if text.startswith("BASE="):
                assert text.split()[0] == BASE_LINE, "the tour's BASE is make dev's default address"
                text = f"BASE={base_url}"
            lines.append(text)
            where[len(lines)] = TourLine(first + offset, text)
    return "\n".join(lines) + "\n", where


@pytest.fixture
def repo_like(tmp_path: Path) -> Path:
    """A folder shaped like the repository for the tour: ``.local`` (state) and ``.venv``."""
    work = tmp_path / "repo"
    (work / ".local").mkdir(parents=True)
    (work / ".venv").symlink_to(Path(sys.prefix))
    if not (work / ".venv/bin/ocop-stamps").exists():
        pytest.skip(f"no ocop-stamps in {sys.prefix} (make dev installs it into .venv)")
    if not shutil.which("curl"):
        pytest.skip("the tour needs curl")
    return work


@pytest.mark.slow
def test_given_a_fresh_make_dev_when_the_readme_tour_is_run_then_every_command_and_comment_holds(
    repo_like: Path, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL_DYNAMODB"}
    server = subprocess.Popen(
        [sys.executable, "-m", "ocop_local", "serve", "--port", str(port), "--state-dir", str(repo_like / ".local")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )
    try:
        _wait_for_banner(server)
        script, where = tour_script(f"http://127.0.0.1:{port}")
        scratch, bodies, log = tmp_path / "tmp", tmp_path / "bodies", tmp_path / "http.log"
        scratch.mkdir()
        bodies.mkdir()
        before = sorted(p.name for p in repo_like.iterdir())
        run = subprocess.run(
            ["bash", "-c", script],
            cwd=repo_like,
            env={**env, "TMPDIR": str(scratch), "TOUR_LOG": str(log), "TOUR_BODIES": str(bodies)},
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=600,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)

    answers = _answers(log, bodies, where)
    assert run.returncode == 0, f"the tour stopped:\n{run.stderr[-3000:]}\n{_last_line(answers)}"
    problems = [problem for answer in answers if (problem := _check(answer))]
    assert problems == [], "\n".join(problems)
    assert len(answers) >= 20  # every curl of the tour was seen
    assert sorted(p.name for p in repo_like.iterdir()) == before == [".local", ".venv"]  # nothing written here
    (out,) = list(scratch.iterdir())  # the tour's $OUT
    assert {"batch.csv", "sheet.pdf", "labels-1-1000.zip", "labels-5000.zip", "scans.csv", "lot.csv"} <= {
        p.name for p in out.iterdir()
    }


@dataclass(frozen=True)
class Answer:
    line: TourLine
    status: int
    body: str


def _answers(log: Path, bodies: Path, where: dict[int, TourLine]) -> list[Answer]:
    if not log.exists():
        return []
    out = []
    for entry in log.read_text(encoding="utf-8").splitlines():
        if not entry.startswith("TOUR-HTTP "):
            continue
        _, line, status = entry.split()
        body_file = bodies / line
        body = body_file.read_text(encoding="utf-8", errors="replace") if body_file.exists() else ""
        out.append(Answer(where.get(int(line), TourLine(0, "?")), int(status), body))
    return out


def _check(answer: Answer) -> str | None:
    """What is wrong with one answer, judged by its README line's comment; None if nothing."""
    comment = m.group(1) if (m := _COMMENT.search(answer.line.text)) else ""
    shown = f"README.md:{answer.line.readme_line}: {answer.line.text.strip()[:120]}"
    expected = _STATUS.search(comment)
    if expected and answer.status != int(expected.group(1)):
        return f"{shown}\n  answered {answer.status}, the comment says {expected.group(1)}: {answer.body[:300]}"
    if not expected and not 200 <= answer.status < 400:
        return f"{shown}\n  answered {answer.status}: {answer.body[:300]}"
    verdict = _VERDICT.search(comment)
    if verdict and f'"verdict":"{verdict.group(1)}"' not in answer.body:
        return f"{shown}\n  the comment promises {verdict.group(1)!r}: {answer.body[:300]}"
    return None


def _last_line(answers: list[Answer]) -> str:
    return f"last answer: {answers[-1]}" if answers else "no HTTP answer at all"


def _wait_for_banner(server: subprocess.Popen[str], seconds: float = 120) -> None:
    """Until ``make dev`` prints its banner; then keep reading its output so it never blocks."""
    assert server.stdout is not None
    deadline = time.monotonic() + seconds
    printed = []
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        printed.append(line)
        if "Ctrl-C" in line:
            stream = server.stdout
            threading.Thread(target=lambda: [None for _ in stream], daemon=True).start()
            return
    pytest.fail("the local stack did not start:\n" + "".join(printed))


def test_given_the_readme_then_the_tour_is_marked_and_starts_at_make_devs_address() -> None:
    script, where = tour_script("http://127.0.0.1:9999")

    assert "BASE=http://127.0.0.1:9999" in script
    assert any("OUT=$(mktemp -d)" in line.text for line in where.values())
    # every file a tour command writes goes under $OUT
    writes = [
        line.text
        for line in where.values()
        if not line.text.lstrip().startswith("#")
        and re.search(r"(\s-o\s|\s>\s|\btee\s)", line.text)
        and not re.search(r"(-o|>|tee) \$OUT/", line.text)
    ]
    assert writes == []


def test_given_a_query_typed_with_vietnamese_letters_as_curl_sends_it_then_the_api_reads_the_same_text(
    local_stack: LocalStack,
) -> None:
    """curl sends ``?province=Thái Nguyên`` as raw UTF-8 bytes; the local gateway must hand
    the function the text typed, as API Gateway does (it used to read ``ThÃ¡i``)."""
    inspector = f"Authorization: Bearer {local_stack.tokens['inspector']}"
    url = local_stack.url("/scans?province=Thái%20Nguyên")

    run = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", url, "-H", inspector], capture_output=True, text=True)

    body, status = run.stdout.rsplit("\n", 1)
    assert status == "200", body
