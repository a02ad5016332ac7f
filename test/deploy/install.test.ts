import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const readme = (name: string) => readFileSync(join(root, name), 'utf8');

describe('installing as the README says (issue 27, finding 17)', () => {
  it('never sends users to npx of a name the project does not own', () => {
    for (const name of ['README.md', 'README.zh-CN.md']) {
      const uses = readme(name)
        .split('\n')
        .filter((line) => /npx hire-queue/.test(line));
      // The one line that warns against it.
      expect({ name, uses: uses.length }).toEqual({ name, uses: 1 });
      expect(uses[0]).toMatch(/npx/);
    }
  });

  it('runs the cron line’s command by path, from any folder, without a global install', () => {
    const cron = readme('README.md')
      .split('\n')
      .find((line) => line.startsWith('30 2 * * *'))!;
    const command = /&& (?:\S+=\S+ )*(node \S+bin\/hire-queue\.js) run create/.exec(cron);
    expect(command).not.toBeNull();
    // The same command with the checkout where the README puts it replaced by this one.
    const version = execFileSync(process.execPath, [join(root, 'bin/hire-queue.js'), '--version'], {
      cwd: mkdtempSync(join(tmpdir(), 'hq-cron-')),
      env: { PATH: '/usr/bin:/bin' },
    }).toString();
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('packs what a global install of the tarball needs', () => {
    const [pack] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root }).toString(),
    ) as [{ files: { path: string }[] }];
    const files = pack.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining(['bin/hire-queue.js', 'dist/src/cli/main.js', 'package.json']),
    );
    // The Redis scripts, read from beside the compiled loader at run time: every one ships.
    const scripts = readdirSync(join(root, 'src/lib/redis/lua'), { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.lua'));
    expect(scripts.length).toBeGreaterThan(15);
    expect(files).toEqual(expect.arrayContaining(scripts.map((name) => `dist/src/lib/redis/lua/${name}`)));
  });
});
