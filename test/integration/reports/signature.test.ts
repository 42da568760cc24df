import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import PDFDocument from 'pdfkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSigningSeed, publicKeyPem, signingKeyFromSeed } from '../../../core/signing.js'
import { generateReport, type ReportRequest } from '../../../reports/index.js'
import { verifyReportFile } from '../../../reports/verify-file.js'
import { useTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY, TEST_SIGNING_KEY } from '../../support/test-env.js'
import { alterPageText as alterPage, seedReportDataset, type ReportDataset } from './fixtures.js'

// Offline verification (issue 15, defect 8): a report proves itself with its signed manifest
// and a public key, no database. Genuine: exit 0. qpdf re-save: "content unchanged" (exit 0).
// One character changed on any page: "altered", naming the page (exit 1). A PDF from
// elsewhere, or signed with another key: exit 1.

const t = useTestDatabase()
let data: ReportDataset
let tmp: string
const key = signingKeyFromSeed(parseSigningSeed(TEST_SIGNING_KEY)!)
let keyFile: string
const reports: Record<string, string> = {}

const request = (kind: ReportRequest['kind']): ReportRequest => ({
  kind,
  practiceIds: data.practices.map((p) => p.id),
  from: '2026-03-01',
  to: '2026-03-31',
  generatedBy: 'test:signature',
  signingKey: key,
  ...(kind === 'incident' ? { practiceIds: [data.practices[0]!.id], eventId: data.overrideId } : {}),
})

/** `ledger verify FILE --public-key KEY` with no database configured at all. */
const verifyOffline = (file: string, publicKey = keyFile) =>
  runLedger(['verify', file, '--public-key', publicKey], {
    DATABASE_URL: '',
    LEDGER_DATA_DIR: path.join(tmp, 'no-database-here'),
    PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
  })

