# Set-up by need, then run. `make help` lists every target.
#   make quickstart   installs what `observatory run` needs (the venv, k6, Prometheus, nginx, taskset), then runs it
#   make test         installs what the tests use (make setup and the images), then runs the whole suite (.ci/run)
#   make test-fast    the pure-logic tests, for the edit-test loop
# Versions are pinned in tools/versions.mk, Python packages by hash in requirements.lock.
include tools/versions.mk

VENV := .venv
PY := $(VENV)/bin/python
GOBIN := $(CURDIR)/.tools/bin
export PATH := $(GOBIN):$(CURDIR)/$(VENV)/bin:$(PATH)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages by need (the command each is checked by, then the package).
RUN_PACKAGES := prometheus:prometheus nginx:nginx taskset:util-linux
TEST_PACKAGES := chromium:chromium /usr/lib/postgresql/15/bin/postgres:postgresql podman:podman runc:runc \
	debootstrap:debootstrap /usr/sbin/dockerd:docker.io

# The tests that start no server, k6, Prometheus or control plane: rules, reports, plans, searches, the docs' numbers.
FAST_TESTS := tests/judging tests/report tests/test_one_definition.py tests/run/test_plan.py \
	tests/run/test_rates.py tests/run/test_session.py tests/run/test_results.py tests/run/test_checks_guard.py tests/cli

.PHONY: help quickstart run-tools setup test test-fast test-kind-pending lint

help: ## this list
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 22

# ---- what people run --------------------------------------------------------------------------------------------

quickstart: run-tools ## install what a local run needs, then run the default comparison
	$(VENV)/bin/observatory run

# The kind cluster comes up first (tests/kind run on it), so that `make images` builds with its engine and loads the
# images into its nodes; a cluster this target started goes down afterwards, whatever the suite's outcome.
# Not in the suite yet: tests/kind/tilt (the source-built Tilt has no web assets, so `tilt ci` refuses to start)
# and tests/kind/netpol (kube-router builds, the test has never run): `make test-kind-pending` runs them.
KIND_PENDING := tests/kind/tilt tests/kind/netpol
test: setup node-image operators ## install what the tests use, bring up the kind cluster, then run the whole suite (what CI runs)
	@started=0; $(PY) -m observatory.kind status >/dev/null 2>&1 || started=1; \
	down() { [ $$started = 0 ] || $(PY) -m observatory.kind down; }; trap 'down; exit 130' INT TERM; \
	$(PY) -m observatory.kind up && $(MAKE) --no-print-directory images operator-images \
	  && $(PY) -m pytest $(addprefix --ignore=,$(KIND_PENDING)); rc=$$?; \
	trap - INT TERM; down || rc=1; exit $$rc

test-kind-pending: python-packages ## the kind tests not in `make test` yet (on a running cluster: make cluster)
	$(PY) -m pytest $(KIND_PENDING)

test-fast: python-packages ## the pure-logic tests (no servers, no k6): the edit-test loop
	$(PY) -m pytest -q -k "not chromium" $(FAST_TESTS)

lint: python-packages ## ruff, as CI checks it
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# ---- set-up, by need --------------------------------------------------------------------------------------------

run-tools: run-python-packages k6 run-packages ## what `observatory run` needs: the venv, k6, Prometheus, nginx, taskset
	@$(VENV)/bin/observatory doctor

setup: run-tools python-packages test-packages helm checkov controlplane dashboard-validate tilt actionlint ## everything the tests use
	@$(VENV)/bin/observatory doctor

.PHONY: run-packages test-packages python-packages k6 helm checkov
run-packages: ## Prometheus (and promtool), nginx (k6's null target), taskset (Debian packages)
	@$(call apt_install,$(RUN_PACKAGES))

test-packages: ## Chromium (report test), PostgreSQL (hostile tests), podman, runc, debootstrap (images) (Debian packages)
	@$(call apt_install,$(TEST_PACKAGES))

