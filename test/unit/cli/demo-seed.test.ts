import { describe, expect, it } from 'vitest'
import { demoDatasetOptions } from '../../../cli/demo-seed.js'
import { generateDataset } from '../../../simulator/data.js'

// Issue 13: the demo ends its data yesterday, so it never looks abandoned; tests keep 2026-11-01.
describe('the demo data set', () => {
  it('ends yesterday, in England', () => {
    expect(demoDatasetOptions(new Date('2026-12-06T10:00:00Z')).endDate).toBe('2026-12-05')
    // 00:30 on 2 July in England (BST) is still 1 July in UTC: yesterday is 1 July.
    expect(demoDatasetOptions(new Date('2026-07-01T23:30:00Z')).endDate).toBe('2026-07-01')
  })

  it('is generated up to that day, while the simulator default stays fixed for tests', () => {
    const options = demoDatasetOptions(new Date('2027-03-15T09:00:00Z'))
    const dataset = generateDataset({ ...options, practices: 1, days: 3 })
    expect(dataset.options.endDate).toBe('2027-03-14')
    expect(generateDataset({ practices: 1, days: 3 }).options.endDate).toBe('2026-11-01')
  })
})
