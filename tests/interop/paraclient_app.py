"""Para's own Python client (`paraclient`, signing through aws-requests-auth)
against the example server: the app, a guest, a user, permissions, tokens, keys.

Key rotation runs last: it kills the secret the other scripts use.
"""

import base64
import json
import uuid

import requests
from paraclient import ParaClient, ParaObject

from checks import ACCESS_KEY, ENDPOINT, SECRET_KEY, expect, expect_answer, finish, scenario


class Client(ParaClient):
    """ParaClient, plus `Content-Type: application/json` on requests with a body.

    The stock client sends JSON bodies with no Content-Type. Para reads the raw
    body and accepts that; the example server's axum `Json` extractor answers
    415. The NOTE printed at the end tells whether that is still so.
    """

    def invokeSignedRequest(self, httpMethod, endpointURL, reqPath, headers=None, params=None,
                            jsonEntity=None):
        headers = dict(headers or {})
        if jsonEntity is not None:
            headers.setdefault("Content-Type", "application/json")
        return super().invokeSignedRequest(httpMethod, endpointURL, reqPath, headers, params,
                                           jsonEntity)


def client(secret=SECRET_KEY):
    c = Client(ACCESS_KEY, secret)
    c.setEndpoint(ENDPOINT)
    return c


def new_object(kind, **fields):
    obj = ParaObject(type_=kind)
    for key, value in fields.items():
        obj[key] = value
    return obj


def sign_in(email=None, name="Ann", password="correct horse"):
    """A fresh user signed in through the client: (client, user)."""
    email = email or f"{uuid.uuid4().hex[:10]}@example.com"
    user_client = client(secret=None)
    user = user_client.signIn("password", f"{email}:{name}:{password}")
    expect(user is not None, f"sign-in of {email} failed")
    return user_client, user


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


app = client()


@scenario
def app_me():
    """paraclient: me() answers the app"""
    me = app.me()
    expect(me is not None, "me() returned None")
    expect(me["type"] == "app" and me["id"] == ACCESS_KEY, f"me() = {me}")


@scenario
def app_crud():
    """paraclient: the app creates, reads, updates, lists and deletes"""
    kind = f"crud{uuid.uuid4().hex[:6]}"
    created = app.create(new_object(kind, text="first", tags=["a", "b"]))
    expect(created is not None and created["id"], f"create() = {created}")
    expect(created["type"] == kind and created["appid"] == ACCESS_KEY, f"create() = {created}")
    expect(created["text"] == "first" and created["tags"] == ["a", "b"], f"create() = {created}")

    read = app.read(kind, created["id"])
    expect(read is not None and read["text"] == "first", f"read() = {read}")

    read["text"] = "second"
    updated = app.update(read)
    expect(updated is not None and updated["text"] == "second", f"update() = {updated}")
    expect(app.read(kind, created["id"])["text"] == "second", "update() did not stick")

    listed = app.list(kind)
    expect([o["id"] for o in listed] == [created["id"]], f"list() = {listed}")

    app.delete(read)
    gone = app.invokeGet(f"{kind}/{created['id']}")
    expect_answer(gone, 404, code=404)
    expect(app.list(kind) == [], "list() after delete() is not empty")


@scenario
def guest_query_parameter():
    """guest (?accessKey=): reads `public`, refused (403) on `notes` and on POST"""
    note = app.create(new_object("public", text="for everyone"))
    expect(note is not None, "the app could not create a public object")
    key = {"accessKey": ACCESS_KEY}

    listing = requests.get(f"{ENDPOINT}/v1/public", params=key, timeout=10)
    data = expect_answer(listing, 200)
    expect(note["id"] in [o["id"] for o in data["items"]], f"public list: {data}")
    one = requests.get(f"{ENDPOINT}/v1/public/{note['id']}", params=key, timeout=10)
    expect_answer(one, 200, id=note["id"], text="for everyone")

    other = requests.get(f"{ENDPOINT}/v1/notes", params=key, timeout=10)
    expect_answer(other, 403, code=403)
    write = requests.post(f"{ENDPOINT}/v1/public", params=key, json={"text": "x"}, timeout=10)
    expect_answer(write, 403, code=403)


@scenario
def guest_anonymous_client():
    """guest (paraclient without a secret: Authorization: Anonymous): reads `public`, refused on `notes`"""
    note = app.create(new_object("public", text="anonymous read"))
    guest = client(secret=None)
    read = guest.read("public", note["id"])
    expect(read is not None and read["text"] == "anonymous read", f"read() = {read}")
    refused = guest.invokeGet("notes")
    expect(refused.request.headers.get("Authorization") == f"Anonymous {ACCESS_KEY}",
           f"the client sent {refused.request.headers.get('Authorization')!r}")
    expect_answer(refused, 403, code=403)


@scenario
def user_sign_in():
    """user: password sign-in through the client answers the user and a token"""
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    user_client, user = sign_in(email, name="Zoë")
    expect(user["type"] == "user" and user["appid"] == ACCESS_KEY, f"user = {user}")
    expect(user["identifier"] == email and user["email"] == email, f"user = {user}")
    expect(user["name"] == "Zoë" and user["id"], f"user = {user}")
    token = user_client.getAccessToken()
    expect(token and token.count(".") == 2, f"token = {token!r}")

    wrong = client(secret=None).invokePost("/jwt_auth", json.dumps(
        {"appid": ACCESS_KEY, "provider": "password", "token": f"{email}:Zoë:wrong password"}))
    expect_answer(wrong, 401, code=401)


