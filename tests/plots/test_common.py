"""What every figure shares: its file name, named after the results file it shows."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from mgneuron import cli
from mgneuron.plots.common import figure_path
from mgneuron.runner import get_protocol, list_protocols


def test_figure_is_named_after_the_results_file(tmp_path):
    assert figure_path("results/epsp.h5") == Path("results/epsp.png")
    assert figure_path("results/epsp.h5", tmp_path) == tmp_path / "epsp.png"
    assert figure_path("a/run.v2.h5", name="iv") == Path("a/run.v2_iv.png")
    with pytest.raises(ValueError, match="figure name"):
        figure_path("a/x.h5", name="../up")


@pytest.mark.parametrize("name", list_protocols())
def test_two_runs_in_one_folder_keep_their_figures(name, tmp_path, monkeypatch):
    """Each protocol's ``plot`` names its figure after the file: two runs of one protocol
    into one folder no longer write the same ``<protocol>.png``."""
    cls = get_protocol(name)
    module = importlib.import_module(f"mgneuron.plots.{name}")
    monkeypatch.setattr(module, f"plot_{name}", lambda path, out: Path(out))
    first = cls().plot(tmp_path / "first.h5", tmp_path)
    second = cls().plot(tmp_path / "second.h5", tmp_path)
    assert first == [tmp_path / "first.png"] and second == [tmp_path / "second.png"]


def test_mgneuron_plot_names_figures_after_the_file(tmp_path, monkeypatch, capsys):
    import mgneuron.plots.nmda_iv as plots

    monkeypatch.setattr(cli, "read_attrs", lambda path: {"protocol": "nmda_iv"})
    monkeypatch.setattr(plots, "plot_nmda_iv", lambda path, out: Path(out))
    assert cli.main(["plot", str(tmp_path / "iv_low_mg.h5")]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'iv_low_mg.png'}"
