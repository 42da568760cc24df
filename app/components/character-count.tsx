import { useState, type TextareaHTMLAttributes } from 'react'
import { formatCount } from '../../core/format.js'

/**
 * A textarea with the NHS character count: the limit is said in the hint before anyone types
 * (and without JavaScript), and a polite live message says how many are left or too many. No
 * maxlength attribute, on purpose: it would silently cut a paste; the server refuses and says.
 */
export function CharacterCount({
  id,
  limit,
  describedBy,
  defaultValue,
  ...rest
}: { id: string; limit: number; describedBy?: string; defaultValue?: string } & Omit<
  TextareaHTMLAttributes<HTMLTextAreaElement>,
  'id' | 'defaultValue' | 'aria-describedby'
>) {
  const [length, setLength] = useState<number | null>(defaultValue ? defaultValue.length : null)
  const countId = `${id}-count`
  const left = limit - (length ?? 0)
  return (
    <>
      <textarea
        id={id}
        defaultValue={defaultValue}
        aria-describedby={[describedBy, countId].filter(Boolean).join(' ')}
        onInput={(e) => setLength(e.currentTarget.value.length)}
        {...rest}
      />
      <p className={`hint character-count${left < 0 ? ' character-count--over' : ''}`} id={countId} aria-live="polite">
        {length === null
          ? `You can enter up to ${formatCount(limit)} characters`
          : left >= 0
            ? `You have ${formatCount(left)} ${left === 1 ? 'character' : 'characters'} remaining`
            : `You have ${formatCount(-left)} ${left === -1 ? 'character' : 'characters'} too many`}
      </p>
    </>
  )
}
