import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { extractText } from '../../src/ingest/extract.js';
import { ExtractError } from '../../src/ingest/extract-types.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared sample documents, read in place (never copied into the repo). */
const DOCS = resolve(REPO, '../shared/data/docs');

function doc(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(DOCS, name)));
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Asserts that `promise` rejects with an ExtractError of `code` whose message matches `message`. */
async function rejectsWith(promise: Promise<unknown>, code: ExtractError['code'], message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ExtractError, `expected an ExtractError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

/** Each sample document with its MIME type and phrases that must appear in its text. */
const SAMPLES: Array<{ file: string; mime: string; phrases: string[] }> = [
  {
    file: 'faa-amt-general-handbook-sample.pdf',
    mime: 'application/pdf',
    phrases: ['Boots Self-Locking Nut', 'elastic stop nut'],
  },
  {
    file: 'geotopo-lecture-notes-de.pdf',
    mime: 'application/pdf',
    phrases: ['Geometrie und Topologie', 'Martin Thoma', 'Mitschriften aus der Vorlesung'],
  },
  {
    file: 'ntsb-report-20080102X00005.pdf',
    mime: 'application/pdf',
    phrases: ['Accident Number: DEN08CA034', 'resulting in a ground loop'],
  },
  {
    file: 'docling-word-sample.docx',
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    phrases: ['Swimming in the lake', 'Figure 1: This is a cute duckling', 'Blueberry, Strawberry, Cranberry'],
  },
  {
    file: 'docx-tables.docx',
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    phrases: ['Table with merged cells', 'Header Col 1', 'g&t', '>b<'],
  },
  {
    file: 'docling-powerpoint-sample.pptx',
    mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    phrases: ['Test Table Slide', 'A rectangle shape with this text inside.', 'Some notes on the second slide.'],
  },
  {
    file: 'docling-xlsx-multisheet.xlsx',
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    phrases: ['Sheet: Sheet2', 'col-1\tcol-2\tcol-3\tcol-4', 'first (f)\theader (f)'],
  },
  {
    file: 'sample-sales-data.xlsm',
    mime: 'application/vnd.ms-excel.sheet.macroEnabled.12',
    phrases: ['Product\tDate\tQuantity\tRevenue', 'Widget A\t2024-01-01\t5\t5000'],
  },
  {
    file: 'stanley-cups.xlsx',
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    phrases: ['Sheet: Stanley Cups Since 67', 'Maple Leafs\tTOR\t13.0'],
  },
  {
    file: 'wikipedia-duck.html',
    mime: 'text/html',
    phrases: ['Duck - Wikipedia', 'Duck is the common name for numerous species of waterfowl in the family Anatidae'],
  },
  {
    file: 'fastify-routes.md',
    mime: 'text/markdown',
    phrases: ['## Routes', 'The route methods configure the endpoints of the application.'],
  },
  {
    file: 'seattle-weather.csv',
    mime: 'text/csv',
    phrases: ['date,precipitation,temp_max,temp_min,wind,weather', '2012-01-02,10.9,10.6,2.8,4.5,rain'],
  },
];

describe('extractText: the shared sample documents', () => {
  for (const { file, mime, phrases } of SAMPLES) {
    it(`extracts the text of ${file}`, async (t) => {
      const started = performance.now();
      const { text } = await extractText(doc(file), file, mime);
      t.diagnostic(`${file}: ${text.length} characters in ${(performance.now() - started).toFixed(0)} ms`);
      for (const phrase of phrases) assert.ok(text.includes(phrase), `${file} lacks ${JSON.stringify(phrase)}`);
      assert.ok(!text.includes('\uFFFD'), `${file} has replacement characters`);
    });
  }

  it('covers every document in the shared folder', async () => {
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(DOCS)).filter((f) => f !== 'SOURCE.md' && f !== 'password-protected.pdf');
    assert.deepEqual(files.sort(), SAMPLES.map((s) => s.file).sort());
  });
});

describe('extractText: PDF', () => {
  it('gives one section per page, labelled and in order', async () => {
    const { text, sections } = await extractText(doc('ntsb-report-20080102X00005.pdf'), 'report.pdf', 'application/pdf');
    assert.deepEqual(sections?.map((s) => s.label), ['Page 1', 'Page 2', 'Page 3', 'Page 4']);
    assert.equal(sections?.[0]?.start, 0);
    for (const [i, section] of (sections ?? []).entries()) {
      assert.ok(text.startsWith(`Page ${i + 1} of 4`, section.start), `section ${i} starts at its page header`);
    }
  });

  it('fails a password-protected PDF with invalid_file saying it is encrypted', async () => {
    await rejectsWith(
      extractText(doc('password-protected.pdf'), 'password-protected.pdf', 'application/pdf'),
      'invalid_file',
      /encrypted \(password-protected\)/,
    );
  });

  it('fails a truncated PDF with invalid_file', async () => {
    const bytes = doc('ntsb-report-20080102X00005.pdf');
    await rejectsWith(extractText(bytes.slice(0, bytes.length / 2), 'cut.pdf', 'application/pdf'), 'invalid_file', /not a readable PDF/);
  });

  it('fails bytes that are not a PDF at all with invalid_file', async () => {
    await rejectsWith(extractText(utf8('hello, not a pdf'), 'fake.pdf', 'application/pdf'), 'invalid_file', /PDF/);
  });

  it('fails a PDF without a text layer with invalid_file: no text could be extracted', async () => {
    const blank =
      '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
      '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n';
    await rejectsWith(extractText(utf8(blank), 'scan.pdf', 'application/pdf'), 'invalid_file', /No text could be extracted.*scanned/);
  });

  it('leaves the caller’s bytes intact (pdf.js gets a copy)', async () => {
    const bytes = doc('ntsb-report-20080102X00005.pdf');
    await extractText(bytes, 'report.pdf', 'application/pdf');
    assert.equal(bytes.byteLength, 92_364);
    assert.equal(strFromU8(bytes.subarray(0, 5)), '%PDF-');
  });

  it('survives damaged PDFs in a fresh process: no crash, no unhandled rejection, no output, nothing left running', () => {
    // A child process, so that an unhandled rejection (fatal by default), a stray console line
    // from pdf.js, or a timer or worker that keeps the process alive shows up for what it is.
    const script = `
      import { readFileSync } from 'node:fs';
      import { extractText } from ${JSON.stringify(pathToFileURL(join(REPO, 'src/ingest/extract.ts')).href)};
      const docs = ${JSON.stringify(DOCS)};
      const variants = [];
      for (const name of ['ntsb-report-20080102X00005.pdf', 'faa-amt-general-handbook-sample.pdf', 'password-protected.pdf']) {
        const full = new Uint8Array(readFileSync(docs + '/' + name));
        for (const cut of [0.01, 0.3, 0.7, 0.98]) variants.push(full.slice(0, Math.floor(full.length * cut)));
        for (let seed = 1; seed <= 4; seed++) {
          const copy = full.slice();
          let x = seed * 7919;
          for (let i = 0; i < 200; i++) { x = (x * 1103515245 + 12345) % 2147483648; copy[x % copy.length] ^= 0xff; }
          variants.push(copy);
        }
        variants.push(full);
      }
      variants.push(new Uint8Array(0), new TextEncoder().encode('%PDF-1.7\\n%%EOF'));
      const outcomes = {};
      for (const bytes of variants) {
        try { await extractText(bytes, 'damaged.pdf', 'application/pdf'); outcomes.ok = (outcomes.ok ?? 0) + 1; }
        catch (err) { const key = err.name + ':' + err.code; outcomes[key] = (outcomes[key] ?? 0) + 1; }
      }
      process.stdout.write(JSON.stringify(outcomes));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(child.signal, null, 'the process exited by itself');
    assert.equal(child.stderr, '');
    assert.equal(child.status, 0);
    const outcomes = JSON.parse(child.stdout) as Record<string, number>; // stdout holds nothing else
    for (const key of Object.keys(outcomes)) assert.ok(key === 'ok' || key === 'ExtractError:invalid_file', key);
    assert.ok((outcomes['ExtractError:invalid_file'] ?? 0) > 10);
  });
});

