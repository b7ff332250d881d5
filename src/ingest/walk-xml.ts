import { Parser } from 'htmlparser2';

/** Callbacks for a streaming walk over an XML document. Names are as written (`a:t`, `c`). */
export interface XmlVisitor {
  open?(name: string, attributes: Record<string, string>): void;
  text?(text: string): void;
  close?(name: string): void;
}

/**
 * Walks XML start tags, text and end tags in document order, with entities and character
 * references decoded and CDATA sections as text. htmlparser2's XML mode is a real tokenizer (it
 * is already here for HTML), so OOXML parts are never picked apart with regular expressions;
 * a streaming walk also keeps a large worksheet from being built into a tree first.
 * Self-closing elements (`<a:br/>`) get an `open` and a `close`.
 */
export function walkXml(xml: string, visitor: XmlVisitor): void {
  const parser = new Parser(
    {
      onopentag: visitor.open ? (name, attributes) => visitor.open!(name, attributes) : undefined,
      ontext: visitor.text ? (text) => visitor.text!(text) : undefined,
      onclosetag: visitor.close ? (name) => visitor.close!(name) : undefined,
    },
    { xmlMode: true, decodeEntities: true, recognizeSelfClosing: true },
  );
  parser.end(xml);
}
