// The memory view: a webview panel that draws the active model's memory over the schedule and its
// planned buffers (the server's `memlens/memoryView` data, drawn by the bundled dist/memoryView.js
// with ECharts). It follows the editor: redrawn after edits (with the diagnostics' delay), the
// selected lines' buffers highlighted, a click on the picture reveals the line that makes it.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CLIENT_LANGUAGES } from './languages';

export const MEMORY_VIEW_REQUEST = 'memlens/memoryView';

/** the server's answer (server/src/lsp/features/memoryView.ts); the view script reads the models */
export interface MemoryViewResult {
  readonly uri: string;
  readonly models: readonly {
    readonly model: string;
    readonly line: number;
    readonly planned: number;
    readonly budget: number;
    readonly expectedPeak: number | null;
    readonly device: string;
    readonly batch: number;
    /** under parallelism: one device's figures (server/src/report/memoryView.ts, ViewPerDevice) */
    readonly perDevice: { readonly line: string; readonly kind: string; readonly budget: number; readonly total: number | null } | null;
  }[];
  readonly active: number;
  readonly configuredBatch: number | null;
  readonly status: { readonly planned: string; readonly budget: string; readonly expected: string | null; readonly perDevice: string | null } | null;
}

type FromView = { readonly type: 'reveal'; readonly line: number } | { readonly type: 'batch'; readonly batch: number | null } | { readonly type: 'ready' };

function nonce(): string {
  let s = '';
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < 32; i++) s += chars.charAt(Math.floor(Math.random() * chars.length));
  return s;
}

export function isModelDocument(doc: vscode.TextDocument): boolean {
  return CLIENT_LANGUAGES.includes(doc.languageId);
}

export class MemoryView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private uri: vscode.Uri | undefined;
  private line: number | undefined;
  private batch: number | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: () => LanguageClient | undefined,
    private readonly delayMs: () => number,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.panel && this.uri && e.document.uri.toString() === this.uri.toString()) this.schedule();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (!this.panel || !this.uri || e.textEditor.document.uri.toString() !== this.uri.toString()) return;
        const lines = e.selections.flatMap((s) => Array.from({ length: Math.min(200, s.end.line - s.start.line + 1) }, (_, i) => s.start.line + i));
        void this.panel.webview.postMessage({ type: 'select', lines });
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (this.panel && editor && isModelDocument(editor.document) && editor.document.uri.toString() !== this.uri?.toString()) {
          this.uri = editor.document.uri;
          this.line = editor.selection.active.line;
          this.batch = null;
          void this.refresh();
        }
      }),
    );
  }

  /** open (or reveal) the view on a document, at a model's line */
  async show(uri?: vscode.Uri, line?: number): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    this.uri = uri ?? editor?.document.uri;
    this.line = line ?? editor?.selection.active.line;
    if (!this.uri) {
      void vscode.window.showInformationMessage('memlens: open a model file (.nnm, TensorFlow.js or Python) to see its memory view.');
      return;
    }
    if (!this.panel) this.createPanel();
    else this.panel.reveal(vscode.ViewColumn.Beside, true);
    await this.refresh();
  }

  private createPanel(): void {
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel('memlens.memoryView', 'memlens: Memory View', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: true });
    const script = panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'memoryView.js'));
    const n = nonce();
    // no network, no inline script but ours: the chart library is bundled into memoryView.js
    panel.webview.html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${panel.webview.cspSource} data:; style-src ${panel.webview.cspSource} 'unsafe-inline'; script-src 'nonce-${n}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0"><title>memlens: Memory View</title></head>
<body><div id="root"></div><script nonce="${n}" src="${script.toString()}"></script></body></html>`;
    panel.webview.onDidReceiveMessage((m: FromView) => this.onMessage(m), undefined, this.disposables);
    panel.onDidDispose(() => {
      this.panel = undefined;
    }, undefined, this.disposables);
    this.panel = panel;
  }

  private onMessage(m: FromView): void {
    if (m.type === 'ready') void this.refresh();
    else if (m.type === 'batch') {
      this.batch = m.batch;
      void this.refresh();
    } else if (m.type === 'reveal' && this.uri) {
      const uri = this.uri;
      void vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preserveFocus: false }).then((editor) => {
        const pos = new vscode.Position(m.line, 0);
        editor.selection = new vscode.Selection(pos, pos);
        editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      });
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    // after the server's own debounce, so the request meets the new analysis
    this.timer = setTimeout(() => void this.refresh(), this.delayMs() + 50);
  }

  private async refresh(): Promise<void> {
    const client = this.client();
    if (!client || !this.panel || !this.uri) return;
    try {
      const result = await client.sendRequest<MemoryViewResult>(MEMORY_VIEW_REQUEST, { uri: this.uri.toString(), ...(this.line !== undefined ? { line: this.line } : {}), ...(this.batch !== null ? { batch: this.batch } : {}) });
      const name = this.uri.path.slice(this.uri.path.lastIndexOf('/') + 1);
      this.panel.title = `memlens: ${name}`;
      void this.panel.webview.postMessage({ type: 'data', file: name, result, sliderBatch: this.batch });
    } catch (error) {
      void this.panel.webview.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
