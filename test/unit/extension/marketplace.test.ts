// Ready for the Visual Studio Marketplace and Open VSX (nothing is published): the manifest fields
// both registries show or require, the files they point at, and a packaged .vsix holding the
// bundles and what the manifest names, not the sources, the tests or their fixtures.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');

interface WalkthroughStep {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string | Record<string, string>; svg?: string; altText?: string };
  completionEvents?: string[];
}
interface Manifest {
  name: string;
  displayName: string;
  description: string;
  version: string;
  publisher: string;
  license: string;
  icon: string;
  main: string;
  engines: { vscode: string };
  categories: string[];
  keywords: string[];
  repository: { type: string; url: string };
  capabilities: {
    untrustedWorkspaces: { supported: boolean | 'limited'; description?: string };
    virtualWorkspaces: { supported: boolean | 'limited'; description?: string };
  };
  contributes: { walkthroughs: { id: string; title: string; description: string; steps: WalkthroughStep[] }[]; commands: { command: string }[] };
  devDependencies: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** the categories VS Code's manifest schema accepts (the Marketplace files an extension under them) */
const CATEGORIES = ['AI', 'Azure', 'Chat', 'Data Science', 'Debuggers', 'Extension Packs', 'Education', 'Formatters', 'Keymaps', 'Language Packs', 'Linters', 'Machine Learning', 'Notebooks', 'Programming Languages', 'SCM Providers', 'Snippets', 'Testing', 'Themes', 'Visualization', 'Other'];

/** width and height from a PNG's IHDR chunk (signature, length, "IHDR", then two big-endian u32) */
function pngSize(path: string): { width: number; height: number } {
  const bytes = readFileSync(path);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${path} is not a PNG`);
  assert.equal(bytes.toString('latin1', 12, 16), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** the lowest version a `^1.91.0`-style range admits */
function minVersion(range: string): [number, number, number] {
  const m = /^[\^~>=]*\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  assert.ok(m, `unexpected version range ${range}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * the entry names of a zip (a .vsix is one), from its central directory: the end record (signature
 * 0x06054b50, within the last 64 KiB + 22 bytes) gives the directory's size and offset, each entry
 * (0x02014b50) its name's length at +28, extra and comment lengths at +30 and +32, the name at +46
 */
function zipEntries(path: string): string[] {
  const zip = readFileSync(path);
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  assert.ok(end >= 0, `${path}: no zip end record`);
  const count = zip.readUInt16LE(end + 10);
  const names: string[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let n = 0; n < count; n++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `${path}: bad central directory entry ${n}`);
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

describe('Marketplace and Open VSX readiness', () => {
  it('names, version, licence and description are what both registries show', () => {
    assert.match(manifest.name, /^[a-z0-9][a-z0-9-]*$/);
    assert.match(manifest.publisher, /^[a-z0-9][a-z0-9-]*$/);
    assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
    assert.ok(manifest.displayName.length > 0 && manifest.description.length > 0);
    assert.equal(manifest.license, 'MIT');
    assert.ok(existsSync(join(ROOT, 'LICENSE')) && existsSync(join(ROOT, 'README.md')));
  });

  it('the repository is a GitHub URL, not a placeholder', () => {
    assert.equal(manifest.repository.type, 'git');
    assert.match(manifest.repository.url, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+(\.git)?$/);
    assert.doesNotMatch(manifest.repository.url, /example|your-|todo|xxx|placeholder/i);
  });

  it('the icon is a square PNG of at least 128 x 128 pixels (the Marketplace takes no SVG icon)', () => {
    const path = join(ROOT, manifest.icon);
    assert.ok(existsSync(path), `${manifest.icon} is missing`);
    const { width, height } = pngSize(path);
    assert.equal(width, height);
    assert.ok(width >= 128, `icon is ${width} x ${height}`);
  });

  it('categories are ones VS Code knows, keywords at most 30 (vsce refuses more) and distinct', () => {
    assert.ok(manifest.categories.length > 0);
    assert.deepEqual(manifest.categories.filter((c) => !CATEGORIES.includes(c)), []);
    assert.ok(manifest.keywords.length > 0 && manifest.keywords.length <= 30, `${manifest.keywords.length} keywords`);
    assert.equal(new Set(manifest.keywords.map((k) => k.toLowerCase())).size, manifest.keywords.length);
  });

  it('engines.vscode admits no release older than the @types/vscode the code is checked against (vsce checks it)', () => {
    const engine = minVersion(manifest.engines.vscode);
    const types = minVersion(manifest.devDependencies['@types/vscode']!.replace(/^(\d+\.\d+)$/, '$1.0'));
    assert.ok(engine[0] > types[0] || (engine[0] === types[0] && engine[1] >= types[1]), `engines.vscode ${manifest.engines.vscode} is older than @types/vscode ${manifest.devDependencies['@types/vscode']}`);
  });

  it('untrusted and virtual workspaces are declared, with a description where support is limited', () => {
    const { untrustedWorkspaces, virtualWorkspaces } = manifest.capabilities;
    // the server never runs user code: restricted mode loses nothing
    assert.equal(untrustedWorkspaces.supported, true);
    for (const c of [untrustedWorkspaces, virtualWorkspaces]) {
      assert.ok([true, false, 'limited'].includes(c.supported));
      if (c.supported === 'limited') assert.ok((c.description ?? '').length > 0);
    }
  });

  it('the walkthrough\'s steps point at media that exist and commands the extension contributes', () => {
    const commands = new Set(manifest.contributes.commands.map((c) => c.command));
    assert.ok(manifest.contributes.walkthroughs.length > 0);
    for (const w of manifest.contributes.walkthroughs) {
      assert.ok(w.steps.length > 0);
      for (const step of w.steps) {
        const media = [step.media.markdown, step.media.svg, ...(typeof step.media.image === 'string' ? [step.media.image] : Object.values(step.media.image ?? {}))].filter((m): m is string => m !== undefined);
        assert.ok(media.length > 0, `step ${step.id} has no media`);
        for (const m of media) assert.ok(existsSync(join(ROOT, m)), `step ${step.id}: ${m} is missing`);
        if (step.media.image !== undefined) assert.ok(step.media.altText, `step ${step.id}: an image needs altText`);
        for (const [, command] of step.description.matchAll(/\(command:([\w.]+)\)/g)) {
          if (command!.startsWith('memlens.')) assert.ok(commands.has(command!), `step ${step.id} links to ${command}, which is not contributed`);
        }
      }
    }
  });

  it('CHANGELOG.md has an entry for this version', () => {
    const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
    assert.match(changelog, new RegExp(`^## \\[?${manifest.version.replace(/\./g, '\\.')}\\]?`, 'm'));
  });

  it('vsce packages a .vsix of the bundles and what the manifest names, without sources, tests or maps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-vsix-'));
    try {
      const vsix = join(dir, `${manifest.name}-${manifest.version}.vsix`);
      for (const args of [['esbuild.mjs', '--production'], [join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '-o', vsix]]) {
        const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
        assert.equal(run.status, 0, `${args.join(' ')}:\n${run.stdout}\n${run.stderr}`);
      }
      const files = zipEntries(vsix).filter((f) => f.startsWith('extension/')).map((f) => f.slice('extension/'.length));
      const walkthroughMedia = manifest.contributes.walkthroughs.flatMap((w) => w.steps.flatMap((s) => [s.media.markdown, s.media.svg].filter((m): m is string => m !== undefined)));
      // vsce stores the readme, the changelog and the licence under the names the Marketplace reads
      const required = ['package.json', 'readme.md', 'LICENSE.txt', 'changelog.md', manifest.icon, manifest.main.replace(/^\.\//, ''), 'dist/server.js', 'dist/memoryView.js', 'dist/tree-sitter.wasm', 'syntaxes/nnm.tmLanguage.json', 'language-configuration.json', ...walkthroughMedia];
      assert.deepEqual(required.filter((f) => !files.includes(f)), [], 'files the manifest needs');
      const bloat = files.filter((f) => /^(test|server|client|bench|scripts|examples|docs|node_modules|out|shared)\//.test(f) || /\.(ts|map|tsbuildinfo)$/.test(f) || f.startsWith('.'));
      assert.deepEqual(bloat, [], 'sources, tests and build leftovers in the .vsix');
      const size = readFileSync(vsix).length;
      process.stdout.write(`# .vsix: ${files.length} files, ${(size / 1024 / 1024).toFixed(2)} MiB\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      // the protocol and real-editor tests that follow run dist/: give them back the development build
      // (unminified, with fresh source maps) that `npm run build` made
      const rebuild = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
      assert.equal(rebuild.status, 0, `esbuild.mjs:\n${rebuild.stdout}\n${rebuild.stderr}`);
    }
  });
});
