import { storableId as storeId, storableText as storeText } from '../../core/identifiers.js'
import type { MapContext } from './codes.js'

/** Free text from a practice system as stored: see core/identifiers.ts storableText. */
export function storableText(text: string | null | undefined, ctx: Pick<MapContext, 'maxTextChars'>): string | null {
  return storeText(text, ctx.maxTextChars)
}

/** A record id or version as stored: see core/identifiers.ts storableId. */
export function storableId(id: string | null, ctx: Pick<MapContext, 'pseudonymKey' | 'sourceId'>): string | null {
  return storeId(id, ctx.pseudonymKey, ctx.sourceId)
}
