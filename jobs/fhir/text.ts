import crypto from 'node:crypto'
import { hasNhsNumber, storableText as storeText } from '../../core/identifiers.js'
import type { MapContext } from './codes.js'

/** Free text from a practice system as stored: see core/identifiers.ts storableText. */
export function storableText(text: string | null | undefined, ctx: Pick<MapContext, 'maxTextChars'>): string | null {
  return storeText(text, ctx.maxTextChars)
}

const MAX_ID_LENGTH = 200

/**
 * A source's record id or version as stored and shown. One that holds what could be an NHS
 * number (or is absurdly long) is replaced by a keyed digest of itself: the same record keeps
 * the same id, so re-reads stay duplicates, and nobody without the key can recover the number.
 */
export function storableId(id: string | null, ctx: Pick<MapContext, 'pseudonymKey' | 'sourceId'>): string | null {
  if (id === null || (id.length <= MAX_ID_LENGTH && !hasNhsNumber(id))) return id
  return `id:${crypto.createHmac('sha256', ctx.pseudonymKey).update(`${ctx.sourceId}:${id}`).digest('hex').slice(0, 32)}`
}
