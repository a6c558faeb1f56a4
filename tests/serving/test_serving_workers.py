"""Two workers: every lightship series is at /metrics; feedback survives a restart."""

from __future__ import annotations

import httpx

from server_process import start_server, wait_for
from test_serving_http import METRIC_NAMES


def test_two_workers_metrics_and_feedback_survive_restart(serving_store, tracking_uri: str) -> None:
    first = start_server(serving_store, tracking_uri, extra="serve.workers=2", model="models:/lightship/1", store="restart.db")
    try:
        answers = [httpx.post(f"{first.url}/predict", json={"texts": [f"text {i}"]}).json()[0] for i in range(8)]
        accepted = httpx.post(f"{first.url}/feedback", json={"feedback": [{"id": a["id"], "label": a["label"]} for a in answers]})
        assert accepted.status_code == 200 and accepted.json()["live_accuracy"] == 1.0
        scrapes = [httpx.get(f"{first.url}/metrics").text for _ in range(4)]  # answered by either worker
        for text in scrapes:
            missing = [name for name in METRIC_NAMES if f"\n{name}" not in text]
            assert not missing, missing
        # /readyz answers as soon as one worker is up; both report their model once loaded.
        assert wait_for(lambda: httpx.get(f"{first.url}/metrics").text.count("lightship_model_info{") == 2)
    finally:
        first.stop()
    assert not first.group_alive()
    second = start_server(serving_store, tracking_uri, model="models:/lightship/1", store="restart.db")
    try:
        again = httpx.post(f"{second.url}/feedback", json={"feedback": [{"id": answers[0]["id"], "label": answers[0]["label"]}]})
        assert again.status_code == 409
        assert "lightship_live_accuracy 1.0" in httpx.get(f"{second.url}/metrics").text
        assert 'lightship_live_labelled 8.0' in httpx.get(f"{second.url}/metrics").text
    finally:
        second.stop()
    assert not second.group_alive()
