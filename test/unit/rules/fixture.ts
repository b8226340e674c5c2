import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'rules');

/** test/fixtures/rules/<name>.nnm */
export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, `${name}.nnm`), 'utf8');
}
