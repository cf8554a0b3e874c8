/**
 * Paginated listings, walked once for every flavor: a repeated token or a truncated
 * page without a token is an error, never a loop or a silent cut.
 *
 * @module
 */

import { ArtifactStoreError } from "../errors.ts";

/** One page of a paginated listing. */
export interface Page<T> {
  /** The items on this page. */
  items: T[];
  /** The token for the next page; absent on the last page. */
  next?: string;
  /** The service says more pages follow (then `next` must be present). */
  truncated?: boolean;
}

/**
 * Iterates a paginated listing page by page. A repeated token, or a page that says
 * it is truncated but gives no token, is an error rather than a loop or a silent cut.
 *
 * @param fetchPage fetches the page for a token (`undefined` for the first)
 * @param what what is listed, for errors
 * @returns the pages' items, in order
 *
 * @example
 * ```ts
 * import { paginate } from "./paginate.ts";
 * const pages = [{ items: [1, 2], next: "t" }, { items: [3] }];
 * const out: number[] = [];
 * for await (const x of paginate((tok) => Promise.resolve(pages[tok ? 1 : 0]), "numbers")) out.push(x);
 * console.assert(out.join() === "1,2,3");
 * ```
 */
export async function* paginate<T>(
  fetchPage: (token: string | undefined) => Promise<Page<T>>,
  what: string,
): AsyncGenerator<T> {
  const seen = new Set<string>();
  let token: string | undefined;
  for (;;) {
    const page = await fetchPage(token);
    yield* page.items;
    if (page.next === undefined || page.next === "") {
      if (page.truncated) {
        throw new ArtifactStoreError(
          `Listing ${what} stopped: the service said more results follow but sent no continuation token`,
        );
      }
      return;
    }
    if (seen.has(page.next)) {
      throw new ArtifactStoreError(
        `Listing ${what} stopped: the service repeated continuation token '${page.next}'`,
      );
    }
    seen.add(page.next);
    token = page.next;
  }
}
