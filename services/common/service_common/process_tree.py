"""A scrape-time collector for the whole service: CPU seconds and memory of the server and all its workers."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psutil
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from service_common import metric_names as names


def service_root_pid() -> int:
    """The server's main process: the launcher exports it before it becomes the server."""
    return int(os.environ.get("OBSERVATORY_SERVICE_PID", os.getpid()))


class ProcessTreeCollector(Collector):
    """CPU seconds (including reaped workers) and memory of the service's process tree."""

    def __init__(self, framework: str, profile: str) -> None:
        self._labels = [framework, profile]

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """Read the tree now; workers that exited count through their parent's reaped-children times."""
        try:
            root = psutil.Process(service_root_pid())
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        cpu = 0.0
        rss = 0
        pss = 0
        alive = 0
        for process in processes:
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    memory = process.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            alive += 1
            cpu += times.user + times.system
            if process.pid == root.pid:
                cpu += times.children_user + times.children_system
            rss += memory.rss
            pss += getattr(memory, "pss", memory.rss)
        label_names = list(names.SERVICE_LABELS)
        metric_families: list[CounterMetricFamily | GaugeMetricFamily] = [
            CounterMetricFamily(
                names.CPU_SECONDS.removesuffix("_total"), "CPU seconds of the whole service.", labels=label_names
            ),
            GaugeMetricFamily(
                names.RESIDENT_MEMORY,
                "Resident memory of all service processes (shared pages counted in each).",
                labels=label_names,
            ),
            GaugeMetricFamily(
                names.PROPORTIONAL_MEMORY,
                "Proportional set size of all service processes (shared pages split).",
                labels=label_names,
            ),
            GaugeMetricFamily(names.PROCESSES, "Processes in the service's tree.", labels=label_names),
        ]
        for family, value in zip(metric_families, (cpu, rss, pss, alive), strict=True):
            family.add_metric(self._labels, value)
            yield family
