# The operators the kind cluster's monitoring and distributed load run (included by the Makefile): prometheus-operator
# and its config reloader at the version kube-prometheus-stack ships, k6-operator; built from their Go module source
# (no registry needed), images with docker on the stand-in base. tests/kind installs them (tests/kind/operators.py).
.PHONY: operators operator-images

operators: ## prometheus-operator, prometheus-config-reloader and k6-operator from source into .tools/operators (about 8 min cold)
	@tools/build-operators.sh

operator-images: ## their images, and Debian's Prometheus in an image, with docker (after make images)
	@tools/build-operators.sh --images
