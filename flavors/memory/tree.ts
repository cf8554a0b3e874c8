/**
 * The `memory` flavor's file system: one tree of directory and file nodes per
 * process, shared by every memory store (a store's root is a path in it), with an
 * entity-tag counter for the files written. Paths here are lists of segments from
 * the top of the tree; the stores turn their keys into them.
 *
 * @example
 * ```ts
 * import { lookup, makeDirs } from "./tree.ts";
 *
 * makeDirs(["tree-doc", "a", "b"]);
 * console.assert(lookup(["tree-doc", "a"])?.kind === "dir");
 * console.assert(lookup(["tree-doc", "x"]) === undefined);
 * ```
 *
 * @module
 */

/** A file: its bytes and what `stat` tells of it. */
export interface FileNode {
  /** Tells a file from a directory. */
  kind: "file";
  /** The bytes. */
  data: Uint8Array;
  /** When it was written. */
  mtime: Date;
  /** Its entity tag, new at every write. */
  etag: string;
  /** The content type given at the write. */
  contentType?: string;
  /** The metadata given at the write. */
  metadata?: Record<string, string>;
}

/** A directory: its children by name. */
export interface DirNode {
  /** Tells a directory from a file. */
  kind: "dir";
  /** The files and directories in it. */
  children: Map<string, Node>;
  /** When it was made. */
  mtime: Date;
}

/** A file or a directory. */
export type Node = FileNode | DirNode;

const TOP: DirNode = emptyDir();
let generation = 0;

/**
 * A new, empty directory node (not yet in the tree).
 *
 * @returns the node
 */
export function emptyDir(): DirNode {
  return { kind: "dir", children: new Map(), mtime: new Date() };
}

/**
 * A fresh entity tag, unique in the process.
 *
 * @returns the tag, quoted as HTTP quotes it
 */
export function nextEtag(): string {
  return `"m${++generation}"`;
}

/**
 * The node at a path.
 *
 * @param segs the path's segments from the top
 * @returns the node, or `undefined` when nothing is there
 */
export function lookup(segs: readonly string[]): Node | undefined {
  let node: Node = TOP;
  for (const s of segs) {
    if (node.kind !== "dir") return undefined;
    const next = node.children.get(s);
    if (!next) return undefined;
    node = next;
  }
  return node;
}

/**
 * The directory at a path, which must exist.
 *
 * @param segs the path's segments from the top
 * @returns the directory; `"missing"` when a segment is not there, `"file"` when a
 * segment is a file
 */
export function findDir(segs: readonly string[]): DirNode | "missing" | "file" {
  let node: Node = TOP;
  for (const s of segs) {
    const next: Node | undefined = node.kind === "dir" ? node.children.get(s) : undefined;
    if (!next) return "missing";
    if (next.kind !== "dir") return "file";
    node = next;
  }
  return node as DirNode;
}

/**
 * Makes the directory at a path and its parents, where they are missing.
 *
 * @param segs the path's segments from the top
 * @returns the directory, or `undefined` when a file is in the way
 */
export function makeDirs(segs: readonly string[]): DirNode | undefined {
  let node: DirNode = TOP;
  for (const s of segs) {
    let next = node.children.get(s);
    if (!next) {
      next = emptyDir();
      node.children.set(s, next);
    } else if (next.kind !== "dir") {
      return undefined;
    }
    node = next;
  }
  return node;
}

/**
 * Removes the node at a path with all below it (the top itself is emptied). Every
 * parent on the path must be a directory.
 *
 * @param segs the path's segments from the top
 */
export function removeTree(segs: readonly string[]): void {
  if (segs.length === 0) {
    TOP.children.clear();
    return;
  }
  let parent: DirNode = TOP;
  for (const s of segs.slice(0, -1)) {
    parent = parent.children.get(s) as DirNode;
  }
  parent.children.delete(segs[segs.length - 1]);
}
