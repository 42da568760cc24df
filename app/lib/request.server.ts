import { json, type TypedResponse } from '@remix-run/node'
import type { z } from 'zod'
import { issuesByField } from '../../core/inputs.js'
import { readForm } from './access.server.js'

/**
 * One way to read what a request carries (docs/decisions/031): a query string or a form, through
 * a zod schema, to typed values or to one sentence per field.
 *
 * - A query that does not parse is a 400 with a sentence (a filter link was edited by hand;
 *   the page has no field to show it at).
 * - A form that does not parse comes back as field errors and what was typed, sent with status
 *   400 so the page renders again, intact, with each error at its field.
 */

/** A plain-text 400: the sentence is the whole answer. */
export function badRequest(message: string): Response {
  return new Response(message, { status: 400, statusText: 'Bad Request', headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

/** The usual sentence for a filter that does not parse: which parameter, and what is wrong. */
export const describeQueryIssue = (issue: z.ZodIssue) => `The filters are not valid: "${String(issue.path[0])}": ${issue.message}.`

/**
 * The named query parameters through `schema` (a missing or empty one is `undefined`), or a
 * thrown 400 worded by `refuse`: a sentence, or one made from the first issue.
 */
export function readQuery<S extends z.ZodTypeAny>(
  url: URL,
  schema: S,
  names: readonly string[],
  refuse: string | ((issue: z.ZodIssue) => string) = describeQueryIssue,
): z.output<S> {
  const raw = Object.fromEntries(names.map((name) => [name, url.searchParams.get(name) || undefined]))
  const parsed = schema.safeParse(raw)
  if (parsed.success) return parsed.data
  throw badRequest(typeof refuse === 'string' ? refuse : refuse(parsed.error.issues[0]!))
}

/** A form field's text ('' when absent or a file). */
export function formText(form: FormData, name: string): string {
  const v = form.get(name)
  return typeof v === 'string' ? v : ''
}

/** Every value of a repeated field (ticked boxes), texts only. */
export function formTexts(form: FormData, name: string): string[] {
  return form.getAll(name).filter((v): v is string => typeof v === 'string')
}

export type FormValues = Record<string, string | string[]>

/** What a refused form sends back: which form, the sentence for each field, and what was typed (never secrets). */
export interface FormFailure {
  intent: string
  errors: Record<string, string>
  values: FormValues
}

export function formFailure(intent: string, errors: Record<string, string>, values: FormValues): TypedResponse<FormFailure> {
  return json({ intent, errors, values }, { status: 400 })
}

export type FormRead<T> =
  | { ok: true; data: T; values: FormValues; form: FormData }
  | { ok: false; errors: Record<string, string>; values: FormValues; form: FormData }

/**
 * Reads a posted form: `fields` are single texts, `lists` repeated ones (ticked boxes), and
 * `secrets` are parsed but never part of the values sent back (a password, a token).
 */
export async function readFormWith<S extends z.ZodTypeAny>(
  request: Request,
  schema: S,
  names: { fields: readonly string[]; lists?: readonly string[]; secrets?: readonly string[] },
): Promise<FormRead<z.output<S>>> {
  const form = await readForm(request)
  const values: FormValues = {}
  for (const name of names.fields) values[name] = formText(form, name)
  for (const name of names.lists ?? []) values[name] = formTexts(form, name)
  const secrets = Object.fromEntries((names.secrets ?? []).map((name) => [name, formText(form, name)]))
  const parsed = schema.safeParse({ ...values, ...secrets })
  return parsed.success ? { ok: true, data: parsed.data, values, form } : { ok: false, errors: issuesByField(parsed.error), values, form }
}
