/**
 * The one small XML reader and writer of the REST flavors, for the few shapes their
 * services answer with (S3 listings, multipart and batch-delete results, errors, STS
 * credentials; Azure's blob listings, block lists and errors). It reads elements,
 * attributes, text, CDATA, the five named entities and numeric character references;
 * namespace prefixes are dropped from element names. No DTDs, no external entities.
 * Malformed input is a `SyntaxError` (a store maps it to a typed, retryable error).
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * const doc = parseXml("<Error><Code>NoSuchKey</Code><Message>a &amp; b</Message></Error>");
 * console.assert(doc.name === "Error" && doc.text("Code") === "NoSuchKey");
 * console.assert(doc.text("Message") === "a & b");
 * ```
 *
 * @module
 */

/** One XML element: its local name, attributes, child elements and text. */
export class XmlElement {
  /** The local name (namespace prefix removed). */
  readonly name: string;
  /** The attributes (qualified names), values decoded. */
  readonly attrs: Record<string, string>;
  /** Child elements, in document order. */
  readonly children: XmlElement[] = [];
  /** The element's own text (character data directly inside it), decoded. */
  content = "";

  /**
   * @param name the local name
   * @param attrs the attributes
   */
  constructor(name: string, attrs: Record<string, string> = {}) {
    this.name = name;
    this.attrs = attrs;
  }

  /**
   * The first child element of this name.
   *
   * @param name the local name
   * @returns the element, or undefined
   */
  child(name: string): XmlElement | undefined {
    return this.children.find((c) => c.name === name);
  }

  /**
   * Every child element of this name.
   *
   * @param name the local name
   * @returns the elements, in order
   */
  all(name: string): XmlElement[] {
    return this.children.filter((c) => c.name === name);
  }

  /**
   * The text of the first child element of this name.
   *
   * @param name the local name
   * @returns its text, or undefined when there is no such child
   */
  text(name: string): string | undefined {
    return this.child(name)?.content;
  }
}

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, ref: string) => {
    if (ref[0] === "#") {
      const cp = ref[1] === "x" || ref[1] === "X"
        ? parseInt(ref.slice(2), 16)
        : parseInt(ref.slice(1), 10);
      return Number.isFinite(cp) && cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return NAMED[ref] ?? m;
  });
}

const ATTR = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function localName(qname: string): string {
  const i = qname.indexOf(":");
  return i < 0 ? qname : qname.slice(i + 1);
}

/**
 * Parses an XML document and returns its root element.
 *
 * @param xml the document text
 * @returns the root element
 * @throws {SyntaxError} on malformed XML (unclosed or mismatched tags, no root)
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * const r = parseXml('<?xml version="1.0"?><L xmlns="x"><K>a</K><K>b</K></L>');
 * console.assert(r.all("K").map((k) => k.content).join() === "a,b");
 * console.assert(parseXml('<N Encoded="true">a%2F</N>').attrs.Encoded === "true");
 * ```
 */
export function parseXml(xml: string): XmlElement {
  xml = xml.replace(/^\uFEFF/, "");
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const n = xml.length;
  const fail = (what: string) => {
    throw new SyntaxError(`Malformed XML: ${what} at offset ${i}`);
  };
  while (i < n) {
    const lt = xml.indexOf("<", i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const top = stack[stack.length - 1];
      if (top) top.content += decodeEntities(xml.slice(i, textEnd));
      else if (xml.slice(i, textEnd).trim() !== "") fail("text outside the root");
    }
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith("<?", i)) {
      const end = xml.indexOf("?>", i + 2);
      if (end < 0) fail("unclosed processing instruction");
      i = end + 2;
    } else if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i + 4);
      if (end < 0) fail("unclosed comment");
      i = end + 3;
    } else if (xml.startsWith("<![CDATA[", i)) {
      const end = xml.indexOf("]]>", i + 9);
      if (end < 0) fail("unclosed CDATA section");
      const top = stack[stack.length - 1];
      if (!top) fail("CDATA outside the root");
      top!.content += xml.slice(i + 9, end);
      i = end + 3;
    } else if (xml.startsWith("<!", i)) {
      // A DOCTYPE: skipped (no DTD processing, so no entity expansion attacks).
      const end = xml.indexOf(">", i + 2);
      if (end < 0) fail("unclosed declaration");
      i = end + 1;
    } else if (xml[i + 1] === "/") {
      const end = xml.indexOf(">", i + 2);
      if (end < 0) fail("unclosed end tag");
      const name = localName(xml.slice(i + 2, end).trim());
      const top = stack.pop();
      if (!top || top.name !== name) fail(`unexpected end tag </${name}>`);
      i = end + 1;
    } else {
      // A start tag; attribute values may contain '>' inside quotes.
      let j = i + 1;
      let quote = "";
      while (j < n) {
        const c = xml[j];
        if (quote) {
          if (c === quote) quote = "";
        } else if (c === '"' || c === "'") quote = c;
        else if (c === ">") break;
        j++;
      }
      if (j >= n) fail("unclosed start tag");
      const selfClosing = xml[j - 1] === "/";
      const inner = xml.slice(i + 1, selfClosing ? j - 1 : j);
      const m = /^[^\s/>]+/.exec(inner);
      if (!m) fail("empty tag name");
      const attrs: Record<string, string> = {};
      for (const a of inner.slice(m![0].length).matchAll(ATTR)) {
        attrs[a[1]] = decodeEntities(a[2] ?? a[3] ?? "");
      }
      const el = new XmlElement(localName(m![0]), attrs);
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) fail("a second root element");
      else root = el;
      if (!selfClosing) stack.push(el);
      i = j + 1;
    }
  }
  if (stack.length > 0) fail(`unclosed element <${stack[stack.length - 1].name}>`);
  if (!root) fail("no root element");
  return root!;
}

/**
 * Escapes text for an XML element body or attribute value.
 *
 * @param s the text
 * @returns the escaped text
 *
 * @example
 * ```ts
 * import { escapeXml } from "./xml.ts";
 * console.assert(escapeXml(`a<b & "c"`) === "a&lt;b &amp; &quot;c&quot;");
 * ```
 */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"'\r]/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : c === "'"
        ? "&apos;"
        : "&#13;",
  );
}

/**
 * Tells whether a string can be written in XML 1.0 at all (no control characters
 * other than tab, line feed and carriage return, no lone surrogates).
 *
 * @param s the text
 * @returns true when it can be escaped into XML
 *
 * @example
 * ```ts
 * import { xmlSafe } from "./xml.ts";
 * console.assert(xmlSafe("a b") && !xmlSafe("a\u0001b"));
 * ```
 */
export function xmlSafe(s: string): boolean {
  // deno-lint-ignore no-control-regex
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/
    .test(s);
}
