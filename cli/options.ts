import { InvalidArgumentError } from 'commander'
import { checkValue, PeriodDay, RecordDay } from '../core/inputs.js'
import { ConfigError, requireSigningKey, type Config } from '../config/env.js'
import { ODS_PRACTICE_PATTERN } from '../db/queries/practices.js'
import { UserError } from './context.js'

/** Option readers the commands share: each refuses a bad value with a sentence naming it (exit 2). */

export const int = (name: string) => (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number.`)
  return n
}
const day = (schema: typeof RecordDay) => (v: string) => {
  const checked = checkValue(schema, v)
  if (!checked.ok) throw new InvalidArgumentError(`'${v}' ${checked.message}.`)
  return checked.value
}
// Periods reach at most a year ahead; an agreement's dates may lie further.
export const periodDay = day(PeriodDay)
export const recordDay = day(RecordDay)
export const ods = (v: string) => {
  const code = v.toUpperCase()
  if (!ODS_PRACTICE_PATTERN.test(code))
    throw new InvalidArgumentError(`'${v}' is not a GP practice ODS code (one letter and five digits, e.g. A81001).`)
  return code
}

/** Collects a repeatable option's values. */
export const repeated = (v: string, prev: string[] = []) => [...prev, v]

/**
 * A core operation's refusal (core/admin/) as the CLI says it: one sentence, naming the option
 * that carried the field, exit 2 (a usage error: nothing was written). `options` maps the
 * operation's field names to the command's options.
 */
export function refusal(errors: Record<string, string>, options: Record<string, string>): UserError {
  const [field, message] = Object.entries(errors)[0] ?? ['form', 'The command was refused.']
  const option = options[field]
  return new UserError(option ? `${option}: ${message}.` : `${message}.`, 2)
}

export function signingKeyOf(config: Config) {
  try {
    return requireSigningKey(config)
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(err.message)
    throw err
  }
}
