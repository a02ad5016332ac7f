import type { Command } from 'commander';
import { ConfigError } from '../lib/errors/config-error';
import { doctorPassed, runDoctor, type DoctorCheck } from '../lib/fleet/doctor';
import { addConnectionOptions, configFrom, type ConnectionFlags } from './cli-context';
import { ExitCode } from './exit-codes';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

export function registerDoctorCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('doctor')
      .description('check Redis, the Feishu app and the limits before a run; exit 1 if anything fails')
      .option('--json', 'one JSON object: { "checks": [{ "name", "status", "message", "fix" }] }'),
  ).action(async (flags: ConnectionFlags & { json?: boolean }) => {
    let checks: DoctorCheck[];
    try {
      checks = await runDoctor(configFrom(flags));
    } catch (error) {
      // A configuration that does not parse is the first thing the doctor reports.
      if (!(error instanceof ConfigError)) throw error;
      checks = [
        { name: 'config', status: 'fail', message: error.message, fix: 'correct the variable named' },
      ];
    }
    if (flags.json) out(JSON.stringify({ checks }));
    else
      for (const check of checks) {
        out(`${check.status.padEnd(4)}  ${check.name.padEnd(16)} ${check.message}`);
        if (check.fix && check.status !== 'ok') out(`${' '.repeat(23)}to fix: ${check.fix}`);
      }
    process.exitCode = doctorPassed(checks) ? ExitCode.ok : ExitCode.fatal;
  });
}
