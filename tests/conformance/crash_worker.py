"""A worker process that really dies (SIGABRT) when its batch holds a poisoned case.

Used by ``test_property_batch`` to check that a batch whose worker dies fails only the
plan that kills it: this is a real process crash through ``lrbridge.interp.call_worker``,
not a framework mock. Each case is ``{"lr": [[...]], "poison": bool}``; a healthy batch
answers the lrs as given. Every attempt is appended to ``log`` (one line per case).
"""

import json
import os
import sys


def main() -> None:
    request = json.loads(sys.stdin.read())
    with open(request["log"], "a") as log:
        for case in request["batch"]:
            log.write(case["name"] + "\n")
    if any(case["poison"] for case in request["batch"]):
        sys.stderr.write("fatal: poisoned plan in this batch, aborting\n")
        sys.stderr.flush()
        os.abort()
    sys.stdout.write(json.dumps({"ok": True, "result": [case["lr"] for case in request["batch"]]}) + "\n")


if __name__ == "__main__":
    main()
