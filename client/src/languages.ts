// The editor languages the client hands to the server. The client is bundled on its own and must
// not pull in the server's frontends, so this is a copy of the languages in
// server/src/core/frontends.ts; test/unit/extension/languages.test.ts holds the two (and
// package.json's activationEvents) equal.
export const CLIENT_LANGUAGES: readonly string[] = ['nnm', 'typescript', 'javascript', 'python'];
