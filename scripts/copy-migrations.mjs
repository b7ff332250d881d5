// Copies the per-dialect SQL migrations next to the compiled store code.
import { cpSync } from 'node:fs';
for (const dialect of ['sqlite', 'postgres']) {
  cpSync(`src/store/${dialect}/migrations`, `dist/store/${dialect}/migrations`, { recursive: true });
}
