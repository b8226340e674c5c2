// The VS Code side of memlens: starts the bundled language server, its commands, the memory view
// and the status bar.
// Everything the user sees in the editor comes from the server over LSP.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { CLIENT_LANGUAGES } from './languages';
import { isModelDocument, MemoryView } from './memoryView';
import { MemoryStatusBar } from './statusBar';
import { SERVER_NODE_FLAGS } from './serverFlags';

/** custom request answered by the server: the CLI-equivalent report of one document */
const REPORT_REQUEST = 'memlens/report';
interface ReportParams {
  uri: string;
}
interface ReportResult {
  text: string;
}

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('memlens', { log: true });
  const reportChannel = vscode.window.createOutputChannel('memlens report');
  context.subscriptions.push(output, reportChannel);

  const module = context.asAbsolutePath('dist/server.js');
  const execArgv = [...SERVER_NODE_FLAGS];
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { execArgv } },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: [...execArgv, '--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: CLIENT_LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    synchronize: { configurationSection: 'memlens' },
    outputChannel: output,
  };
  client = new LanguageClient('memlens', 'memlens', serverOptions, clientOptions);
  const delayMs = (): number => vscode.workspace.getConfiguration('memlens').get<number>('diagnostics.delayMs', 150);
  const memoryView = new MemoryView(context, () => client, delayMs);
  context.subscriptions.push(memoryView);

  context.subscriptions.push(
    vscode.commands.registerCommand('memlens.restartServer', async () => {
      if (!client) return;
      await client.restart();
      output.info('language server restarted');
    }),
    vscode.commands.registerCommand('memlens.showReport', () => showReport(reportChannel)),
    // from the code lens and the status bar: (uri, line); from the palette: the active editor
    vscode.commands.registerCommand('memlens.showMemoryView', (uri?: string, line?: number) => memoryView.show(uri ? vscode.Uri.parse(uri) : undefined, line)),
  );
  await client.start();
  context.subscriptions.push(new MemoryStatusBar(() => client, delayMs));
}

async function showReport(channel: vscode.OutputChannel): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!client || !editor || !isModelDocument(editor.document)) {
    void vscode.window.showInformationMessage('memlens: open a model file (.nnm, TensorFlow.js or Python) to see its memory report.');
    return;
  }
  const params: ReportParams = { uri: editor.document.uri.toString() };
  try {
    const result = await client.sendRequest<ReportResult>(REPORT_REQUEST, params);
    channel.clear();
    channel.append(result.text);
    channel.show(true);
  } catch (error) {
    void vscode.window.showErrorMessage(`memlens: report failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