beforeAll(async () => {
  data = await seedReportDataset(t.db, ['R30001', 'R30002'])
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-report-signature-'))
  keyFile = path.join(tmp, 'public.pem')
  fs.writeFileSync(keyFile, publicKeyPem(key))
  for (const kind of ['audit', 'commissioner', 'incident'] as const) {
    reports[kind] = path.join(tmp, `${kind}.pdf`)
    await generateReport(t.db, request(kind), reports[kind]!)
  }
}, 300_000)
afterAll(() => {
  if (tmp && !process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('offline verification of a signed report', () => {
  it('finds each report genuine with the public key alone, and its attached rows match the printed digests', async () => {
    for (const [kind, file] of Object.entries(reports)) {
      const verdict = await verifyReportFile(fs.readFileSync(file), key.publicKey)
      expect(verdict.status, kind).toBe('genuine')
      const result = await verifyOffline(file)
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toMatch(new RegExp(`^genuine: ${kind} report [0-9a-f-]{36} for `))
      // the public key and its fingerprint are printed in the report
      const pdfText = execFileSync('pdftotext', [file, '-']).toString()
      expect(pdfText).toContain(publicKeyPem(key).split('\n')[1])
      if (verdict.status === 'genuine') {
        expect(pdfText).toContain(verdict.manifest.key.fingerprint)
        for (const s of verdict.manifest.sections) expect(pdfText).toContain(s.sha256)
      }
    }
    // the attachments can be taken out with a stock tool and re-counted
    const dir = path.join(tmp, 'attachments')
    fs.mkdirSync(dir)
    execFileSync('pdfdetach', ['-saveall', '-o', dir, reports.audit!])
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'sharing-ledger-manifest.json'), 'utf8'))
    const log = manifest.sections.find((s: { name: string }) => s.name === 'disclosure_log')
    const rows = fs.readFileSync(path.join(dir, log.file))
    expect(crypto.createHash('sha256').update(rows).digest('hex')).toBe(log.sha256)
    expect(rows.toString('utf8').split('\n')).toHaveLength(log.rows)
    const count = Number(
      (await t
        .db('disclosures')
        .whereIn(
          'practice_id',
          data.practices.map((p) => p.id),
        )
        .where('occurred_at', '>=', '2026-03-01')
        .where('occurred_at', '<', '2026-04-01')
        .count({ n: '*' })
        .first())!.n,
    )
    expect(log.rows).toBe(count)
  }, 300_000)

  it('says "content unchanged, file re-saved" for a qpdf re-save, a linearised copy and a trailing newline', async () => {
    const file = reports.audit!
    const copies = {
      qpdf: ['qpdf', [file, path.join(tmp, 'resaved.pdf')]],
      linearised: ['qpdf', ['--linearize', '--object-streams=generate', file, path.join(tmp, 'linearised.pdf')]],
    } as const
    for (const [name, [cmd, args]] of Object.entries(copies)) {
      execFileSync(cmd, [...args])
      const out = args.at(-1)!
      const result = await verifyOffline(out)
      expect(result.code, `${name}: ${result.stdout}${result.stderr}`).toBe(0)
      expect(result.stdout, name).toMatch(/^content unchanged, file re-saved: audit report/)
    }
    const newline = path.join(tmp, 'newline.pdf')
    fs.writeFileSync(newline, Buffer.concat([fs.readFileSync(file), Buffer.from('\n')]))
    const result = await verifyOffline(newline)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^content unchanged, file re-saved/)
  }, 300_000)

  it('names the page when one character of any page is changed', async () => {
    const file = reports.audit!
    const pages = (await verifyReportFile(fs.readFileSync(file), key.publicKey)) as { manifest: { pages: number } }
    const total = pages.manifest.pages
    for (const n of [...new Set([1, 2, Math.ceil(total / 2), total])]) {
      const altered = alterPage(file, n)
      const result = await verifyOffline(altered)
      expect(result.code, result.stdout).toBe(1)
      expect(result.stdout).toContain(`altered: the text of page ${n} differs from the signed report`)
    }
    // the commissioner report and the incident review too
    for (const kind of ['commissioner', 'incident']) {
      const result = await verifyOffline(alterPage(reports[kind]!, 1))
      expect(result.code, kind).toBe(1)
      expect(result.stdout).toContain('altered: the text of page 1 ')
    }
  }, 300_000)

  it('refuses a PDF from elsewhere, a report checked with another key, and a file that is not a PDF', async () => {
    const elsewhere = path.join(tmp, 'elsewhere.pdf')
    await new Promise<void>((resolve) => {
      const doc = new PDFDocument()
      const out = fs.createWriteStream(elsewhere)
      out.on('finish', resolve)
      doc.pipe(out)
      doc.text('Audit evidence pack (not really)')
      doc.end()
    })
    const foreign = await verifyOffline(elsewhere)
    expect(foreign.code).toBe(1)
    expect(foreign.stdout).toContain('not verified: no signed Sharing Ledger manifest')

    const otherKey = path.join(tmp, 'other.pem')
    fs.writeFileSync(otherKey, publicKeyPem(signingKeyFromSeed(crypto.randomBytes(32))))
    const wrongKey = await verifyOffline(reports.audit!, otherKey)
    expect(wrongKey.code).toBe(1)
    expect(wrongKey.stdout).toContain('signature does not match this public key')

    const text = path.join(tmp, 'notes.pdf')
    fs.writeFileSync(text, 'hello')
    const unreadable = await verifyOffline(text)
    expect(unreadable.code).toBe(1)
    expect(unreadable.stdout).toContain('not a readable PDF')

    const badKey = await verifyOffline(reports.audit!, text)
    expect(badKey.code).toBe(2)
    expect(badKey.stderr).toContain('is not an Ed25519 public key')
  }, 300_000)

  it('prints the public key with `ledger keys public`, and the same key verifies', async () => {
    const result = await runLedger(['keys', 'public'], {
      DATABASE_URL: t.url,
      PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
      SIGNING_KEY: TEST_SIGNING_KEY,
    })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe(publicKeyPem(key))
    const printed = path.join(tmp, 'printed.pem')
    fs.writeFileSync(printed, result.stdout)
    expect((await verifyOffline(reports.commissioner!, printed)).code).toBe(0)
  }, 120_000)
})
