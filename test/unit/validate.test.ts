import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/core/errors.js';
import {
  arr,
  bool,
  describeType,
  either,
  int,
  literal,
  metadata,
  nullable,
  num,
  obj,
  oneOf,
  parseBody,
  str,
  tagged,
} from '../../src/core/validate.js';

interface Expected {
  message: string;
  param: string | null;
  code: string | null;
}

/** Asserts `fn` throws a 400 invalid_request_error with exactly this message, param and code. */
function rejects(fn: () => unknown, expected: Expected): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.deepEqual(err.toWire(), { error: { type: 'invalid_request_error', ...expected } });
    return true;
  });
}

function invalidType(param: string, expected: string, got: string): Expected {
  return {
    message: `Invalid type for '${param}': expected ${expected}, but got ${got} instead.`,
    param,
    code: 'invalid_type',
  };
}

describe('describeType', () => {
  it('names JSON values the way OpenAI error messages do', () => {
    assert.equal(describeType(1), 'an integer');
    assert.equal(describeType(-0), 'an integer');
    assert.equal(describeType(1.5), 'a decimal');
    assert.equal(describeType('x'), 'a string');
    assert.equal(describeType(true), 'a boolean');
    assert.equal(describeType({}), 'an object');
    assert.equal(describeType([]), 'an array');
    assert.equal(describeType(null), 'null');
  });
});

describe('str', () => {
  it('accepts a string', () => {
    assert.equal(str()('hello', 'name'), 'hello');
    assert.equal(str({ min: 1, max: 5 })('hello', 'name'), 'hello');
  });

  it('names the actual type of a non-string', () => {
    rejects(() => str()(1, 'name'), invalidType('name', 'a string', 'an integer'));
    rejects(() => str()(1.5, 'name'), invalidType('name', 'a string', 'a decimal'));
    rejects(() => str()({}, 'name'), invalidType('name', 'a string', 'an object'));
    rejects(() => str()([], 'name'), invalidType('name', 'a string', 'an array'));
    rejects(() => str()(null, 'name'), invalidType('name', 'a string', 'null'));
    rejects(() => str()(false, 'name'), invalidType('name', 'a string', 'a boolean'));
  });

  it('rejects a string above its maximum length', () => {
    rejects(() => str({ max: 3 })('abcd', 'name'), {
      message:
        "Invalid 'name': string too long. Expected a string with maximum length 3, but got a string with length 4 instead.",
      param: 'name',
      code: 'string_above_max_length',
    });
  });

  it('rejects a string below its minimum length', () => {
    rejects(() => str({ min: 1 })('', 'file_id'), {
      message:
        "Invalid 'file_id': string too short. Expected a string with minimum length 1, but got a string with length 0 instead.",
      param: 'file_id',
      code: 'string_below_min_length',
    });
  });

  it('rejects a string that misses its pattern with the given rule', () => {
    const name = str({ pattern: /^[a-z]+$/, patternRule: 'must be lowercase letters.' });
    assert.equal(name('abc', 'tools[0].function.name'), 'abc');
    rejects(() => name('ABC', 'tools[0].function.name'), {
      message: "Invalid 'tools[0].function.name': must be lowercase letters.",
      param: 'tools[0].function.name',
      code: 'invalid_value',
    });
  });
});

describe('int', () => {
  it('accepts integers within range, bounds included', () => {
    const v = int({ min: 1, max: 50 });
    assert.equal(v(1, 'n'), 1);
    assert.equal(v(50, 'n'), 50);
  });

  it('rejects a decimal, a string and null as not an integer', () => {
    rejects(() => int()(1.5, 'n'), invalidType('n', 'an integer', 'a decimal'));
    rejects(() => int()('1', 'n'), invalidType('n', 'an integer', 'a string'));
    rejects(() => int()(null, 'n'), invalidType('n', 'an integer', 'null'));
  });

  it('says "integer above maximum value" above the range', () => {
    rejects(() => int({ max: 50 })(51, 'max_num_results'), {
      message: "Invalid 'max_num_results': integer above maximum value. Expected a value <= 50, but got 51 instead.",
      param: 'max_num_results',
      code: 'integer_above_max_value',
    });
  });

  it('says "integer below minimum value" below the range', () => {
    rejects(() => int({ min: 1 })(0, 'max_num_results'), {
      message: "Invalid 'max_num_results': integer below minimum value. Expected a value >= 1, but got 0 instead.",
      param: 'max_num_results',
      code: 'integer_below_min_value',
    });
  });
});

