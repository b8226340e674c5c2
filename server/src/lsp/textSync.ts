// The document store's text updates. vscode-languageserver's TextDocuments applies every didChange
// it receives; a client that sends a version at or below the one the server holds (out of order,
// or replayed) would roll the text back, and diagnostics would be published for an older version
// than the editor shows. Such changes are dropped, and said in the log.
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { TextDocumentsConfiguration } from 'vscode-languageserver';

export function monotonicTextDocuments(onStale: (uri: string, held: number, received: number) => void): TextDocumentsConfiguration<TextDocument> {
  return {
    create: TextDocument.create,
    update(document: TextDocument, changes: TextDocumentContentChangeEvent[], version: number): TextDocument {
      if (!Number.isFinite(version) || version <= document.version) {
        onStale(document.uri, document.version, version);
        return document;
      }
      return TextDocument.update(document, changes, version);
    },
  };
}
