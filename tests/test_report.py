"""The scenario report: numbers read back from HDF5, every figure, renders in Chromium.

The report runs with ``--quick`` (what ``make run`` does) once per test session.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess

import numpy as np
import pytest

from mgneuron.report import MEASURES, STEPS, build_report, measure_values
from mgneuron.runner import list_protocols

SCENARIOS = ("normal", "hypomagnesemia", "severe_hypomagnesemia", "therapeutic")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def report(tmp_path_factory, h):
    out = tmp_path_factory.mktemp("report")
    path = build_report(out, SCENARIOS, quick=True, workers=2, log=lambda *a: None)
    return path


def _expected_protocols():
    return [s.protocol for s in STEPS if s.protocol in list_protocols()]


def test_every_protocol_ran(report):
    missing = [s.protocol for s in STEPS if s.protocol not in list_protocols()]
    assert not missing, f"report plan names protocols that do not exist: {missing}"
    for name in _expected_protocols():
        assert (report.parent / f"{name}.h5").exists()


def test_table_numbers_match_read_features(report):
    """Each value in the summary table equals the mean of read_features rows it stands for."""
    import pandas as pd

    from mgneuron.environment import PRESETS
    from mgneuron.results import read_features

    table = pd.read_csv(report.parent / "summary.csv")
    assert len(table) == len(MEASURES)
    for m, (_, row) in zip(MEASURES, table.iterrows(), strict=True):
        if m.protocol is None:
            assert row["agrees"] == "not covered"
            continue
        df = read_features(report.parent / f"{m.protocol}.h5")
        for k, v in m.where.items():
            df = df[df[k] == v]
        if "ca_mM" in df:
            df = df[df["ca_mM"] == 2.0]
        for name in SCENARIOS:
            expected = df.loc[df["mg_mM"] == PRESETS[name].mg_mM, m.feature].astype(float).mean()
            assert row[name] == pytest.approx(expected, rel=1e-9, nan_ok=True)
        assert measure_values(
            m, report.parent / f"{m.protocol}.h5", dict((n, PRESETS[n].mg_mM) for n in SCENARIOS)
        )


def test_dose_response_rows_match_an_independent_hill_fit(report):
    """The excitotoxicity row (epsp_mg, 8 [Mg]o values) gets an IC50: the table stored in
    epsp_mg.h5 equals a Hill fit of read_features recomputed here, the IC50 lies inside
    the [Mg]o range run and inside its interval, and NMDA Ca2+ entry falls with Mg2+
    (IC50, not EC50). Rows with only the four scenario values say why there is no fit."""
    import pandas as pd

    from mgneuron.fit import dose_response
    from mgneuron.results import read_features, read_table

    table = pd.read_csv(report.parent / "summary.csv").set_index("feature")
    text = table.loc["ca_entry_pC", "dose_response"]
    assert text.startswith("IC50 "), text
    path = report.parent / "epsp_mg.h5"
    stored = read_table(path, "dose_response_ca_entry_pC").iloc[0]
    df = read_features(path)
    if "ca_mM" in df:
        df = df[np.isclose(df["ca_mM"], 2.0)]
    again = dose_response(df[["mg_mM", "ca_entry_pC"]], "ca_entry_pC", n_boot=300).iloc[0]
    assert stored["x50"] == pytest.approx(again["x50"], rel=1e-9)
    assert f"{stored['x50']:.3g} mM" in text
    assert stored["x50_low"] <= stored["x50"] <= stored["x50_high"]
    assert 0.1 < stored["x50"] < 4.0
    assert (report.parent / "epsp_mg_dose_response_ca_entry_pC.png").exists()
    rates = table.loc["rate_hz", "dose_response"]
    assert "a Hill fit needs 5" in rates or rates.startswith(("IC50", "EC50", "not monotone"))


def test_html_is_self_contained(report):
    text = report.read_text()
    assert "http://" not in text and "https://" not in text
    imgs = re.findall(r'<img class="figure"[^>]*src="data:image/png;base64,([^"]+)"', text)
    assert len(imgs) >= len(_expected_protocols())
    import matplotlib.image as mpimg

    for b64 in imgs:
        arr = mpimg.imread(io.BytesIO(base64.b64decode(b64)), format="png")
        assert arr.shape[0] > 200 and arr.shape[1] > 300
        assert float(np.std(arr[..., :3])) > 0.01  # not blank


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_report_renders_in_headless_chromium(report, tmp_path):
    """Chromium loads the page, decodes every figure, and its screenshot is not blank."""
    exe = _chromium()
    if exe is None:
        pytest.skip(
            "CHROMIUM NOT INSTALLED: the browser rendering check did NOT run. Install the "
            "Debian package 'chromium' (make test tries apt-get install chromium)."
        )
    profile = tmp_path / "profile"
    url = report.resolve().as_uri()
    dom = subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert '<table id="summary">' in dom
    n_fig = dom.count('class="figure"')
    assert n_fig >= len(_expected_protocols())
    m = re.search(r'<span id="decoded">(\d+) of (\d+)</span>', dom)
    assert m, "the page's load script did not run"
    assert int(m.group(1)) == int(m.group(2)) == n_fig, "not every figure was decoded"
    widths = [int(w) for w in re.findall(r'data-width="(\d+)"', dom)]
    assert len(widths) == n_fig and min(widths) > 300
    shot = tmp_path / "page.png"
    subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--window-size=1300,3000",
            f"--screenshot={shot}",
            url,
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)
    assert img.shape[:2] == (3000, 1300)
    assert float(np.std(img[..., :3])) > 0.05


def test_a_second_report_into_the_same_folder_needs_overwrite(tmp_path, capsys):
    """Issue 15: a report replaced the results files of an earlier one without a word; now
    it stops before running anything, and ``--overwrite`` (what ``make run`` passes) lets it."""
    from mgneuron.errors import ProtocolError
    from mgneuron.report import main

    earlier = tmp_path / "nmda_iv.h5"
    earlier.write_bytes(b"an earlier report's results")
    with pytest.raises(ProtocolError, match=r"nmda_iv\.h5.*--overwrite"):
        build_report(tmp_path, SCENARIOS, quick=True, log=lambda *a: None)
    assert main(["--quick", "--out", str(tmp_path)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert earlier.read_bytes() == b"an earlier report's results"
    assert not (tmp_path / "report.html").exists()
