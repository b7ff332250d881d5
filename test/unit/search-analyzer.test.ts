import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, termFrequencies } from '../../src/search/analyzer.js';

describe('search analyzer', () => {
  it('lowercases, splits on punctuation and Porter-stems English words', () => {
    assert.deepEqual(analyze('Running RUNS; runner—ran!'), ['run', 'run', 'runner', 'ran']);
    assert.deepEqual(analyze('Connected connections, connecting'), ['connect', 'connect', 'connect']);
    assert.deepEqual(analyze('IL-6 e-mail'), ['il', '6', 'e', 'mail']);
  });

  it('drops English stopwords, including the halves of contractions', () => {
    assert.deepEqual(analyze('The cat is on the mat'), ['cat', 'mat']);
    assert.deepEqual(analyze("What is the capital of France?"), ['capit', 'franc']);
    assert.deepEqual(analyze("It's the dog's bone, don't you think"), ['dog', 'bone', 'don', 'think']);
    assert.deepEqual(analyze('the of and a'), []);
  });

  it('keeps numbers, with their decimal and thousands separators', () => {
    assert.deepEqual(analyze('3.5 mg in 2024, 10,000 cells; p53 and v2'), ['3.5', 'mg', '2024', '10,000', 'cell', 'p53', 'v2']);
    assert.deepEqual(analyze('end.'), ['end']);
  });

  it('normalizes unicode: NFKC width and ligatures, Latin diacritics', () => {
    assert.deepEqual(analyze('ＡＢＣ ﬁle'), ['abc', 'file']);
    assert.deepEqual(analyze('Café CRÈME naïve'), analyze('cafe creme naive'));
    assert.deepEqual(analyze('Straße'), ['straße']);
  });

  it('keeps other scripts whole and splits CJK runs into bigrams', () => {
    assert.deepEqual(analyze('Ελληνικά Кириллица 한국어'), ['ελληνικά', 'кириллица', '한국어']);
    assert.deepEqual(analyze('東京タワー'), ['東京', '京タ', 'タワ', 'ワー']);
    assert.deepEqual(analyze('猫 abc東京'), ['猫', 'abc', '東京']);
    assert.deepEqual(analyze('मराठी'), ['मराठी']);
  });

  it('cuts very long tokens to 64 characters', () => {
    const long = 'x'.repeat(200);
    assert.deepEqual(analyze(`${long} y`), ['x'.repeat(64), 'y']);
  });

  it('counts term frequencies and the token count', () => {
    const { tf, length } = termFrequencies('apple apples the pear');
    assert.deepEqual([...tf], [
      ['appl', 2],
      ['pear', 1],
    ]);
    assert.equal(length, 3);
  });
});
