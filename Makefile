# Set-up and tests. `make quickstart` installs everything and runs the comparison; `make test` runs the test suite.
include tools/versions.mk

VENV := .venv
PY := $(VENV)/bin/python
GOBIN := $(CURDIR)/.tools/bin
export PATH := $(GOBIN):$(CURDIR)/$(VENV)/bin:$(PATH)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: quickstart setup system-packages python-packages go-tools checkov test lint

quickstart: setup ## install everything, then run the quick comparison
	$(VENV)/bin/observatory run

setup: system-packages python-packages go-tools checkov controlplane dashboard-validate tilt actionlint ## install every tool the harness and the tests use
	@$(VENV)/bin/observatory doctor

system-packages: ## prometheus + promtool, chromium (report test), taskset, PostgreSQL server, podman + runc + debootstrap (images), nginx (k6's null target) (Debian packages)
	@missing=""; \
	command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v taskset >/dev/null || missing="$$missing util-linux"; \
	[ -x /usr/lib/postgresql/15/bin/postgres ] || missing="$$missing postgresql"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	for tool in podman runc debootstrap; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing \
	    || { echo "setup: could not install$$missing with apt-get; install them and run make setup again" >&2; exit 1; }; \
	fi

python-packages: $(VENV)/.installed

# Every package from the harness lock, hashes checked (make lock regenerates it from the requirements files);
# then the project itself, editable, without resolving anything.
$(VENV)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --require-hashes --no-deps -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps --no-build-isolation -e .
	touch $@

go-tools: $(GOBIN)/.k6-$(K6_VERSION) $(GOBIN)/.helm-$(HELM_VERSION) ## k6, helm (go install)

# go-installed binaries report no release version, so a stamp file records which pinned version is there.
$(GOBIN)/.k6-%:
	@command -v go >/dev/null || { echo "setup: go is needed to install k6 (apt-get install golang)" >&2; exit 1; }
	GOBIN=$(GOBIN) go install go.k6.io/k6@$*
	touch $@

$(GOBIN)/.helm-%:
	GOBIN=$(GOBIN) go install helm.sh/helm/v3/cmd/helm@$*
	touch $@

checkov: .tools/checkov/.installed ## checkov in its own venv (it pins packaging<24, which pytest 9 cannot use)

.tools/checkov/.installed: tools/versions.mk
	python3 -m venv .tools/checkov
	.tools/checkov/bin/pip install -q checkov==$(CHECKOV_VERSION)
	touch $@

test: setup images ## the whole test suite (what CI runs)
	$(PY) -m pytest

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok built from source (tests/controlplane
# runs the charts on them); stamps keyed by the pins in tools/versions.mk make it a no-op until a pin changes.
.PHONY: controlplane
controlplane: ## a Kubernetes control plane built from source into .tools/bin (about 10 min cold on 2 cores)
	@tools/build-controlplane.sh

# Dependency locks and container images (tests/containers runs the charts' pods from these images with podman).
.PHONY: lock images
lock: ## regenerate requirements.lock and services/*/requirements.lock from the requirements files (uv, hashes)
	@[ -x .tools/uv/bin/uv ] || { python3 -m venv .tools/uv && .tools/uv/bin/pip install -q uv==$(UV_VERSION); }
	@python3 tools/lock.py compile

images: system-packages python-packages go-tools ## build every image the charts use with podman (stand-ins where a registry is unreachable)
	@tools/build-images.sh

# Grafana's dashboard schema, as grafana-foundation-sdk's Go module decodes it strictly (version pinned in
# dashboards/validate/go.mod): tests/dashboards validates every generated dashboard with it.
.PHONY: dashboard-validate
dashboard-validate: $(GOBIN)/dashboard-validate ## the dashboard schema validator (go build)

$(GOBIN)/dashboard-validate: dashboards/validate/main.go dashboards/validate/go.mod dashboards/validate/go.sum
	cd dashboards/validate && GOBIN=$(GOBIN) nice -n 10 go build -o $@ .

.PHONY: tilt actionlint
tilt: $(GOBIN)/.tilt-$(TILT_VERSION) ## Tilt, built from its Go module source (about 5 min cold on 2 cores)

$(GOBIN)/.tilt-%: tools/build-tilt.sh
	tools/build-tilt.sh $* $(GOBIN)

actionlint: $(GOBIN)/.actionlint-$(ACTIONLINT_VERSION) ## actionlint, the GitHub Actions workflow checker (go install)

$(GOBIN)/.actionlint-%:
	GOBIN=$(GOBIN) nice -n 10 go install github.com/rhysd/actionlint/cmd/actionlint@$*
	rm -f $(GOBIN)/.actionlint-*
	touch $@

# The kind cluster: make cluster, cluster-down, cluster-status, node-image.
include tools/cluster.mk
include tools/operators.mk
