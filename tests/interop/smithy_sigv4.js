// @smithy/signature-v4, the signer of AWS's JavaScript SDK v3 (service `para`,
// region `us-east-1`), against the example server: requests are signed in the
// header form and presigned, and sent by the SDK's own NodeHttpHandler, so the
// wire bytes are the ones an SDK client sends.
'use strict'
const http2 = require('http2')
const { SignatureV4 } = require('@smithy/signature-v4')
const { Hash } = require('@smithy/hash-node')
const { HttpRequest } = require('@smithy/protocol-http')
const { NodeHttpHandler } = require('@smithy/node-http-handler')
const { endpoint, accessKey, secretKey, wrongSecret, expect, expectAnswer, scenario, finish } = require('./checks')

const handler = new NodeHttpHandler({ requestTimeout: 10000 })

function signer (secret = secretKey) {
  return new SignatureV4({
    credentials: { accessKeyId: accessKey, secretAccessKey: secret },
    region: 'us-east-1',
    service: 'para',
    sha256: Hash.bind(null, 'sha256')
  })
}

// An unsigned request. `path` is the wire path, percent-encoded as a client
// puts it (the signer encodes it once more); `query` holds decoded values.
function request (method, path, { query = {}, body, headers = {} } = {}) {
  const all = { host: endpoint.host, ...headers }
  let text
  if (body !== undefined) {
    text = JSON.stringify(body)
    all['content-type'] = 'application/json'
    all['content-length'] = String(Buffer.byteLength(text))
  }
  return new HttpRequest({
    method,
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: Number(endpoint.port),
    path,
    query,
    headers: all,
    body: text
  })
}

// Send through the SDK's handler; resolve to {status, body, text}.
async function send (req) {
  const { response } = await handler.handle(req)
  const chunks = []
  for await (const chunk of response.body) chunks.push(chunk)
  const text = Buffer.concat(chunks).toString('utf8')
  let body = text
  try { body = text ? JSON.parse(text) : null } catch (_) {}
  return { status: response.statusCode, body, text }
}

// Send over HTTP/2 without TLS (prior knowledge): the host travels only as
// `:authority`, with no `host` header, as every HTTP/2 client sends it.
function sendHttp2 (req) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(endpoint.origin)
    session.on('error', reject)
    const query = new URLSearchParams(req.query).toString().replace(/\+/g, '%20')
    const headers = { ':method': req.method, ':path': req.path + (query ? `?${query}` : '') }
    for (const [name, value] of Object.entries(req.headers)) {
      if (name === 'host') headers[':authority'] = value
      else headers[name] = value
    }
    const stream = session.request(headers)
    const chunks = []
    let status
    stream.on('response', (h) => { status = h[':status'] })
    stream.on('data', (c) => chunks.push(c))
    stream.on('end', () => {
      session.close()
      const text = Buffer.concat(chunks).toString('utf8')
      let body = text
      try { body = text ? JSON.parse(text) : null } catch (_) {}
      resolve({ status, body, text })
    })
    stream.on('error', reject)
    stream.end(req.body)
  })
}

const signed = (req, options = {}, secret) => signer(secret).sign(req, options)
const presigned = (req, options) => signer().presign(req, options)
const minutesAgo = (minutes) => new Date(Date.now() - minutes * 60 * 1000)

async function create (kindPath, fields) {
  return expectAnswer(await send(await signed(request('POST', `/v1/${kindPath}`, { body: fields }))), 200)
}

