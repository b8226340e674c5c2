// Real-editor suite: the packaged .vsix in code-server (VS Code in the browser), driven by headless
// Chromium. Each check asserts on the DOM and saves a screenshot to test/artifacts/.
// To add a check: one more `check(...)` below; helpers live in lib/workbench.ts.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { extensionLogTail, packageVsix, REPO, startCodeServer, type CodeServer } from './lib/codeServer';
import { Timings } from './lib/timings';
import { ensureEditorTools } from './lib/tools';
import { activeEditor, ARTIFACTS, editorLine, hoverText, normalize, openFile, openWorkbench, runCommand, tokenOnLine, until, type Workbench } from './lib/workbench';

/** the one browser global used inside page functions (the test project has no DOM typings) */
type BrowserWindow = { getComputedStyle(element: unknown): { color: string } };

const timings = new Timings();
let runDir = '';
let server: CodeServer | undefined;
let workbench: Workbench | undefined;

function page(): Page {
  assert.ok(workbench, 'the workbench did not open');
  return workbench.page;
}

/** One check: timed; on failure saves a screenshot and prints the code-server log tail. */
function check(name: string, artifact: string, body: (page: Page) => Promise<void>): void {
  it(name, async () => {
    await timings.time(`check ${artifact}`, async () => {
      try {
        await body(page());
        await workbench?.screenshot(artifact);
      } catch (error) {
        const shot = await workbench?.screenshot(`${artifact}-FAILED`).catch(() => undefined);
        process.stderr.write(`\n[e2e] ${name} failed; screenshot: ${shot ?? 'none'}\n`);
        if (server) process.stderr.write(`--- code-server log (tail) ---\n${server.logTail()}\n${extensionLogTail(runDir)}\n`);
        throw error;
      }
    });
  });
}