describe('num', () => {
  it('accepts decimals and integers within range', () => {
    const v = num({ min: 0, max: 2 });
    assert.equal(v(0, 'temperature'), 0);
    assert.equal(v(0.7, 'temperature'), 0.7);
    assert.equal(v(2, 'temperature'), 2);
  });

  it('rejects non-numbers and non-finite numbers as not a decimal', () => {
    rejects(() => num()('0.5', 'temperature'), invalidType('temperature', 'a decimal', 'a string'));
    rejects(() => num()(true, 'temperature'), invalidType('temperature', 'a decimal', 'a boolean'));
    // JSON cannot carry NaN or Infinity, so only the rejection matters here, not its wording.
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => num()(v, 'temperature'), { code: 'invalid_type', param: 'temperature' });
    }
  });

  it('says "decimal above maximum value" above the range', () => {
    rejects(() => num({ max: 2 })(2.5, 'temperature'), {
      message: "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 2.5 instead.",
      param: 'temperature',
      code: 'decimal_above_max_value',
    });
  });

  it('says "decimal below minimum value" below the range, even for an integer value', () => {
    rejects(() => num({ min: 0 })(-1, 'top_p'), {
      message: "Invalid 'top_p': decimal below minimum value. Expected a value >= 0, but got -1 instead.",
      param: 'top_p',
      code: 'decimal_below_min_value',
    });
  });
});

describe('bool', () => {
  it('accepts booleans and rejects anything else', () => {
    assert.equal(bool(true, 'strict'), true);
    assert.equal(bool(false, 'strict'), false);
    rejects(() => bool('true', 'strict'), invalidType('strict', 'a boolean', 'a string'));
    rejects(() => bool(0, 'strict'), invalidType('strict', 'a boolean', 'an integer'));
  });
});

describe('oneOf', () => {
  const abc = oneOf(['a', 'b', 'c']);

  it('accepts a listed value', () => {
    assert.equal(abc('b', 'x'), 'b');
  });

  it('lists the supported values with commas and a final "and"', () => {
    rejects(() => abc('d', 'x'), {
      message: "Invalid value: 'd'. Supported values are: 'a', 'b' and 'c'.",
      param: 'x',
      code: 'invalid_value',
    });
  });

  it('joins two values with "and" and names a single value alone', () => {
    rejects(() => oneOf(['asc', 'desc'])('up', 'order'), {
      message: "Invalid value: 'up'. Supported values are: 'asc' and 'desc'.",
      param: 'order',
      code: 'invalid_value',
    });
    rejects(() => literal('text')('image', 'type'), {
      message: "Invalid value: 'image'. Supported values are: 'text'.",
      param: 'type',
      code: 'invalid_value',
    });
  });

  it('rejects a non-string as an invalid type', () => {
    rejects(() => abc(1, 'x'), invalidType('x', 'a string', 'an integer'));
  });
});

describe('nullable', () => {
  const v = nullable(int());

  it('passes null through', () => {
    assert.equal(v(null, 'n'), null);
  });

  it('checks any other value with the inner validator', () => {
    assert.equal(v(3, 'n'), 3);
    rejects(() => v('3', 'n'), invalidType('n', 'an integer', 'a string'));
  });
});

describe('arr', () => {
  it('checks each item under its index', () => {
    assert.deepEqual(arr(int())([1, 2], 'ids'), [1, 2]);
    rejects(() => arr(int())([1, 'two'], 'ids'), invalidType('ids[1]', 'an integer', 'a string'));
  });

  it('rejects a non-array', () => {
    rejects(() => arr(int())({}, 'ids'), invalidType('ids', 'an array', 'an object'));
    rejects(() => arr(int())('1', 'ids'), invalidType('ids', 'an array', 'a string'));
  });

  it('rejects an array above its maximum length', () => {
    assert.equal(arr(int(), { max: 2 })([1, 2], 'ids').length, 2);
    rejects(() => arr(int(), { max: 2 })([1, 2, 3], 'ids'), {
      message:
        "Invalid 'ids': array too long. Expected an array with maximum length 2, but got an array with length 3 instead.",
      param: 'ids',
      code: 'array_above_max_length',
    });
  });

  it('calls an empty array empty', () => {
    rejects(() => arr(int(), { min: 1 })([], 'content'), {
      message: "Invalid 'content': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      param: 'content',
      code: 'empty_array',
    });
  });

  it('rejects a non-empty array below its minimum length', () => {
    rejects(() => arr(int(), { min: 2 })([1], 'ids'), {
      message:
        "Invalid 'ids': array too short. Expected an array with minimum length 2, but got an array with length 1 instead.",
      param: 'ids',
      code: 'array_below_min_length',
    });
  });
});

