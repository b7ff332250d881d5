/**
 * The SDK majors every e2e test body runs on. `make(baseURL, apiKey)` gives a facade whose
 * methods call that SDK's own resource methods with its own signatures (see `sdk/facade.ts`).
 */
import type { Facade, SdkName } from './sdk/facade.js';
import { makeV4Facade } from './sdk/facade-v4.js';
import { makeV5PlusFacade } from './sdk/facade-v5plus.js';

export type * from './sdk/facade.js';

export interface Sdk {
  name: SdkName;
  make(baseURL: string, apiKey?: string): Facade;
}

/** Any bearer key works while the server has no keys configured. */
export const DEFAULT_API_KEY = 'sk-e2e-open';

const ALL: Sdk[] = [
  { name: 'openai@4', make: (baseURL, apiKey = DEFAULT_API_KEY) => makeV4Facade(baseURL, apiKey) },
  { name: 'openai@5', make: (baseURL, apiKey = DEFAULT_API_KEY) => makeV5PlusFacade(5, baseURL, apiKey) },
  { name: 'openai@6', make: (baseURL, apiKey = DEFAULT_API_KEY) => makeV5PlusFacade(6, baseURL, apiKey) },
];

/** `OA_TEST_SDKS=openai@6` narrows the run (the default is all three). */
export const SDKS: Sdk[] = process.env.OA_TEST_SDKS
  ? ALL.filter((s) => process.env.OA_TEST_SDKS!.split(',').map((n) => n.trim()).includes(s.name))
  : ALL;
