"""The project's kind cluster: brought up from kind-config.yaml, built from pinned sources where no registry answers."""
