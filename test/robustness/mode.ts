/**
 * The robustness suite runs bounded inside `npm test` (CI) and in full with `npm run robustness`
 * (OA_ROBUSTNESS=full). Each test picks its sizes from here.
 */
export const FULL = process.env.OA_ROBUSTNESS === 'full';

/** `bounded` in the default mode, `full` with OA_ROBUSTNESS=full. */
export function scale<T>(bounded: T, full: T): T {
  return FULL ? full : bounded;
}
