import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const depcruise = join(root, 'node_modules/.bin/depcruise');

/** A check of `npm run lint`, run: its exit code and what it said. */
function check(command: string, args: string[]): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(command, args, { cwd: root, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, output: failed.stdout + failed.stderr };
  }
}

/** The cycle of files check on a folder. */
const cruise = (folder: string) =>
  check(depcruise, [folder, '--config', join(root, '.dependency-cruiser.cjs')]);
/** The loop of folders check on a folder. */
const layers = (folder: string) => check(process.execPath, [join(root, 'scripts/check-layers.mjs'), folder]);

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

  it('refuses two folders that import each other, though no file imports itself back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hq-layers-'));
    mkdirSync(join(dir, 'lib/jobs'), { recursive: true });
    mkdirSync(join(dir, 'lib/batches'), { recursive: true });
    writeFileSync(
      join(dir, 'lib/jobs/job.ts'),
      "import { store } from '../batches/store';\nexport const job = () => store;\n",
    );
    writeFileSync(join(dir, 'lib/jobs/id.ts'), 'export const id = 1;\n');
    writeFileSync(
      join(dir, 'lib/batches/store.ts'),
      "import { id } from '../jobs/id';\nexport const store = id;\n",
    );
    // No file imports itself back: the cycle check alone lets it through.
    expect(cruise(dir)).toMatchObject({ code: 0 });
    const refused = layers(dir);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('lib/batches → lib/jobs → lib/batches');
    expect(layers(join(root, 'src'))).toMatchObject({ code: 0 });
  });
});
