// The status bar: the active model's planned peak against its device (`memlens: 2.76 GiB / 16 GiB`;
// under parallelism one device's, `memlens: 18.8 GiB / 24 GiB per GPU`), red when it does not fit; a click opens the memory view. Refreshed when the editor, the cursor's
// model or the text changes (after the diagnostics' delay).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { isModelDocument, MEMORY_VIEW_REQUEST, type MemoryViewResult } from './memoryView';
import { statusText } from './statusText';

export class MemoryStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('memlens.peak', vscode.StatusBarAlignment.Right, 100);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private lastModelLine = -1;

  constructor(
    private readonly client: () => LanguageClient | undefined,
    private readonly delayMs: () => number,
  ) {
    this.item.name = 'memlens peak';
    this.item.command = 'memlens.showMemoryView';
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.workspace.onDidChangeTextDocument((e) => e.document === vscode.window.activeTextEditor?.document && this.schedule(this.delayMs() + 50)),
      vscode.window.onDidChangeTextEditorSelection((e) => e.textEditor === vscode.window.activeTextEditor && this.schedule(200)),
    );
    this.schedule(0);
  }

  schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), ms);
  }

  private async refresh(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = this.client();
    if (!editor || !isModelDocument(editor.document) || !client) {
      this.item.hide();
      return;
    }
    try {
      const result = await client.sendRequest<MemoryViewResult>(MEMORY_VIEW_REQUEST, { uri: editor.document.uri.toString(), line: editor.selection.active.line, summary: true });
      const status = statusText(result);
      if (!status) {
        this.item.hide();
        return;
      }
      this.lastModelLine = result.models[result.active]!.line;
      this.item.text = status.text;
      this.item.tooltip = status.tooltip;
      this.item.backgroundColor = status.over ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
      this.item.command = { title: 'memlens: Show Memory View', command: 'memlens.showMemoryView', arguments: [editor.document.uri.toString(), this.lastModelLine] };
      this.item.show();
    } catch {
      this.item.hide();
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.item.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
