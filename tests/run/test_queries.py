"""Label matchers render concrete values exactly and Grafana variables as regular expressions."""

from __future__ import annotations

from observatory.queries import Matchers, served_rate


def test_concrete_and_variable_matchers() -> None:
    m = Matchers.of(framework="flask", profile="$profile", route=None)
    assert m.render() == '{framework="flask",profile=~"$profile"}'
    expected = 'sum by (framework) (rate(observatory_http_requests_total{framework="flask",profile=~"$profile"}[1m]))'
    assert served_rate(m, "1m") == expected


def test_without_drops_labels() -> None:
    m = Matchers.of(framework="flask", route="/json")
    assert m.without("route").render() == '{framework="flask"}'
