// A fix's edits in .nnm text: `inplace: true` / `checkpoint: true` on calls, config values, statement removal.
import type { FixSpec } from '../frontend';
import type { TextEdit } from './edits';
import { parseFile } from './locate';
import { removeStatement, setBoolArg, setConfigValue } from './nnmEdits';

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
      const edits = fix.calls.map((c) => setBoolArg(file, c, 'checkpoint'));
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

