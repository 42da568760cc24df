import { ESLint } from 'eslint'
import { beforeAll, describe, expect, it } from 'vitest'

/**
 * The folder boundaries in eslint.config.js (docs/decisions/030) are what keeps imports pointing
 * one way; these lint small sources as if they sat at a path in the repository, against the real
 * files they import, so a boundary that stopped working would fail here, not silently in CI.
 */
let eslint: ESLint

beforeAll(() => {
  eslint = new ESLint({ cwd: process.cwd() })
})

async function boundaryMessages(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return result!.messages.filter((m) => m.ruleId === 'import-x/no-restricted-paths').map((m) => m.message)
}

describe('folder boundaries', () => {
  it('refuse a route importing db/, and name app/lib/*.server.ts as the door', async () => {
    const messages = await boundaryMessages(
      "import { openDatabase } from '../../db/client.js'\nexport const open = openDatabase\n",
      'app/routes/x.tsx',
    )
    expect(messages).toHaveLength(1)
    expect(messages[0]).toContain('"../../db/client.js"')
    expect(messages[0]).toContain('only through app/lib/*.server.ts')
  })

  it('refuse the same import written with the #* imports map', async () => {
    const messages = await boundaryMessages(
      "import { openDatabase } from '#db/client.js'\nexport const open = openDatabase\n",
      'app/components/x.tsx',
    )
    expect(messages).toHaveLength(1)
    expect(messages[0]).toContain('only through app/lib/*.server.ts')
  })

  it('refuse db/ importing app/: db/ is the bottom layer', async () => {
    const messages = await boundaryMessages(
      "import { csvExport } from '../../app/lib/csv.server.js'\nexport const csv = csvExport\n",
      'db/queries/x.ts',
    )
    expect(messages).toHaveLength(1)
    expect(messages[0]).toContain('db/ is the bottom layer')
  })

  it('refuse core/ importing an entry point', async () => {
    const messages = await boundaryMessages(
      "import { csvExport } from '../app/lib/csv.server.js'\nexport const csv = csvExport\n",
      'core/x.ts',
    )
    expect(messages).toHaveLength(1)
    expect(messages[0]).toContain('core/ is shared by every entry point')
  })

  it('refuse production code importing test/', async () => {
    const messages = await boundaryMessages(
      "import { TEST_SERVER_URL } from '../../test/support/test-env.js'\nexport const url = TEST_SERVER_URL\n",
      'app/lib/x.server.ts',
    )
    expect(messages).toHaveLength(1)
    expect(messages[0]).toContain('production code must not import it')
  })

  it('let a route import app/lib and a page service import db/', async () => {
    expect(
      await boundaryMessages("import { formatDay } from '../lib/format.js'\nexport const day = formatDay\n", 'app/routes/x.tsx'),
    ).toEqual([])
    expect(
      await boundaryMessages(
        "import { openDatabase } from '../../db/client.js'\nexport const open = openDatabase\n",
        'app/lib/x.server.ts',
      ),
    ).toEqual([])
  })
})
