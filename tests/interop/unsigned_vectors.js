// Writes tests/vectors/node-unsigned.jsonl: requests that aws4 and
// @smithy/signature-v4 sign with `UNSIGNED-PAYLOAD` in place of the body's
// hash, as `sigv4-verify` vectors.
//
// - aws4, `signQuery` with service `s3`: S3's presigned URL, whose canonical
//   request ends in `UNSIGNED-PAYLOAD`.
// - smithy `presign` with service `s3` and `x-amz-content-sha256:
//   UNSIGNED-PAYLOAD` set, as the AWS SDK's S3 presigner does: smithy hoists
//   that header into the query, where it is signed as a parameter.
// - aws4 and smithy in the header form (service `para`), told
//   `X-Amz-Content-Sha256: UNSIGNED-PAYLOAD`, which they sign as the payload
//   hash.
//
// Each gives a one-defect mutation too: a changed path
// (`signature_mismatch`), and for a presigned URL the clock past its expiry
// (`expired`).
//
// Run from the interop install (tests/interop/run.sh makes it):
//   NODE_PATH=target/interop/node/node_modules node tests/interop/unsigned_vectors.js [FILE]
'use strict'
const fs = require('fs')
const aws4 = require('aws4')
const { SignatureV4 } = require('@smithy/signature-v4')
const { Hash } = require('@smithy/hash-node')
const { HttpRequest } = require('@smithy/protocol-http')

const ACCESS_KEY = 'app:nodeunsigned'
const SECRET_KEY = 'n0de/Unsigned+SecretKey0123456789abcdefGHIJKL=='
const HOST = 'localhost:8080'
const NOW = Date.UTC(2024, 8, 10, 11, 12, 13)
const AMZ_DATE = '20240910T111213Z'
const EXPIRES = 600
const UNSIGNED = 'UNSIGNED-PAYLOAD'

// (method, path, query pairs, extra headers, body): paths in canonical form,
// so S3's rule (decode, encode once) gives the path as sent.
const REQUESTS = [
  ['GET', '/bucket/photos/2024/cat.jpg', [], {}, ''],
  ['GET', '/bucket/a%20b/caf%C3%A9.txt', [['versionId', '3'], ['response-content-type', 'text/plain']], {}, ''],
  ['PUT', '/bucket/upload/report.csv', [], { 'Content-Type': 'text/csv' }, 'a,b\n1,2\n'],
  ['DELETE', '/bucket/old', [['x-id', 'DeleteObject']], { 'X-Amz-Meta-Reason': 'tidy  up' }, '']
]

// RFC 3986 strict percent-encoding, as both signers write a query.
const strict = (text) => encodeURIComponent(text)
  .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())

const queryText = (pairs) => pairs.map(([k, v]) => strict(k) + '=' + strict(v)).join('&')

const credentials = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }

function vector (id, source, service, options, method, target, headers, body, extra = {}) {
  return {
    kind: 'sigv4-verify',
    id,
    source: `${source} (tests/interop/unsigned_vectors.js)`,
    credentials: { access_key: ACCESS_KEY, secret_key: SECRET_KEY },
    region: 'us-east-1',
    service,
    now: NOW / 1000,
    options,
    request: { method, target, headers, body_b64: Buffer.from(body).toString('base64') },
    expect: 'valid',
    ...extra
  }
}

// The wire path with one byte changed.
const changed = (target) => target.replace(/^([^?]*)/, '$1x')

// `base` with one field of its request changed, and the fields in `extra`.
const variant = (base, suffix, request, extra) =>
  ({ ...base, id: base.id + suffix, request: { ...base.request, ...request }, ...extra })

function mutations (base, presigned) {
  const target = changed(base.request.target)
  const moved = variant(base, '-changed-path', { target }, { expect: 'invalid:signature_mismatch' })
  delete moved.canonical_request
  delete moved.string_to_sign
  const out = [base, moved]
  if (presigned) {
    const late = NOW / 1000 + EXPIRES + 1
    out.push(variant(base, '-expired', {}, { now: late, expect: 'invalid:expired' }))
  }
  return out
}

const sentHeaders = (headers) => Object.entries(headers)
  .map(([name, value]) => [name, String(value).replace(/^[ \t]+|[ \t]+$/g, '')])

