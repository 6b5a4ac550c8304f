"""botocore's own SigV4 signers (SigV4Auth, and SigV4QueryAuth for presigned URLs) against
the example server.

The requests are signed exactly as botocore signs for an AWS service (service
`para`, region `us-east-1`) and sent with `requests`. Query strings are put in
the URL already percent-encoded (`%20` for a space), which is how botocore's
serializers build them; see the NOTE at the end for the `params=` route.
"""

import json
import uuid
from urllib.parse import quote

import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from checks import ACCESS_KEY, ENDPOINT, SECRET_KEY, WRONG_SECRET, expect, expect_answer, finish, scenario

CREDENTIALS = Credentials(ACCESS_KEY, SECRET_KEY)


def signed(method, target, body=None, headers=None, params=None):
    """A prepared request for ENDPOINT + target, signed by botocore."""
    raw = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    all_headers = dict(headers or {})
    if raw is not None:
        all_headers.setdefault("Content-Type", "application/json")
    request = AWSRequest(method=method, url=ENDPOINT + target, data=raw,
                         headers=all_headers, params=params)
    SigV4Auth(CREDENTIALS, "para", "us-east-1").add_auth(request)
    return request.prepare()


def send(prepared):
    return requests.request(prepared.method, prepared.url, headers=dict(prepared.headers.items()),
                            data=prepared.body, timeout=10)


def q(text):
    """Percent-encode as SigV4 wants it: every byte but A-Z a-z 0-9 - _ . ~"""
    return quote(text, safe="-_.~")


def create(kind_target, fields):
    answer = send(signed("POST", f"/v1/{kind_target}", fields))
    return expect_answer(answer, 200)


@scenario
def me():
    """botocore: GET /v1/_me answers the app"""
    answer = send(signed("GET", "/v1/_me"))
    expect_answer(answer, 200, type="app", id=ACCESS_KEY, appid=ACCESS_KEY)


@scenario
def post_with_unicode_body():
    """botocore: POST with a JSON body holding unicode, Content-Type signed"""
    prepared = signed("POST", "/v1/botonotes", {"text": "naïve café ☕", "n": 1})
    expect("content-type" in prepared.headers["Authorization"], "content-type was not signed")
    data = expect_answer(send(prepared), 200, type="botonotes", text="naïve café ☕", n=1,
                         appid=ACCESS_KEY)
    expect(data["id"], "no id in the answer")


@scenario
def get_with_awkward_query():
    """botocore: GET with spaces, repeated keys, unicode and an empty value in the query"""
    note = create("botonotes", {"text": "query"})
    query = f"q={q('hello world')}&tag=b&tag=a&name={q('€uro ünï')}&empty=&x={q('a+b=c&d')}"
    answer = send(signed("GET", f"/v1/botonotes/{note['id']}?{query}"))
    expect_answer(answer, 200, id=note["id"], text="query")


@scenario
def put_replaces():
    """botocore: PUT with a body and a query string replaces the object"""
    note = create("botonotes", {"text": "before", "old": True})
    answer = send(signed("PUT", f"/v1/botonotes/{note['id']}?mode={q('replace all')}",
                         {"text": "after ✓"}))
    data = expect_answer(answer, 200, id=note["id"], text="after ✓")
    expect("old" not in data, f"PUT kept a field it should have dropped: {data}")
    read = send(signed("GET", f"/v1/botonotes/{note['id']}"))
    expect_answer(read, 200, text="after ✓")


@scenario
def patch_merges():
    """botocore: PATCH merges fields"""
    note = create("botonotes", {"text": "kept", "count": 1})
    answer = send(signed("PATCH", f"/v1/botonotes/{note['id']}", {"count": 2}))
    expect_answer(answer, 200, text="kept", count=2)


@scenario
def delete_with_query():
    """botocore: DELETE with a query string removes the object"""
    note = create("botonotes", {"text": "doomed"})
    target = f"/v1/botonotes/{note['id']}?reason={q('no longer needed')}&by={q('zoë')}"
    expect_answer(send(signed("DELETE", target)), 200)
    expect_answer(send(signed("GET", f"/v1/botonotes/{note['id']}")), 404, code=404)


@scenario
def list_with_query():
    """botocore: GET a list with a query string"""
    kind = f"botolist{uuid.uuid4().hex[:8]}"
    note = create(kind, {"text": "listed"})
    answer = send(signed("GET", f"/v1/{kind}?limit=5&sort={q('timestamp desc')}"))
    data = expect_answer(answer, 200, totalHits=1)
    expect([i["id"] for i in data["items"]] == [note["id"]], f"items: {data['items']}")