describe('extractText: Office documents', () => {
  it('keeps DOCX paragraphs apart with blank lines', async () => {
    const { text } = await extractText(doc('docling-word-sample.docx'), 'word.docx', '');
    assert.match(text, /Summer activities\n\nSwimming in the lake\n\n/);
  });

  it('fails a truncated DOCX with invalid_file', async () => {
    const bytes = doc('docx-tables.docx');
    await rejectsWith(extractText(bytes.slice(0, 4000), 'cut.docx', ''), 'invalid_file', /DOCX file could not be read/);
  });

  it('fails an encrypted (OLE) DOCX with invalid_file saying so', async () => {
    const ole = new Uint8Array(1024);
    ole.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    await rejectsWith(extractText(ole, 'secret.docx', ''), 'invalid_file', /encrypted/);
    await rejectsWith(extractText(ole, 'secret.xlsx', ''), 'invalid_file', /XLSX file is encrypted/);
  });

  it('gives PPTX sections per slide in slide order, with notes and table rows', async () => {
    const { text, sections } = await extractText(doc('docling-powerpoint-sample.pptx'), 'deck.pptx', '');
    assert.deepEqual(sections?.map((s) => s.label), ['Slide 1', 'Slide 2', 'Slide 3']);
    const slide = (i: number) => text.slice(sections![i]!.start, sections![i + 1]?.start);
    assert.match(slide(0), /^Test Table Slide\nWith footnote\n/);
    assert.match(slide(0), /^R1\tTrue\tFalse/m);
    assert.match(slide(1), /^Second slide title/);
    assert.match(slide(1), /Some notes on the second slide\./);
    assert.match(slide(2), /Final notes on the third slide\.\nSecond line of notes\.$/);
  });

  it('follows the presentation’s slide list, not the slide file numbers', async () => {
    // Move the third slide first, as PowerPoint records a reordering: only p:sldIdLst changes.
    const files = unzipSync(doc('docling-powerpoint-sample.pptx'));
    const presentation = strFromU8(files['ppt/presentation.xml']!);
    const reordered = presentation.replace(
      '<p:sldId id="256" r:id="rId2"/><p:sldId id="257" r:id="rId3"/><p:sldId id="258" r:id="rId4"/>',
      '<p:sldId id="258" r:id="rId4"/><p:sldId id="256" r:id="rId2"/><p:sldId id="257" r:id="rId3"/>',
    );
    assert.notEqual(reordered, presentation);
    files['ppt/presentation.xml'] = strToU8(reordered);
    const { text, sections } = await extractText(zipSync(files), 'moved.pptx', '');
    const firsts = sections!.map((s) => text.slice(s.start).split('\n')[0]);
    assert.deepEqual(firsts.slice(1), ['Test Table Slide', 'Second slide title']);
    assert.notEqual(firsts[0], 'Test Table Slide');
  });

  it('gives XLSX sections per sheet named from the workbook, rows as tab-separated cells', async () => {
    const { text, sections } = await extractText(doc('stanley-cups.xlsx'), 'cups.xlsx', '');
    assert.deepEqual(sections?.map((s) => s.label), ['Stanley Cups', 'Stanley Cups Since 67']);
    assert.ok(text.startsWith('Sheet: Stanley Cups\nStanley Cups\nTeam\tLocation\tStanley Cups\nBlues\tSTL\t1.0\n'));
  });

  it('fails a corrupt XLSX with invalid_file', async () => {
    const bytes = doc('stanley-cups.xlsx');
    await rejectsWith(extractText(bytes.slice(0, 3000), 'cut.xlsx', ''), 'invalid_file', /XLSX file is not a readable/);
  });
});

