"""Writes tests/vectors/botocore-unsigned.jsonl: requests that botocore signs
with `UNSIGNED-PAYLOAD` in place of the body's hash, as `sigv4-verify`
vectors.

- S3SigV4QueryAuth: S3's presigned URLs, whose canonical request always ends
  in `UNSIGNED-PAYLOAD` and whose query carries the signature (with
  botocore's canonical request and string to sign).
- S3SigV4Auth over https with payload signing turned off, and SigV4Auth over
  https with `payload_signing_enabled` false (service `para`): the
  `X-Amz-Content-SHA256: UNSIGNED-PAYLOAD` header, signed.

Each request also gives invalid vectors with one defect: a changed path
(`signature_mismatch`), and for presigned URLs the clock past the expiry
(`expired`). A header-signed request whose body changed after signing stays
valid: `UNSIGNED-PAYLOAD` says the signature does not cover it.

Run with the interop venv (tests/interop/run.sh makes it):
    target/interop/venv/bin/python tests/interop/unsigned_vectors.py [FILE]
"""

import datetime
import json
import sys
from types import SimpleNamespace
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from botocore_vectors import add_auth_keeping_stages, verify_vector

ACCESS_KEY = "app:unsigned"
SECRET_KEY = "Uns1gned/Payload+SecretKey0123456789abcdEFGH=="
HOST = "localhost:8080"
NOW = datetime.datetime(2024, 7, 8, 9, 10, 11, tzinfo=datetime.timezone.utc)
EXPIRES = 600

botocore.auth.get_current_datetime = lambda: NOW

# (method, target, extra headers, body): paths in canonical form, so S3's
# rule (decode, encode once) gives the path as sent.
REQUESTS = [
    ("GET", "/bucket/photos/2024/cat.jpg", {}, b""),
    ("GET", "/bucket/a%20b/caf%C3%A9.txt", {}, b""),
    ("GET", "/bucket/key?response-content-type=text%2Fplain&versionId=3", {}, b""),
    ("PUT", "/bucket/upload/report.csv", {"Content-Type": "text/csv"}, b"a,b\n1,2\n"),
    ("DELETE", "/bucket/old?x-id=DeleteObject", {"X-Amz-Meta-Reason": "tidy  up"}, b""),
    ("POST", "/v1/posts", {"Content-Type": "application/json"}, b'{"name":"hello"}'),
]


def headers_of(prepared):
    return [[name, str(value).strip(" \t")] for name, value in prepared.headers.items()]


def wire_target(url):
    sent = urlsplit(url)
    return sent.path + ("?" + sent.query if sent.query else "")


def vector(ident, source, service, options, method, target, headers, body, **rest):
    source = f"botocore {botocore.__version__} {source} (tests/interop/unsigned_vectors.py)"
    now = rest.pop("now", int(NOW.timestamp()))
    return verify_vector(ident, source, (ACCESS_KEY, SECRET_KEY), service, now, options,
                         method, target, headers, body, **rest)


def tampered(target):
    path, _, query = target.partition("?")
    return path + "x" + ("?" + query if query else "")


def presigned(index, method, target, headers, body):
    # The URL is signed without the body (botocore would read a body into the
    # query); whoever holds it then sends the body, which it does not cover.
    request = AWSRequest(method=method, url=f"http://{HOST}{target}", headers=headers)
    auth = S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1",
                            expires=EXPIRES)
    creq, sts = add_auth_keeping_stages(auth, request)
    assert creq.endswith("\nUNSIGNED-PAYLOAD"), creq
    prepared = request.prepare()
    wire, sent = wire_target(prepared.url), headers_of(prepared)
    ident = f"botocore-unsigned-presigned-{index}"
    args = ("S3SigV4QueryAuth", "s3", {"path": "single"}, method)
    return [
        vector(ident, *args, wire, sent, body, canonical_request=creq, string_to_sign=sts),
        vector(ident + "-changed-path", *args, tampered(wire), sent, body,
               expect="invalid:signature_mismatch"),
        vector(ident + "-expired", *args, wire, sent, body,
               now=int(NOW.timestamp()) + EXPIRES + 1, expect="invalid:expired"),
    ]


def header_signed(index, s3, method, target, headers, body):
    request = AWSRequest(method=method, url=f"https://{HOST}{target}", data=body or None,
                         headers=headers)
    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    if s3:
        auth = S3SigV4Auth(credentials, "s3", "us-east-1")
        config = SimpleNamespace(s3={"payload_signing_enabled": False})
        request.context["client_config"] = config
    else:
        auth = SigV4Auth(credentials, "para", "us-east-1")
        request.context["payload_signing_enabled"] = False
    creq, sts = add_auth_keeping_stages(auth, request)
    assert creq.endswith("\nUNSIGNED-PAYLOAD"), creq
    prepared = request.prepare()
    wire, sent = wire_target(prepared.url), headers_of(prepared)
    assert wire == target, (wire, target)
    kind = "s3" if s3 else "para"
    ident = f"botocore-unsigned-{kind}-{index}"
    args = ("S3SigV4Auth" if s3 else "SigV4Auth", "s3" if s3 else "para",
            {"path": "single"} if s3 else {}, method)
    stages = {"canonical_request": creq, "string_to_sign": sts}
    out = [
        vector(ident, *args, wire, sent, body, **stages),
        vector(ident + "-changed-path", *args, tampered(wire), sent, body,
               expect="invalid:signature_mismatch"),
    ]
    if method in ("PUT", "POST"):
        out.append(vector(ident + "-other-body", *args, wire, sent, body + b"!", **stages))
    return out


def main():
    out = []
    for index, (method, target, extra, body) in enumerate(REQUESTS):
        # The HTTP layer writes Host after signing; botocore signs it from the URL.
        headers = {"Host": HOST, **extra}
        out += presigned(index, method, target, headers, body)
        out += header_signed(index, True, method, target, headers, body)
        out += header_signed(index, False, method, target, headers, body)
    path_out = sys.argv[1] if len(sys.argv) > 1 else "tests/vectors/botocore-unsigned.jsonl"
    with open(path_out, "w", encoding="utf-8") as f:
        for v in out:
            f.write(json.dumps(v, ensure_ascii=False) + "\n")
    print(f"{len(out)} vectors")


if __name__ == "__main__":
    main()
