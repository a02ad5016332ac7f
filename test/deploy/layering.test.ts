import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const depcruise = join(root, 'node_modules/.bin/depcruise');

/** `npm run lint`'s import check on a folder: its exit code and what it said. */
function cruise(folder: string): { code: number; output: string } {
  try {
    const output = execFileSync(depcruise, [folder, '--config', join(root, '.dependency-cruiser.cjs')], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return { code: 0, output };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, output: failed.stdout + failed.stderr };
  }
}

describe('layers that run one way (issue 28, item 4)', () => {
  it('refuses an import cycle, as a throwaway change that makes one shows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hq-cycle-'));
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b';\nexport const a = () => b();\n");
    writeFileSync(join(dir, 'b.ts'), "import { a } from './a';\nexport const b = (): unknown => a;\n");
    const refused = cruise(dir);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('no-circular');
  });

  it('finds no cycle in src (what `npm run lint` runs)', () => {
    expect(cruise('src')).toMatchObject({ code: 0 });
  });
});
