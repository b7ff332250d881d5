import { posix } from 'node:path';
import type { ExtractedText } from './extract-types.js';
import { joinSections } from './join-sections.js';
import { openOoxmlPackage, type OoxmlPackage } from './ooxml-package.js';
import { walkXml } from './walk-xml.js';

const PRESENTATION = 'ppt/presentation.xml';
const NOTES_SLIDE_TYPE = '/notesSlide';

/** Placeholders whose text is furniture, not content (slide number, date, footer on notes). */
const FURNITURE = new Set(['sldNum', 'dt', 'sldImg', 'hdr']);

/**
 * PPTX → text, one section per slide in presentation order (the order of `p:sldIdLst`, which
 * can differ from the slideN.xml numbering after slides are moved). A slide's text is its
 * shapes' paragraphs (`a:t` runs), table rows as tab-separated cells, then its speaker notes.
 */
export async function extractPptx(bytes: Uint8Array): Promise<ExtractedText> {
  const pkg = openOoxmlPackage(bytes, 'PPTX');
  const parts = slideParts(pkg).map((part, i) => {
    const notes = [...pkg.relationships(part).values()].find((rel) => rel.type.endsWith(NOTES_SLIDE_TYPE));
    const slideText = drawingText(pkg.xml(part) ?? '', (type) => !FURNITURE.has(type));
    // Notes pages also carry the slide image, number and header placeholders: keep the body only.
    const notesText = notes ? drawingText(pkg.xml(notes.target) ?? '', (type) => type === 'body') : '';
    return { label: `Slide ${i + 1}`, text: notesText ? `${slideText}\n\n${notesText}` : slideText };
  });
  return joinSections(parts);
}

function slideParts(pkg: OoxmlPackage): string[] {
  const rels = pkg.relationships(PRESENTATION);
  const ordered: string[] = [];
  walkXml(pkg.xml(PRESENTATION) ?? '', {
    open(name, attributes) {
      const target = name === 'p:sldId' ? rels.get(attributes['r:id'] ?? '')?.target : undefined;
      if (target && pkg.names.includes(target)) ordered.push(target);
    },
  });
  if (ordered.length > 0) return ordered;
  // No usable presentation part: fall back to the file numbering.
  return pkg.names
    .filter((name) => /^ppt\/slides\/slide\d+\.xml$/.test(name))
    .sort((a, b) => slideNumber(a) - slideNumber(b));
}

function slideNumber(name: string): number {
  return Number(posix.basename(name).replace(/\D/g, ''));
}

/**
 * The text of a slide or notes part. `keepPlaceholder` decides, by placeholder type, whether a
 * shape's text counts (a shape that is no placeholder has type 'obj', as in the schema).
 */
function drawingText(xml: string, keepPlaceholder: (type: string) => boolean): string {
  const blocks: string[] = []; // paragraphs and table rows of the slide, in document order
  let shape: { type: string; lines: string[] } | undefined;
  let paragraph = '';
  let inText = false;
  let cell: string[] | undefined;
  let row: string[] | undefined;
  const addLine = (line: string) => (cell ?? shape?.lines ?? blocks).push(line);

  walkXml(xml, {
    open(name, attributes) {
      switch (name) {
        case 'p:sp':
          shape = { type: 'obj', lines: [] };
          break;
        case 'p:ph':
          if (shape) shape.type = attributes.type ?? 'obj';
          break;
        case 'a:p':
          paragraph = '';
          break;
        case 'a:t':
          inText = true;
          break;
        case 'a:br':
          paragraph += '\n';
          break;
        case 'a:tr':
          row = [];
          break;
        case 'a:tc':
          cell = [];
          break;
      }
    },
    text(text) {
      if (inText) paragraph += text;
    },
    close(name) {
      switch (name) {
        case 'a:t':
          inText = false;
          break;
        case 'a:p':
          if (paragraph.trim()) addLine(paragraph.trim());
          paragraph = '';
          break;
        case 'a:tc':
          row?.push((cell ?? []).join(' '));
          cell = undefined;
          break;
        case 'a:tr':
          if (row?.some((c) => c)) addLine(row.join('\t').trimEnd());
          row = undefined;
          break;
        case 'p:sp':
          if (shape && shape.lines.length > 0 && keepPlaceholder(shape.type)) blocks.push(shape.lines.join('\n'));
          shape = undefined;
          break;
      }
    },
  });
  return blocks.join('\n');
}
