import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { importLedgerEntries } from '../lib/ledger/ledger-file';
import { addConnectionOptions, configFrom, openQueueContext, type ConnectionFlags } from './cli-context';
import { ExitCode } from './exit-codes';

interface LedgerFlags extends ConnectionFlags {
  out?: string;
  file?: string;
  encoding?: string;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

export function registerLedgerCommand(program: Command): void {
  const ledger = program
    .command('ledger')
    .description(
      'the applications hire-queue created or adopted, by talent and job (used by --skip-created)',
    );

  addConnectionOptions(
    ledger
      .command('export')
      .description('write every entry as NDJSON: talent_id, job_id, application_id, at, how')
      .option('--out <file>', 'the file to write (default: standard output)'),
  ).action(async (flags: LedgerFlags) => {
    const ctx = await openQueueContext(configFrom(flags));
    try {
      const out = flags.out ? createWriteStream(flags.out) : process.stdout;
      let count = 0;
      for await (const entry of ctx.ledger.entries()) {
        out.write(`${JSON.stringify(entry)}\n`);
        count++;
      }
      if (flags.out) {
        out.end();
        await finished(out);
      }
      say(`${count} ledger entr${count === 1 ? 'y' : 'ies'} exported`);
    } finally {
      await ctx.close();
    }
  });

  addConnectionOptions(
    ledger
      .command('import')
      .description(
        'seed the ledger from NDJSON (talent_id, job_id, application_id[, at]), e.g. from the system you sync from',
      )
      .requiredOption('--file <path>', 'the NDJSON file, or - for standard input')
      .option('--encoding <name>', "the file's encoding when not UTF-8: gbk, gb18030, utf16le, ..."),
  ).action(async (flags: LedgerFlags) => {
    const ctx = await openQueueContext(configFrom(flags));
    try {
      const result = await importLedgerEntries(ctx.ledger, flags.file!, flags.encoding);
      say(
        `${result.imported} entr${result.imported === 1 ? 'y' : 'ies'} imported, ${result.invalid.length} invalid`,
      );
      for (const bad of result.invalid.slice(0, 20)) say(`  line ${bad.line}: ${bad.errors.join('; ')}`);
      process.exitCode = result.invalid.length > 0 ? ExitCode.partial : ExitCode.ok;
    } finally {
      await ctx.close();
    }
  });
}
