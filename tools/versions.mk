# The pinned versions of the tools the setup installs: the one source for the Makefile and `observatory doctor`.
K6_VERSION := v1.8.1
HELM_VERSION := v3.22.0
CHECKOV_VERSION := 3.3.30
