/**
 * A very small XML reader for the documents the Blob service returns (List
 * Blobs, errors, block lists): elements, attributes and text, entities decoded.
 * Not a general XML parser: no DTDs, no namespaces beyond keeping prefixes in
 * names.
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * const doc = parseXml("<Error><Code>BlobNotFound</Code></Error>");
 * console.assert(doc.text("Code") === "BlobNotFound");
 * ```
 *
 * @module
 */

/** One XML element. */
export class XmlElement {
  /** The tag name. */
  readonly name: string;
  /** The attributes, entities decoded. */
  readonly attrs: Record<string, string>;
  /** Child elements, in document order. */
  readonly children: XmlElement[] = [];
  /** The element's own text (entities decoded, CDATA kept). */
  value = "";

  /**
   * @param name the tag name
   * @param attrs the attributes
   */
  constructor(name: string, attrs: Record<string, string>) {
    this.name = name;
    this.attrs = attrs;
  }

  /**
   * The first child element of this name.
   *
   * @param name the tag name
   * @returns the element, or undefined
   */
  child(name: string): XmlElement | undefined {
    return this.children.find((c) => c.name === name);
  }

  /**
   * Every child element of this name.
   *
   * @param name the tag name
   * @returns the elements
   */
  all(name: string): XmlElement[] {
    return this.children.filter((c) => c.name === name);
  }

  /**
   * The text of the first child of this name.
   *
   * @param name the tag name
   * @returns its text, or undefined when there is no such child
   */
  text(name: string): string | undefined {
    return this.child(name)?.value;
  }
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

/**
 * Decodes XML entities (`&amp;`, `&#233;`, `&#x1F600;`).
 *
 * @param s the raw text
 * @returns the decoded text
 *
 * @example
 * ```ts
 * import { decodeEntities } from "./xml.ts";
 * console.assert(decodeEntities("a&amp;b&#x263A;") === "a&b\u263a");
 * ```
 */
export function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, e: string) => {
    if (e[0] === "#") {
      const cp = e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[e] ?? m;
  });
}

/**
 * Escapes text for an XML element or attribute.
 *
 * @param s the text
 * @returns the escaped text
 *
 * @example
 * ```ts
 * import { escapeXml } from "./xml.ts";
 * console.assert(escapeXml("a<b&'") === "a&lt;b&amp;&apos;");
 * ```
 */
export function escapeXml(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => `&${({ "<": "lt", ">": "gt", "&": "amp", "'": "apos", '"': "quot" })[c]};`,
  );
}

const TOKEN =
  /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<\/\s*([^\s>]+)\s*>|<([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
const ATTR = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * Parses an XML document and returns its root element.
 *
 * @param xml the document
 * @returns the root element
 * @throws {Error} when the text holds no element or the tags do not match
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * const doc = parseXml('<?xml version="1.0"?><A><B x="1">t&amp;u</B><B/></A>');
 * console.assert(doc.all("B").length === 2 && doc.text("B") === "t&u" && doc.child("B")?.attrs.x === "1");
 * ```
 */
export function parseXml(xml: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  for (const m of xml.replace(/^\uFEFF/, "").matchAll(TOKEN)) {
    const [, cdata, close, open, rawAttrs, selfClose, text] = m;
    const top = stack[stack.length - 1];
    if (cdata !== undefined) {
      if (top) top.value += cdata;
    } else if (close !== undefined) {
      const el = stack.pop();
      if (!el || el.name !== close) throw new Error(`Malformed XML: unexpected </${close}>`);
    } else if (open !== undefined) {
      const attrs: Record<string, string> = {};
      for (const a of (rawAttrs ?? "").matchAll(ATTR)) {
        attrs[a[1]] = decodeEntities(a[2] ?? a[3] ?? "");
      }
      const el = new XmlElement(open, attrs);
      if (top) top.children.push(el);
      else if (!root) root = el;
      if (!selfClose) stack.push(el);
    } else if (text !== undefined && top) {
      top.value += decodeEntities(text);
    }
  }
  if (!root) throw new Error("Malformed XML: no element");
  if (stack.length > 0) throw new Error(`Malformed XML: <${stack[0].name}> is not closed`);
  return root;
}
