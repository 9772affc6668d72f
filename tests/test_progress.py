"""Progress over conditions: a tqdm bar on a terminal, plain lines elsewhere, none quiet."""

from __future__ import annotations

import io
import time

import pytest

from mgneuron import progress
from mgneuron.progress import ConditionProgress, condition_bar


def test_not_a_terminal_gives_plain_lines_every_n_conditions():
    """Through a pipe (the input that showed nothing): a line every 2 conditions and at
    the end, with done/total, failed, elapsed time and ETA; no carriage returns."""
    out = io.StringIO()
    bar = ConditionProgress(5, desc="epsp_mg", every=2, interval_s=0, stream=out)
    for k in range(5):
        bar.update(1, failed=k == 1)
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3, lines  # after 2, 4 and the last
    assert lines[0].startswith("epsp_mg: 2/5 conditions done, 1 failed, elapsed 0:00:0")
    assert "ETA 0:00:0" in lines[0]
    assert lines[-1].startswith("epsp_mg: 5/5 conditions done, 1 failed")
    assert lines[-1].endswith("ETA 0:00:00")
    assert "\r" not in out.getvalue()


def test_plain_lines_also_every_interval_while_a_condition_runs():
    """A condition longer than the interval still gets a line (from the heartbeat)."""
    out = io.StringIO()
    bar = ConditionProgress(100, initial=10, desc="x", every=50, interval_s=0.2, stream=out)
    time.sleep(0.8)
    bar.close()
    lines = out.getvalue().splitlines()
    assert lines and lines[0].startswith("x: 10/100 conditions done, 0 failed")
    assert "ETA ?" in lines[0]  # nothing finished in this run yet
    n = len(lines)
    time.sleep(0.5)
    assert len(out.getvalue().splitlines()) == n  # closed: no more lines


def test_eta_counts_only_this_runs_conditions():
    bar = ConditionProgress(10, initial=5, interval_s=0, stream=io.StringIO())
    bar._start -= 100.0  # 100 s ago
    bar.update(1)
    assert bar.line().endswith("elapsed 0:01:40, ETA 0:06:40")  # 100 s per condition, 4 left


def test_condition_bar_chooses_by_terminal_and_quiet(monkeypatch, capsys):
    assert condition_bar(3, quiet=True) is None
    monkeypatch.setattr(progress, "interactive", lambda quiet=False: False)
    plain = condition_bar(3, desc="p")
    assert plain is not None and plain._tqdm is None
    plain.update(3)
    plain.close()
    assert "p: 3/3 conditions done, 0 failed" in capsys.readouterr().err
    monkeypatch.setattr(progress, "interactive", lambda quiet=False: True)
    bar = condition_bar(3, desc="p")
    assert bar is not None and bar._tqdm is not None
    bar.update(1, failed=True)
    bar.close()
    assert "failed=1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00:00"), (61.4, "0:01:01"), (3725, "1:02:05")]
)
def test_durations_are_hours_minutes_seconds(seconds, text):
    assert progress._hms(seconds) == text
    assert progress._hms(float("nan")) == "?"
