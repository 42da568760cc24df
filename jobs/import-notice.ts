import fs from 'node:fs'
import path from 'node:path'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { z } from 'zod'
import { RecordDay } from '../core/inputs.js'
import { PROMISE_CODES } from '../core/promises.js'
import type { Db } from '../db/client.js'
import { recordNotice, type NoticeInput, type NoticeRow } from '../db/queries/notices.js'

/**
 * A practice privacy notice from a JSON or YAML file (docs/decisions/018; examples in
 * seeds/notices/). The same checks serve the CLI import and the admin page: every field is
 * validated and an error names the field, e.g. `purposes[2]: "reserch" is not a purpose code`.
 */

export class NoticeFileError extends Error {}

const text = (max: number) =>
  z
    .string({ required_error: 'is required', invalid_type_error: 'must be text' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
const codeList = z.array(text(40), { invalid_type_error: 'must be a list of codes' }).max(60, 'lists too many codes')

export const NoticeFileSchema = z
  .object({
    title: text(200),
    in_force_from: RecordDay,
    source: text(500).optional(),
    purposes: codeList.optional(),
    recipient_types: codeList.optional(),
    processors: z
      .array(
        z
          .object({
            name: text(200),
            ods: text(10)
              .regex(/^[A-Z0-9]{3,10}$/i, 'must be an ODS code such as 8HN21')
              .optional(),
          })
          .strict(),
        {
          invalid_type_error: 'must be a list of {name, ods}',
        },
      )
      .max(100)
      .optional(),
    promises: z
      .array(
        z
          .object({
            promise: z.enum(PROMISE_CODES as [string, ...string[]], {
              errorMap: () => ({ message: `must be one of the catalogue's promises: ${PROMISE_CODES.join(', ')}` }),
            }),
            words: text(2000),
          })
          .strict(),
        { required_error: 'is required: the promises the notice makes, each with its own words', invalid_type_error: 'must be a list' },
      )
      .min(1, 'must list at least one promise'),
  })
  .strict()

export type NoticeFile = z.infer<typeof NoticeFileSchema>

function issuePath(p: Array<string | number>): string {
  return p.reduce<string>((s, part) => (typeof part === 'number' ? `${s}[${part}]` : s ? `${s}.${part}` : part), '')
}

/** Parses and checks a notice; `codes` are the purposes and recipient types the ledger knows. */
export function checkNotice(raw: unknown, codes: { purposes: string[]; recipientTypes: string[] }): NoticeFile {
  const parsed = NoticeFileSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message
    const where = issuePath(issue.path)
    throw new NoticeFileError(where ? `${where}: ${message}` : message)
  }
  const n = parsed.data
  const checkCodes = (field: string, list: string[] | undefined, known: string[], what: string) =>
    list?.forEach((c, i) => {
      if (!known.includes(c)) throw new NoticeFileError(`${field}[${i}]: "${c}" is not a ${what} code (known: ${known.join(', ')})`)
      if (list.indexOf(c) !== i) throw new NoticeFileError(`${field}[${i}]: "${c}" is listed twice`)
    })
  checkCodes('purposes', n.purposes, codes.purposes, 'purpose')
  checkCodes('recipient_types', n.recipient_types, codes.recipientTypes, 'recipient type')
  n.promises.forEach((p, i) => {
    if (n.promises.findIndex((q) => q.promise === p.promise) !== i)
      throw new NoticeFileError(`promises[${i}].promise: "${p.promise}" is listed twice`)
  })
  const listsGiven = !!(n.purposes || n.recipient_types || n.processors)
  const listing = n.promises.some((p) => p.promise === 'only_as_listed')
  if (listing && !listsGiven)
    throw new NoticeFileError('promises: only_as_listed needs purposes, recipient_types or processors to check against')
  if (listsGiven && !listing) {
    throw new NoticeFileError(
      'promises: the notice lists purposes, recipient types or processors, so it needs an only_as_listed promise quoting the words that introduce the list',
    )
  }
  return n
}

export function readNoticeFile(file: string): unknown {
  let body: string
  try {
    body = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new NoticeFileError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const ext = path.extname(file).toLowerCase()
  try {
    if (ext === '.json') return JSON.parse(body)
    if (ext === '.yaml' || ext === '.yml') return parseYaml(body)
  } catch (err) {
    throw new NoticeFileError(
      `${path.basename(file)} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    )
  }
  throw new NoticeFileError(`${path.basename(file)}: a notice file must end in .json, .yaml or .yml`)
}

export async function knownCodes(db: Db): Promise<{ purposes: string[]; recipientTypes: string[] }> {
  const [purposes, types] = await Promise.all([
    db('purposes').orderBy('code').pluck('code'),
    db('recipient_types').orderBy('code').pluck('code'),
  ])
  return { purposes, recipientTypes: types }
}

export function noticeInput(n: NoticeFile, meta: { source: string | null; recordedBy: string }): NoticeInput {
  return {
    title: n.title,
    inForceFrom: n.in_force_from,
    purposes: n.purposes ?? null,
    recipientTypes: n.recipient_types ?? null,
    processors: n.processors?.map((p) => ({ name: p.name, ods: p.ods?.toUpperCase() ?? null })) ?? null,
    promises: n.promises.map((p) => ({ promise: p.promise, words: p.words })),
    source: n.source ?? meta.source,
    recordedBy: meta.recordedBy,
  }
}

/** Reads, checks and records a notice file as the practice's next version. */
export async function importNoticeFile(db: Db, file: string, practiceId: number, recordedBy: string) {
  const notice = checkNotice(readNoticeFile(file), await knownCodes(db))
  return recordNotice(db, practiceId, noticeInput(notice, { source: path.basename(file), recordedBy }))
}

/** A notice typed on the admin page (the same YAML as a file): parsed, with a clear error when it is not YAML. */
export function parseNoticeText(text: string): unknown {
  if (text.length > 100_000) throw new NoticeFileError('the notice is longer than 100,000 characters')
  try {
    return parseYaml(text)
  } catch (err) {
    throw new NoticeFileError(`not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
}

/** A recorded version as the YAML the file format and the admin page use, to start the next version from. */
export function noticeToYaml(n: NoticeRow): string {
  const file: Record<string, unknown> = { title: n.title, in_force_from: n.inForceFrom }
  if (n.source) file.source = n.source
  if (n.purposes) file.purposes = n.purposes
  if (n.recipientTypes) file.recipient_types = n.recipientTypes
  if (n.processors) file.processors = n.processors.map((p) => (p.ods ? { name: p.name, ods: p.ods } : { name: p.name }))
  file.promises = n.promises.map((p) => ({ promise: p.promise, words: p.words }))
  return stringifyYaml(file, { lineWidth: 0 })
}
