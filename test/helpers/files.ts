import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A directory of this test file's own for input files. */
export function inputDir(name: string): {
  dir: string;
  write(file: string, content: string | Buffer): string;
} {
  const dir = mkdtempSync(join(tmpdir(), `hq-${name}-`));
  return {
    dir,
    write: (file, content) => {
      const path = join(dir, file);
      writeFileSync(path, content);
      return path;
    },
  };
}

/** A terminate CSV of the fixture's applications app-FROM..app-TO, termination type 1. */
export function terminateCsv(from: number, to: number): string {
  const rows = Array.from({ length: to - from + 1 }, (_, i) => `app-${from + i},1`);
  return `application_id,termination_type\n${rows.join('\n')}\n`;
}
