import { startCli } from './processes';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hire-queue ARGS` to its end with `env` (over this one's), optionally feeding stdin. */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  stdin?: string,
): Promise<CliResult> {
  const cli = startCli(args, { env, ...(stdin !== undefined ? { stdin } : {}) });
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
