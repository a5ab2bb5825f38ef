# The pinned versions of the tools the setup installs: the one source for the Makefile and `observatory doctor`.
K6_VERSION := v1.8.1
HELM_VERSION := v3.22.0
CHECKOV_VERSION := 3.3.30
# The control plane tests/controlplane runs the charts on (tools/build-controlplane.sh builds it from source).
ETCD_VERSION := v3.6.5
KUBERNETES_VERSION := v1.34.4
KWOK_VERSION := v0.8.0
# The CRDs the charts need: the prometheus-operator that kube-prometheus-stack 65.1.1 (Tiltfile) ships, k6-operator.
PROMETHEUS_OPERATOR_VERSION := v0.77.1
K6_OPERATOR_VERSION := v0.0.19
# Prometheus for the kind cluster's monitoring, the version kube-prometheus-stack 65.1.1 runs, built from its Go module
# (v0.54.1 = v2.54.1) with only the Kubernetes service discovery: Debian's 2.42 has none (it cannot read the operator's
# scrape configurations).
PROMETHEUS_VERSION := v2.54.1
# kube-router, only as the NetworkPolicy controller beside the kind cluster's CNI (tools/build-operators.sh).
KUBE_ROUTER_VERSION := v2.1.0
# uv compiles the dependency locks (make lock); pip installs from them with --require-hashes.
UV_VERSION := 0.13.8
# Tilt (built from its Go module source by tools/build-tilt.sh; tests/cluster evaluates the Tiltfile with it) and
# actionlint (checks .github/workflows).
TILT_VERSION := v0.34.0
ACTIONLINT_VERSION := v1.7.12
# The kind cluster (make cluster; tools/kind/build-components.sh builds the node image's parts from their Go module
# sources when no registry answers). Kubernetes and etcd are the pins above; kubelet stays at 1.34 (cgroup v1 hosts).
KIND_VERSION := v0.33.0
CONTAINERD_VERSION := v2.4.2
CRICTL_VERSION := v1.37.0
CNI_PLUGINS_VERSION := v1.10.0
COREDNS_VERSION := v1.12.1
LOCAL_PATH_PROVISIONER_VERSION := v0.0.30
