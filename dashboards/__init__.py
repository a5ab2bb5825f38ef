"""Grafana dashboards as code: the generator and its committed JSON output."""
