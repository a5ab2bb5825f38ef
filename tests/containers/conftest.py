"""The services chart's defaults running in podman while this folder's tests run, and a Prometheus scraping them as the
cluster's would (from the ServiceMonitors), shared by the pod, benchmark and scraping tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.containers import cadvisor
from tests.containers.kube import Pod, PodFailure, Release, podman_path, render

PROMETHEUS_HOST = "kube-prometheus-stack-prometheus.monitoring.svc"  # the load chart's remoteWriteUrl host


def start_release(release: Release) -> list[Pod]:
    """Every StatefulSet and Deployment of the release as one pod each: the StatefulSets first and ready (the
    services migrate their database at start), then every Deployment at once, each waited for until ready."""
    pods = []
    for workload in release.workloads(("StatefulSet",)):
        pod = release.start_pod(workload)
        pod.wait_ready(timeout=90)
        pods.append(pod)
    started = [release.start_pod(workload) for workload in release.workloads(("Deployment",))]
    for pod in started:
        pod.wait_ready(timeout=150)
    return pods + started


@dataclass
class Cluster:
    """The running defaults of the services chart and the Prometheus that scrapes them."""

    release: Release
    pods: list[Pod]
    prometheus_url: str
    started: float


def prometheus_config(release: Release, pods: list[Pod], cadvisor_target: str) -> dict:
    """Scrape configs as prometheus-operator generates them from the release's ServiceMonitors: targets are the
    pods behind each selected Service's named port, labelled job/namespace/service/pod/container/endpoint."""
    scrape_configs = []
    for monitor in release.objects("ServiceMonitor"):
        selector = monitor["spec"]["selector"]
        assert set(selector) <= {"matchLabels"}, f"ServiceMonitor {monitor['metadata']['name']}: unsupported {selector}"
        services = [
            svc
            for svc in release.objects("Service")
            if all(svc["metadata"].get("labels", {}).get(k) == v for k, v in selector["matchLabels"].items())
        ]
        assert services, f"ServiceMonitor {monitor['metadata']['name']} selects no Service"
        for index, endpoint in enumerate(monitor["spec"]["endpoints"]):
            groups = []
            for svc in services:
                port = next((p for p in svc["spec"]["ports"] if p.get("name") == endpoint["port"]), None)
                assert port, f"Service {svc['metadata']['name']} has no port named {endpoint['port']}"
                for pod in pods:
                    if all(pod.labels.get(k) == v for k, v in svc["spec"]["selector"].items()):
                        container = pod.containers[0]
                        target_port = container.port(port.get("targetPort", port["port"]))
                        groups.append(
                            {
                                "targets": [f"{pod.ip}:{target_port}"],
                                "labels": {
                                    "__meta_kubernetes_namespace": "default",
                                    "__meta_kubernetes_service_name": svc["metadata"]["name"],
                                    "__meta_kubernetes_pod_name": pod.name,
                                    "__meta_kubernetes_pod_container_name": container.name,
                                },
                            }
                        )
            relabel = [
                {"source_labels": [f"__meta_kubernetes_{m}"], "target_label": label}
                for m, label in (
                    ("namespace", "namespace"),
                    ("service_name", "service"),
                    ("pod_name", "pod"),
                    ("pod_container_name", "container"),
                    ("service_name", "job"),
                )
            ]
            relabel.append({"target_label": "endpoint", "replacement": endpoint["port"]})
            relabel += [snake(r) for r in endpoint.get("relabelings", [])]
            config = {
                "job_name": f"serviceMonitor/default/{monitor['metadata']['name']}/{index}",
                "honor_labels": bool(endpoint.get("honorLabels", False)),
                "scrape_interval": endpoint.get("interval", "30s"),
                "metrics_path": endpoint.get("path", "/metrics"),
                "scheme": endpoint.get("scheme", "http"),
                "static_configs": groups,
                "relabel_configs": relabel,
            }
            if "scrapeTimeout" in endpoint:
                config["scrape_timeout"] = endpoint["scrapeTimeout"]
            if endpoint.get("metricRelabelings"):
                config["metric_relabel_configs"] = [snake(r) for r in endpoint["metricRelabelings"]]
            scrape_configs.append(config)
    cadvisor_job = {"job_name": "kubelet-cadvisor-standin", "honor_labels": True, "scrape_interval": "5s"}
    scrape_configs.append({**cadvisor_job, "static_configs": [{"targets": [cadvisor_target]}]})
    return {"global": {"scrape_interval": "30s", "evaluation_interval": "30s"}, "scrape_configs": scrape_configs}


