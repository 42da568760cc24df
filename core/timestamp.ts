import crypto from 'node:crypto'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'

// RFC 3161 time-stamps for ledger checkpoints (issue 16, decision 039). A time-stamping authority
// (TSA) signs "this SHA-256 existed at this time" with its own key, so a checkpoint kept by an
// auditor also proves WHEN the chain heads were signed, independently of our clock and key. We
// time-stamp the checkpoint's Ed25519 signature (as CAdES does a signature-time-stamp), so the
// token covers the signed bytes too. pkijs (the PKI library of the PeculiarVentures/Web Crypto
// ecosystem) reads and checks the DER; the request and the checks are here.

const SHA256_OID = '2.16.840.1.101.3.4.2.1'
const TSTINFO_OID = '1.2.840.113549.1.9.16.1.4'

export interface CheckpointTimestamp {
  /** The TSA's URL the token came from. */
  tsa: string
  /** The time the TSA states (TSTInfo genTime), ISO-8601. */
  genTime: string
  /** The TimeStampToken (CMS ContentInfo, DER), base64. */
  token: string
}

export class TimestampError extends Error {}

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest()
const bytes = (view: ArrayBuffer | ArrayBufferView) =>
  Buffer.from(view instanceof ArrayBuffer ? view : view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength))

function parseDer<T>(der: Buffer, what: string, make: (schema: asn1js.AsnType) => T): T {
  const asn1 = asn1js.fromBER(new Uint8Array(der))
  if (asn1.offset === -1) throw new TimestampError(`${what} is not DER.`)
  try {
    return make(asn1.result)
  } catch (err) {
    throw new TimestampError(`${what} is malformed: ${(err as Error).message}`)
  }
}

/** The token's signed content and its TSTInfo. */
function readToken(tokenDer: Buffer): { signed: pkijs.SignedData; tst: pkijs.TSTInfo } {
  const info = parseDer(tokenDer, 'The time-stamp token', (s) => new pkijs.ContentInfo({ schema: s }))
  if (info.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new TimestampError('The time-stamp token is not CMS signed data.')
  const signed = new pkijs.SignedData({ schema: info.content })
  if (signed.encapContentInfo.eContentType !== TSTINFO_OID || !signed.encapContentInfo.eContent)
    throw new TimestampError('The time-stamp token does not hold a TSTInfo.')
  const tst = parseDer(bytes(signed.encapContentInfo.eContent.getValue()), 'The TSTInfo', (s) => new pkijs.TSTInfo({ schema: s }))
  return { signed, tst }
}

function imprintProblem(tst: pkijs.TSTInfo, data: Buffer): string | null {
  if (tst.messageImprint.hashAlgorithm.algorithmId !== SHA256_OID) return 'it is not over a SHA-256 digest'
  if (!bytes(tst.messageImprint.hashedMessage.valueBlock.valueHexView).equals(sha256(data)))
    return "its digest is not the checkpoint signature's: it time-stamps something else"
  return null
}

/**
 * Asks the TSA at `url` to time-stamp `data` (RFC 3161 over HTTP: POST application/timestamp-query).
 * Checks the answer is granted, for our digest and our nonce, before returning the token.
 */
export async function requestTimestamp(
  url: string,
  data: Buffer,
  timeoutMs = 20_000,
  random: (size: number) => Buffer = crypto.randomBytes,
): Promise<CheckpointTimestamp> {
  const nonce = random(8)
  // A positive INTEGER in its shortest DER form: a leading zero byte would be padding, which
  // OpenSSL's TSA refuses as a bad request (once in 256 requests, before this).
  nonce[0] = nonce[0]! & 0x7f || 1
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_OID }),
      hashedMessage: new asn1js.OctetString({ valueHex: new Uint8Array(sha256(data)) }),
    }),
    nonce: new asn1js.Integer({ valueHex: new Uint8Array(nonce) }),
    certReq: true,
  })
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/timestamp-query', Accept: 'application/timestamp-reply' },
      body: Buffer.from(request.toSchema().toBER()),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    throw new TimestampError(`The time-stamping authority at ${url} did not answer: ${(err as Error).message}`)
  }
  if (!response.ok) throw new TimestampError(`The time-stamping authority at ${url} answered HTTP ${response.status}.`)
  const body = Buffer.from(await response.arrayBuffer())
  const reply = parseDer(body, 'The time-stamp reply', (s) => new pkijs.TimeStampResp({ schema: s }))
  const status = reply.status.status
  if (status !== 0 && status !== 1) {
    const text = reply.status.statusStrings?.map((s) => s.valueBlock.value).join('; ')
    throw new TimestampError(`The time-stamping authority refused (PKIStatus ${status}${text ? `: ${text}` : ''}).`)
  }
  if (!reply.timeStampToken) throw new TimestampError('The time-stamp reply has no token.')
  const tokenDer = Buffer.from(reply.timeStampToken.toSchema().toBER())
  const { tst } = readToken(tokenDer)
  const problem = imprintProblem(tst, data)
  if (problem) throw new TimestampError(`The time-stamp reply is not for this checkpoint: ${problem}.`)
  if (!tst.nonce || !bytes(tst.nonce.valueBlock.valueHexView).equals(stripZeros(nonce)))
    throw new TimestampError('The time-stamp reply does not carry our nonce: it may be a replay.')
  return { tsa: url, genTime: tst.genTime.toISOString(), token: tokenDer.toString('base64') }
}

