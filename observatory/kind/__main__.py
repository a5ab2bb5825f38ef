"""`python -m observatory.kind up|down|status|node-image` (what `make cluster`, `make cluster-down` and `make node-image` run)."""

from __future__ import annotations

import argparse
import signal
import sys

from observatory.errors import ObservatoryError

DESCRIPTION = """\
The project's kind cluster (kind-config.yaml: 1 control plane, 2 workers).

  up          create it, or do nothing if it is up and healthy. Where a registry answers and docker runs, this
              is plain `kind create cluster --config kind-config.yaml`; where no registry answers, the node
              image is built from the pins in tools/versions.mk (cached in .tools, rebuilt when a pin changes)
              and, if no docker engine runs, Debian's dockerd is started with the runtime wrapper (.tools/docker).
              The host sysctls privileged nodes change are recorded first.
  down        delete it, stop our dockerd, remove its docker0 bridge and netns, restore the host sysctls.
  status      say whether it is up and healthy, and how to reach it (exit 1 if it is not up).
  node-image  build the node image only (kindest/node:KUBERNETES_VERSION-local).

A failure or Ctrl-C during `up` leaves nothing behind: no container, network or dockerd of ours, and the
host sysctls as they were.
"""


def main(argv: list[str] | None = None) -> int:
    """Parse, run one command, print one line on an error a user can fix."""
    parser = argparse.ArgumentParser(
        prog="python -m observatory.kind", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "down", "status", "node-image"])
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # a killed `make cluster` cleans up as Ctrl-C does
    # Ctrl-C cleans up even where SIGINT was inherited ignored (a script's background job, some CI runners)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from observatory.kind import lifecycle, status  # heavy imports after --help
    from observatory.kind.cluster import CommandFailed

    try:
        if args.command == "up":
            lifecycle.up()
        elif args.command == "down":
            lifecycle.down()
        elif args.command == "node-image":
            lifecycle.node_image_only()
        else:
            return status.show()
    except ObservatoryError as error:
        print(str(error), file=sys.stderr)
        return 1
    except CommandFailed as failed:
        print(f"cluster: {str(failed).splitlines()[-1] if str(failed) else failed}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cluster: interrupted; everything this run started was removed", file=sys.stderr)
        return 130
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