def snake(rule: dict) -> dict:
    """A ServiceMonitor relabeling (camelCase) as Prometheus configuration (snake_case)."""
    names = {"sourceLabels": "source_labels", "targetLabel": "target_label"}
    return {names.get(k, k.lower()): v for k, v in rule.items()}


@pytest.fixture(scope="package")  # stopped once this folder's tests are done
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The services chart's defaults running in podman, scraped by a Prometheus on the network's gateway (where the
    load chart's remote-write host resolves), with a cAdvisor stand-in for the kubelet's container metrics."""
    podman_path()
    prometheus = shutil.which("prometheus")
    assert prometheus, "prometheus is missing: run make run-packages"
    workdir = tmp_path_factory.mktemp("cluster")
    release = Release(render("observatory-services"), workdir, "services")
    process = None
    exporter = None
    try:
        pods = start_release(release)
        release.extra_hosts[PROMETHEUS_HOST] = release.gateway
        exporter = cadvisor.serve(release.gateway, pods)
        config = prometheus_config(release, pods, f"{release.gateway}:{exporter.server_port}")
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        url = f"http://{release.gateway}:9090"
        argv = [prometheus, f"--config.file={workdir / 'prometheus.yml'}", f"--storage.tsdb.path={workdir / 'tsdb'}"]
        argv += [f"--web.listen-address={release.gateway}:9090", "--web.enable-remote-write-receiver"]
        argv += ["--enable-feature=native-histograms", "--log.level=warn"]
        with open(workdir / "prometheus.log", "w") as log:
            process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"prometheus did not start: {(workdir / 'prometheus.log').read_text()[-600:]}")
            time.sleep(0.2)
        yield Cluster(release, pods, url, time.time())
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        if exporter is not None:
            exporter.shutdown()
        release.close()


LOAD_VALUES = Path(__file__).with_name("load-ci-values.yaml")


@dataclass
class Benchmark:
    """The scheduled benchmark's pod, run to completion: its steps in order and the results claim's folder."""

    pod: Pod
    steps: list[str]
    summaries: Path
    started: float
    finished: float


@pytest.fixture(scope="package")  # stopped once this folder's tests are done
def benchmark(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Benchmark]:
    """The load chart's CronJob pod (load-ci-values.yaml) run once against the session's services."""
    docs = render("observatory-load", LOAD_VALUES)
    cronjobs = [doc for doc in docs if doc["kind"] == "CronJob"]
    assert len(cronjobs) == 1, [doc["kind"] for doc in docs]
    spec = cronjobs[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    steps = [c["name"] for c in spec.get("initContainers", []) + spec["containers"]]
    load = Release(docs, tmp_path_factory.mktemp("load"), "load", network=cluster.release.network)
    load.extra_hosts.update(cluster.release.extra_hosts)  # remote write reaches the session's Prometheus
    try:
        started = time.time()
        pod = load.run_job_pod(cronjobs[0], timeout=300)
        yield Benchmark(pod, steps, load.claims["observatory-load-results"], started, time.time())
    finally:
        load.close()


def query(url: str, expr: str, start: float, end: float, step: str = "5s") -> list:
    """A range query's result (a list of series)."""
    params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{url}/api/v1/query_range?{params}", timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]["result"]


__all__ = ["Cluster", "PodFailure", "cluster", "query", "start_release"]
