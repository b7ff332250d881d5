import { fileURLToPath } from 'node:url';

/**
 * Host path of kernel.py, next to this module: src/sandbox/bwrap/ under tsx, dist/sandbox/bwrap/
 * after the build (scripts/copy-migrations.mjs copies it there).
 */
export const KERNEL_SCRIPT = fileURLToPath(new URL('./kernel.py', import.meta.url));
