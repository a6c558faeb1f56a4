"""drift_report.json has the documented layout; drift_report.html is self-contained with a plot per feature."""

import json

import numpy as np
import pandas as pd

from lightship.monitoring.drift import ReferenceProfile
from lightship.monitoring.drift import ks
from lightship.monitoring.drift.report import write_report


def test_report_files(tmp_path):
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(size=1000), "c": rng.choice(["a", "b"], 1000), "e": np.nan})
    current = pd.DataFrame({"x": rng.normal(1, 1, 300), "c": rng.choice(["a", "<b>"], 300), "e": np.nan})
    report = ks.detector(name="ks").fit(ReferenceProfile.from_frame(reference)).compare(current)
    json_path, html_path = write_report(report, tmp_path / "out")
    data = json.loads(json_path.read_text())
    assert data["drifted"] is True and data["drifted_features"] == ["x", "c"]
    assert set(data["features"]["x"]["histogram"]) == {"edges", "reference", "current"}
    page = html_path.read_text()
    assert page.count("<svg") == 2  # x and c; the all-missing column has no data to draw
    assert "&lt;b&gt;" in page and "<b>" not in page.replace("<b>ks</b>", "")
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")
