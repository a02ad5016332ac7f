import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console's pages, built into dist/console-ui beside the server that serves them. No inline
// script or style and no data: URLs: the console's Content-Security-Policy allows none.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../dist/console-ui', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  logLevel: 'warn',
});
