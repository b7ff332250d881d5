// Copies the per-dialect SQL migrations next to the compiled store code, and the code
// interpreter's Python kernel next to the compiled sandbox (it is read from beside its module).
import { cpSync } from 'node:fs';
for (const dialect of ['sqlite', 'postgres']) {
  cpSync(`src/store/${dialect}/migrations`, `dist/store/${dialect}/migrations`, { recursive: true });
}
cpSync('src/sandbox/bwrap/kernel.py', 'dist/sandbox/bwrap/kernel.py');