/** What signs a checkpoint's time-stamp with the configured TSA (TSA_URL), or undefined when none is. */
export function timestamper(tsaUrl: string | null): ((signature: Buffer) => Promise<CheckpointTimestamp>) | undefined {
  return tsaUrl ? (signature) => requestTimestamp(tsaUrl, signature) : undefined
}

const stripZeros = (b: Buffer) => {
  let i = 0
  while (i < b.length - 1 && b[i] === 0) i++
  return b.subarray(i)
}

export interface TimestampVerdict {
  ok: boolean
  /** The time the TSA states, when the token could be read. */
  genTime?: string
  message: string
}

/**
 * Checks a checkpoint's time-stamp: the token must be over `data` (the checkpoint signature) and
 * state the time recorded beside it; with `trustedPem` (the TSA's CA or certificate, PEM), its
 * signature must verify and chain to it. Without one, the digest and time are checked but not
 * who signed them, and the message says so.
 */
export async function verifyTimestamp(ts: CheckpointTimestamp, data: Buffer, trustedPem?: string): Promise<TimestampVerdict> {
  let token: ReturnType<typeof readToken>
  try {
    token = readToken(Buffer.from(ts.token, 'base64'))
  } catch (err) {
    return { ok: false, message: `time-stamp unreadable: ${(err as Error).message}` }
  }
  const genTime = token.tst.genTime.toISOString()
  const problem = imprintProblem(token.tst, data)
  if (problem) return { ok: false, genTime, message: `time-stamp refused: ${problem}` }
  if (genTime !== ts.genTime)
    return { ok: false, genTime, message: `time-stamp refused: the token says ${genTime}, the checkpoint ${ts.genTime}` }
  if (!trustedPem)
    return { ok: true, genTime, message: `time-stamped ${genTime} by ${ts.tsa} (the TSA's signature was not checked: give --tsa-cert)` }
  const trustedCerts = certificatesFromPem(trustedPem)
  if (trustedCerts.length === 0)
    return { ok: false, genTime, message: 'time-stamp not checked: the TSA certificate file holds no certificate' }
  const result = await token.signed
    .verify({ signer: 0, data: new Uint8Array(data).buffer, trustedCerts, checkChain: true, extendedMode: true })
    .catch((err: { message?: string }) => ({ signatureVerified: false, message: err?.message ?? String(err) }))
  if (!result.signatureVerified)
    return { ok: false, genTime, message: `time-stamp refused: its signature does not verify with the TSA certificate (${result.message})` }
  return { ok: true, genTime, message: `time-stamped ${genTime} by ${ts.tsa}, signature verified with the TSA certificate` }
}

function certificatesFromPem(pem: string): pkijs.Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  return blocks.map((b) => pkijs.Certificate.fromBER(new crypto.X509Certificate(b).raw))
}
