// Writes tests/vectors/node-random.jsonl: requests built at random (from a
// fixed seed), each signed by aws4 and by @smithy/signature-v4 with the
// generic AWS rules (service `para`, region `us-east-1`). A request becomes a
// `sigv4-verify` vector only where the two signers give the same signature;
// the vector carries aws4's canonical request and string to sign.
//
// Queries go on the wire in strict percent-encoding (no raw `+`: aws4 reads
// a query as a form, where `+` is a space); smithy is given the same query
// decoded, as its users give it.
//
// Run from the interop install (tests/interop/run.sh makes it):
//   NODE_PATH=target/interop/node/node_modules node tests/interop/random_vectors.js [FILE]
// The seed is 20241204 (the committed file) unless SEED says otherwise;
// tests/interop/run.sh uses a fresh one each run.
'use strict'
const fs = require('fs')
const aws4 = require('aws4')
const { SignatureV4 } = require('@smithy/signature-v4')
const { Hash } = require('@smithy/hash-node')
const { HttpRequest } = require('@smithy/protocol-http')

const ACCESS_KEY = 'app:noderandom'
const SECRET_KEY = 'n0de/Random+SecretKey0123456789abcdefGHIJKLMNOP=='
const HOST = 'localhost:8080'
const NOW = Date.UTC(2024, 4, 6, 7, 8, 9)
const AMZ_DATE = '20240506T070809Z'
const COUNT = Number(process.env.COUNT || 150)
const SEED = Number(process.env.SEED || 20241204)

// A small, seeded generator (mulberry32), so the file comes out the same.
function generator (seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    random: next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)]
  }
}

const WORDS = ['a', 'b', 'v1', 'posts', 'Caf', 'x-y_z', '~t', 'A.B', '0']
const PATH_PIECES = WORDS.concat(['%20', '%2B', '%2f', '%C3%A9', '%e2%82%ac', '!', "'", '(', ')',
  '*', ':', '@', '$', ',', ';', '=', '+'])
const VALUE_PIECES = WORDS.concat([' ', '+', '=', '&', '/', '?', '€', 'é', '!', '*', "'", '(',
  ')'])

// Strict percent-encoding: every byte but A-Z a-z 0-9 - _ . ~.
function strict (text) {
  const hex = (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()
  return encodeURIComponent(text).replace(/[!'()*]/g, hex)
}

function path (g) {
  const segments = []
  for (let i = g.int(0, 5); i > 0; i--) {
    if (g.random() < 0.12) {
      segments.push(g.pick(['.', '..', '']))
    } else {
      let text = ''
      for (let j = g.int(1, 3); j > 0; j--) text += g.pick(PATH_PIECES)
      segments.push(text)
    }
  }
  let text = '/' + segments.join('/')
  if (g.random() < 0.3 && !text.endsWith('/')) text += '/'
  return text
}

function words (g, lo, hi) {
  let text = ''
  for (let i = g.int(lo, hi); i > 0; i--) text += g.pick(VALUE_PIECES)
  return text
}

// Decoded pairs; a key appears once (smithy takes the query as an object).
function query (g) {
  const pairs = new Map()
  // One query in five is long: more pairs than a verifier may sort in place.
  const count = g.int(0, 4) > 0 ? g.int(0, 5) : g.int(13, 29)
  for (let i = count; i > 0; i--) pairs.set(words(g, 1, 3), words(g, 0, 3))
  return pairs
}

function headerValue (g) {
  const parts = ['alpha', 'b', 'c,d', 'e;f', '1', '=', '"q"']
  const gaps = [' ', '  ', '\t', ' \t ', '   ']
  let text = g.pick(parts)
  for (let i = g.int(0, 3); i > 0; i--) text += g.pick(gaps) + g.pick(parts)
  return text
}

function headers (g) {
  const out = {}
  for (let i = g.int(0, 6); i > 0; i--) {
    const names = ['X-Tag', 'x-meta-color', 'X-Amz-Meta-Size', 'Content-Type', 'x-custom-' + i]
    const name = g.pick(names)
    out[name] = headerValue(g)
  }
  return out
}

async function one (g, index) {
  const method = g.pick(['GET', 'GET', 'PUT', 'POST', 'DELETE', 'PATCH'])
  const wirePath = path(g)
  const pairs = query(g)
  const wireQuery = Array.from(pairs, ([k, v]) => strict(k) + '=' + strict(v)).join('&')
  const target = wirePath + (wireQuery ? '?' + wireQuery : '')
  const body = g.random() < 0.4 ? 'body ' + words(g, 1, 8) : ''
  const extra = headers(g)

  const opts = {
    host: HOST,
    method,
    path: target,
    service: 'para',
    region: 'us-east-1',
    // As sent: aws4 adds nothing of its own (no Content-Type for a body).
    headers: { Host: HOST, ...extra, 'X-Amz-Date': AMZ_DATE },
    body,
    doNotModifyHeaders: true
  }
  const credentials = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }
  const signer = new aws4.RequestSigner(opts, credentials)
  signer.datetime = AMZ_DATE // its clock, which it reads from `Date` otherwise
  signer.sign()
  const ours = signer.request.headers.Authorization
  const canonical = signer.canonicalString()
  const toSign = signer.stringToSign()

  const smithy = new SignatureV4({
    credentials,
    region: 'us-east-1',
    service: 'para',
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false
  })
  const request = new HttpRequest({
    method,
    protocol: 'http:',
    hostname: 'localhost',
    port: 8080,
    path: wirePath,
    query: Object.fromEntries(pairs),
    headers: { host: HOST, ...extra },
    body
  })
  const theirs = (await smithy.sign(request, { signingDate: new Date(NOW) })).headers.authorization
  const signature = (value) => value.split('Signature=')[1]
  if (signature(ours) !== signature(theirs)) return null

  const sent = Object.entries(signer.request.headers)
    .map(([name, value]) => [name, String(value).replace(/^[ \t]+|[ \t]+$/g, '')])
  return {
    kind: 'sigv4-verify',
    id: `node-random-${String(index).padStart(3, '0')}`,
    source: 'aws4 1.13.2 and @smithy/signature-v4 5.7.5 (node) agree, random request ' +
      `(tests/interop/random_vectors.js, seed ${SEED})`,
    credentials: { access_key: ACCESS_KEY, secret_key: SECRET_KEY },
    region: 'us-east-1',
    service: 'para',
    now: NOW / 1000,
    options: { normalize: true },
    request: { method, target, headers: sent, body_b64: Buffer.from(body).toString('base64') },
    canonical_request: canonical,
    string_to_sign: toSign,
    expect: 'valid'
  }
}

async function main () {
  const g = generator(SEED)
  const out = []
  let disagreed = 0
  for (let tries = 0; out.length < COUNT && tries < COUNT * 20; tries++) {
    const vector = await one(g, out.length)
    if (vector) out.push(JSON.stringify(vector))
    else disagreed++
  }
  const file = process.argv[2] || 'tests/vectors/node-random.jsonl'
  fs.writeFileSync(file, out.join('\n') + '\n')
  console.log(`${out.length} vectors; aws4 and smithy disagreed on ${disagreed} requests`)
}

main()
