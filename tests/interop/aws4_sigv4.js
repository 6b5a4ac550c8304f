// Node's `aws4` signer (service `para`, region `us-east-1`) against the example
// server, sent with http.request.
'use strict'
const aws4 = require('aws4')
const { endpoint, accessKey, secretKey, wrongSecret, expect, send, expectAnswer, scenario, finish } = require('./checks')

const credentials = { accessKeyId: accessKey, secretAccessKey: secretKey }

// A request signed by aws4; `body` (an object) is sent as JSON.
function signed (method, path, body, { headers = {}, secret = secretKey } = {}) {
  const options = {
    host: endpoint.host,
    path,
    method,
    headers: { ...headers },
    service: 'para',
    region: 'us-east-1'
  }
  if (body !== undefined) {
    options.body = JSON.stringify(body)
    options.headers['Content-Type'] = 'application/json'
  }
  aws4.sign(options, { ...credentials, secretAccessKey: secret })
  return options
}

// yyyymmddThhmmssZ, `minutes` away from now.
function amzDate (minutes) {
  const at = new Date(Date.now() + minutes * 60 * 1000)
  return at.toISOString().replace(/[:-]|\.\d{3}/g, '')
}

async function create (kindPath, fields) {
  return expectAnswer(await send(signed('POST', `/v1/${kindPath}`, fields)), 200)
}

async function main () {
  await scenario('aws4: GET /v1/_me answers the app', async () => {
    const answer = await send(signed('GET', '/v1/_me'))
    expectAnswer(answer, 200, { type: 'app', id: accessKey, appid: accessKey })
  })

  await scenario('aws4: POST a JSON body with unicode; every header aws4 signs is checked', async () => {
    const request = signed('POST', '/v1/aws4notes', { text: 'grüße ✓', n: 3 })
    const signedHeaders = request.headers.Authorization.match(/SignedHeaders=([^,]+)/)[1]
    expect(signedHeaders.includes('content-type') && signedHeaders.includes('content-length'),
      `aws4 signed only ${signedHeaders}`)
    const data = expectAnswer(await send(request), 200, { type: 'aws4notes', text: 'grüße ✓', n: 3 })
    expect(data.id, 'no id in the answer')
  })

  await scenario('aws4: GET with spaces, repeated keys and unicode in the query', async () => {
    const note = await create('aws4notes', { text: 'query' })
    const path = `/v1/aws4notes/${note.id}?q=hello%20world&tag=b&tag=a&name=%E2%82%ACuro&empty=`
    expectAnswer(await send(signed('GET', path)), 200, { id: note.id, text: 'query' })
  })

  await scenario('aws4: PUT replaces and PATCH merges', async () => {
    const note = await create('aws4notes', { text: 'before', old: true })
    const put = await send(signed('PUT', `/v1/aws4notes/${note.id}?mode=replace%20all`, { text: 'after' }))
    const replaced = expectAnswer(put, 200, { id: note.id, text: 'after' })
    expect(!('old' in replaced), `PUT kept a dropped field: ${JSON.stringify(replaced)}`)
    const patch = await send(signed('PATCH', `/v1/aws4notes/${note.id}`, { extra: 'é' }))
    expectAnswer(patch, 200, { text: 'after', extra: 'é' })
  })

  await scenario('aws4: DELETE with a query string removes the object', async () => {
    const note = await create('aws4notes', { text: 'doomed' })
    const path = `/v1/aws4notes/${note.id}?reason=no%20longer%20needed&by=zo%C3%AB`
    expectAnswer(await send(signed('DELETE', path)), 200)
    expectAnswer(await send(signed('GET', `/v1/aws4notes/${note.id}`)), 404, { code: 404 })
  })

  await scenario('aws4: a type with an encoded space in the path (/v1/my%20notes)', async () => {
    const note = await create('my%20notes', { text: 'spaced' })
    expect(note.type === 'my notes', `type ${JSON.stringify(note.type)}`)
    const read = await send(signed('GET', `/v1/my%20notes/${note.id}`))
    expectAnswer(read, 200, { type: 'my notes', text: 'spaced' })
  })

  await scenario('aws4: X-Amz-Date 5 minutes old is accepted', async () => {
    const request = signed('GET', '/v1/_me', undefined, { headers: { 'X-Amz-Date': amzDate(-5) } })
    expectAnswer(await send(request), 200, { type: 'app' })
  })

  await scenario('aws4: X-Amz-Date 20 minutes old is refused with 401', async () => {
    const request = signed('GET', '/v1/_me', undefined, { headers: { 'X-Amz-Date': amzDate(-20) } })
    expect(request.headers.Authorization.includes(`/${amzDate(-20).slice(0, 8)}/`), 'scope date not shifted')
    expectAnswer(await send(request), 401, { code: 401 })
  })

  await scenario('aws4: X-Amz-Date 20 minutes ahead is refused with 401', async () => {
    const request = signed('POST', '/v1/aws4notes', { text: 'future' },
      { headers: { 'X-Amz-Date': amzDate(20) } })
    expectAnswer(await send(request), 401, { code: 401 })
  })

  await scenario('aws4: a wrong secret is refused with 401', async () => {
    const request = signed('GET', '/v1/_me', undefined, { secret: wrongSecret })
    expectAnswer(await send(request), 401, { code: 401 })
  })

  await scenario('aws4: a body changed after signing is refused with 401', async () => {
    const request = signed('POST', '/v1/aws4notes', { text: 'signed' })
    request.body = JSON.stringify({ text: 'swapped' })
    expectAnswer(await send(request), 401, { code: 401 })
  })
}

main().then(finish, (e) => { console.log(`FAIL aws4 script: ${e.stack}`); process.exitCode = 1 })
