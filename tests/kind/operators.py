"""The operators the cluster mode relies on, installed on the kind cluster from what tools/build-operators.sh built.

kube-prometheus-stack (the Tiltfile's monitoring) cannot be fetched here (its chart repository is on GitHub, its
images on quay.io), so the tests install what it would: prometheus-operator and its config reloader, built from
their Go module source at the version kube-prometheus-stack 65.1.1 ships, the operator's CRDs and RBAC from that
same source, and a Prometheus resource whose spec is the `prometheusSpec` of the user's values file
(charts/monitoring/kube-prometheus-stack-values.yaml). The operator, not this code, turns the project's
ServiceMonitors (and kube-prometheus-stack's kubelet ServiceMonitor, rebuilt here) into Prometheus's scrape
configuration. What stands in: Prometheus is built from its module source at the stack's version with only the
Kubernetes service discovery (Debian's 2.42 package has none, so it cannot load the operator's configuration), the
names of the Service and the Prometheus follow the stack's release `kube-prometheus-stack`; Grafana is not run (a
placeholder answers on its Service for the Tiltfile's port-forward).

k6-operator is installed from its module's bundle.yaml (CRDs, RBAC, the manager Deployment) with the manager image
built here, and without the bundle's kube-rbac-proxy sidecar (its image cannot be pulled; it only guards the
manager's metrics).
"""

from __future__ import annotations

import copy
import json
import time
import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import yaml

from observatory import tools
from tests.kind.charts.releases import Kube

ROOT = Path(__file__).resolve().parents[2]
OPERATORS = ROOT / ".tools" / "operators"
SHARE = OPERATORS / "share"
MONITORING_VALUES = ROOT / "charts" / "monitoring" / "kube-prometheus-stack-values.yaml"
NAMESPACE = "monitoring"
# kube-prometheus-stack's names for release "kube-prometheus-stack" (the Tiltfile's): the load chart's remote-write
# URL and the Tiltfile's port-forward name the Service.
RELEASE = "kube-prometheus-stack"
PROMETHEUS = f"{RELEASE}-prometheus"
KUBELET_SERVICE = f"{RELEASE}-kubelet"
K6_NAMESPACE = "k6-operator-system"
# the stand-in base every image of ours is built on (make images): the Grafana placeholder runs its python3
BASE_IMAGE = "docker.io/library/python:3.11.14-slim-bookworm"


class Nodes(Protocol):
    """What the tests need of the kind_cluster fixture (tests/kind/conftest.py): images into the nodes."""

    def load_image(self, name: str) -> None: ...


def versions() -> dict[str, str]:
    return tools.pinned_versions()


def prometheus_version() -> str:
    """The Prometheus tools/build-operators.sh builds (`v2.54.1`, what kube-prometheus-stack 65.1.1 runs)."""
    return versions()["PROMETHEUS_VERSION"]


def images() -> dict[str, str]:
    """The images tools/build-operators.sh --images builds, by role."""
    po = versions()["PROMETHEUS_OPERATOR_VERSION"]
    return {
        "operator": f"quay.io/prometheus-operator/prometheus-operator:{po}",
        "reloader": f"quay.io/prometheus-operator/prometheus-config-reloader:{po}",
        "prometheus": f"observatory/prometheus:{prometheus_version()}",
        "k6-operator": f"ghcr.io/grafana/k6-operator:controller-{versions()['K6_OPERATOR_VERSION']}",
    }


# k6-operator's default starter image (pkg/resources/jobs/starter.go); not ":latest", so pulled only if not present
STARTER_IMAGE = "ghcr.io/grafana/k6-operator:latest-starter"


def missing_builds(*parts: str) -> list[str]:
    """What `make operators` has not built yet of `parts` (all by default): stamps of the pinned versions, manifests."""
    v = versions()
    wanted = {
        "prometheus-operator": [
            OPERATORS / "bin" / f".prometheus-operator-{v['PROMETHEUS_OPERATOR_VERSION']}",
            SHARE / "prometheus-operator" / "prometheus-operator-crd",
        ],
        "prometheus": [OPERATORS / "bin" / f".prometheus-{v['PROMETHEUS_VERSION']}"],
        "k6-operator": [
            OPERATORS / "bin" / f".k6-operator-{v['K6_OPERATOR_VERSION']}",
            SHARE / "k6-operator" / "bundle.yaml",
        ],
    }
    paths = [p for part in (parts or tuple(wanted)) for p in wanted[part]]
    return [str(p.relative_to(ROOT)) for p in paths if not p.exists()]