# $(call apt_install,command:package ...): apt-get install the packages whose command (or file) is missing.
define apt_install
missing=""; \
for pair in $(1); do \
  tool=$${pair%%:*}; package=$${pair#*:}; \
  if [ "$${tool#/}" != "$$tool" ]; then [ -x "$$tool" ] || missing="$$missing $$package"; \
  else command -v "$$tool" >/dev/null || missing="$$missing $$package"; fi; \
done; \
if [ -n "$$missing" ]; then \
  echo "installing Debian packages:$$missing"; \
  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing \
    || { echo "setup: could not install$$missing with apt-get; install them and run make again" >&2; exit 1; }; \
fi
endef

.PHONY: run-python-packages
run-python-packages: $(VENV)/.installed-run ## the venv a local run needs (requirements-run.lock: no test tools)
python-packages: $(VENV)/.installed ## the whole venv: the run's packages and the tests' (requirements.lock)

# The packages from a lock, hashes checked (make lock regenerates the locks from the requirements files); then the
# project itself, editable, without resolving anything. The run lock is the harness lock's subset a run needs.
$(VENV)/.installed-run: pyproject.toml requirements-run.lock
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --require-hashes --no-deps -r requirements-run.lock
	$(VENV)/bin/pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed: $(VENV)/.installed-run requirements.lock
	$(VENV)/bin/pip install -q --require-hashes --no-deps -r requirements.lock
	touch $@

k6: $(GOBIN)/.k6-$(K6_VERSION) ## k6 (go install at its pin)
helm: $(GOBIN)/.helm-$(HELM_VERSION) ## helm (go install at its pin)

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

# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok built from source (tests/controlplane
# runs the charts on them); stamps keyed by the pins in tools/versions.mk make it a no-op until a pin changes.
.PHONY: controlplane
controlplane: ## a Kubernetes control plane built from source into .tools/bin (tests/controlplane)
	@tools/build-controlplane.sh

# Grafana's dashboard schema, as grafana-foundation-sdk's Go module decodes it strictly (version pinned in
# dashboards/validate/go.mod): tests/dashboards validates every generated dashboard with it.
.PHONY: dashboard-validate
dashboard-validate: $(GOBIN)/dashboard-validate ## the dashboard schema validator (go build)

$(GOBIN)/dashboard-validate: dashboards/validate/main.go dashboards/validate/go.mod dashboards/validate/go.sum
	cd dashboards/validate && GOBIN=$(GOBIN) nice -n 10 go build -o $@ .

.PHONY: tilt actionlint
tilt: $(GOBIN)/.tilt-$(TILT_VERSION) ## Tilt, built from its Go module source (tests/cluster evaluates the Tiltfile)

$(GOBIN)/.tilt-%: tools/build-tilt.sh
	tools/build-tilt.sh $* $(GOBIN)

actionlint: $(GOBIN)/.actionlint-$(ACTIONLINT_VERSION) ## actionlint, the GitHub Actions workflow checker (go install)

$(GOBIN)/.actionlint-%:
	GOBIN=$(GOBIN) nice -n 10 go install github.com/rhysd/actionlint/cmd/actionlint@$*
	rm -f $(GOBIN)/.actionlint-*
	touch $@

# ---- locks, images and the README's picture ----------------------------------------------------------------------

.PHONY: lock images readme-figure
lock: ## regenerate requirements.lock and services/*/requirements.lock from the requirements files (uv, hashes)
	@[ -x .tools/uv/bin/uv ] || { python3 -m venv .tools/uv && .tools/uv/bin/pip install -q uv==$(UV_VERSION); }
	@python3 tools/lock.py compile

images: run-tools test-packages helm ## build every image the charts use with podman (stand-ins where a registry is unreachable)
	@tools/build-images.sh

readme-figure: run-python-packages ## docs/images/headline.png from a run: RUN=results/<run-id> NOTE="the machine's condition"
	@[ -n "$(RUN)" ] || { echo "make readme-figure RUN=results/<run-id>: which run to draw" >&2; exit 2; }
	$(PY) tools/readme_figure.py $(RUN) docs/images --note "$(NOTE)"

# The kind cluster: make cluster, cluster-down, cluster-status, node-image.
include tools/cluster.mk
include tools/operators.mk
