import { describe, expect, it } from 'vitest'
import { appendPage, type MappedPage } from '../../../jobs/fhir/page.js'

const page = (p: Partial<MappedPage>): MappedPage => ({
  read: 0,
  disclosures: [],
  overrides: [],
  choices: [],
  quarantine: [],
  loadedKeys: [],
  highWaterMark: null,
  ...p,
})
const q = (recordKey: string) => ({ recordKey, resourceType: 'AuditEvent', reason: 'bad', payload: {} })

// Pages gathered into one batch must commit as if they had been committed one by one.
describe('appendPage', () => {
  it('adds counts and records, and keeps the newest high-water mark', () => {
    const a = page({ read: 2, loadedKeys: ['a', 'b'], highWaterMark: '2026-03-02T09:02:00.000Z' })
    const b = page({ read: 3, loadedKeys: ['c'], quarantine: [q('d')], highWaterMark: '2026-03-02T09:05:00.000Z' })
    const merged = appendPage(a, b)
    expect(merged).toMatchObject({ read: 5, loadedKeys: ['a', 'b', 'c'], quarantine: [q('d')], highWaterMark: '2026-03-02T09:05:00.000Z' })
    expect(appendPage(page({ highWaterMark: '2026-03-02T09:05:00.000Z' }), page({})).highWaterMark).toBe('2026-03-02T09:05:00.000Z')
    expect(appendPage(page({}), page({ highWaterMark: '2026-03-02T09:01:00.000Z' })).highWaterMark).toBe('2026-03-02T09:01:00.000Z')
  })

  it('leaves a record quarantined when a later page quarantines what an earlier one loaded, and resolves the reverse', () => {
    // Quarantine is written before resolution within a batch: loaded-then-quarantined must not resolve.
    const loadedThenBad = appendPage(page({ loadedKeys: ['x', 'y'] }), page({ quarantine: [q('x')] }))
    expect(loadedThenBad.loadedKeys).toEqual(['y'])
    expect(loadedThenBad.quarantine).toEqual([q('x')])
    const badThenLoaded = appendPage(page({ quarantine: [q('x')] }), page({ loadedKeys: ['x'] }))
    expect(badThenLoaded.loadedKeys).toEqual(['x'])
    expect(badThenLoaded.quarantine).toEqual([q('x')])
  })
})
