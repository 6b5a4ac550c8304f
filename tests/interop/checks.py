"""Scenario bookkeeping shared by the Python interop scripts.

Each scenario prints one line, `PASS name` or `FAIL name: why`; run.sh counts
them. A scenario fails on its first unmet expectation, or on any exception.
"""

import json
import os
import sys
import traceback

ENDPOINT = os.environ["PARA_ENDPOINT"]
ACCESS_KEY = os.environ["PARA_ACCESS_KEY"]
SECRET_KEY = os.environ["PARA_SECRET_KEY"]

# The secret with one character changed: a key the server must not accept.
WRONG_SECRET = SECRET_KEY[:10] + ("B" if SECRET_KEY[10] == "A" else "A") + SECRET_KEY[11:]

failed = 0


def scenario(fn):
    """Run `fn` now as one scenario, named after its docstring."""
    global failed
    name = (fn.__doc__ or fn.__name__).strip().splitlines()[0]
    try:
        fn()
        print(f"PASS {name}", flush=True)
    except Exception as e:  # an unexpected answer or a client crash: both fail
        failed += 1
        detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc(limit=3)
        print(f"FAIL {name}: {detail}", flush=True)
    return fn


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def expect_answer(response, status, **fields):
    """The response has `status` and, when JSON, these top-level field values."""
    body = response.text
    expect(response.status_code == status,
           f"{response.request.method} {response.url}: status {response.status_code}, "
           f"wanted {status}; body {body[:200]!r}")
    data = json.loads(body) if body else None
    if fields:
        expect(isinstance(data, dict), f"body is not a JSON object: {body[:200]!r}")
    for key, wanted in fields.items():
        expect(data.get(key) == wanted, f"{key} = {data.get(key)!r}, wanted {wanted!r} in {data}")
    return data


def finish():
    sys.exit(1 if failed else 0)
