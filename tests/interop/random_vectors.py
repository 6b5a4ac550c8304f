"""Writes tests/vectors/botocore-random.jsonl: requests built at random (from a
fixed seed) and signed by botocore, as `sigv4-verify` vectors that carry
botocore's own canonical request and string to sign.

SigV4Auth signs with the generic AWS rules (dot segments and `//` removed,
the path encoded once more); S3SigV4Auth with S3's (the path as sent, which
for the canonical escapes used here is what decoding and encoding once
gives). The requests reach where hand-written vectors seldom go: tabs and
runs of spaces inside header values, sub-delimiters, `+` and escapes of
either case in paths, dot segments and `//` anywhere in a path, keys
without `=`, repeated keys, queries of many pairs, bodies. Queries are in canonical form, as
botocore's serializers write them: botocore signs a URL's query as it stands.

A request is kept only if the URL botocore signed is the URL it would send.

Run with the interop venv (tests/interop/run.sh makes it):
    target/interop/venv/bin/python tests/interop/random_vectors.py [FILE]
The seed is 20241204 (the committed file) unless SEED says otherwise;
tests/interop/run.sh uses a fresh one each run.
"""

import datetime
import hashlib
import json
import os
import random
import sys
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from botocore_vectors import add_auth_keeping_stages, verify_vector

ACCESS_KEY = "app:random"
SECRET_KEY = "rAnd0m/SecretKey+ForVectors0123456789abcdEFGH=="
HOST = "localhost:8080"
NOW = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
COUNT_AWS = 120
COUNT_S3 = 60
SEED = int(os.environ.get("SEED", "20241204"))

botocore.auth.get_current_datetime = lambda: NOW

WORDS = ["a", "b", "v1", "posts", "Caf", "x-y_z", "~t", "A.B", "0"]
PATH_CANONICAL = ["%20", "%2B", "%C3%A9", "%E2%82%AC"]
PATH_OTHER = ["%2f", "%41", "%c3%a9", "!", "'", "(", ")", "*", ":", "@", "$", ",", ";", "=", "+"]
# botocore signs a URL's query as it stands (its serializers write it in
# canonical form), so the queries here are in canonical form too.
QUERY_PIECES = WORDS + ["%20", "%2B", "%3D", "%26", "%2F", "%E2%82%AC", "%21", "%2A"]


def segment(rng, s3):
    roll = rng.random()
    if not s3 and roll < 0.12:
        return rng.choice([".", "..", ""])
    pool = WORDS + PATH_CANONICAL + ([] if s3 else PATH_OTHER)
    return "".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))


def path(rng, s3):
    segments = [segment(rng, s3) for _ in range(rng.randint(0, 5))]
    text = "/" + "/".join(segments)
    if rng.random() < 0.3 and not text.endswith("/"):
        text += "/"
    return text


def query(rng):
    pairs = []
    # One query in five is long: more pairs than a verifier may sort in place.
    count = rng.randint(0, 5) if rng.random() < 0.8 else rng.randint(13, 29)
    for _ in range(count):
        key = "".join(rng.choice(QUERY_PIECES) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.15 and pairs:
            key = pairs[-1].split("=")[0]  # a repeated key
        if rng.random() < 0.15:
            pairs.append(key)  # a key with no `=`
        else:
            value = "".join(rng.choice(QUERY_PIECES) for _ in range(rng.randint(0, 3)))
            pairs.append(f"{key}={value}")
    return "&".join(pairs)


def header_value(rng):
    words = ["alpha", "b", "c,d", "e;f", "1", "=", "\"q\""]
    gaps = [" ", "  ", "\t", " \t ", "   "]
    parts = [rng.choice(words) for _ in range(rng.randint(1, 4))]
    text = parts[0]
    for part in parts[1:]:
        text += rng.choice(gaps) + part
    return text


def headers(rng):
    out = {"Host": HOST}
    for i in range(rng.randint(0, 6)):
        name = rng.choice(["X-Tag", "x-meta-color", "X-AMZ-Meta-Size", "Content-Type",
                           "x-custom-" + str(i), "Accept"])
        out[name] = header_value(rng)
    return out


def one(rng, index, s3):
    method = rng.choice(["GET", "GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"])
    target = path(rng, s3)
    text = query(rng)
    if text:
        target += "?" + text
    body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 0, 5, 40])))
    request = AWSRequest(method=method, url=f"http://{HOST}{target}", data=body or None,
                         headers=headers(rng))
    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    service = "s3" if s3 else "para"
    auth = (S3SigV4Auth if s3 else SigV4Auth)(credentials, service, "us-east-1")
    canonical_request, string_to_sign = add_auth_keeping_stages(auth, request)

    prepared = request.prepare()
    sent = urlsplit(prepared.url)
    wire = sent.path + ("?" + sent.query if sent.query else "")
    if wire != target:
        return None  # botocore would send another URL than the one it signed
    sent_headers = [[name, str(value).strip(" \t")] for name, value in prepared.headers.items()]
    options = {"path": "single"} if s3 else {"normalize": True}
    return verify_vector(
        f"botocore-random-{'s3' if s3 else 'aws'}-{index:03}",
        f"botocore {botocore.__version__} {'S3SigV4Auth' if s3 else 'SigV4Auth'}, "
        f"random request (tests/interop/random_vectors.py, seed {SEED})",
        (ACCESS_KEY, SECRET_KEY), service, int(NOW.timestamp()), options,
        method, wire, sent_headers, body,
        canonical_request=canonical_request, string_to_sign=string_to_sign)


def main():
    rng = random.Random(SEED)
    out, dropped = [], 0
    for s3, count in [(False, COUNT_AWS), (True, COUNT_S3)]:
        index = 0
        while index < count:
            vector = one(rng, index, s3)
            if vector is None:
                dropped += 1
                continue
            out.append(vector)
            index += 1
    path_out = sys.argv[1] if len(sys.argv) > 1 else "tests/vectors/botocore-random.jsonl"
    with open(path_out, "w", encoding="utf-8") as f:
        for vector in out:
            f.write(json.dumps(vector, ensure_ascii=False) + "\n")
    digest = hashlib.sha256(open(path_out, "rb").read()).hexdigest()[:16]
    print(f"{len(out)} vectors, {dropped} requests dropped, sha256 {digest}")


if __name__ == "__main__":
    main()