describe('obj', () => {
  const body = obj({ model: str(), name: nullable(str()) }, { required: ['model'] });

  it('returns the known keys', () => {
    assert.deepEqual(body({ model: 'gpt-4o', name: null }, ''), { model: 'gpt-4o', name: null });
  });

  it('reports a missing required parameter', () => {
    rejects(() => body({}, ''), {
      message: "Missing required parameter: 'model'.",
      param: 'model',
      code: 'missing_required_parameter',
    });
  });

  it('treats a key whose value is undefined as absent', () => {
    rejects(() => body({ model: undefined }, ''), {
      message: "Missing required parameter: 'model'.",
      param: 'model',
      code: 'missing_required_parameter',
    });
    assert.deepEqual(body({ model: 'm', name: undefined }, ''), { model: 'm' });
  });

  it('reports an unknown parameter', () => {
    rejects(() => body({ model: 'm', modle: 'm' }, ''), {
      message: "Unknown parameter: 'modle'.",
      param: 'modle',
      code: 'unknown_parameter',
    });
  });

  it('drops unknown keys when passthrough is set', () => {
    const loose = obj({ a: int() }, { passthrough: true });
    assert.deepEqual(loose({ a: 1, b: 2 }, ''), { a: 1 });
  });

  it('prefixes nested keys with the parent path', () => {
    const outer = obj({ tool_resources: obj({ code_interpreter: obj({ file_ids: arr(str()) }) }) });
    rejects(() => outer({ tool_resources: { code_interpretr: {} } }, ''), {
      message: "Unknown parameter: 'tool_resources.code_interpretr'.",
      param: 'tool_resources.code_interpretr',
      code: 'unknown_parameter',
    });
    rejects(
      () => outer({ tool_resources: { code_interpreter: { file_ids: ['a', 7] } } }, ''),
      invalidType('tool_resources.code_interpreter.file_ids[1]', 'a string', 'an integer'),
    );
  });

  it("calls a top-level non-object 'body' and a nested one by its path", () => {
    rejects(() => body([], ''), invalidType('body', 'an object', 'an array'));
    rejects(() => body('x', 'messages[0]'), invalidType('messages[0]', 'an object', 'a string'));
  });
});

describe('parseBody', () => {
  it('treats an absent or null body as {}', () => {
    const loose = obj({ name: str() });
    assert.deepEqual(parseBody(loose, undefined), {});
    assert.deepEqual(parseBody(loose, null), {});
  });

  it('still reports missing required parameters for an absent body', () => {
    rejects(() => parseBody(obj({ model: str() }, { required: ['model'] }), undefined), {
      message: "Missing required parameter: 'model'.",
      param: 'model',
      code: 'missing_required_parameter',
    });
  });
});

describe('tagged', () => {
  const part = tagged({
    text: obj({ type: literal('text'), text: str() }, { required: ['text'] }),
    image_file: obj({ type: literal('image_file'), image_file: obj({ file_id: str() }) }, { required: ['image_file'] }),
  });

  it('dispatches on type', () => {
    assert.deepEqual(part({ type: 'text', text: 'hi' }, 'p'), { type: 'text', text: 'hi' });
    assert.deepEqual(part({ type: 'image_file', image_file: { file_id: 'file-1' } }, 'p'), {
      type: 'image_file',
      image_file: { file_id: 'file-1' },
    });
  });

  it('reports a missing type under the item path', () => {
    rejects(() => part({ text: 'hi' }, 'content[0]'), {
      message: "Missing required parameter: 'content[0].type'.",
      param: 'content[0].type',
      code: 'missing_required_parameter',
    });
  });

  it('lists the known variants for an unknown type', () => {
    rejects(() => part({ type: 'audio' }, 'content[0]'), {
      message: "Invalid value: 'audio'. Supported values are: 'text' and 'image_file'.",
      param: 'content[0].type',
      code: 'invalid_value',
    });
  });

  it('checks the chosen variant, including its unknown keys', () => {
    rejects(() => part({ type: 'text' }, 'content[0]'), {
      message: "Missing required parameter: 'content[0].text'.",
      param: 'content[0].text',
      code: 'missing_required_parameter',
    });
    rejects(() => part({ type: 'text', text: 'a', image_file: {} }, 'content[0]'), {
      message: "Unknown parameter: 'content[0].image_file'.",
      param: 'content[0].image_file',
      code: 'unknown_parameter',
    });
  });

  it('rejects a non-object', () => {
    rejects(() => part('hi', 'content[0]'), invalidType('content[0]', 'an object', 'a string'));
  });
});

