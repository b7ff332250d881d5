import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import { ID_PREFIX, idTimeMs, SortableIdGenerator, type IdKind } from '../../src/core/ids.js';

const BODY = /^[0-9A-Za-z]{24}$/;

const EXPECTED_PREFIX: Record<IdKind, string> = {
  assistant: 'asst_',
  thread: 'thread_',
  message: 'msg_',
  run: 'run_',
  step: 'step_',
  call: 'call_',
  vectorStore: 'vs_',
  fileBatch: 'vsfb_',
  file: 'file-',
  upload: 'upload_',
  part: 'part_',
  apiKey: 'key_',
  request: 'req_',
};

function body(id: string, kind: IdKind): string {
  return id.slice(ID_PREFIX[kind].length);
}

describe('SortableIdGenerator', () => {
  it('uses the OpenAI prefix of every kind, with a hyphen only for files', () => {
    assert.deepEqual(ID_PREFIX, EXPECTED_PREFIX);
    const ids = new SortableIdGenerator(new ManualClock());
    for (const kind of Object.keys(EXPECTED_PREFIX) as IdKind[]) {
      const id = ids.next(kind);
      assert.ok(id.startsWith(EXPECTED_PREFIX[kind]), `${kind}: ${id}`);
      assert.match(body(id, kind), BODY, `${kind}: ${id}`);
    }
  });

  it('makes ids of a fixed length per kind', () => {
    const clock = new ManualClock(0);
    const ids = new SortableIdGenerator(clock);
    const lengths = new Set<number>();
    for (const ms of [0, 1, 61, 62, 1_000_000, Date.UTC(2026, 0, 1), Date.UTC(3000, 0, 1)]) {
      clock.advance(ms - clock.nowMs());
      lengths.add(ids.next('assistant').length);
    }
    assert.deepEqual([...lengths], ['asst_'.length + 24]);
  });

  it('makes ids in the same millisecond strictly increasing and unique over 100k', () => {
    const ids = new SortableIdGenerator(new ManualClock());
    const seen = new Set<string>();
    let previous = '';
    for (let i = 0; i < 100_000; i++) {
      const id = ids.next('message');
      assert.ok(previous < id, `id ${i} (${id}) does not sort after ${previous}`);
      seen.add(id);
      previous = id;
    }
    assert.equal(seen.size, 100_000);
  });

  it('keeps the order across kinds sharing one generator', () => {
    const ids = new SortableIdGenerator(new ManualClock());
    const kinds: IdKind[] = ['thread', 'message', 'run', 'message', 'step', 'message'];
    const bodies = kinds.map((k) => body(ids.next(k), k));
    assert.deepEqual([...bodies].sort(), bodies);
    assert.equal(new Set(bodies).size, bodies.length);
  });

  it('sorts an id from a later millisecond after every id from an earlier one', () => {
    const clock = new ManualClock();
    const ids = new SortableIdGenerator(clock);
    let last = '';
    for (let i = 0; i < 1000; i++) last = ids.next('run');
    clock.advance(1);
    for (let i = 0; i < 50; i++) {
      // a fresh generator draws a new random part that may be lower than the incremented one
      const later = new SortableIdGenerator(clock).next('run');
      assert.ok(last < later, `${later} does not sort after ${last}`);
    }
    assert.ok(last < ids.next('run'));
  });

  it('orders ids by time across base-62 digit carries', () => {
    const clock = new ManualClock(0);
    const ids = new SortableIdGenerator(clock);
    const times = [0, 1, 61, 62, 63, 3843, 3844, 62 ** 3, 62 ** 5 + 7, Date.UTC(2026, 0, 1), Date.UTC(2100, 0, 1)];
    const made = times.map((ms) => {
      clock.advance(ms - clock.nowMs());
      return ids.next('file');
    });
    assert.deepEqual([...made].sort(), made);
  });

  it('never goes backwards when the clock does', () => {
    const clock = new ManualClock();
    const ids = new SortableIdGenerator(clock);
    const first = ids.next('thread');
    clock.advance(-5_000);
    const second = ids.next('thread');
    assert.ok(first < second, `${second} does not sort after ${first}`);
  });

  it('makes unique, increasing ids on the system clock', () => {
    const ids = new SortableIdGenerator(systemClock);
    let previous = '';
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const id = ids.next('assistant');
      assert.ok(previous < id);
      seen.add(id);
      previous = id;
    }
    assert.equal(seen.size, 100_000);
  });
});

describe('idTimeMs', () => {
  it('reads back the millisecond an id was made in, for every kind', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 34, 56, 789));
    const ids = new SortableIdGenerator(clock);
    for (const kind of Object.keys(ID_PREFIX) as IdKind[]) {
      assert.equal(idTimeMs(ids.next(kind)), clock.nowMs(), kind);
      clock.advance(1_234_567);
    }
  });

  it('says nothing for ids this server did not make', () => {
    for (const id of ['file-abc', 'asst_' + '!'.repeat(24), 'nope_' + 'A'.repeat(24), '', 'file-' + 'A'.repeat(25)]) {
      assert.equal(idTimeMs(id), undefined, id);
    }
  });
});