describe('extractText: HTML', () => {
  it('keeps visible text only: no script, style, head or navigation', async () => {
    const html = `<!doctype html><html><head><title>Ducks &amp; geese</title><style>.x{color:red}</style>
      <script>window.SECRET = "do not index";</script></head><body>
      <nav><a href="/">Home</a> <a href="/about">About us</a></nav>
      <h1>Water&shy;fowl</h1><p>Ducks are <b>birds</b>&nbsp;&lt;3 &#x1F986;</p>
      <ul><li>Mallard</li><li>Teal</li></ul>
      <table><tr><th>Name</th><th>Weight</th></tr><tr><td>Mallard</td><td>1.1 kg</td></tr></table>
      <div hidden>hidden text</div><p style="display: none">invisible</p>
      <noscript>enable JS</noscript></body></html>`;
    const { text } = await extractText(utf8(html), 'page.html', 'text/html');
    assert.equal(
      text,
      'Ducks & geese\n\nWater\u00adfowl\n\nDucks are birds <3 🦆\n\n- Mallard\n- Teal\nName\tWeight\nMallard\t1.1 kg',
    );
  });

  it('drops the Wikipedia page’s scripts and keeps the article', async () => {
    const { text } = await extractText(doc('wikipedia-duck.html'), 'duck.html', 'text/html');
    for (const code of ['RLCONF', 'document.documentElement', 'function(', '.mw-parser-output']) {
      assert.ok(!text.includes(code), `script/style text ${code} leaked`);
    }
    assert.match(text, /^Duck - Wikipedia\n/);
    assert.ok(!text.includes('Personal tools'), 'navigation outside <main> is dropped');
  });

  it('keeps only the title and the <main> element when the page marks its content', async () => {
    const html =
      '<html><head><title>Pond news</title></head><body><header>Site header<svg><title>logo</title></svg></header>' +
      '<main><h2>Ducklings hatched</h2><p>Seven of them.</p></main><footer>© Pond</footer></body></html>';
    const { text } = await extractText(utf8(html), 'news.html', 'text/html');
    assert.equal(text, 'Pond news\n\nDucklings hatched\n\nSeven of them.');
  });

  it('decodes a page in the charset it declares', async () => {
    const latin1 = Uint8Array.from([...'<meta charset="iso-8859-1"><p>Gr'].map((c) => c.charCodeAt(0)).concat([0xfc, 0xdf, 0x65]));
    const { text } = await extractText(latin1, 'old.htm', '');
    assert.equal(text, 'Grüße');
  });
});