describe('either', () => {
  const content = either(
    { is: (v) => typeof v === 'string', check: str({ max: 5 }) },
    { is: Array.isArray, check: arr(str(), { min: 1 }) },
    'a string or an array of content parts',
  );

  it('uses the first validator whose type matches', () => {
    assert.equal(content('hello', 'content'), 'hello');
    assert.deepEqual(content(['a'], 'content'), ['a']);
  });

  it("reports the matching branch's own error", () => {
    rejects(() => content('too long', 'content'), {
      message:
        "Invalid 'content': string too long. Expected a string with maximum length 5, but got a string with length 8 instead.",
      param: 'content',
      code: 'string_above_max_length',
    });
    rejects(() => content([], 'content'), {
      message: "Invalid 'content': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      param: 'content',
      code: 'empty_array',
    });
  });

  it('names the expected alternatives when no branch matches', () => {
    rejects(() => content(42, 'content'), invalidType('content', 'a string or an array of content parts', 'an integer'));
  });
});

describe('nested paths', () => {
  const body = obj(
    {
      messages: arr(
        obj(
          {
            role: oneOf(['user', 'assistant']),
            content: either(
              { is: (v) => typeof v === 'string', check: str() },
              {
                is: Array.isArray,
                check: arr(tagged({ text: obj({ type: literal('text'), text: str() }, { required: ['text'] }) })),
              },
              'a string or an array of content parts',
            ),
          },
          { required: ['role', 'content'] },
        ),
      ),
    },
    { required: ['messages'] },
  );

  it('names the offending value by its full path', () => {
    rejects(
      () =>
        body(
          { messages: [{ role: 'user', content: [{ type: 'text', text: 'ok' }, { type: 'text', text: 5 }] }] },
          '',
        ),
      invalidType('messages[0].content[1].text', 'a string', 'an integer'),
    );
    rejects(() => body({ messages: [{ role: 'user', content: 'ok' }, { content: 'x' }] }, ''), {
      message: "Missing required parameter: 'messages[1].role'.",
      param: 'messages[1].role',
      code: 'missing_required_parameter',
    });
    rejects(() => body({ messages: [{ role: 'system', content: 'x' }] }, ''), {
      message: "Invalid value: 'system'. Supported values are: 'user' and 'assistant'.",
      param: 'messages[0].role',
      code: 'invalid_value',
    });
  });
});

describe('metadata', () => {
  const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));

  it('accepts up to 16 string pairs', () => {
    assert.deepEqual(metadata(entries(16), 'metadata'), entries(16));
    assert.deepEqual(metadata({}, 'metadata'), {});
  });

  it('rejects 17 keys', () => {
    rejects(() => metadata(entries(17), 'metadata'), {
      message:
        "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with 17 properties instead.",
      param: 'metadata',
      code: 'object_above_max_properties',
    });
  });

  it('accepts a 64-character key and rejects a 65-character one', () => {
    const ok = 'k'.repeat(64);
    assert.deepEqual(metadata({ [ok]: 'v' }, 'metadata'), { [ok]: 'v' });
    const long = 'k'.repeat(65);
    rejects(() => metadata({ [long]: 'v' }, 'metadata'), {
      message: `Invalid 'metadata.${long}': string too long. Expected a string with maximum length 64, but got a string with length 65 instead.`,
      param: `metadata.${long}`,
      code: 'string_above_max_length',
    });
  });

  it('accepts a 512-character value and rejects a 513-character one', () => {
    assert.deepEqual(metadata({ k: 'v'.repeat(512) }, 'metadata'), { k: 'v'.repeat(512) });
    rejects(() => metadata({ k: 'v'.repeat(513) }, 'metadata'), {
      message:
        "Invalid 'metadata.k': string too long. Expected a string with maximum length 512, but got a string with length 513 instead.",
      param: 'metadata.k',
      code: 'string_above_max_length',
    });
  });

  it('rejects a non-string value', () => {
    rejects(() => metadata({ k: 1 }, 'metadata'), invalidType('metadata.k', 'a string', 'an integer'));
    rejects(() => metadata({ k: null }, 'metadata'), invalidType('metadata.k', 'a string', 'null'));
  });

  it('rejects a non-object', () => {
    rejects(() => metadata(['a'], 'metadata'), invalidType('metadata', 'an object', 'an array'));
    rejects(() => metadata('a', 'metadata'), invalidType('metadata', 'an object', 'a string'));
  });
});