describe('memlens in code-server (VS Code in Chromium)', { timeout: 1_800_000 }, () => {
  before(async () => {
    const tools = await timings.time('setup (packages, Node 24, code-server)', () => ensureEditorTools());
    // screenshots of an earlier run must not pass for this one's
    rmSync(ARTIFACTS, { recursive: true, force: true });
    runDir = mkdtempSync(join(tmpdir(), 'memlens-e2e-'));
    process.once('exit', () => rmSync(runDir, { recursive: true, force: true })); // also when interrupted
    const vsix = await timings.time('package .vsix', () => packageVsix(runDir));
    // a fresh copy of the examples plus the e2e fixtures, so edits never touch the repository
    const workspace = join(runDir, 'workspace');
    cpSync(join(REPO, 'examples'), workspace, { recursive: true });
    mkdirSync(join(workspace, 'fixtures'));
    cpSync(join(REPO, 'test', 'fixtures', 'e2e'), join(workspace, 'fixtures'), { recursive: true });
    server = await timings.time('start code-server (install .vsix, healthz)', () => startCodeServer({ tools, runDir, vsix, workspace }));
    workbench = await timings.time('open workbench in Chromium', () => openWorkbench(server!.url, workspace, join(runDir, 'chromium')));
  });

  after(async () => {
    await workbench?.close().catch(() => undefined);
    await server?.stop();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
    process.stderr.write(`\n${timings.report('real-editor (code-server)')}\n`);
  });

  check('1. resnet50.nnm opens in the nnm language mode, coloured by our grammar', '1-language-and-grammar', async (page) => {
    await openFile(page, 'resnet50.nnm');
    const mode = page.locator('[id="status.editor.mode"]');
    await until('the status bar language indicator to read NNM', async () => ((await mode.innerText()).trim() === 'NNM' ? true : undefined));

    // distinct theme colours for a comment, a keyword, an op name and a number
    const colour = async (line: string, text: string | RegExp) => tokenOnLine(page, line, text).evaluate((el) => (globalThis as unknown as BrowserWindow).getComputedStyle(el).color);
    const read = async () => ({
      comment: await colour('# ResNet-50', /^#/),
      keyword: await colour('model resnet50', 'model'),
      op: await colour('x = input(3, 224, 224)', 'input'),
      number: await colour('x = input(3, 224, 224)', '224'),
      variable: await colour('x = input(3, 224, 224)', 'x'),
    });
    // the editor draws lines before the grammar has coloured them, and redraws them after: a span
    // read in between is detached and has no colour (CI once read "" for the comment and the number)
    let colours = await read();
    await until('five distinct colours from the grammar', async () => {
      colours = await read();
      return new Set(Object.values(colours)).size === 5 && !Object.values(colours).includes('') ? true : undefined;
    }, 10_000).catch(() => undefined);
    assert.equal(new Set(Object.values(colours)).size, 5, `expected five distinct colours, got ${JSON.stringify(colours)}`);

    // the tokens inspector names our grammar's scope for the op under the cursor
    await tokenOnLine(page, 'x = conv2d(x, 64, kernel: 7', 'conv2d').click();
    await runCommand(page, 'Developer: Inspect Editor Tokens and Scopes');
    const inspector = page.locator('.token-inspect-widget');
    await inspector.waitFor();
    await until('the tokens inspector to show support.function.op.nnm', async () => {
      const text = await inspector.innerText();
      return text.includes('support.function.op.nnm') && text.includes('source.nnm') ? true : undefined;
    });
    await workbench!.screenshot('1-tokens-inspector');
    await page.keyboard.press('Escape');
  });

  check('2. an unknown op shows a squiggle and a Problems row with its code', '2-diagnostics-problems', async (page) => {
    await openFile(page, 'fixtures/unknown_op.nnm');
    await activeEditor(page).locator('.squiggly-error').first().waitFor();
    const problems = page.locator('[id="status.problems"]');
    await until('the status bar to count one error', async () => (/Errors: 1\b/.test((await problems.getAttribute('aria-label')) ?? '') ? true : undefined));
    await page.keyboard.press('Control+Shift+M');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'NNM110' }).first();
    await row.waitFor();
    const text = normalize(await row.innerText());
    assert.match(text, /convolve2d/, `Problems row: ${text}`);
    assert.match(text, /\[Ln 4, Col 7\]/, `Problems row: ${text}`);
  });

  check('3. hovering a tensor shows its shape and bytes', '3-hover-tensor', async (page) => {
    await openFile(page, 'resnet50.nnm');
    await page.keyboard.press('Escape'); // the Problems panel keeps focus otherwise
    // x = input(3, 224, 224): 3 x 224 x 224 x 4 B = 602,112 B = 588 KiB per sample; x 32 = 18.4 MiB
    const text = await hoverText(page, tokenOnLine(page, 'x = input(3, 224, 224)', 'x'), '[N, 3, 224, 224]');
    assert.match(text, /588 KiB x N = 18\.4 MiB at batch 32/, `hover: ${text}`);
  });

  check('4. inlay hints and the model code lens are rendered', '4-inlay-hints-code-lens', async (page) => {
    await openFile(page, 'resnet50.nnm');
    await page.mouse.move(0, 0);
    // conv2d 7x7, 64 filters, stride 2: 64 x 112 x 112 x 4 B = 3.06 MiB per sample; 64 x 3 x 7 x 7 = 9,408 params
    const line = editorLine(page, 'x = conv2d(x, 64, kernel: 7, stride: 2, pad: 3, bias: false)');
    await until('the conv2d inlay hint', async () => (normalize(await line.innerText()).includes('3.06 MiB x N · +9.41K params') ? true : undefined));
    // torchvision ResNet-50: 25,557,032 + 53,120 = 25,610,152 parameters
    const lens = activeEditor(page).locator('.codelens-decoration', { hasText: '25.6M params' }).first();
    await lens.waitFor();
    assert.match(normalize(await lens.innerText()), /@ batch 32/);
  });

  check('5. a quick fix from the lightbulb edits the text and the code lens follows', '5-quick-fix', async (page) => {
    await openFile(page, 'resnet50.nnm');
    const lens = activeEditor(page).locator('.codelens-decoration').first();
    // fp32: 144 MiB of activations per sample x 32 = 4.5 GiB
    await until('the fp32 code lens', async () => (normalize(await lens.innerText()).includes('activations 4.5 GiB @ batch 32') ? true : undefined));
    // NNM207 (fp32 training where mixed precision fits a larger batch) sits on the model name
    await tokenOnLine(page, 'model resnet50 {', 'resnet50').click();
    const lightbulb = activeEditor(page).locator('.lightBulbWidget').first();
    await lightbulb.waitFor();
    await lightbulb.click();
    await page.locator('.action-widget .monaco-list-row', { hasText: 'Switch precision to mixed' }).first().click();
    await editorLine(page, 'precision: mixed').waitFor();
    // mixed keeps activations in fp16: half of 4.5 GiB
    await until('the code lens to show the mixed-precision activations', async () =>
      normalize(await lens.innerText()).includes('activations 2.25 GiB @ batch 32') ? true : undefined,
    );
  });

  check('6. a TensorFlow.js file shows a hover with the parameter count', '6-tfjs-hover', async (page) => {
    await openFile(page, 'fixtures/mlp_tfjs.ts');
    // 784*256 + 256 + 256*128 + 128 + 128*10 + 10 = 235,146 parameters
    const text = await hoverText(page, tokenOnLine(page, 'const model = tf.sequential({', 'sequential'), 'params: 235,146');
    assert.match(text, /model buildMlp\.model/, `hover: ${text}`);
  });

  check('7. the restart command restarts the language server and its features come back', '7-restart-server', async (page) => {
    await openFile(page, 'fixtures/unknown_op.nnm');
    await runCommand(page, 'memlens: Restart Language Server');
    await until('the memlens log to record the restart', async () => (extensionLogTail(runDir).includes('language server restarted') ? true : undefined));
    // unset settings reach the server as null (not VS Code's type defaults such as batch 0)
    assert.doesNotMatch(extensionLogTail(runDir, 500), /ignoring setting/);
    // the new server analyses the open document again: 3 x 32 x 32 x 4 B = 12 KiB per sample
    const text = await hoverText(page, tokenOnLine(page, 'x = input(3, 32, 32)', 'x'), '[N, 3, 32, 32]');
    assert.match(text, /12 KiB x N/, `hover: ${text}`);
  });
});
