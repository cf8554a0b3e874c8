// Reads the fields a flavor's configuration schema declares, for `flavor list`. Schemas are
// Standard Schemas; valibot ones (every built-in flavor's) expose their structure: objects
// (`entries`), pipes (`pipe`), optional wrappers (`wrapped`) and unions (`options`), which
// this walks. A schema it cannot read yields only `path`, the field every flavor has.

/** One configuration field of a flavor. */
export interface SchemaField {
  /** The field name (`region`, `retry.maxRetries` for a nested object's field). */
  name: string;
  /** Its type as the schema says (`string`, `number`, `boolean`, `object`, `a|b`, …). */
  type: string;
  /** Whether the field must be given. */
  required: boolean;
}

interface Node {
  type?: string;
  kind?: string;
  entries?: Record<string, Node>;
  pipe?: Node[];
  wrapped?: Node;
  options?: unknown[];
  literal?: unknown;
}

/** Fields that cannot be set from a command line (functions, the flavor name itself). */
const HIDDEN = new Set(["flavor", "fetch"]);

function unwrap(n: Node | undefined): Node | undefined {
  while (n && (n.wrapped || (n.pipe && n.pipe[0] !== n && !n.entries))) {
    n = n.wrapped ?? n.pipe![0];
  }
  return n;
}

function typeOf(n: Node | undefined): { type: string; optional: boolean } {
  if (!n || typeof n !== "object") return { type: "unknown", optional: true };
  if (n.type === "optional" || n.type === "nullish" || n.type === "exact_optional") {
    return { type: typeOf(n.wrapped).type, optional: true };
  }
  if (n.type === "nullable") return typeOf(n.wrapped);
  if (n.pipe && n.pipe.length > 0 && n.pipe[0] !== n) return typeOf(n.pipe[0]);
  if (n.type === "picklist" && Array.isArray(n.options)) {
    return { type: n.options.map(String).join("|"), optional: false };
  }
  if ((n.type === "union" || n.type === "variant") && Array.isArray(n.options)) {
    const types = [...new Set((n.options as Node[]).map((o) => typeOf(o).type))];
    return { type: types.join("|"), optional: false };
  }
  if (n.type === "literal") return { type: JSON.stringify(n.literal), optional: false };
  if (n.entries || /object$/.test(n.type ?? "")) return { type: "object", optional: false };
  return { type: n.type ?? "unknown", optional: false };
}

function objectEntries(n: Node | undefined, seen = new Set<Node>()): Record<string, Node> {
  if (!n || typeof n !== "object" || seen.has(n)) return {};
  seen.add(n);
  const out: Record<string, Node> = { ...(n.entries ?? {}) };
  if (n.pipe) { for (const p of n.pipe) Object.assign(out, objectEntries(p, seen)); }
  if (n.wrapped) Object.assign(out, objectEntries(n.wrapped, seen));
  if ((n.type === "union" || n.type === "intersect") && Array.isArray(n.options)) {
    for (const o of n.options as Node[]) Object.assign(out, objectEntries(o, seen));
  }
  return out;
}

/**
 * Every configuration field a schema declares, `path` first, without the fields a command
 * line cannot set (`flavor`, `fetch`).
 *
 * @param schema a flavor's `configSchema`
 * @param options `all`: keep `flavor` and `fetch` too
 * @returns the fields, in declaration order after `path`
 */
export function schemaFields(schema: unknown, options: { all?: boolean } = {}): SchemaField[] {
  const entries = objectEntries(schema as Node);
  const fields: SchemaField[] = [];
  for (const [name, node] of Object.entries(entries)) {
    if (HIDDEN.has(name) && !options.all) continue;
    const t = typeOf(node);
    const inner = unwrap(node);
    if (inner?.entries && Object.keys(inner.entries).length > 0 && t.type === "object") {
      // A nested object of plain fields (`retry`): list its fields, set as `--retry.maxRetries=2`.
      for (const [sub, subNode] of Object.entries(inner.entries)) {
        const st = typeOf(subNode);
        fields.push({
          name: `${name}.${sub}`,
          type: st.type,
          required: !t.optional && !st.optional,
        });
      }
    } else fields.push({ name, type: t.type, required: !t.optional });
  }
  const path = fields.findIndex((f) => f.name === "path");
  if (path > 0) fields.unshift(...fields.splice(path, 1));
  if (path < 0) fields.unshift({ name: "path", type: "string", required: true });
  return fields;
}