def load_yaml(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def in_namespace(objects: Iterable[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """The objects moved to `namespace` (namespaced ones, and the subjects of their bindings)."""
    moved = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        if obj["kind"] not in ("ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "Namespace"):
            obj["metadata"]["namespace"] = namespace
        for subject in obj.get("subjects", []):
            if subject.get("kind") == "ServiceAccount":
                subject["namespace"] = namespace
        moved.append(obj)
    return moved


def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MONITORING_VALUES.read_text())
    return loaded


def placement(section: dict[str, Any]) -> dict[str, Any]:
    """nodeSelector and tolerations of one component's values, as its pod spec carries them."""
    return {k: section[k] for k in ("nodeSelector", "tolerations") if k in section}


# --- prometheus-operator --------------------------------------------------------------------------------------


def operator_objects() -> list[dict[str, Any]]:
    """Namespace, the operator's RBAC (module source) and Deployment (kube-prometheus-stack's arguments), Prometheus's
    RBAC (module source), the Prometheus resource from the values file, its Service and the kubelet ServiceMonitor."""
    img = images()
    rbac = SHARE / "prometheus-operator" / "rbac"
    objs: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}]
    for name in ("cluster-role", "cluster-role-binding", "service-account"):
        objs += in_namespace(load_yaml(rbac / "prometheus-operator" / f"prometheus-operator-{name}.yaml"), NAMESPACE)
    for name in ("cluster-role", "cluster-role-binding", "service-account"):
        objs += in_namespace(load_yaml(rbac / "prometheus" / f"prometheus-{name}.yaml"), NAMESPACE)
    labels = {"app.kubernetes.io/name": "prometheus-operator", "app.kubernetes.io/component": "controller"}
    restricted = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    objs.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "prometheus-operator", "namespace": NAMESPACE, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "prometheus-operator",
                        # the module's ServiceAccount opts out of the token; its Deployment mounts it (as here)
                        "automountServiceAccountToken": True,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": 65534,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        **placement(values().get("prometheusOperator", {})),
                        "containers": [
                            {
                                "name": "prometheus-operator",
                                "image": img["operator"],
                                "imagePullPolicy": "Never",
                                # kube-prometheus-stack 65.1.1's arguments (less TLS and the admission webhook):
                                # the operator keeps the kubelets' Endpoints in kube-system for the kubelet
                                # ServiceMonitor
                                "args": [
                                    f"--kubelet-service=kube-system/{KUBELET_SERVICE}",
                                    "--kubelet-endpoints=true",
                                    "--kubelet-endpointslice=false",
                                    "--localhost=127.0.0.1",
                                    f"--prometheus-config-reloader={img['reloader']}",
                                    "--secret-field-selector=type!=kubernetes.io/dockercfg,"
                                    "type!=kubernetes.io/service-account-token,type!=helm.sh/release.v1",
                                ],
                                "ports": [{"name": "http", "containerPort": 8080}],
                                "resources": {
                                    "requests": {"cpu": "50m", "memory": "64Mi"},
                                    "limits": {"cpu": "500m", "memory": "256Mi"},
                                },
                                "securityContext": restricted,
                            }
                        ],
                    },
                },
            },
        }
    )
    objs.append(prometheus_resource())
    objs.append(prometheus_service())
    objs.append(kubelet_service_monitor())
    return objs


# keys of kube-prometheus-stack's prometheusSpec that are the chart's own, not the Prometheus resource's
CHART_ONLY_KEYS = {
    "serviceMonitorSelectorNilUsesHelmValues": "serviceMonitorSelector",
    "podMonitorSelectorNilUsesHelmValues": "podMonitorSelector",
    "ruleSelectorNilUsesHelmValues": "ruleSelector",
    "probeSelectorNilUsesHelmValues": "probeSelector",
    "scrapeConfigSelectorNilUsesHelmValues": "scrapeConfigSelector",
}


