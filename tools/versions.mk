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
# uv compiles the dependency locks (make lock); pip installs from them with --require-hashes.
UV_VERSION := 0.13.8
# Tilt (built from its Go module source by tools/build-tilt.sh; tests/cluster evaluates the Tiltfile with it) and
# actionlint (checks .github/workflows).
TILT_VERSION := v0.34.0
ACTIONLINT_VERSION := v1.7.12
