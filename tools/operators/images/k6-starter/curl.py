#!/usr/bin/env python3
"""The part of curl k6-operator's starter uses: curl [--retry N] [-X METHOD] [-H 'K: V']... URL [-d DATA].

Exits 0 on a 2xx answer, 22 otherwise (as `curl --fail` would), 7 when it cannot connect after its retries.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request


def main(argv: list[str]) -> int:
    retries, method, headers, data, url = 0, "GET", {}, None, None
    args = iter(argv)
    for arg in args:
        if arg == "--retry":
            retries = int(next(args))
        elif arg == "-X":
            method = next(args)
        elif arg == "-H":
            key, _, value = next(args).partition(":")
            headers[key.strip()] = value.strip()
        elif arg in ("-d", "--data"):
            data = next(args).encode()
        elif arg.startswith("-"):
            print(f"curl (k6-operator starter stand-in): unsupported option {arg}", file=sys.stderr)
            return 2
        else:
            url = arg
    if url is None:
        print("curl (k6-operator starter stand-in): no URL", file=sys.stderr)
        return 2
    for attempt in range(retries + 1):
        try:
            request = urllib.request.Request(url, data=data, method=method, headers=headers)
            with urllib.request.urlopen(request, timeout=30) as response:
                sys.stdout.write(response.read().decode(errors="replace"))
                return 0
        except urllib.error.HTTPError as error:
            print(f"curl: {url}: HTTP {error.code}: {error.read().decode(errors='replace')}", file=sys.stderr)
            return 22
        except OSError as error:
            print(f"curl: {url}: {error} (attempt {attempt + 1} of {retries + 1})", file=sys.stderr)
            time.sleep(1 + attempt)
    return 7


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