def prometheus_resource() -> dict[str, Any]:
    """The Prometheus kube-prometheus-stack renders from the values file's prometheusSpec: a `...NilUsesHelmValues:
    false` becomes an empty selector (every object of that kind, in every namespace), the rest is the resource's own
    spec. The image is the Prometheus built here (version given, so the operator writes a configuration for it)."""
    spec = copy.deepcopy(values()["prometheus"]["prometheusSpec"])
    for key, selector in CHART_ONLY_KEYS.items():
        if spec.pop(key, True) is False:
            spec.setdefault(selector, {})
            spec.setdefault(selector.replace("Selector", "NamespaceSelector"), {})
    spec.update(
        {
            "image": images()["prometheus"],
            "version": prometheus_version(),
            "serviceAccountName": "prometheus",
            "replicas": 1,
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "2Gi"}},
        }
    )
    # a small claim: local-path ignores the size, and the values' 10Gi is the stack's on a laptop
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Prometheus",
        "metadata": {"name": PROMETHEUS, "namespace": NAMESPACE, "labels": {"release": RELEASE}},
        "spec": spec,
    }


def prometheus_service() -> dict[str, Any]:
    """The stack's Service in front of Prometheus (the values' NodePort 30090, kind-config.yaml's host port 9990)."""
    service = values()["prometheus"].get("service", {})
    port: dict[str, Any] = {"name": "http-web", "port": 9090, "targetPort": 9090}
    if service.get("nodePort"):
        port["nodePort"] = service["nodePort"]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": PROMETHEUS, "namespace": NAMESPACE, "labels": {"release": RELEASE}},
        "spec": {
            "type": service.get("type", "ClusterIP"),
            "selector": {"app.kubernetes.io/name": "prometheus", "prometheus": PROMETHEUS},
            "ports": [port],
        },
    }


def kubelet_service_monitor() -> dict[str, Any]:
    """kube-prometheus-stack 65.1.1's kubelet ServiceMonitor (templates/exporters/kubelet), its cAdvisor and kubelet
    endpoints: over HTTPS to port 10250 with the pod's token, the kubelet's own labels kept (honorLabels), so
    container_* series carry the namespace, pod and container they measure."""
    tls = {"caFile": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", "insecureSkipVerify": True}
    common = {
        "port": "https-metrics",
        "scheme": "https",
        "interval": values()["prometheus"]["prometheusSpec"].get("scrapeInterval", "30s"),
        "honorLabels": True,
        "honorTimestamps": True,
        "tlsConfig": tls,
        "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
        "relabelings": [{"action": "replace", "sourceLabels": ["__metrics_path__"], "targetLabel": "metrics_path"}],
    }
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": KUBELET_SERVICE, "namespace": NAMESPACE, "labels": {"release": RELEASE}},
        "spec": {
            "jobLabel": "k8s-app",
            "namespaceSelector": {"matchNames": ["kube-system"]},
            "selector": {"matchLabels": {"app.kubernetes.io/name": "kubelet", "k8s-app": "kubelet"}},
            "attachMetadata": {"node": False},
            "endpoints": [common, {**common, "path": "/metrics/cadvisor"}],
        },
    }


# --- k6-operator ----------------------------------------------------------------------------------------------


