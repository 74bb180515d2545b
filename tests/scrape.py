"""Reading a service's /metrics in tests: its samples by name and labels."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape_text(client: TestClient, headers: dict[str, str]) -> str:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def value(found: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for a labelled child not created yet (a counter that never moved)."""
    return found.get((name, frozenset(labels.items())), 0.0)
