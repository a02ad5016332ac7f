import type { Command } from 'commander';
import { fleetStatus } from '../lib/fleet/fleet-status';
import { addConnectionOptions, configFrom, openFeishuContext, type ConnectionFlags } from './cli-context';

const callWords: Readonly<Record<string, string>> = {
  pending: 'pending',
  succeeded: 'succeeded',
  alreadyDone: 'already done',
  skipped: 'skipped',
  deadLettered: 'dead-lettered',
  cancelled: 'cancelled',
};

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const eta = (seconds: number | null) =>
  seconds === null ? '-' : seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;

export function registerStatusCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('status')
      .description('the fleet at a glance: queues, workers, limiter, halt, recent batches with their ETA')
      .option('--json', 'one JSON object: queues, workers, halt, limiter, batches'),
  ).action(async (flags: ConnectionFlags & { json?: boolean }) => {
    const ctx = await openFeishuContext(configFrom(flags));
    try {
      const status = await fleetStatus(ctx);
      if (flags.json) return out(JSON.stringify(status));
      out(`queues (prefix ${ctx.config.queuePrefix}):`);
      for (const [name, counts] of Object.entries(status.queues))
        out(
          `  ${name.padEnd(11)} ${Object.entries(counts)
            .map(([state, n]) => `${state} ${n}`)
            .join(', ')}`,
        );
      out(`workers: create ${status.workers.create}, terminate ${status.workers.terminate}`);
      out(
        status.halt
          ? `HALTED: Feishu ${status.halt.code} ${status.halt.message}; to fix: ${status.halt.fix}`
          : 'halt: none',
      );
      out('limiter:');
      for (const [endpoint, l] of Object.entries(status.limiter))
        out(
          `  ${endpoint.padEnd(9)} ${l.limits}, margin ${l.marginMs} ms, allowance ${Math.round(l.allowance * 100)}%${l.blockedUntil ? `, blocked until ${l.blockedUntil}` : ''}`,
        );
      out('recent batches:');
      for (const b of status.batches) {
        // Counted by call, as the limit works: a row that repeats another shares its call.
        const calls = Object.entries(b.counts)
          .filter(([state, n]) => n > 0 || state === 'pending')
          .map(([state, n]) => `${n} ${callWords[state] ?? state}`)
          .join(', ');
        out(
          `  ${b.batchId}\t${b.operation}\t${b.state}\t${b.rows} rows${b.allRowsIn ? '' : ' (input not all in)'}; ${b.done}/${b.jobs} jobs ended: ${calls}\t${b.ratePerSecond}/s\tETA ${eta(b.etaSeconds)}`,
        );
      }
      if (status.approvals.length > 0) {
        out('batches confirmed in the console, nothing enqueued yet:');
        for (const a of status.approvals)
          out(
            `  ${a.batchId}\t${a.operation}\t${a.state}${a.reason ? ` (${a.reason})` : ''}\t${a.rows} rows\tasked by ${a.requestedBy} at ${a.requestedAt}`,
          );
      }
      const lost = Object.entries(status.lostBatches);
      if (lost.length > 0) {
        out('lost batches (gone from Redis while their jobs were queued; no call made for these jobs):');
        for (const [batchId, jobs] of lost) out(`  ${batchId}\t${jobs} job(s) dropped`);
      }
    } finally {
      await ctx.close();
    }
  });
}
