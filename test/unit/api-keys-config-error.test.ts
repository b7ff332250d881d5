/**
 * Regression: a bad API_KEYS entry stopped the server with `bad entry "<the whole entry>"`, which
 * printed the key (a secret) to stderr and into whatever collects it. The entry is now named by its
 * position, with its key masked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseApiKeys } from '../../src/config/config.js';

function message(raw: string): string {
  try {
    parseApiKeys(raw);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail(`API_KEYS=${raw} was accepted`);
}

describe('API_KEYS errors never print a key', () => {
  const secret = 'sk-live-0123456789abcdef0123456789';

  it('a bad project: the entry by position, the key masked, the project shown', () => {
    const m = message(`sk-good-one:team-a,${secret}:bad project!`);
    assert.ok(!m.includes(secret) && !m.includes(secret.slice(3)), m);
    assert.match(m, /bad entry "sk-\*\*\*:bad project!" \(entry 2, key masked\)/);
  });

  it('a key with whitespace or control characters: masked too', () => {
    for (const key of [`${secret} x`, `${secret}\u0001`]) {
      const m = message(`${key}:team-a`);
      assert.ok(!m.includes(secret.slice(3)), m);
      assert.match(m, /\(entry 1, key masked\)/);
    }
  });

  it('a short key is masked whole; an empty entry stays empty', () => {
    const m = message('abc:bad project');
    assert.match(m, /bad entry "\*\*\*:bad project"/);
    assert.match(message('k1,,k2'), /bad entry "" \(entry 2/);
  });
});
