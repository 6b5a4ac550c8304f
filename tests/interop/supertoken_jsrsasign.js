// Super tokens made with `jsrsasign` (HS256/HS512 JWTs with `appid` and no
// `sub`, keyed with the app secret as UTF-8 text) used as `Authorization: Bearer`.
'use strict'
const { KJUR } = require('jsrsasign')
const { accessKey, secretKey, wrongSecret, expect, send, expectAnswer, scenario, finish } = require('./checks')

// A super token; `claims` override or extend {appid, iat, nbf, exp}.
function superToken ({ alg = 'HS256', secret = secretKey, claims = {} } = {}) {
  const now = Math.floor(Date.now() / 1000)
  const payload = { appid: accessKey, iat: now, nbf: now, exp: now + 600, ...claims }
  return KJUR.jws.JWS.sign(alg, { alg, typ: 'JWT' }, payload, { utf8: secret })
}

function bearer (token, method = 'GET', path = '/v1/_me', body) {
  const headers = { Authorization: `Bearer ${token}` }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  return send({ method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) })
}

async function main () {
  await scenario('super token (jsrsasign HS256): GET /v1/_me answers the app', async () => {
    expectAnswer(await bearer(superToken()), 200, { type: 'app', id: accessKey, appid: accessKey })
  })

  await scenario('super token: POST and GET a type no permission names', async () => {
    const created = await bearer(superToken(), 'POST', '/v1/secrets', { text: 'app only' })
    const data = expectAnswer(created, 200, { type: 'secrets', appid: accessKey, text: 'app only' })
    expect(!('creatorid' in data), `a super token created as a user: ${JSON.stringify(data)}`)
    const read = await bearer(superToken(), 'GET', `/v1/secrets/${data.id}`)
    expectAnswer(read, 200, { id: data.id, text: 'app only' })
  })

  await scenario('super token: reads the app permissions', async () => {
    const answer = await bearer(superToken(), 'GET', '/v1/_permissions')
    const map = expectAnswer(answer, 200)
    expect(JSON.stringify(map['*'].public.sort()) === JSON.stringify(['?', 'GET']),
      `permissions ${answer.text}`)
  })

  await scenario('super token (jsrsasign HS384) is accepted', async () => {
    expectAnswer(await bearer(superToken({ alg: 'HS384' })), 200, { type: 'app' })
  })

  // RFC 7518 3.2: an HS512 key must have at least 64 bytes; the app secret has
  // 56, so no super token can be HS512 (Para's nimbus-jose refuses it too).
  await scenario('super token (jsrsasign HS512) keyed with the 56-byte secret is refused with 401', async () => {
    expectAnswer(await bearer(superToken({ alg: 'HS512' })), 401, { code: 401 })
  })

  await scenario('super token signed with another secret is refused with 401', async () => {
    const forged = superToken({ secret: wrongSecret })
    expectAnswer(await bearer(forged), 401, { code: 401 })
  })

  await scenario('super token expired a minute ago is refused with 401', async () => {
    const now = Math.floor(Date.now() / 1000)
    const stale = superToken({ claims: { iat: now - 700, nbf: now - 700, exp: now - 60 } })
    expectAnswer(await bearer(stale), 401, { code: 401 })
  })

  await scenario('super token not valid for another ten minutes is refused with 401', async () => {
    const now = Math.floor(Date.now() / 1000)
    const early = superToken({ claims: { nbf: now + 600, exp: now + 1200 } })
    expectAnswer(await bearer(early), 401, { code: 401 })
  })

  await scenario('super token naming an unknown app is refused with 401', async () => {
    const other = superToken({ claims: { appid: 'app:otherapp' } })
    expectAnswer(await bearer(other), 401, { code: 401 })
  })
}

main().then(finish, (e) => { console.log(`FAIL super token script: ${e.stack}`); process.exitCode = 1 })
