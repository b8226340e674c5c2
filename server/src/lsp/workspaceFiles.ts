// The files a document imports (tf.js `import ... from './data'`, Python `from .data import X`),
// as the editor sees them: an open document's current text first, else the disk. The disk is
// read again only when a file's modification time or size changed, so a keystroke in the
// importing file costs a stat per import, not a read.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { documentPath } from '../core/sourceFiles';

interface DiskText {
  readonly mtimeMs: number;
  readonly size: number;
  readonly text: string;
}

export class WorkspaceFiles {
  private readonly disk = new Map<string, DiskText>();

  /** `openText`: the text of the open document at this path, if one is open */
  constructor(private readonly openText: (path: string) => string | undefined) {}

  /** a file's text as the editor sees it; undefined when it is neither open nor readable */
  read(path: string): string | undefined {
    const open = this.openText(path);
    if (open !== undefined) return open;
    return this.fromDisk(path);
  }

  /** a watched file changed on disk: its text is read again on the next use */
  changed(path: string): void {
    this.disk.delete(path);
  }

  private fromDisk(path: string): string | undefined {
    try {
      const stat = statSync(path);
      if (!stat.isFile()) return undefined;
      const known = this.disk.get(path);
      if (known && known.mtimeMs === stat.mtimeMs && known.size === stat.size) return known.text;
      const text = readFileSync(path, 'utf8');
      this.disk.set(path, { mtimeMs: stat.mtimeMs, size: stat.size, text });
      return text;
    } catch {
      this.disk.delete(path);
      return undefined;
    }
  }
}

/** the path a document's URI names on disk, normalised as the frontends join import paths */
export function pathOf(uri: string): string | undefined {
  const path = documentPath(uri);
  return path === undefined ? undefined : resolve(path);
}
