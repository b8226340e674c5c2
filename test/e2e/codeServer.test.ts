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
import { activeEditor, openFile, openWorkbench, runCommand, tokenOnLine, until, type Workbench } from './lib/workbench';

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
    runDir = mkdtempSync(join(tmpdir(), 'memlens-e2e-'));
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
    const colours = {
      comment: await colour('# ResNet-50', /^#/),
      keyword: await colour('model resnet50', 'model'),
      op: await colour('x = input(3, 224, 224)', 'input'),
      number: await colour('x = input(3, 224, 224)', '224'),
      variable: await colour('x = input(3, 224, 224)', 'x'),
    };
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
});
