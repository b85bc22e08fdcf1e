/**
 * The write batch's counter script (src/upstash/write-batch.ts), run by in-memory fakes: its
 * arguments decoded into the increments and expiries Redis would apply, in order.
 */
export type AppliedCommand =
  | { command: 'INCRBY'; key: string; amount: number }
  | { command: 'HINCRBY' | 'HINCRBYFLOAT'; key: string; field: string; amount: number }
  | { command: 'EXPIRE'; key: string; seconds: number }

export const isCounterScript = (text: string) => text.includes("redis.pcall('HINCRBYFLOAT'")

export function counterCommands(keys: string[], args: string[]): AppliedCommand[] {
  const commands: AppliedCommand[] = []
  const keyAt = (index: string | undefined) => keys[Number(index) - 1] ?? ''
  let at = 1
  for (let index = 0; index < Number(args[0]); index++) {
    const [key, kind, field, amount] = args.slice(at, at + 4)
    if (kind === 'i') commands.push({ command: 'INCRBY', key: keyAt(key), amount: Number(amount) })
    else {
      commands.push({
        command: kind === 'f' ? 'HINCRBYFLOAT' : 'HINCRBY',
        key: keyAt(key),
        field: field ?? '',
        amount: Number(amount),
      })
    }
    at += 4
  }
  for (; at < args.length; at += 2) {
    commands.push({ command: 'EXPIRE', key: keyAt(args[at]), seconds: Number(args[at + 1]) })
  }
  return commands
}

/** One command as text, as the fakes log them: `HINCRBY key field 3`. */
export function commandText(command: AppliedCommand): string {
  if (command.command === 'EXPIRE') return `EXPIRE ${command.key} ${command.seconds}`
  if (command.command === 'INCRBY') return `INCRBY ${command.key} ${command.amount}`
  return `${command.command} ${command.key} ${command.field} ${command.amount}`
}
