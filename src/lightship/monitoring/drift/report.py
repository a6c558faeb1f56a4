"""Drift reports on disk: ``drift_report.json`` and a self-contained ``drift_report.html``.

The HTML page needs nothing but a browser: no scripts, no external styles, one
small inline SVG per feature overlaying the reference (grey) and current
(orange) distributions, from the histogram each feature result carries.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any, Union

from lightship.monitoring.drift.base import DriftReport

JSON_NAME = "drift_report.json"
HTML_NAME = "drift_report.html"
_WIDTH, _HEIGHT, _PAD = 320, 110, 4
_COLOURS = {"reference": "#8a8f98", "current": "#e8711a"}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drift report</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse}} td,th{{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}
.drift{{color:#b00020;font-weight:600}} .ok{{color:#1b7f3b}} small{{color:#666}}
</style></head><body>
<h1>Drift report: <span class="{verdict_class}">{verdict}</span></h1>
<p>Detector <b>{detector}</b>; {n_drifted} of {n_features} features drifted (share {share:.2f},
window flagged at &ge; {share_threshold:.2f}); alpha {alpha} with {correction} correction;
effect-size floor {floor}; {n_current} current rows.</p>
<p><small><span style="color:{ref_colour}">&#9632;</span> reference
<span style="color:{cur_colour}">&#9632;</span> current</small></p>
<table><tr><th>feature</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th>
<th>missing (ref &rarr; cur)</th><th>verdict</th><th>distribution</th></tr>
{rows}
</table></body></html>
"""


def _number(value: Any) -> str:
    return "&ndash;" if value is None else f"{value:.4g}"


def histogram_svg(histogram: Union[dict, None]) -> str:
    """Two overlaid bar series (reference, current) as a small inline SVG."""
    if not histogram or not histogram.get("reference"):
        return "<small>no data</small>"
    bins = len(histogram["reference"])
    top = max(max(histogram["reference"]), max(histogram["current"]), 1e-12)
    width = (_WIDTH - 2 * _PAD) / bins
    bars = []
    for side in ("reference", "current"):
        for i, share in enumerate(histogram[side]):
            height = (_HEIGHT - 2 * _PAD) * share / top
            bars.append(f'<rect x="{_PAD + i * width:.1f}" y="{_HEIGHT - _PAD - height:.1f}" width="{width * 0.9:.1f}" '
                        f'height="{height:.1f}" fill="{_COLOURS[side]}" fill-opacity="0.6"/>')
    if "labels" in histogram:
        axis = ", ".join(html.escape(label) for label in histogram["labels"])
    else:
        axis = f"{histogram['edges'][0]:.4g} &hellip; {histogram['edges'][-1]:.4g}"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" role="img">'
            f'{"".join(bars)}</svg><br><small>{axis}</small>')


def _row(name: str, result: dict) -> str:
    verdict = "drifted" if result["drifted"] else "ok"
    reasons = [text for text, flag in (("distribution", result["distribution_drifted"]),
                                       ("missing rate", result["missing_drifted"])) if flag]
    extra = [f"unseen: {html.escape(', '.join(result['unseen_categories']))}"] if result["unseen_categories"] else []
    extra += [html.escape(result["note"])] if result["note"] else []
    extra += [f"level {result['level']}"] if result["level"] else []
    return (f"<tr><td>{html.escape(name)}</td><td>{result['test']}</td><td>{_number(result['statistic'])}</td>"
            f"<td>{_number(result['p_value'])}</td><td>{_number(result['threshold'])} "
            f"<small>({result['threshold_on']})</small></td>"
            f"<td>{result['missing_rate_ref']:.1%} &rarr; {result['missing_rate_cur']:.1%}</td>"
            f"<td class=\"{'drift' if result['drifted'] else 'ok'}\">{verdict}"
            f"{' (' + ', '.join(reasons) + ')' if reasons else ''}<br><small>{'; '.join(extra)}</small></td>"
            f"<td>{histogram_svg(result.get('histogram'))}</td></tr>")


def render_html(report: DriftReport) -> str:
    data = report.to_dict()
    return _PAGE.format(
        verdict="DRIFTED" if data["drifted"] else "no drift",
        verdict_class="drift" if data["drifted"] else "ok",
        detector=html.escape(data["detector"]),
        n_drifted=len(data["drifted_features"]),
        n_features=data["n_features"],
        share=data["drift_share"],
        share_threshold=data["drift_share_threshold"],
        alpha=data["alpha"],
        correction=html.escape(data["correction"]),
        floor=data["min_effect_size"],
        n_current=data["n_current"],
        ref_colour=_COLOURS["reference"],
        cur_colour=_COLOURS["current"],
        rows="\n".join(_row(name, result) for name, result in data["features"].items()),
    )


def write_report(report: DriftReport, out_dir: Union[str, os.PathLike]) -> tuple[Path, Path]:
    """Write ``drift_report.json`` and ``drift_report.html`` into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / JSON_NAME, out / HTML_NAME
    json_path.write_text(report.to_json(), encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path
