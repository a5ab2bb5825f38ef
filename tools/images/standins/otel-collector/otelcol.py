"""Stand-in OpenTelemetry Collector: OTLP/HTTP receiver with a counting "debug exporter".

Usage: otelcol.py --config=/etc/otel/config.yaml   (reads receivers.otlp.protocols.http.endpoint, default 0.0.0.0:4318)
"""

import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATHS = {"/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs"}


def endpoint(argv: list[str]) -> tuple[str, int]:
    config = next((arg.split("=", 1)[1] for arg in argv if arg.startswith("--config=")), None)
    if config is None:
        sys.exit("otelcol: --config=FILE is required")
    with open(config, encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(r"http:\s*\n\s*endpoint:\s*([^\s:]+):(\d+)", text)
    return (match.group(1), int(match.group(2))) if match else ("0.0.0.0", 4318)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        signal = PATHS.get(self.path)
        if signal is None:
            self.send_response(404)
            self.end_headers()
            return
        print(f'info\tdebug exporter\t{signal} received\t{{"bytes": {len(body)}}}', flush=True)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    host, port = endpoint(sys.argv[1:])
    print(f"info\totlp receiver (stand-in) listening on {host}:{port}", flush=True)
    ThreadingHTTPServer((host, port), Receiver).serve_forever()
