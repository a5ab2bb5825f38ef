"""The observatory's harness: run services under load, read Prometheus, write results, report, compare."""
