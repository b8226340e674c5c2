// A fix's edits in .nnm text: `inplace: true` / `checkpoint: true` on calls, config values, statement removal.
import type { FixSpec } from '../frontend';
import type { TextEdit } from './edits';
import { parseFile } from './locate';
import { removeStatement, setArgValue, setBoolArg, setConfigValue } from './nnmEdits';

export function nnmFixEdits(text: string, fix: FixSpec): TextEdit[] | undefined {
  const file = parseFile(text);
  const lines = text.split('\n');
  const one = (e: TextEdit | undefined): TextEdit[] | undefined => (e ? [e] : undefined);
  switch (fix.kind) {
    case 'inplace': {
      const edits = fix.sites.map((s) => setBoolArg(file, s, 'inplace'));
      return edits.every((e) => e !== undefined) ? (edits as TextEdit[]) : undefined;
    }
    case 'checkpoint': {
      const every = fix.every ?? 1;
      const edits = fix.calls.map((c) => (every > 1 ? setArgValue(file, c, 'checkpoint', String(every)) : setBoolArg(file, c, 'checkpoint')));
      return edits.every((e) => e !== undefined) ? (edits as TextEdit[]) : undefined;
    }
    case 'batch':
      return one(setConfigValue(file, lines, fix.model, 'batch', String(fix.batch)));
    case 'precision':
      return one(setConfigValue(file, lines, fix.model, 'precision', fix.precision));
    case 'removeStatement':
      return one(removeStatement(file, lines, fix.statement));
    case 'zero':
      return one(setConfigValue(file, lines, fix.model, 'zero', String(fix.stage)));
  }
}

