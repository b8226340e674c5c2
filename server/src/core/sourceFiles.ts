// What every frontend that follows local imports shares: a document's path on disk and how
// another file of the workspace is read (an editor may answer from its open documents first).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** the document's path from its LSP URI or CLI path; undefined for an untitled document */
export function documentPath(documentKey: string | undefined): string | undefined {
  if (!documentKey) return undefined;
  if (documentKey.startsWith('file:')) {
    try {
      return fileURLToPath(documentKey);
    } catch {
      return undefined;
    }
  }
  return /^[a-z][a-z0-9+.-]*:/i.test(documentKey) && !/^[a-z]:[\\/]/i.test(documentKey) ? undefined : documentKey;
}

/** reads a file's text; undefined when it cannot be read */
export type ReadFile = (path: string) => string | undefined;

export const readFromDisk: ReadFile = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};
