# The kind cluster of kind-config.yaml (observatory/kind). Where a registry answers, `make cluster` is plain
# `kind create cluster --config kind-config.yaml`; where none does, it builds the node image from the pins in
# tools/versions.mk (tools/kind/, cached in .tools) and runs Debian's dockerd with the runtime wrapper.
.PHONY: cluster cluster-down cluster-status node-image

cluster: python-packages ## the 3-node kind cluster, up and healthy (a no-op when it is); KUBECONFIG=.tools/kind/kubeconfig
	@$(PY) -m observatory.kind up

cluster-down: python-packages ## delete the cluster, stop our dockerd, restore the host sysctls it changed
	@$(PY) -m observatory.kind down

cluster-status: python-packages ## is the cluster up and healthy, and how to reach it
	@$(PY) -m observatory.kind status

node-image: python-packages ## kindest/node:$(KUBERNETES_VERSION)-local from the pinned sources (cached; about 25 min cold on 2 cores)
	@$(PY) -m observatory.kind node-image