@scenario
def user_within_permissions():
    """user: may POST and GET `notes` (its own creator id); refused (403) on `posts`"""
    user_client, user = sign_in()
    note = user_client.create(new_object("notes", text="mine"))
    expect(note is not None, "create() of a note returned None")
    expect(note["creatorid"] == user["id"], f"note = {note}")
    read = user_client.read("notes", note["id"])
    expect(read is not None and read["text"] == "mine", f"read() = {read}")
    expect(note["id"] in [o["id"] for o in user_client.list("notes")], "list() misses the note")

    expect_answer(user_client.invokeGet("posts"), 403, code=403)
    post = user_client.invokePost("posts", json.dumps({"text": "no"}))
    expect_answer(post, 403, code=403)
    delete = user_client.invokeDelete(f"notes/{note['id']}")
    expect_answer(delete, 403, code=403)


@scenario
def grant_and_revoke():
    """permissions: a grant through the client lets the user POST `posts`; revoking refuses it again"""
    user_client, user = sign_in()
    before = user_client.invokePost("posts", json.dumps({"text": "early"}))
    expect_answer(before, 403, code=403)

    granted = app.grantResourcePermission(user["id"], "posts", ["GET", "POST"])
    expect(granted is not None, "grantResourcePermission() returned None")
    mine = granted.get(user["id"], granted)  # Para answers the subject's map alone
    expect(sorted(mine.get("posts", [])) == ["GET", "POST"], f"grant answered {granted}")
    listed = app.resourcePermissions(user["id"])
    expect(sorted(listed.get("posts", [])) == ["GET", "POST"], f"permissions = {listed}")

    post = user_client.create(new_object("posts", text="allowed now"))
    expect(post is not None and post["creatorid"] == user["id"], f"create() = {post}")
    expect_answer(user_client.invokeDelete(f"posts/{post['id']}"), 403, code=403)

    app.revokeResourcePermission(user["id"], "posts")
    left = app.resourcePermissions(user["id"])
    expect("posts" not in left, f"permissions after revoking = {left}")
    after = user_client.invokePost("posts", json.dumps({"text": "late"}))
    expect_answer(after, 403, code=403)


@scenario
def refresh_token():
    """tokens: GET /jwt_auth through the client refreshes; the old token is then refused (401)"""
    user_client, user = sign_in()
    old = user_client.getAccessToken()
    answer = user_client.invokeGet(user_client.JWT_PATH)
    data = expect_answer(answer, 200)
    new = data["jwt"]["access_token"]
    expect(new != old and data["user"]["id"] == user["id"], f"refresh answered {data}")
    expect(data["jwt"]["expires"] > data["jwt"]["refresh"], f"refresh answered {data['jwt']}")

    stale = requests.get(f"{ENDPOINT}/v1/notes", headers=bearer(old), timeout=10)
    expect_answer(stale, 401, code=401)
    fresh = requests.get(f"{ENDPOINT}/v1/notes", headers=bearer(new), timeout=10)
    expect_answer(fresh, 200)


@scenario
def revoke_all_tokens():
    """tokens: revokeAllTokens() through the client; the old token is then refused (401)"""
    user_client, _ = sign_in()
    token = user_client.getAccessToken()
    expect_answer(requests.get(f"{ENDPOINT}/v1/notes", headers=bearer(token), timeout=10), 200)
    expect(user_client.revokeAllTokens() is True, "revokeAllTokens() did not succeed")
    refused = requests.get(f"{ENDPOINT}/v1/notes", headers=bearer(token), timeout=10)
    expect_answer(refused, 401, code=401)
    again = requests.get(f"{ENDPOINT}/jwt_auth", headers=bearer(token), timeout=10)
    expect_answer(again, 401, code=401)


@scenario
def new_keys():
    """keys: newKeys() through the client; the new secret works, the old one (and old user tokens) get 401"""
    user_client, _ = sign_in()
    user_token = user_client.getAccessToken()
    old = client()
    expect_answer(old.invokeGet("_me"), 200, type="app")

    rotating = client()
    keys = rotating.newKeys()
    expect(keys is not None and keys["accessKey"] == ACCESS_KEY, f"newKeys() = {keys}")
    secret = keys["secretKey"]
    expect(len(secret) == 56 and secret.endswith("==") and secret != SECRET_KEY, f"secret {secret!r}")
    base64.b64decode(secret, validate=True)

    me = rotating.me()
    expect(me is not None and me["type"] == "app", f"me() with the new secret = {me}")
    expect_answer(client(secret).invokeGet("_me"), 200, type="app", id=ACCESS_KEY)
    expect_answer(old.invokeGet("_me"), 401, code=401)
    stale = requests.get(f"{ENDPOINT}/v1/notes", headers=bearer(user_token), timeout=10)
    expect_answer(stale, 401, code=401)


def note_stock_client():
    """Not a scenario: does the stock client's body (no Content-Type) get through?"""
    stock = ParaClient(ACCESS_KEY, None)
    stock.setEndpoint(ENDPOINT)
    answer = stock.invokePost("/jwt_auth", json.dumps(
        {"appid": ACCESS_KEY, "provider": "password", "token": "stock@example.com::password1"}))
    print(f"NOTE stock paraclient body without Content-Type: server answered "
          f"{answer.status_code} (Para reads the body whatever its type)", flush=True)


def note_user_me():
    """Not a scenario: Para lets any signed-in user GET /v1/_me; does this server?"""
    user_client, _ = sign_in()
    answer = user_client.invokeGet("_me")
    print(f"NOTE user GET /v1/_me: server answered {answer.status_code} "
          f"(Para answers 200 with the user)", flush=True)


note_stock_client()
note_user_me()
finish()
