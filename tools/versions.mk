# The pinned versions of the tools the setup installs: the one source for the Makefile and `observatory doctor`.
K6_VERSION := v1.8.1
HELM_VERSION := v3.22.0
CHECKOV_VERSION := 3.3.30
# uv compiles the dependency locks (make lock); pip installs from them with --require-hashes.
UV_VERSION := 0.13.8
# Tilt (built from its Go module source by tools/build-tilt.sh; tests/cluster evaluates the Tiltfile with it) and
# actionlint (checks .github/workflows).
TILT_VERSION := v0.34.0
ACTIONLINT_VERSION := v1.7.12