async function main () {
  await scenario('smithy: GET /v1/_me answers the app (x-amz-content-sha256 signed)', async () => {
    const req = await signed(request('GET', '/v1/_me'))
    const list = req.headers.authorization.match(/SignedHeaders=([^,]+)/)[1]
    expect(list.includes('x-amz-content-sha256'), `smithy signed only ${list}`)
    expectAnswer(await send(req), 200, { type: 'app', id: accessKey, appid: accessKey })
  })

  await scenario('smithy: POST a JSON body with unicode, content-type and content-length signed', async () => {
    const note = await create('smithynotes', { text: 'Grüße, 世界 ✓', n: 7 })
    expect(note.id && note.text === 'Grüße, 世界 ✓', `created ${JSON.stringify(note)}`)
  })

  await scenario('smithy: GET with spaces, repeated keys, unicode, reserved and empty values in the query', async () => {
    const note = await create('smithynotes', { text: 'query' })
    const query = { q: 'hello world', tag: ['b', 'a'], name: '€uro', odd: "it's (a*b)!", empty: '' }
    expectAnswer(await send(await signed(request('GET', `/v1/smithynotes/${note.id}`, { query }))), 200,
      { id: note.id, text: 'query' })
  })

  await scenario('smithy: a type with an encoded space and unicode in the path', async () => {
    const note = await create('smithy%20caf%C3%A9', { text: 'spaced' })
    expect(note.type === 'smithy café', `type ${JSON.stringify(note.type)}`)
    expectAnswer(await send(await signed(request('GET', `/v1/smithy%20caf%C3%A9/${note.id}`))), 200,
      { type: 'smithy café', text: 'spaced' })
  })

  await scenario('smithy: a presigned GET answers the app', async () => {
    const url = await presigned(request('GET', '/v1/_me', { query: { extra: 'a b' } }), { expiresIn: 300 })
    expect(url.query['X-Amz-Signature'] && !url.headers.authorization, 'not presigned')
    expectAnswer(await send(url), 200, { type: 'app', id: accessKey })
  })

  await scenario('smithy: a presigned URL used after its X-Amz-Expires is refused with 401', async () => {
    const req = request('GET', '/v1/_me')
    const url = await presigned(req, { signingDate: minutesAgo(20), expiresIn: 60 })
    expectAnswer(await send(url), 401, { code: 401 })
  })

  await scenario('smithy: a presigned URL still within X-Amz-Expires, dated 20 minutes ago, is accepted', async () => {
    const url = await presigned(request('GET', '/v1/_me'), { signingDate: minutesAgo(20), expiresIn: 3600 })
    expectAnswer(await send(url), 200, { type: 'app' })
  })

  await scenario('smithy: a presigned URL whose query was changed is refused with 401', async () => {
    const url = await presigned(request('GET', '/v1/_me', { query: { limit: '5' } }), { expiresIn: 300 })
    url.query.limit = '6'
    expectAnswer(await send(url), 401, { code: 401 })
  })

  await scenario('smithy: over HTTP/2 (:authority, no host header), GET and POST are verified', async () => {
    const me = await signed(request('GET', '/v1/_me', { query: { q: 'a b' } }))
    expectAnswer(await sendHttp2(me), 200, { type: 'app', id: accessKey })
    const post = await signed(request('POST', '/v1/smithynotes', { body: { text: 'über h2' } }))
    expectAnswer(await sendHttp2(post), 200, { type: 'smithynotes', text: 'über h2' })
  })

  await scenario('smithy: over HTTP/2, a request signed for another host is refused with 401', async () => {
    const req = await signed(request('GET', '/v1/_me', { headers: { host: 'elsewhere.example' } }))
    req.headers.host = endpoint.host
    expectAnswer(await sendHttp2(req), 401, { code: 401 })
  })

  await scenario('smithy: a header-signed request 20 minutes old is refused with 401', async () => {
    const req = await signed(request('GET', '/v1/_me'), { signingDate: minutesAgo(20) })
    expectAnswer(await send(req), 401, { code: 401 })
  })

  await scenario('smithy: a wrong secret is refused with 401', async () => {
    expectAnswer(await send(await signed(request('GET', '/v1/_me'), {}, wrongSecret)), 401, { code: 401 })
  })

  await scenario('smithy: a body changed after signing is refused with 401', async () => {
    const req = await signed(request('POST', '/v1/smithynotes', { body: { text: 'signed' } }))
    // The same length, so the signed content-length still frames it.
    req.body = JSON.stringify({ text: 'SIGNED' })
    expectAnswer(await send(req), 401, { code: 401 })
  })

  await scenario('smithy: UNSIGNED-PAYLOAD, which Para does not take, is refused with 401', async () => {
    const headers = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }
    const req = await signed(request('POST', '/v1/smithynotes', { body: { text: 'unsigned' }, headers }))
    expect(req.headers['x-amz-content-sha256'] === 'UNSIGNED-PAYLOAD', 'smithy hashed the body')
    expectAnswer(await send(req), 401, { code: 401 })
  })
}

main().then(finish, (e) => { console.log(`FAIL smithy script: ${e.stack}`); process.exitCode = 1 })
