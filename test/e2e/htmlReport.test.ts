// The HTML report as a CI artifact: opened in Debian's Chromium it shows each model's two charts
// (memory over the steps, the planned buffers) as SVG, with no console error and no request made.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { REPO } from './lib/codeServer';
import { CHROMIUM, ensureAptPackages } from './lib/tools';

describe('memlens report --format html in Chromium', { timeout: 300_000 }, () => {
  it('draws both charts of ResNet-50, the peak marked, without errors or network', async () => {
    ensureAptPackages(['chromium']);
    const dir = mkdtempSync(join(tmpdir(), 'memlens-html-'));
    const file = join(dir, 'resnet50.html');
    const cli = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'server', 'src', 'cli', 'memlens.ts'), 'report', join(REPO, 'examples', 'resnet50.nnm'), '--format', 'html'], { cwd: REPO, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(cli.status, 0, cli.stderr);
    writeFileSync(file, cli.stdout);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1040, height: 1400 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => !r.url().startsWith('file:') && requests.push(r.url()));
      await page.goto(`file://${file}`);
      assert.equal(await page.locator('figure[data-chart="timeline"] svg').count(), 1);
      assert.equal(await page.locator('figure[data-chart="plan"] svg').count(), 1);
      // the peak label: the most live at one step (2,940,226,784 B) and the planned peak (2,961,891,040 B)
      const text = await page.locator('figure[data-chart="timeline"] svg').textContent();
      assert.match(text ?? '', /peak 2\.74 GiB live, planned 2\.76 GiB/);
      assert.match(text ?? "", /budget 16 GiB \(gpu\): 5\.\dx the peak/);
      const artifacts = join(REPO, 'test', 'artifacts');
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'html-report-resnet50.png'), fullPage: true });
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
    } finally {
      await browser.close();
    }
  });
});