def k6_operator_objects() -> list[dict[str, Any]]:
    """k6-operator's bundle.yaml with the manager image built here, without the kube-rbac-proxy sidecar, on the
    monitoring node (the load node stays for the runners)."""
    objs = load_yaml(SHARE / "k6-operator" / "bundle.yaml")
    mon = values()
    for obj in objs:
        if obj["kind"] != "Deployment":
            continue
        pod = obj["spec"]["template"]["spec"]
        pod["containers"] = [c for c in pod["containers"] if c["name"] == "manager"]
        manager = pod["containers"][0]
        manager["image"] = images()["k6-operator"]
        manager["imagePullPolicy"] = "Never"
        manager["resources"] = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
        manager["securityContext"] = {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        pod["securityContext"] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        pod.update(placement(mon.get("prometheusOperator", {})))
    return objs


# --- applying and waiting --------------------------------------------------------------------------------------


def apply(kube: Kube, objects: list[dict[str, Any]]) -> None:
    """Server-side apply (the Prometheus CRD is larger than client-side apply's last-applied annotation allows)."""
    kube.run(
        "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=yaml.safe_dump_all(objects, sort_keys=False)
    )


def install_prometheus_operator(kube: Kube, nodes: Nodes, workdir: Path) -> None:
    """`helm upgrade --install kube-prometheus-stack` of the stand-in chart in namespace monitoring, as the Tiltfile
    installs the real one (so `tilt ci` later upgrades the same release), then until Prometheus is rolled out."""
    for image in ("operator", "reloader", "prometheus"):
        nodes.load_image(images()[image])
    nodes.load_image(BASE_IMAGE)
    chart = write_standin_chart(workdir, BASE_IMAGE)
    kube.helm(
        "upgrade", "--install", RELEASE, str(chart), "--namespace", NAMESPACE, "--create-namespace",
        "--values", str(MONITORING_VALUES), "--wait", "--timeout", "10m",
    )  # fmt: skip
    kube.run("-n", NAMESPACE, "rollout", "status", "deployment/prometheus-operator", "--timeout=300s", timeout=330)
    wait_for(kube, "statefulset", f"prometheus-{PROMETHEUS}", NAMESPACE)
    kube.run(
        "-n", NAMESPACE, "rollout", "status", f"statefulset/prometheus-{PROMETHEUS}", "--timeout=600s", timeout=630
    )


def install_k6_operator(kube: Kube, nodes: Nodes) -> None:
    """k6-operator's CRDs, RBAC and manager (bundle.yaml as k6_operator_objects() changes it), rolled out."""
    nodes.load_image(images()["k6-operator"])
    nodes.load_image(STARTER_IMAGE)
    objs = k6_operator_objects()
    crds = [o for o in objs if o["kind"] == "CustomResourceDefinition"]
    apply(kube, crds)
    for crd in crds:
        kube.run("wait", "--for=condition=Established", "--timeout=120s", "crd/" + crd["metadata"]["name"])
    apply(kube, [o for o in objs if o["kind"] != "CustomResourceDefinition"])
    kube.run(
        "-n",
        K6_NAMESPACE,
        "rollout",
        "status",
        "deployment/k6-operator-controller-manager",
        "--timeout=300s",
        timeout=330,
    )


def wait_for(kube: Kube, kind: str, name: str, namespace: str, timeout: float = 300) -> None:
    """Until the object exists (an operator creates it; `kubectl wait` fails on an object that is not there yet)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            kube.run("-n", namespace, "get", kind, name, "-o", "name")
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


# --- querying Prometheus through the API server's service proxy (no port-forward process to leave behind) ------


def prometheus_api(kube: Kube, path: str, **params: str) -> Any:
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    raw = kube.run("get", "--raw", f"/api/v1/namespaces/{NAMESPACE}/services/{PROMETHEUS}:9090/proxy{path}{query}")
    body = json.loads(raw)
    assert body.get("status") == "success", body
    return body["data"]


def query_range(kube: Kube, expr: str, start: float, end: float, step: str = "5s") -> list[dict[str, Any]]:
    data = prometheus_api(kube, "/api/v1/query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}", step=step)
    result: list[dict[str, Any]] = data["result"]
    return result


def query(kube: Kube, expr: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = prometheus_api(kube, "/api/v1/query", query=expr)["result"]
    return result


# --- kube-prometheus-stack's stand-in chart, for `tilt ci` (tests/kind/tilt) ------------------------------------

GRAFANA = f"{RELEASE}-grafana"


def grafana_placeholder(image: str) -> list[dict[str, Any]]:
    """A Service named as the stack's Grafana, answering one line that says Grafana is not run here: the Tiltfile's
    `grafana` resource port-forwards to it, and a port-forward needs a pod behind the Service."""
    labels = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": RELEASE}
    server = (
        "import http.server\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        body = b'placeholder: Grafana cannot be fetched or run in this test environment\\n'\n"
        "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()\n"
        "        self.wfile.write(body)\n"
        "http.server.ThreadingHTTPServer(('', 3000), H).serve_forever()\n"
    )
    mon = values().get("grafana", {})
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": GRAFANA, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": 472,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        **placement(mon),
                        "containers": [
                            {
                                "name": "grafana-placeholder",
                                "image": image,
                                "imagePullPolicy": "Never",
                                "command": ["python3", "-c", server],
                                "ports": [{"name": "http", "containerPort": 3000}],
                                "readinessProbe": {"httpGet": {"path": "/", "port": 3000}, "periodSeconds": 2},
                                "resources": {
                                    "requests": {"cpu": "10m", "memory": "32Mi"},
                                    "limits": {"cpu": "100m", "memory": "64Mi"},
                                },
                                "securityContext": {
                                    "allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]},
                                },
                            }
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": GRAFANA, "labels": labels},
            "spec": {"selector": labels, "ports": [{"name": "http-web", "port": 80, "targetPort": 3000}]},
        },
    ]


def write_standin_chart(dest: Path, grafana_image: str) -> Path:
    """A chart named kube-prometheus-stack at the Tiltfile's pin, holding what install_prometheus_operator installs
    (its CRDs in crds/, as the stack ships them) and the Grafana placeholder; rendered once, so the user's values
    file reaches it through operator_objects(), not through helm. Returns the chart's folder."""
    chart = dest / RELEASE
    (chart / "crds").mkdir(parents=True, exist_ok=True)
    (chart / "templates").mkdir(exist_ok=True)
    (chart / "Chart.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v2",
                "name": RELEASE,
                "version": "65.1.1",
                "description": "Test stand-in: prometheus-operator and Prometheus built from source, no Grafana",
            }
        )
    )
    for crd in sorted((SHARE / "prometheus-operator" / "prometheus-operator-crd").glob("*.yaml")):
        (chart / "crds" / crd.name).write_text(crd.read_text())
    objects = [o for o in operator_objects() if o["kind"] != "Namespace"] + grafana_placeholder(grafana_image)
    for obj in objects:
        obj["metadata"].pop("namespace", None)  # the release's namespace (helm --namespace), as the stack's objects
    (chart / "templates" / "objects.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return chart


# --- kube-router as the NetworkPolicy controller (the kindnetd stand-in enforces none) -------------------------

KUBE_ROUTER_IMAGE = f"observatory/kube-router:{versions().get('KUBE_ROUTER_VERSION', 'v2.1.0')}"


def kube_router_objects() -> list[dict[str, Any]]:
    """kube-router's firewall-only DaemonSet (its daemonset/kube-router-firewall-daemonset.yaml, with the in-cluster
    service account of its generic manifests instead of a host kubeconfig, and no CNI of its own: the cluster's CNI
    stays), its RBAC, on every node."""
    labels = {"k8s-app": "kube-router"}
    rules = [
        {"apiGroups": [""], "resources": ["namespaces", "pods", "services", "nodes", "endpoints"],
         "verbs": ["list", "get", "watch"]},
        {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["list", "get", "watch"]},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "get", "watch"]},
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]},
    ]  # fmt: skip
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "kube-router", "namespace": "kube-system"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "kube-router"},
         "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "kube-router"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kube-router"},
         "subjects": [{"kind": "ServiceAccount", "name": "kube-router", "namespace": "kube-system"}]},
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "kube-router", "namespace": "kube-system", "labels": labels},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "kube-router",
                        "priorityClassName": "system-node-critical",
                        "hostNetwork": True,
                        "tolerations": [{"operator": "Exists"}],
                        "containers": [
                            {
                                "name": "kube-router",
                                "image": KUBE_ROUTER_IMAGE,
                                "imagePullPolicy": "Never",
                                "args": ["--run-router=false", "--run-firewall=true", "--run-service-proxy=false",
                                         "--enable-cni=false", "--v=1"],
                                "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                                "securityContext": {"privileged": True},
                                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 20244},
                                                  "initialDelaySeconds": 10, "periodSeconds": 3},
                                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
                                "volumeMounts": [
                                    {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True},
                                    {"name": "xtables-lock", "mountPath": "/run/xtables.lock"},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
                            {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
                        ],
                    },
                },
            },
        },
    ]  # fmt: skip


def install_kube_router(kube: Kube, nodes: Nodes) -> None:
    nodes.load_image(KUBE_ROUTER_IMAGE)
    apply(kube, kube_router_objects())
    kube.run("-n", "kube-system", "rollout", "status", "daemonset/kube-router", "--timeout=300s", timeout=330)