function aws4Presigned (index, [method, path, pairs, extra, body]) {
  const query = queryText([...pairs, ['X-Amz-Expires', String(EXPIRES)]])
  const opts = {
    host: HOST,
    method,
    path: path + '?' + query,
    service: 's3',
    region: 'us-east-1',
    headers: { Host: HOST, ...extra },
    signQuery: true,
    doNotModifyHeaders: true
  }
  const signer = new aws4.RequestSigner(opts, credentials)
  signer.datetime = AMZ_DATE
  // The stages as sign() builds them, before the signature joins the query.
  const stages = {}
  const canonicalString = signer.canonicalString.bind(signer)
  const stringToSign = signer.stringToSign.bind(signer)
  signer.canonicalString = () => (stages.canonical_request ??= canonicalString())
  signer.stringToSign = () => (stages.string_to_sign ??= stringToSign())
  signer.sign()
  if (!stages.canonical_request.endsWith('\n' + UNSIGNED)) throw new Error('aws4 signed a payload hash')
  const base = vector(`node-unsigned-aws4-presigned-${index}`, 'aws4 1.13.2 signQuery (s3)', 's3',
    { path: 'single' }, method, signer.request.path, sentHeaders(signer.request.headers), body, stages)
  return mutations(base, true)
}

// smithy's signer for `service`, and a request to `HOST` as smithy takes it
// (the query decoded), declaring UNSIGNED-PAYLOAD.
const smithySigner = (service, options) => new SignatureV4({
  credentials, region: 'us-east-1', service, sha256: Hash.bind(null, 'sha256'), ...options
})
const smithyRequest = (method, path, pairs, extra, body) => new HttpRequest({
  method,
  protocol: 'http:',
  hostname: 'localhost',
  port: 8080,
  path,
  query: Object.fromEntries(pairs),
  headers: { host: HOST, ...extra, 'x-amz-content-sha256': UNSIGNED },
  body
})

async function smithyPresigned (index, [method, path, pairs, extra, body]) {
  const smithy = smithySigner('s3', { uriEscapePath: false })
  // Presigned without the body, which the URL does not cover.
  const request = smithyRequest(method, path, pairs, extra, undefined)
  const signed = await smithy.presign(request, { signingDate: new Date(NOW), expiresIn: EXPIRES })
  if (!('x-amz-content-sha256' in signed.query)) throw new Error('smithy kept the header')
  const target = path + '?' + queryText(Object.entries(signed.query))
  const base = vector(`node-unsigned-smithy-presigned-${index}`,
    '@smithy/signature-v4 5.7.5 presign (s3), x-amz-content-sha256 hoisted into the query', 's3',
    { path: 'single' }, method, target, sentHeaders(signed.headers), body)
  return mutations(base, true)
}

async function headerSigned (index, [method, path, pairs, extra, body]) {
  const query = queryText(pairs)
  const target = path + (query ? '?' + query : '')
  const headers = { Host: HOST, ...extra, 'X-Amz-Date': AMZ_DATE, 'X-Amz-Content-Sha256': UNSIGNED }
  const opts = {
    host: HOST, method, path: target, service: 'para', region: 'us-east-1', headers, body, doNotModifyHeaders: true
  }
  const signer = new aws4.RequestSigner(opts, credentials)
  signer.datetime = AMZ_DATE
  signer.sign()
  const canonical = signer.canonicalString()
  if (!canonical.endsWith('\n' + UNSIGNED)) throw new Error('aws4 signed a payload hash')

  const smithy = smithySigner('para', { applyChecksum: false })
  const request = smithyRequest(method, path, pairs, extra, body)
  const theirs = (await smithy.sign(request, { signingDate: new Date(NOW) })).headers.authorization
  const signature = (value) => value.split('Signature=')[1]
  if (signature(signer.request.headers.Authorization) !== signature(theirs)) {
    throw new Error(`aws4 and smithy disagree on ${target}`)
  }
  const base = vector(`node-unsigned-header-${index}`,
    'aws4 1.13.2 and @smithy/signature-v4 5.7.5 agree, X-Amz-Content-Sha256: UNSIGNED-PAYLOAD', 'para',
    { normalize: true }, method, target, sentHeaders(signer.request.headers), body,
    { canonical_request: canonical, string_to_sign: signer.stringToSign() })
  const out = mutations(base, false)
  if (body) {
    // The body is not covered: another one still verifies.
    const other = Buffer.from(body + '!').toString('base64')
    out.push(variant(base, '-other-body', { body_b64: other }, {}))
  }
  return out
}

async function main () {
  const out = []
  for (const [index, request] of REQUESTS.entries()) {
    out.push(...aws4Presigned(index, request))
    out.push(...await smithyPresigned(index, request))
    out.push(...await headerSigned(index, request))
  }
  const file = process.argv[2] || 'tests/vectors/node-unsigned.jsonl'
  fs.writeFileSync(file, out.map((v) => JSON.stringify(v)).join('\n') + '\n')
  console.log(`${out.length} vectors`)
}

main().catch((e) => { console.error(e); process.exit(1) })
