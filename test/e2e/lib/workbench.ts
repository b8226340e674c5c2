// Drives the code-server workbench in headless Debian Chromium through playwright-core.
// Every wait is bounded; selectors are VS Code's own DOM classes and ids.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { CHROMIUM } from './tools';

export const ARTIFACTS = join(__dirname, '..', '..', 'artifacts');

export interface Workbench {
  context: BrowserContext;
  page: Page;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openWorkbench(url: string, workspace: string, profileDir: string): Promise<Workbench> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
    timeout: 30_000,
  });
  context.setDefaultTimeout(45_000); // generous: CI machines may be loaded
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`, { timeout: 30_000 });
  // the user settings pick Default Dark Modern; wait until it is applied (the first paint is light)
  await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 30_000 });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 30_000 });
  return {
    context,
    page,
    screenshot: async (name) => {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    close: () => context.close(),
  };
}

/** Opens a file through the Explorer (folders are expanded on the way) and waits for its editor tab. */
export async function openFile(page: Page, relativePath: string): Promise<void> {
  const parts = relativePath.split('/');
  for (const [i, part] of parts.entries()) {
    const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label^="${part}"]`).first();
    await row.waitFor();
    const last = i === parts.length - 1;
    const expanded = await row.getAttribute('aria-expanded');
    if (last) await row.dblclick();
    else if (expanded !== 'true') await row.click();
  }
  const name = parts[parts.length - 1];
  await page.locator(`.tabs-container .tab.active[aria-label^="${name}"]`).waitFor();
  await activeEditor(page).locator('.view-lines .view-line').first().waitFor();
}

export function activeEditor(page: Page): Locator {
  return page.locator('.editor-group-container.active .monaco-editor').first();
}

/** The token span reading exactly `text` on the editor line that contains `lineText`
 *  (the editor renders spaces as no-break spaces, so both match any white space). */
export function tokenOnLine(page: Page, lineText: string, text: string | RegExp): Locator {
  const token = typeof text === 'string' ? new RegExp(`^${spaced(text).source}$`) : text;
  return activeEditor(page).locator('.view-line', { hasText: spaced(lineText) }).first().locator('span > span', { hasText: token }).first();
}

/** The editor line that contains `lineText`. */
export function editorLine(page: Page, lineText: string): Locator {
  return activeEditor(page).locator('.view-line', { hasText: spaced(lineText) }).first();
}

/** Hovers the mouse over `token` and returns the hover widget once it shows `expected`. */
export async function hoverText(page: Page, token: Locator, expected: string): Promise<string> {
  // several providers may answer (e.g. TypeScript's own hover beside ours): read them all
  const hover = page.locator('.monaco-hover-content');
  return until(`a hover containing "${expected}"`, async () => {
    if (!(await hover.first().isVisible())) {
      await page.mouse.move(0, 0);
      await token.hover();
      await hover.first().waitFor({ timeout: 3_000 });
    }
    const text = normalize((await hover.allInnerTexts()).join('\n'));
    return text.includes(expected) ? text : undefined;
  });
}

/** no-break spaces (as the editor renders them) to plain spaces */
export function normalize(text: string): string {
  return text.replace(/\u00a0/g, ' ');
}

export function spaced(text: string): RegExp {
  return new RegExp(escape(text).replace(/ /g, '\\s'));
}

/** Runs a command from the command palette, by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Polls `probe` until it returns a value, at most `timeoutMs`; the error names what was awaited. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${String(last)})` : ''}`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
