import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { formatCount } from '../../../core/format.js'
import { ClientOnly } from '../client-only.js'

export interface TrendPoint {
  label: string
  value: number
  /** Only part of this bucket is covered (the period or the data starts or ends inside it). */
  partial?: boolean
}

/**
 * Counts over time. Drawn after hydration and hidden from screen readers: a table sits beside it.
 * A partial bucket (only the first or the last can be) is reached by a dashed line and labelled
 * with `partialLabel` ("part month"), so a short month is not read as a fall.
 */
export function TrendChart({ data, name, partialLabel = 'part period' }: { data: TrendPoint[]; name: string; partialLabel?: string }) {
  const last = data.length - 1
  const leadPartial = data.length > 0 && data[0]!.partial === true
  const tailPartial = data.length > 0 && data[last]!.partial === true
  const rows = data.map((d, i) => ({
    label: d.label,
    partial: d.partial === true,
    // Solid between whole buckets; dashed from a partial end bucket to its neighbour.
    whole: d.partial ? null : d.value,
    lead: leadPartial && i <= 1 ? d.value : null,
    tail: tailPartial && i >= last - 1 ? d.value : null,
    value: d.value,
  }))
  // Each partial point is marked once: the first by the lead series, the last by the tail one
  // (with two points, or one, both series pass through both).
  const partialDot = (anchor: 'start' | 'end') =>
    function PartialDot(props: { cx?: number; cy?: number; index?: number; payload?: { partial: boolean } }) {
      const { cx, cy, index, payload } = props
      const mine = anchor === 'start' ? index === 0 : index === last && !(last === 0 && leadPartial)
      if (cx === undefined || cy === undefined || !payload?.partial || !mine) return <g key={`dot-${anchor}-${index}`} />
      return (
        <g key={`dot-${anchor}-${index}`} className="trend-chart__partial">
          <circle cx={cx} cy={cy} r={4} fill="#ffffff" stroke="#005eb8" strokeWidth={2} />
          <text x={cx} y={cy - 10} textAnchor={data.length === 1 ? 'middle' : anchor} fontSize={12} fill="#212b32">
            {partialLabel}
          </text>
        </g>
      )
    }
  return (
    <div className="chart" style={{ height: 260 }} aria-hidden="true">
      <ClientOnly>
        {() => (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart accessibilityLayer={false} data={rows} margin={{ top: 24, right: 24, bottom: 8, left: 8 }}>
              <CartesianGrid stroke="#d8dde0" />
              <XAxis dataKey="label" stroke="#4c6272" tick={{ fontSize: 12 }} minTickGap={24} />
              <YAxis allowDecimals={false} tickFormatter={formatCount} stroke="#4c6272" />
              <Tooltip
                content={({ active, payload, label }) => {
                  const point = active ? (payload?.[0]?.payload as (typeof rows)[number] | undefined) : undefined
                  if (!point) return null
                  return (
                    <div className="chart-tooltip">
                      {label}: {formatCount(point.value)} {name.toLowerCase()}
                      {point.partial ? ` (${partialLabel})` : ''}
                    </div>
                  )
                }}
              />
              <Line type="linear" dataKey="whole" name={name} stroke="#005eb8" strokeWidth={2} dot={false} isAnimationActive={false} />
              {leadPartial && (
                <Line
                  type="linear"
                  dataKey="lead"
                  name={name}
                  stroke="#005eb8"
                  strokeWidth={2}
                  strokeDasharray="6 4"
                  dot={partialDot('start')}
                  isAnimationActive={false}
                  className="trend-chart__part"
                />
              )}
              {tailPartial && (
                <Line
                  type="linear"
                  dataKey="tail"
                  name={name}
                  stroke="#005eb8"
                  strokeWidth={2}
                  strokeDasharray="6 4"
                  dot={partialDot('end')}
                  isAnimationActive={false}
                  className="trend-chart__part"
                />
              )}
            </LineChart>
          </ResponsiveContainer>
        )}
      </ClientOnly>
    </div>
  )
}
