// Layers run one way (issue 28): no two folders import each other, directly or round a loop.
// `npm run lint` runs it on src; a folder is a directory under src/lib, or under src for the rest.
// Usage: node scripts/check-layers.mjs [dir]   exits 1 naming each loop of folders.
import { cruise } from 'dependency-cruiser';
import { relative, resolve, sep } from 'node:path';

const dir = resolve(process.argv[2] ?? 'src');
const result = await cruise([dir], {
  doNotFollow: { path: 'node_modules' },
  tsPreCompilationDeps: true,
  moduleSystems: ['es6', 'cjs'],
});

/** The folder a module belongs to: `lib/batches`, `cli`, ... (a file directly under one is its own). */
const folderOf = (source) => {
  const parts = relative(dir, resolve(source)).split(sep);
  if (parts[0] === 'lib' && parts.length > 2) return `lib/${parts[1]}`;
  return parts.length > 1 ? parts[0] : `${parts[0]} (file)`;
};

const edges = new Map();
for (const module of result.output.modules) {
  if (!resolve(module.source).startsWith(dir)) continue;
  const from = folderOf(module.source);
  for (const dependency of module.dependencies) {
    if (dependency.coreModule || !resolve(dependency.resolved).startsWith(dir)) continue;
    const to = folderOf(dependency.resolved);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${module.source} → ${dependency.resolved}`);
  }
}

// Loops of folders: each found from its smallest folder name, once.
const loops = [];
const walk = (start, at, path) => {
  for (const next of edges.get(at)?.keys() ?? []) {
    if (next === start) loops.push([...path, start]);
    else if (next > start && !path.includes(next) && path.length < 6) walk(start, next, [...path, next]);
  }
};
for (const start of [...edges.keys()].sort()) walk(start, start, [start]);

if (loops.length > 0) {
  console.error(
    `layers: ${loops.length} loop(s) of folders importing each other (each folder must import only lower ones):`,
  );
  for (const loop of loops) {
    console.error(`  ${loop.join(' → ')}`);
    for (let i = 0; i + 1 < loop.length; i++) console.error(`    ${edges.get(loop[i]).get(loop[i + 1])}`);
  }
  process.exit(1);
}
console.log(`layers: ${edges.size} folders, no loop`);
