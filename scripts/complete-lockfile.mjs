// npm records an optional platform package (darwin, win32, ...) in package-lock.json only when
// the registry serves its manifest. The registry reached from our CI machines does not serve all
// of them, and `npm ci` then refuses the lock file ("Missing: X from lock file"). This adds the
// entries a complete registry would have given: version from the parent's optionalDependencies,
// os/cpu/libc from the package name, so npm skips them on other platforms without fetching.
// Run after changing dependencies: `npm run lock:complete`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const cpus = new Set(['arm', 'arm64', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x']);
const added = [];

for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${key}/node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[hoisted]) continue;
    const platform = name.split('/').pop().split('-');
    const cpuIndex = platform.findIndex((part) => cpus.has(part));
    if (cpuIndex < 1) continue;
    const os = platform[cpuIndex - 1];
    const libc = platform.slice(cpuIndex + 1).find((part) => /^(gnu|musl)/.test(part));
    lock.packages[hoisted] = {
      version,
      optional: true,
      ...(entry.dev ? { dev: true } : {}),
      os: [os],
      cpu: [platform[cpuIndex]],
      ...(libc ? { libc: [libc.startsWith('musl') ? 'musl' : 'glibc'] } : {}),
    };
    added.push(`${name}@${version}`);
  }
}

lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(
  added.length ? `added ${added.length} platform entries: ${added.join(', ')}` : 'lock file complete',
);
