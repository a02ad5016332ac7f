import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package's version, read from its package.json (from source and from dist alike). */
function readVersion(): string {
  for (const up of ['..', join('..', '..'), join('..', '..', '..')]) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'hire-queue' && pkg.version) return pkg.version;
    } catch {
      // Not at this depth: src/cli from the source tree, dist/src/cli once built.
    }
  }
  return 'unknown';
}

export const version = readVersion();
