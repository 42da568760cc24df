import { latestCheckpoint, listChainHeads } from '../queries/index.js'
import { formatCount, formatIsoDateTime } from '../../core/format.js'
import { keyValues, paragraph } from '../pdf/heading.js'
import { drawTable } from '../pdf/table/index.js'
import type { AuditPack } from './pack.js'

export async function ledgerSection({ ctx, section }: AuditPack): Promise<void> {
  const { doc, db, scope } = ctx
  // The tamper-evident ledger (decision 024): the chain heads this report's data sit under,
  // and the latest signed checkpoint, so a pack and a checkpoint kept elsewhere prove each other.
  section('10. Ledger: chain heads and checkpoint')
  paragraph(
    doc,
    'Every record that must never change (disclosures and opt-out choices as collected, overrides, reviews and countersignatures, finding changes, ' +
      "agreements, report records and the access log) is hash-chained, one chain per practice and one for system-wide records. Below, each chain's head " +
      'at the time of this report, and the latest checkpoint signed over the heads. Check them: `npm run ledger -- integrity verify --checkpoint FILE.json`.',
    { size: 9 },
  )
  const chainKeys = [...scope.practiceIds, 0]
  const heads = await listChainHeads(db, chainKeys)
  const checkpoint = await latestCheckpoint(db)
  const checkpointed = new Map((checkpoint?.chains ?? []).map((c) => [c.chain, c]))
  const chainName = (key: number) => (key === 0 ? 'System-wide' : (ctx.practices.find((p) => p.id === key)?.odsCode ?? String(key)))
  keyValues(doc, [
    [
      'Latest checkpoint',
      checkpoint
        ? `number ${checkpoint.id}, signed ${formatIsoDateTime(new Date(checkpoint.createdAt))} by ${checkpoint.createdBy}${checkpoint.developmentKey ? ' with the DEVELOPMENT key (proves nothing)' : ''}; key fingerprint ${checkpoint.keyFingerprint}`
        : 'none signed yet: run `npm run ledger -- integrity checkpoint` (the scheduler signs one nightly)',
    ],
  ])
  const sled = ctx.section('ledger')
  drawTable(
    doc,
    [
      { header: 'Chain', width: 1.6 },
      { header: 'Entries', width: 1.3, align: 'right' },
      { header: 'Head hash (SHA-256)', width: 6.4 },
      { header: 'Checkpoint covers', width: 2.6 },
    ],
    heads.map((h) => {
      const seq = Number(h.seq)
      const c = checkpointed.get(h.chain_key)
      const covers = !c
        ? 'not checkpointed'
        : c.seq >= seq
          ? 'every entry'
          : `${formatCount(c.seq)} entries; ${formatCount(seq - c.seq)} since`
      sled.add([chainName(h.chain_key), seq, h.hash, c?.seq ?? null, c?.hash ?? null])
      return [chainName(h.chain_key), formatCount(seq), h.hash, covers]
    }),
    { emptyText: 'No chain yet.' },
  )
}
