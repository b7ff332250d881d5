import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULT_PROJECT, loadConfig, parseApiKeys } from '../../src/config/config.js';

const MB = 1024 * 1024;

/** Asserts a ConfigError whose message contains every fragment (each one part of how to fix it). */
function configError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    for (const f of fragments) assert.ok(err.message.includes(f), `"${err.message}" does not mention "${f}"`);
    return true;
  });
}

describe('loadConfig', () => {
  it('listens on 127.0.0.1:8080 with SQLite under ./data by default', () => {
    const config = loadConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.dataDir, resolve('data'));
    assert.deepEqual(config.database, { kind: 'sqlite', filename: resolve('data', 'open-assistants.db') });
    assert.deepEqual(config.envApiKeys, []);
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.limits, {
      bodyBytes: 32 * MB,
      fileBytes: 512 * MB,
      uploadPartBytes: 64 * MB,
      uploadBytes: 8 * 1024 * MB,
      requestsPerMinute: 0,
      streamsPerKey: 0,
    });
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ HOST: '', PORT: '', DATA_DIR: '', DATABASE_URL: '  ', LOG_LEVEL: '', API_KEYS: ' ' });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.database.kind, 'sqlite');
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.envApiKeys, []);
  });

  it('puts the SQLite database under DATA_DIR, resolved to an absolute path', () => {
    const config = loadConfig({ DATA_DIR: 'var/oa' });
    assert.equal(config.dataDir, resolve('var/oa'));
    assert.deepEqual(config.database, { kind: 'sqlite', filename: resolve('var/oa/open-assistants.db') });
    assert.equal(loadConfig({ DATA_DIR: '/srv/oa' }).dataDir, '/srv/oa');
  });

  it('switches to PostgreSQL for a postgres:// or postgresql:// DATABASE_URL', () => {
    const url = 'postgres://user:pw@db.example:5432/oa';
    assert.deepEqual(loadConfig({ DATABASE_URL: url }).database, { kind: 'postgres', url, poolSize: 10 });
    const url2 = 'postgresql://db/oa';
    assert.deepEqual(loadConfig({ DATABASE_URL: url2, DATABASE_POOL_SIZE: '3' }).database, {
      kind: 'postgres',
      url: url2,
      poolSize: 3,
    });
  });

  it('opens the SQLite file named by sqlite:<path>', () => {
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite:/tmp/oa.db' }).database, {
      kind: 'sqlite',
      filename: '/tmp/oa.db',
    });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite:./oa.db' }).database, {
      kind: 'sqlite',
      filename: resolve('oa.db'),
    });
  });

  it('rejects any other DATABASE_URL and says what is accepted', () => {
    configError(
      () => loadConfig({ DATABASE_URL: 'mysql://db/oa' }),
      'DATABASE_URL must be a postgres:// URL or sqlite:<path>',
      '"mysql://db/oa"',
      'Leave it unset',
    );
    configError(() => loadConfig({ DATABASE_URL: '/var/oa.db' }), 'DATABASE_URL', 'sqlite:<path>');
  });

  it('rejects sqlite: without a path', () => {
    configError(() => loadConfig({ DATABASE_URL: 'sqlite:' }), 'DATABASE_URL', 'sqlite:<path>');
  });

  it('reads HOST, PORT and LOG_LEVEL', () => {
    const config = loadConfig({ HOST: '0.0.0.0', PORT: '0', LOG_LEVEL: 'silent' });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 0);
    assert.equal(config.logLevel, 'silent');
  });

  it('rejects a PORT that is not an integer from 0 to 65535', () => {
    for (const port of ['abc', '80.5', '-1', '65536']) {
      configError(() => loadConfig({ PORT: port }), 'PORT must be an integer from 0 to 65535', `got "${port}"`);
    }
  });

  it('rejects out-of-range limits and pool sizes by name', () => {
    configError(() => loadConfig({ MAX_BODY_BYTES: '10' }), 'MAX_BODY_BYTES must be an integer from 1024');
    configError(
      () => loadConfig({ DATABASE_URL: 'postgres://db/oa', DATABASE_POOL_SIZE: '0' }),
      'DATABASE_POOL_SIZE must be an integer from 1 to 1000',
    );
    assert.equal(loadConfig({ MAX_FILE_BYTES: '1048576' }).limits.fileBytes, MB);
  });

  it('rejects an unknown LOG_LEVEL and lists the valid ones', () => {
    configError(
      () => loadConfig({ LOG_LEVEL: 'verbose' }),
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      'got "verbose"',
    );
  });

  it('reads API_KEYS', () => {
    assert.deepEqual(loadConfig({ API_KEYS: 'k1,k2:proj' }).envApiKeys, [
      { key: 'k1', projectId: DEFAULT_PROJECT },
      { key: 'k2', projectId: 'proj' },
    ]);
  });
});

describe('parseApiKeys', () => {
  it('returns no keys for an unset or blank value', () => {
    assert.deepEqual(parseApiKeys(undefined), []);
    assert.deepEqual(parseApiKeys(''), []);
    assert.deepEqual(parseApiKeys('  '), []);
  });

  it('puts a bare key in the default project and key:project in that project', () => {
    assert.deepEqual(parseApiKeys('k1,k2:proj'), [
      { key: 'k1', projectId: 'default' },
      { key: 'k2', projectId: 'proj' },
    ]);
  });

  it('trims whitespace around entries', () => {
    assert.deepEqual(parseApiKeys(' k1 , k2:team-a.b_c '), [
      { key: 'k1', projectId: 'default' },
      { key: 'k2', projectId: 'team-a.b_c' },
    ]);
  });

  it('splits the project off at the last colon', () => {
    assert.deepEqual(parseApiKeys('sk:abc:proj'), [{ key: 'sk:abc', projectId: 'proj' }]);
  });

  it('rejects a bad project name and says what a project may contain', () => {
    for (const raw of ['k:bad project', 'k:', 'k:proj/x', `k:${'p'.repeat(65)}`]) {
      configError(() => parseApiKeys(raw), 'API_KEYS must be comma-separated "key" or "key:project"', 'letters, digits');
    }
  });

  it('rejects empty entries and keys with whitespace or control characters', () => {
    configError(() => parseApiKeys('k1,,k2'), 'API_KEYS', 'bad entry ""');
    configError(() => parseApiKeys('k1,'), 'API_KEYS');
    configError(() => parseApiKeys('a b'), 'API_KEYS');
    configError(() => parseApiKeys('k\u0001'), 'API_KEYS');
  });
});