@scenario
def encoded_path():
    """botocore: a type with a space and unicode in the path (/v1/caf%C3%A9%20notes)"""
    data = create(q("café notes"), {"text": "path"})
    expect(data["type"] == "café notes", f"type {data['type']!r}")
    read = send(signed("GET", f"/v1/{q('café notes')}/{data['id']}"))
    expect_answer(read, 200, type="café notes", text="path")


@scenario
def params_route():
    """botocore: query given as params= (repeated keys, unicode, no spaces)"""
    note = create("botonotes", {"text": "params"})
    params = [("tag", "b"), ("tag", "a"), ("name", "€ü")]
    answer = send(signed("GET", f"/v1/botonotes/{note['id']}", params=params))
    expect("tag=b&tag=a" in answer.url, f"sent {answer.url}")
    expect_answer(answer, 200, id=note["id"])


@scenario
def tampered_query():
    """botocore: a query value changed after signing is refused with 401"""
    prepared = signed("GET", "/v1/botonotes?limit=5")
    prepared.url = prepared.url.replace("limit=5", "limit=500")
    expect_answer(send(prepared), 401, code=401)


@scenario
def tampered_repeated_key():
    """botocore: the second value of a repeated key changed after signing is refused with 401"""
    prepared = signed("GET", "/v1/botonotes?tag=a&tag=b")
    prepared.url = prepared.url.replace("tag=b", "tag=z")
    expect_answer(send(prepared), 401, code=401)


@scenario
def tampered_body():
    """botocore: a body changed after signing is refused with 401, and nothing is created"""
    prepared = signed("POST", "/v1/tampered", {"text": "signed"})
    prepared.body = json.dumps({"text": "swapped"}).encode()
    expect_answer(send(prepared), 401, code=401)
    listing = send(signed("GET", "/v1/tampered"))
    expect_answer(listing, 200, totalHits=0)


@scenario
def tampered_signed_header():
    """botocore: a signed header changed after signing is refused with 401"""
    prepared = signed("POST", "/v1/botonotes", {"text": "x"})
    prepared.headers["Content-Type"] = "application/json; charset=utf-8"
    expect_answer(send(prepared), 401, code=401)


@scenario
def tampered_path():
    """botocore: a path changed after signing is refused with 401"""
    prepared = signed("DELETE", "/v1/botonotes/1")
    prepared.url = prepared.url.replace("/botonotes/1", "/botonotes/2")
    expect_answer(send(prepared), 401, code=401)


@scenario
def wrong_secret():
    """botocore: the right key with a wrong secret is refused with 401"""
    request = AWSRequest(method="GET", url=ENDPOINT + "/v1/_me")
    SigV4Auth(Credentials(ACCESS_KEY, WRONG_SECRET), "para", "us-east-1").add_auth(request)
    expect_answer(send(request.prepare()), 401, code=401)


def presigned(target, expires=300):
    """ENDPOINT + target presigned by botocore's SigV4QueryAuth, as a URL."""
    request = AWSRequest(method="GET", url=ENDPOINT + target)
    SigV4QueryAuth(CREDENTIALS, "para", "us-east-1", expires=expires).add_auth(request)
    return request.prepare().url


@scenario
def presigned_get():
    """botocore: a URL presigned by SigV4QueryAuth, with a query of its own, answers the app"""
    url = presigned("/v1/_me?extra=a%20b&tag=b&tag=a")
    expect("X-Amz-Signature=" in url, f"not presigned: {url}")
    expect_answer(requests.get(url, timeout=10), 200, type="app", id=ACCESS_KEY)


@scenario
def presigned_tampered():
    """botocore: a presigned URL whose own query was changed is refused with 401"""
    url = presigned("/v1/_me?limit=5").replace("limit=5", "limit=6")
    expect_answer(requests.get(url, timeout=10), 401, code=401)


@scenario
def presigned_longer_expiry():
    """botocore: a presigned URL whose X-Amz-Expires was raised is refused with 401"""
    url = presigned("/v1/_me", expires=60)
    expect("X-Amz-Expires=60&" in url, f"no expiry in {url}")
    url = url.replace("X-Amz-Expires=60&", "X-Amz-Expires=600&")
    expect_answer(requests.get(url, timeout=10), 401, code=401)


def note_params_with_spaces():
    """Not a scenario: report what the params= route does with a space.

    botocore signs params as `q=a%20b` but `AWSRequest.prepare()` sends them
    with urlencode (`q=a+b`); a `+` on the wire is a literal `+` to para-auth.
    """
    prepared = signed("GET", "/v1/botonotes", params={"q": "a b"})
    answer = send(prepared)
    print(f"NOTE botocore params= with a space sends {prepared.url.split('?')[1]!r}: "
          f"server answered {answer.status_code}", flush=True)


note_params_with_spaces()
finish()
