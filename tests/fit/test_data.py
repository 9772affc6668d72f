"""Malformed block data: every error names the column and the row (line of the file)."""

from __future__ import annotations

import pandas as pd
import pytest

from mgneuron.errors import FitDataError, MgNeuronError
from mgneuron.fit import example_block_csv, fit_block, read_block_data

GOOD = "v_mV,mg_mM,B\n-60,1,0.08\n-40,1,0.23\n0,1,0.78\n40,1,0.98\n"


def write(tmp_path, text: str):
    path = tmp_path / "block.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("v_mV,B\n-60,0.1\n", "no column 'mg_mM'"),
        ("v_mV,mg_mM\n-60,1\n", "needs a column 'B'"),
        ("v_mV,mg_mM,B,i_nA\n-60,1,0.1,0.2\n", "not both"),
        ("v_mV,mg_mM,B\n-60,1,0.08\n-40,abc,0.23\n", "line 3: column 'mg_mM' holds 'abc'"),
        ("v_mV,mg_mM,B\n-60,1,0.08\n-40,1,\n", "line 3: column 'B' holds an empty cell"),
        ("v_mV,mg_mM,B\n-60,1,0.08\n-40,1,0.2\n-20,-1,0.4\n", "line 4: .*-1 mM is negative"),
        ("v_mV,mg_mM,B,sem\n-60,1,0.08,0\n", "line 2: sem = 0 must be > 0"),
        ("v_mV,mg_mM,i_nA\n-60,1,-0.1\n", "need 0-Mg rows"),
        ("v_mV,mg_mM,i_nA\n-60,0,-0.6\n-40,1,-0.1\n", "line 3: no 0-Mg row at v_mV = -40"),
        ("v_mV,mg_mM,B\n", "no data rows"),
    ],
)
def test_malformed_csv(tmp_path, text, match):
    with pytest.raises(FitDataError, match=match) as err:
        read_block_data(write(tmp_path, text))
    assert isinstance(err.value, MgNeuronError) and isinstance(err.value, ValueError)


def test_fewer_points_than_parameters(tmp_path):
    with pytest.raises(FitDataError, match="only 2 points: it needs at least 3"):
        fit_block(write(tmp_path, "v_mV,mg_mM,B\n-60,1,0.08\n-40,1,0.23\n"), models="0")


def test_dataframe_rows_are_named_by_index():
    df = pd.DataFrame({"v_mV": [-60, -40], "mg_mM": [1, "x"], "B": [0.1, 0.2]}, index=[10, 11])
    with pytest.raises(FitDataError, match="row 11"):
        read_block_data(df)


def test_missing_file(tmp_path):
    with pytest.raises(FitDataError, match="no such file"):
        read_block_data(tmp_path / "none.csv")


def test_good_csv_and_the_shipped_example(tmp_path):
    data = read_block_data(write(tmp_path, GOOD))
    assert data.n == 4 and data.kind == "B" and not data.sem_given
    ex = read_block_data(example_block_csv())
    assert ex.kind == "B" and ex.sem_given and ex.n == 42  # 45 minus the 3 rows at 0 mV
