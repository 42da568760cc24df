import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { NoticeFileSchema, type NoticeFile } from '../jobs/import-notice.js'

/**
 * Which privacy notice each simulated practice publishes: the notice files written from the
 * seeds (seeds/notices/), taken in turn. 000 lists purposes (outside_notice checks them) and
 * promises to ask before identifiable secondary use; 002 promises safe systems; 001 lists kinds
 * of organisation, research organisations not among them, so its practices do no everyday
 * research sharing (only planted records go there).
 */
export const NOTICE_FILES = [
  '000-care-or-research.yaml',
  '002-sharing-your-information.yaml',
  '001-health-and-social-care.yaml',
  '004-nhs-england-programme.yaml',
  '003-care-data-systmone.yaml',
] as const

export const NOTICE_DIR = new URL('../seeds/notices/', import.meta.url)

const loaded = new Map<string, NoticeFile>()

export function noticeFileFor(practiceIndex: number): { file: string; path: string; notice: NoticeFile } {
  const file = NOTICE_FILES[practiceIndex % NOTICE_FILES.length]!
  const path = fileURLToPath(new URL(file, NOTICE_DIR))
  let notice = loaded.get(file)
  if (!notice) {
    notice = NoticeFileSchema.parse(parseYaml(fs.readFileSync(path, 'utf8')))
    loaded.set(file, notice)
  }
  return { file, path, notice }
}
