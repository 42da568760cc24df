import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { outsideNotice, PROMISE_CATALOGUE, promiseVerdict, promisesCheckedBy } from '../../../core/promises.js'
import { RULE_IDS } from '../../../core/findings/index.js'
import { checkNotice, NoticeFileError } from '../../../jobs/import-notice.js'
import { NOTICE_DIR, NOTICE_FILES } from '../../../simulator/notices.js'

const CODES = {
  purposes: [
    'direct_care',
    'emergency_care',
    'research',
    'commissioning',
    'legal',
    'subject_access',
    'clinical_audit',
    'benchmarking',
    'service_management',
    'contract_monitoring',
    'capacity_planning',
    'teaching_training',
    'incident_review',
    'surveys',
    'personal_development',
    'risk_stratification',
    'secondary_processing',
    'safeguarding',
    'public_health',
  ],
  recipientTypes: [
    'nhs_trust',
    'gp_practice',
    'independent_contractor',
    'private_provider',
    'voluntary_provider',
    'ambulance_trust',
    'icb',
    'social_care',
    'nhs_england',
    'local_authority',
    'education',
    'fire_rescue',
    'police_judicial',
    'survey_contractor',
    'data_processor',
    'research_org',
  ],
}

describe('the catalogue of promises', () => {
  it('maps every promise to rules that exist, and every rule but the operational ones to a promise', () => {
    for (const p of PROMISE_CATALOGUE) for (const r of p.checkedBy) expect(RULE_IDS, p.code).toContain(r)
    const unmapped = RULE_IDS.filter((r) => promisesCheckedBy(r).length === 0)
    expect(unmapped.sort()).toEqual(['quarantine_growing', 'silent_source'])
  })

  it('gives plain verdicts', () => {
    expect(promiseVerdict(0, 0).text).toBe('kept')
    expect(promiseVerdict(0, 1).text).toBe('kept with 1 exception, all reviewed')
    expect(promiseVerdict(0, 3).text).toBe('kept with 3 exceptions, all reviewed')
    expect(promiseVerdict(1, 5).text).toBe('broken 1 time')
    expect(promiseVerdict(4, 0).text).toBe('broken 4 times')
  })
})

describe('outsideNotice', () => {
  const notice = {
    purposes: ['direct_care', 'research'],
    recipientTypes: ['nhs_trust', 'data_processor'],
    processors: [{ name: 'North CSU', ods: '0AR' }],
  }
  const d = (purpose: string, recipientType: string, recipientName = 'X', recipientOds: string | null = null) =>
    outsideNotice(notice, { purpose, recipientType, recipientName, recipientOds })
  it('flags a purpose, a kind of organisation or a processor the notice does not list', () => {
    expect(d('commissioning', 'nhs_trust')).toBe('purpose')
    expect(d('research', 'education')).toBe('recipient_type')
    expect(d('research', 'data_processor', 'Other Ltd')).toBe('processor')
  })
  it('leaves alone what the law requires or the patient asks for, urgent care, the patient, and named processors', () => {
    expect(d('legal', 'police_judicial')).toBeNull()
    expect(d('subject_access', 'solicitor')).toBeNull()
    expect(d('emergency_care', 'nhs_trust')).toBeNull()
    expect(d('direct_care', 'patient_representative')).toBeNull()
    expect(d('research', 'data_processor', 'north csu')).toBeNull()
    expect(d('research', 'data_processor', 'Renamed CSU', '0ar')).toBeNull()
    expect(
      outsideNotice(
        { purposes: null, recipientTypes: null, processors: null },
        { purpose: 'commissioning', recipientType: 'other', recipientName: 'X', recipientOds: null },
      ),
    ).toBeNull()
  })
})

describe('notice files', () => {
  it('the five written from the seeds pass the checks, and quote the seeds word for word', () => {
    expect(NOTICE_FILES).toHaveLength(5)
    for (const file of NOTICE_FILES) {
      const notice = checkNotice(parseYaml(fs.readFileSync(new URL(file, NOTICE_DIR), 'utf8')), CODES)
      // seeds/notices/source/ holds copies of shared/seeds/, the notices the files are written from.
      const seed = fs
        .readFileSync(new URL(`source/${notice.source!.replace('shared/seeds/', '')}`, NOTICE_DIR), 'utf8')
        .replace(/\s+/g, ' ')
      for (const p of notice.promises) expect(seed, `${file} ${p.promise}`).toContain(p.words)
    }
  })
  it('refuses a notice naming the field', () => {
    const ok = { title: 'T', in_force_from: '2026-01-01', promises: [{ promise: 'safe_systems', words: 'Safe.' }] }
    const refused = (n: unknown) => {
      try {
        checkNotice(n, CODES)
      } catch (err) {
        expect(err).toBeInstanceOf(NoticeFileError)
        return (err as Error).message
      }
      throw new Error('accepted')
    }
    expect(refused({ ...ok, promises: [] })).toBe('promises: must list at least one promise')
    expect(refused({ ...ok, promises: [{ promise: 'safe_systems' }] })).toBe('promises[0].words: is required')
    expect(
      refused({
        ...ok,
        recipient_types: ['nhs_trust', 'nhs_trust'],
        promises: [...ok.promises, { promise: 'only_as_listed', words: 'w' }],
      }),
    ).toBe('recipient_types[1]: "nhs_trust" is listed twice')
    expect(
      refused({
        ...ok,
        processors: [{ name: 'P', ods: 'not an ods' }],
        promises: [...ok.promises, { promise: 'only_as_listed', words: 'w' }],
      }),
    ).toBe('processors[0].ods: must be an ODS code such as 8HN21')
    expect(refused({ ...ok, promises: [{ promise: 'only_as_listed', words: 'w' }] })).toMatch(/^promises: only_as_listed needs purposes/)
  })
})
