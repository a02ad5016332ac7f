// Copies the Redis scripts (`src/**/*.lua`) beside the compiled code: tsc copies only .ts output,
// and the script loader reads the .lua files from its own folder at run time.
import { cpSync } from 'node:fs';

cpSync('src/lib/redis/lua', 'dist/src/lib/redis/lua', { recursive: true });
