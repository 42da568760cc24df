import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { ClientOnly } from '../client-only.js'

export interface RateSeries {
  key: string
  name: string
  /** Index into the palette: one colour per practice. */
  colour: number
  /** The line style tells measures apart without relying on colour. */
  dashed: 'none' | 'short' | 'long'
}

// Colours with at least 3:1 contrast on white, told apart by dash style and legend text too.
const PALETTE = ['#005eb8', '#d5281b', '#007f3b', '#7c2855', '#ed8b00', '#330072', '#00A499', '#425563', '#8a1538']
const DASHES = { none: undefined, short: '4 3', long: '10 4' } as const

const percent = (v: unknown) => (typeof v === 'number' ? `${v.toFixed(2)}%` : 'no figure')

/**
 * Percentages over time, one line per series (practice x measure). Drawn after hydration
 * (recharts 3 renders nothing on the server) and hidden from screen readers: the page puts a
 * table with the same figures beside it. Gaps (no publication that month) are bridged.
 */
export function RateTrendChart({
  points,
  series,
  xKey,
  formatX,
}: {
  points: Array<Record<string, string | number | null>>
  series: RateSeries[]
  xKey: string
  formatX: (x: string) => string
}) {
  return (
    <div className="chart" style={{ height: 320 + Math.ceil(series.length / 3) * 20 }} aria-hidden="true">
      <ClientOnly>
        {() => (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart accessibilityLayer={false} data={points} margin={{ top: 8, right: 24, bottom: 8, left: 8 }}>
              <CartesianGrid stroke="#d8dde0" />
              <XAxis dataKey={xKey} tickFormatter={(x) => formatX(String(x))} stroke="#4c6272" tick={{ fontSize: 12 }} minTickGap={16} />
              <YAxis tickFormatter={(v) => `${v}%`} stroke="#4c6272" width={56} />
              <Tooltip formatter={(v) => percent(v)} labelFormatter={(x) => formatX(String(x))} />
              <Legend />
              {series.map((s) => (
                <Line
                  key={s.key}
                  type="linear"
                  dataKey={s.key}
                  name={s.name}
                  stroke={PALETTE[s.colour % PALETTE.length]}
                  strokeWidth={2}
                  strokeDasharray={DASHES[s.dashed]}
                  dot={{ r: 3 }}
                  connectNulls
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        )}
      </ClientOnly>
    </div>
  )
}
