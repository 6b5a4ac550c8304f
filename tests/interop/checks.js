// Scenario bookkeeping shared by the Node interop scripts: each scenario prints
// `PASS name` or `FAIL name: why`, and run.sh counts the lines.
'use strict'
const http = require('http')

const endpoint = new URL(process.env.PARA_ENDPOINT)
const accessKey = process.env.PARA_ACCESS_KEY
const secretKey = process.env.PARA_SECRET_KEY
let failed = 0

// The secret with one character changed: a key the server must not accept.
const wrongSecret = secretKey.slice(0, 10) + (secretKey[10] === 'A' ? 'B' : 'A') + secretKey.slice(11)

function expect (cond, message) {
  if (!cond) throw new Error(message)
}

// Send `options` (host, path, method, headers, body) over plain HTTP; resolve
// to {status, body} with the body parsed when it is JSON.
function send (options) {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: endpoint.hostname,
      port: endpoint.port,
      method: options.method || 'GET',
      path: options.path,
      headers: options.headers || {}
    }, (response) => {
      const chunks = []
      response.on('data', (c) => chunks.push(c))
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body = text
        try { body = text ? JSON.parse(text) : null } catch (_) {}
        resolve({ status: response.statusCode, body, text })
      })
    })
    request.on('error', reject)
    request.setTimeout(10000, () => request.destroy(new Error('timed out')))
    if (options.body) request.write(options.body)
    request.end()
  })
}

// The answer has `status` and these top-level field values.
function expectAnswer (answer, status, fields = {}) {
  expect(answer.status === status,
    `status ${answer.status}, wanted ${status}; body ${answer.text.slice(0, 200)}`)
  for (const [key, wanted] of Object.entries(fields)) {
    const got = answer.body && answer.body[key]
    expect(JSON.stringify(got) === JSON.stringify(wanted),
      `${key} = ${JSON.stringify(got)}, wanted ${JSON.stringify(wanted)} in ${answer.text.slice(0, 300)}`)
  }
  return answer.body
}

async function scenario (name, fn) {
  try {
    await fn()
    console.log(`PASS ${name}`)
  } catch (e) {
    failed += 1
    console.log(`FAIL ${name}: ${e && e.message ? e.message : e}`)
  }
}

function finish () {
  process.exitCode = failed ? 1 : 0
}

module.exports = { endpoint, accessKey, secretKey, wrongSecret, expect, send, expectAnswer, scenario, finish }
