import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/main';
import { environmentVariables } from '../../src/lib/config';

// Docker cannot run here: these tests read the files Docker would, and check them against the CLI.
const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  profiles?: string[];
  ports?: string[];
  container_name?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string; required?: boolean }>;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/** The subcommand named, and the long flags it takes. */
function cliCommand(name: string): { command: Command; flags: Set<string> } | undefined {
  const command = buildProgram().commands.find((c) => c.name() === name);
  if (!command) return undefined;
  return { command, flags: new Set(command.options.map((o) => o.long).filter((f): f is string => !!f)) };
}

describe('docker-compose.yml', () => {
  it('has Redis with AOF every second and noeviction, workers, the dashboard, and the sandbox under a profile', () => {
    expect(Object.keys(services).sort()).toEqual(['console', 'dashboard', 'redis', 'sandbox', 'worker']);
    const redisCommand = services['redis']!.command!.join(' ');
    expect(redisCommand).toContain('--appendonly yes');
    expect(redisCommand).toContain('--appendfsync everysec');
    expect(redisCommand).toContain('--maxmemory-policy noeviction');
    expect(services['sandbox']!.profiles).toEqual(['sandbox']);
    for (const name of ['worker', 'dashboard', 'console']) expect(services[name]!.profiles).toBeUndefined();
  });

  it('runs every hire-queue service with a command and flags the CLI has, from the image the Dockerfile builds', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'redis') continue;
      expect(service.build).toBe('.');
      const [subcommand, ...args] = service.command ?? [];
      const cli = cliCommand(subcommand ?? '');
      expect({ service: name, command: cli ? subcommand : `no such command: ${subcommand}` }).toEqual({
        service: name,
        command: subcommand,
      });
      const unknown = args.filter((arg) => arg.startsWith('--') && !cli!.flags.has(arg));
      expect({ service: name, unknownFlags: unknown }).toEqual({ service: name, unknownFlags: [] });
    }
  });

  it('names only environment variables hire-queue reads, here and in .env.sandbox', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'redis') continue;
      const unread = Object.keys(service.environment ?? {}).filter((v) => !environmentVariables.includes(v));
      expect({ service: name, unread }).toEqual({ service: name, unread: [] });
    }
    const sandboxEnv = read('.env.sandbox')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=')[0]!);
    expect(sandboxEnv.filter((v) => !environmentVariables.includes(v))).toEqual([]);
    expect(sandboxEnv).toContain('FEISHU_BASE_URL');
  });

  it('gives every service a healthcheck, and lets the workers scale (no name, no host port)', () => {
    for (const [name, service] of Object.entries(services))
      expect({ service: name, healthcheck: Array.isArray(service.healthcheck?.test) }).toEqual({
        service: name,
        healthcheck: true,
      });
    expect(services['worker']!.container_name).toBeUndefined();
    expect(services['worker']!.ports).toBeUndefined();
    // The worker's health is its own /healthz, on the port its command serves metrics on.
    const metricsPort =
      services['worker']!.command![services['worker']!.command!.indexOf('--metrics-port') + 1];
    expect(services['worker']!.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${metricsPort}/healthz`);
    expect(services['worker']!.depends_on!['redis']!.condition).toBe('service_healthy');
    // Dropping the sandbox profile must not break the workers' start.
    expect(services['worker']!.depends_on!['sandbox']!.required).toBe(false);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('builds in one stage and runs production dependencies on a slim Node 20 image as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runtime = stages[stages.length - 1]!;
    expect(runtime).toMatch(/^node:20[-\w.]*slim/);
    expect(runtime).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist/);
    const user = /^USER (\S+)/m.exec(runtime)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(runtime).toMatch(/^ENTRYPOINT \["hire-queue"\]/m);
    // What the entrypoint runs is in the image.
    expect(runtime).toMatch(/^COPY bin /m);
    expect(read('bin/hire-queue.js')).toContain('../dist/src/cli/main.js');
  });

  it('copies into the build stage everything `npm run build` needs', () => {
    const build = stages[0]!;
    const copied = [...build.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    const project = /tsc -p (\S+)/.exec(pkg.scripts['build']!)![1]!;
    const tsconfig = JSON.parse(read(project)) as { extends?: string; include: string[] };
    // The script copier and the console's pages are built by the same command.
    const folders = [...pkg.scripts['build']!.matchAll(/(?:node |--config )(\w+)\//g)].map((m) => m[1]!);
    expect(folders.sort()).toEqual(['scripts', 'ui']);
    const needed = [
      'package.json',
      'package-lock.json',
      project,
      ...(tsconfig.extends ? [tsconfig.extends.replace(/^\.\//, '')] : []),
      ...tsconfig.include,
      ...folders,
    ];
    expect(needed.filter((path) => !copied.includes(path))).toEqual([]);
    expect(build).toMatch(/^RUN npm run build$/m);
    for (const path of needed) expect(existsSync(join(root, path))).toBe(true);
    // The build context must not be stripped of them.
    const ignored = read('.dockerignore').split('\n').filter(Boolean);
    expect(needed.filter((path) => ignored.includes(path))).toEqual([]);
  });
});
