// The real-editor checks through the VS Code API, run inside VS Code by @vscode/test-electron.
// The workspace is a copy of examples/ plus test/fixtures/e2e/ as fixtures/ (see ../run.ts).
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const workspace = (): vscode.Uri => {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder');
  return folder.uri;
};

async function open(relativePath: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspace(), relativePath));
  await vscode.window.showTextDocument(document);
  return document;
}

/** Polls `probe` until it returns a value, at most `timeoutMs`. */
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const markdown = (contents: readonly (vscode.MarkdownString | vscode.MarkedString)[]): string =>
  contents.map((c) => (typeof c === 'string' ? c : c.value)).join('\n');

suite('memlens through the VS Code API', () => {
  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension('memlens.memlens');
    assert.ok(extension, 'memlens.memlens is not installed');
    await open('resnet50.nnm');
    await extension.activate();
  });

  test('resnet50.nnm opens in the nnm language', async () => {
    const document = await open('resnet50.nnm');
    assert.equal(document.languageId, 'nnm');
  });

  test('an unknown op is an NNM110 error on the callee', async () => {
    const document = await open('fixtures/unknown_op.nnm');
    // lint rules may add hints and infos beside the error
    const diagnostics = await until('an error diagnostic', () => {
      const found = vscode.languages.getDiagnostics(document.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(diagnostics.length, 1);
    const [d] = diagnostics;
    const code = typeof d?.code === 'object' ? d.code.value : d?.code;
    // line 4 `  y = convolve2d(x, 16, kernel: 3)`: the callee spans columns 7-16 (0-based 6-16)
    assert.deepEqual(
      { code, severity: d?.severity, line: d?.range.start.line, start: d?.range.start.character, end: d?.range.end.character },
      { code: 'NNM110', severity: vscode.DiagnosticSeverity.Error, line: 3, start: 6, end: 16 },
    );
  });

  test('hovering a tensor shows its shape and bytes', async () => {
    const document = await open('resnet50.nnm');
    // line 22 `  x = input(3, 224, 224)`: 3 x 224 x 224 x 4 B = 588 KiB per sample, 18.4 MiB at batch 32
    const text = await until('a hover', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(21, 2));
      const all = hovers.map((h) => markdown(h.contents)).join('\n');
      return all.includes('[N, 3, 224, 224]') ? all : undefined;
    });
    assert.match(text, /588 KiB x N = 18\.4 MiB at batch 32/);
  });

  test('inlay hints give the memory each statement adds', async () => {
    const document = await open('resnet50.nnm');
    const whole = new vscode.Range(0, 0, document.lineCount, 0);
    const hints = await until('inlay hints', async () => {
      const found = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', document.uri, whole);
      return found.length > 0 ? found : undefined;
    });
    const label = (h: vscode.InlayHint) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''));
    // line 23 conv2d 7x7/2 with 64 filters: 64 x 112 x 112 x 4 B = 3.06 MiB per sample; 64 x 3 x 7 x 7 = 9,408 params
    const conv = hints.find((h) => h.position.line === 22);
    assert.ok(conv, 'no inlay hint on line 23');
    assert.equal(label(conv), '3.06 MiB x N · +9.41K params');
  });

  test('the model has a code lens with its totals', async () => {
    const document = await open('resnet50.nnm');
    const lenses = await until('code lenses', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(lenses.length, 1);
    // 25,557,032 trainable + 53,120 non-trainable = 25.6M
    assert.match(lenses[0]?.command?.title ?? '', /^25\.6M params · .* @ batch 32/);
  });

  test('the TensorFlow.js model hovers with its parameter count', async () => {
    const document = await open('fixtures/mlp_tfjs.ts');
    // line 6 `  const model = tf.sequential({`; 784*256 + 256 + 256*128 + 128 + 128*10 + 10 = 235,146
    const text = await until('a memlens hover', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(5, 20));
      const all = hovers.map((h) => markdown(h.contents)).join('\n');
      return all.includes('params: 235,146') ? all : undefined;
    });
    assert.match(text, /model buildMlp\.model/);
  });

  // last: it edits resnet50.nnm (the workspace is a fresh copy)
  test('the precision quick fix edits the config and the code lens follows', async () => {
    const document = await open('resnet50.nnm');
    // NNM207 sits on the model name, line 21 `model resnet50 {`
    const actions = await until('the precision quick fix', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        document.uri,
        new vscode.Range(20, 8, 20, 8),
        vscode.CodeActionKind.QuickFix.value,
      );
      return found.some((a) => a.title.startsWith('Switch precision to mixed')) ? found : undefined;
    });
    const fix = actions.find((a) => a.title.startsWith('Switch precision to mixed'));
    assert.ok(fix?.edit, 'the quick fix carries no edit');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(document.lineAt(4).text, '  precision: mixed');
    // mixed keeps activations in fp16: 4.5 GiB at batch 32 becomes 2.25 GiB
    await until('the mixed-precision code lens', async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri);
      return lenses.some((l) => l.command?.title.includes('activations 2.25 GiB @ batch 32')) ? true : undefined;
    });
  });
});
