// Which frontend reads which language: the one place a language is registered. A new frontend is
// its folder plus one line in FRONTEND_OF; the analysis, the language server and the CLI read
// this table, and a unit test holds the client's language list and package.json to it.
import { extname } from 'node:path';
import { nnmFrontend } from './dsl/frontend';
import type { Frontend, SourceLanguage } from './frontend';
import { pythonFrontend } from './python/frontend';
import { tfjsFrontend } from './tfjs/frontend';

/** every language memlens reads -> its frontend (typed over SourceLanguage, so none is missing) */
const FRONTEND_OF: { readonly [L in SourceLanguage]: Frontend } = {
  nnm: nnmFrontend,
  typescript: tfjsFrontend,
  javascript: tfjsFrontend,
  python: pythonFrontend,
};

/** the languages, in table order */
export const SOURCE_LANGUAGES = Object.keys(FRONTEND_OF) as readonly SourceLanguage[];

/** each frontend once, in table order */
export const FRONTENDS: readonly Frontend[] = [...new Set(Object.values(FRONTEND_OF))];

const aliases = new Map(FRONTENDS.flatMap((f) => Object.entries(f.languageAliases ?? {})));
const extensions = new Map(FRONTENDS.flatMap((f) => Object.entries(f.fileExtensions)));

/** editor language id -> the language it is read as; undefined for languages memlens ignores */
export function sourceLanguage(languageId: string): SourceLanguage | undefined {
  return Object.hasOwn(FRONTEND_OF, languageId) ? (languageId as SourceLanguage) : aliases.get(languageId);
}

export function frontendFor(language: SourceLanguage): Frontend;
export function frontendFor(languageId: string): Frontend | undefined;
export function frontendFor(languageId: string): Frontend | undefined {
  const language = sourceLanguage(languageId);
  return language && FRONTEND_OF[language];
}

/** the CLI's choice by file extension */
export function frontendForFile(path: string): { readonly frontend: Frontend; readonly language: SourceLanguage } | undefined {
  const language = extensions.get(extname(path).toLowerCase());
  return language && { frontend: FRONTEND_OF[language], language };
}
