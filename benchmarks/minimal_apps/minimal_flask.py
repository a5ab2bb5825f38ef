"""The smallest Flask app serving the json workload, as Flask's quickstart writes it (benchmarks/parity.py)."""

from __future__ import annotations

from flask import Flask, jsonify
from flask.wrappers import Response

app = Flask(__name__)


@app.get("/json")
def json_route() -> Response:
    return jsonify(message="Hello, World!")


@app.get("/health/ready")
def ready() -> Response:
    return jsonify(status="ok")