describe('extractText: plain text, data and code', () => {
  it('passes CSV through unchanged', async () => {
    const bytes = doc('seattle-weather.csv');
    const { text } = await extractText(bytes, 'seattle-weather.csv', 'text/csv');
    assert.equal(text, new TextDecoder().decode(bytes).replace(/\r\n/g, '\n'));
  });

  it('passes JSON and source code through unchanged', async () => {
    const samples: Array<[string, string]> = [
      ['data.json', '{\n  "duck": "🦆",\n  "count": 3\n}\n'],
      ['main.py', 'def quack(n: int) -> str:\n    return "quack " * n\n'],
      ['app.ts', 'export const add = (a: number, b: number): number => a + b;\n'],
      ['lib.go', 'package main\n\nfunc main() {}\n'],
      ['Program.cs', 'class P { static void Main() { } }\n'],
      ['notes.tex', '\\section{Ducks} Dabbling ducks feed at the surface.\n'],
    ];
    for (const [name, source] of samples) {
      const { text, sections } = await extractText(utf8(source), name, 'application/octet-stream');
      assert.equal(text, source, name);
      assert.equal(sections, undefined);
    }
  });

  it('strips a UTF-8 byte-order mark and reads UTF-16 with one', async () => {
    assert.equal((await extractText(Uint8Array.from([0xef, 0xbb, 0xbf, 0x68, 0x69]), 'bom.txt', 'text/plain')).text, 'hi');
    assert.equal((await extractText(Uint8Array.from([0xff, 0xfe, 0x68, 0, 0x69, 0]), 'wide.txt', 'text/plain')).text, 'hi');
  });

  it('reads text by MIME type when the name has no known extension', async () => {
    const { text } = await extractText(utf8('# Title\n'), 'README', 'text/markdown; charset=utf-8');
    assert.equal(text, '# Title\n');
  });

  it('refuses binary content under a text name as unsupported_file', async () => {
    const bytes = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    await rejectsWith(extractText(bytes, 'program.txt', 'text/plain'), 'unsupported_file', /binary/);
  });

  it('fails an empty file with invalid_file: no text could be extracted', async () => {
    await rejectsWith(extractText(new Uint8Array(0), 'empty.md', 'text/markdown'), 'invalid_file', /No text could be extracted from empty\.md/);
    await rejectsWith(extractText(utf8(' \n\n '), 'blank.txt', 'text/plain'), 'invalid_file', /No text could be extracted/);
  });
});

describe('extractText: other types', () => {
  const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

  it('refuses a PNG as unsupported_file naming its type', async () => {
    await rejectsWith(extractText(PNG, 'photo.png', 'image/png'), 'unsupported_file', /Files of type \.png are not supported for file search/);
    await rejectsWith(extractText(PNG, 'photo', 'image/png'), 'unsupported_file', /Files of type image\/png are not supported/);
  });

  it('refuses archives and unknown binaries as unsupported_file', async () => {
    const zip = zipSync({ 'a.txt': strToU8('hello') });
    await rejectsWith(extractText(zip, 'bundle.zip', 'application/zip'), 'unsupported_file', /\.zip/);
    await rejectsWith(extractText(Uint8Array.from([1, 2, 3]), 'blob', 'application/octet-stream'), 'unsupported_file', /application\/octet-stream/);
    await rejectsWith(extractText(Uint8Array.from([1, 2, 3]), 'old.doc', 'application/msword'), 'unsupported_file', /\.doc /);
  });

  it('recognises a PDF or an OOXML package by content when name and type do not tell', async () => {
    const pdf = await extractText(doc('ntsb-report-20080102X00005.pdf'), 'download', 'application/octet-stream');
    assert.match(pdf.text, /DEN08CA034/);
    const pptx = await extractText(doc('docling-powerpoint-sample.pptx'), 'upload.bin', 'application/octet-stream');
    assert.match(pptx.text, /^Test Table Slide/);
  });
});
