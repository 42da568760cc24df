import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { demoAgreements, demoDsptRegister, generateDataset, ndopCsv, noticeFileFor, practiceProfiles } from '../../../simulator/data.js'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

// Pins what a seed generates, byte for byte, so moving or splitting the simulator's code
// cannot change the demo, the benchmark or the tests' data unnoticed. A deliberate change
// to the simulated data updates these digests in the same commit.
describe('the simulated data for a seed', () => {
  it('is exactly what it was', () => {
    const dataset = generateDataset({ practices: 3, days: 21, seed: 7, eventsPerPracticePerDay: 12 })
    expect(sha256(JSON.stringify(dataset))).toBe('3a326cd94171ab34a6403989002d90c5a26b38067b717d71d1696ecac308e665')
    expect(sha256(ndopCsv(dataset, { achDate: '2026-11-01' }))).toBe('3e17a1a72da983a2094e57fdab2c3796d912782a5ce72a2ad95f5022d42ab0b1')
    expect(sha256(JSON.stringify(demoAgreements(dataset)))).toBe('1ff125e7b3ade2ae318b2e172f3579160c4d3b4c8127c52e3fa3f3bec0deba45')
    expect(sha256(JSON.stringify(demoDsptRegister(dataset)))).toBe('7b373883656bd019fd4e23c729f146615389033ee95a16d344c23a0f30e28d64')
    expect(
      sha256(
        JSON.stringify(
          [0, 1, 2, 3].map((i) => {
            const { file, notice } = noticeFileFor(i)
            return { file, notice }
          }),
        ),
      ),
    ).toBe('a2bbca5d560241c6584c3a93ce5226eb986217e4eb8f2eac05ae7553e6d7c2dc')
  })

  it('is exactly what it was with the default options (the demo and most tests use them)', () => {
    expect(sha256(JSON.stringify(generateDataset({ seed: 11 })))).toBe('50b1866f74bdf6987b23054f10d504abdcfe9e50a987b0b79cfa08ab0407543f')
  })

  it('names and places every practice as it did', () => {
    expect(sha256(JSON.stringify(practiceProfiles({ practices: 500, seed: 3 })))).toBe(
      '8b0db8430ccdb7ed5543f60d7bf1b9c723d857723aea8f5aeb740cbf7e348da2',
    )
  })
})
