/**
 * An override event's review deadline in words ("Overdue by 3 days", "Due in 2 days"). The
 * colour of the overdue text only repeats what the words say, never replaces them.
 */
export function DueStatus({
  event: e,
}: {
  event: {
    overdue: boolean
    overdueDays: number
    dueInDays: number | null
    status: 'pending' | 'awaiting_countersignature' | 'reviewed' | 'not_required'
  }
}) {
  if (e.overdue) {
    return (
      <strong className="overdue" data-testid="overdue">
        Overdue by {e.overdueDays} {e.overdueDays === 1 ? 'day' : 'days'}
      </strong>
    )
  }
  if ((e.status === 'pending' || e.status === 'awaiting_countersignature') && e.dueInDays !== null) {
    return <span>{e.dueInDays === 0 ? 'Due today' : `Due in ${e.dueInDays} ${e.dueInDays === 1 ? 'day' : 'days'}`}</span>
  }
  return null
}
