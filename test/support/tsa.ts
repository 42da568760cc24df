import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'

// A real RFC 3161 time-stamping authority on 127.0.0.1 for the tests: `openssl ts -reply`
// answering HTTP POSTs, with its own CA and a TSA certificate (extendedKeyUsage timeStamping,
// critical) made fresh in a temporary folder. `refuse` makes it answer HTTP 503.

export interface TestTsa {
  url: string
  /** The CA certificate (PEM) a verifier trusts. */
  caPem: string
  caFile: string
  /** Requests answered so far. */
  answered: number
  refuse: boolean
  close(): Promise<void>
}

const CONFIG = (dir: string) => `
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = ${dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/ca.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
[ v3_tsa ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
`

export async function startTestTsa(): Promise<TestTsa> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-tsa-'))
  const f = (n: string) => path.join(dir, n)
  fs.writeFileSync(f('tsa.cnf'), CONFIG(dir))
  fs.writeFileSync(f('serial'), '01\n')
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '30',
    '-subj',
    '/CN=Test TSA Root',
  )
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('tsa.key'), '-out', f('tsa.csr'), '-subj', '/CN=Test Time-Stamping Authority')
  ssl(
    'x509',
    '-req',
    '-in',
    f('tsa.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('tsa.crt'),
    '-days',
    '30',
    '-extfile',
    f('tsa.cnf'),
    '-extensions',
    'v3_tsa',
  )
  let n = 0
  const tsa: TestTsa = {
    url: '',
    caPem: fs.readFileSync(f('ca.crt'), 'utf8'),
    caFile: f('ca.crt'),
    answered: 0,
    refuse: false,
    close: () => new Promise((resolve) => server.close(() => (fs.rmSync(dir, { recursive: true, force: true }), resolve()))),
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (tsa.refuse || req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(tsa.refuse ? 503 : 400).end()
        return
      }
      const q = f(`q${++n}.tsq`)
      const r = f(`r${n}.tsr`)
      fs.writeFileSync(q, Buffer.concat(chunks))
      try {
        ssl('ts', '-reply', '-config', f('tsa.cnf'), '-queryfile', q, '-out', r)
        tsa.answered++
        res.writeHead(200, { 'Content-Type': 'application/timestamp-reply' }).end(fs.readFileSync(r))
      } catch (err) {
        res.writeHead(500).end(String(err))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  tsa.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`
  return tsa
}
