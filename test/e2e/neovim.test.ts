// Neovim (Debian's 0.7, headless) as a second, independent LSP client of the bundled server over
// stdio: it must publish the fixture's diagnostic and answer a hover, as it does for VS Code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from './lib/codeServer';
import { Timings } from './lib/timings';
import { ensureAptPackages } from './lib/tools';

interface NvimDiagnostic {
  line: number;
  col: number;
  end_col: number;
  severity: number;
  code: string | number | null;
  source: string | null;
  message: string;
}
interface NvimResult {
  diagnostics: NvimDiagnostic[];
  hover_errors: number;
  hover: { contents: { kind: string; value: string } } | null;
  setting_hover: { contents: { kind: string; value: string } } | null;
  errors: string[];
}

const timings = new Timings();
let runDir = '';
let result: NvimResult;

describe('memlens in Neovim (headless, LSP over stdio)', { timeout: 600_000 }, () => {
  before(async () => {
    await timings.time('setup (neovim package)', () => ensureAptPackages(['neovim']));
    // `npm test` builds first; rebuilding here could race the code-server suite's packaging of dist/
    if (!existsSync(join(REPO, 'dist', 'server.js'))) {
      await timings.time('bundle server', () => {
        const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
        assert.equal(build.status, 0, `esbuild failed:\n${build.stdout}\n${build.stderr}`);
      });
    }
    runDir = mkdtempSync(join(tmpdir(), 'memlens-nvim-'));
    const out = join(runDir, 'result.json');
    const nvim = await timings.time('nvim session', () =>
      spawnSync('nvim', ['--headless', '--clean', '-c', `luafile ${join(__dirname, 'neovim', 'check.lua')}`], {
        cwd: runDir,
        encoding: 'utf8',
        timeout: 60_000,
        killSignal: 'SIGKILL',
        env: {
          ...process.env,
          MEMLENS_SERVER: join(REPO, 'dist', 'server.js'),
          MEMLENS_DIAG_FILE: join(REPO, 'test', 'fixtures', 'e2e', 'unknown_op.nnm'),
          MEMLENS_HOVER_FILE: join(REPO, 'examples', 'resnet50.nnm'),
          // line 22 of resnet50.nnm is `  x = input(3, 224, 224)`: hover the `x`
          MEMLENS_HOVER_LINE: '22',
          MEMLENS_HOVER_COL: '3',
          MEMLENS_OUT: out,
        },
      }),
    );
    assert.equal(nvim.error, undefined, `nvim did not finish: ${nvim.error?.message}\n${nvim.stderr}`);
    result = JSON.parse(readFileSync(out, 'utf8')) as NvimResult;
  });

  after(() => {
    if (runDir) rmSync(runDir, { recursive: true, force: true });
    process.stderr.write(`\n${timings.report('Neovim')}\n`);
  });

  it('the session ran without LSP errors', () => {
    assert.deepEqual(result.errors, []);
  });

  it('publishes the unknown-op error with its code and range', () => {
    // severity 1 = error; lint rules may add hints and infos beside it
    const errors = result.diagnostics.filter((d) => d.severity === 1);
    assert.equal(errors.length, 1, JSON.stringify(result.diagnostics));
    const [d] = errors;
    // line 4 is `  y = convolve2d(x, 16, kernel: 3)`: the callee spans columns 7-16 (end exclusive 17)
    assert.deepEqual(
      { line: d?.line, col: d?.col, endCol: d?.end_col, severity: d?.severity, code: d?.code },
      { line: 4, col: 7, endCol: 17, severity: 1, code: 'NNM110' },
    );
    assert.match(d?.message ?? '', /convolve2d/);
  });

  it('answers a hover on a tensor with its shape and bytes, and publishes no errors for a valid file', () => {
    assert.equal(result.hover_errors, 0);
    const value = result.hover?.contents.value ?? '';
    // 3 x 224 x 224 x 4 B = 602,112 B = 588 KiB per sample; x 32 = 18.4 MiB
    assert.match(value, /\[N, 3, 224, 224\]/, value);
    assert.match(value, /588 KiB x N = 18\.4 MiB at batch 32/, value);
  });

  it('takes the batch from the settings where the file has no config, and the file config over the settings', () => {
    // the client sets memlens.batch = 64; 3 x 32 x 32 x 4 B = 12 KiB per sample, x 64 = 768 KiB
    assert.match(result.setting_hover?.contents.value ?? '', /12 KiB x N = 768 KiB at batch 64/);
    // resnet50.nnm says `batch: 32` itself (checked above: 18.4 MiB at batch 32)
    assert.match(result.hover?.contents.value ?? '', /at batch 32/);
  });
});
