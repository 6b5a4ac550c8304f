"""What the botocore vector generators share: signing with botocore while
keeping the canonical request and string to sign it built, and writing a
`sigv4-verify` vector."""

import base64


def add_auth_keeping_stages(auth, request):
    """Sign `request` with `auth`; return botocore's canonical request and
    string to sign. They are kept as add_auth builds them: built again
    afterwards, the canonical request would take in the Authorization header
    just added."""
    seen = {}
    canonical, to_sign = auth.canonical_request, auth.string_to_sign
    auth.canonical_request = lambda r: seen.setdefault("creq", canonical(r))
    auth.string_to_sign = lambda r, c: seen.setdefault("sts", to_sign(r, c))
    auth.add_auth(request)
    return seen["creq"], seen["sts"]


def verify_vector(ident, source, credentials, service, now, options, method, target, headers,
                  body, **rest):
    """A `sigv4-verify` vector; `rest` adds fields or replaces them (`expect`
    is `valid` unless it says otherwise)."""
    vector = {
        "kind": "sigv4-verify",
        "id": ident,
        "source": source,
        "credentials": {"access_key": credentials[0], "secret_key": credentials[1]},
        "region": "us-east-1",
        "service": service,
        "now": now,
        "options": options,
        "request": {
            "method": method,
            "target": target,
            "headers": headers,
            "body_b64": base64.b64encode(body).decode(),
        },
    }
    vector.update(rest)
    vector.setdefault("expect", "valid")
    return vector
