// Entry point that VS Code's extension host calls (extensionTestsPath): runs the mocha suite.
import { join } from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', timeout: 60_000, color: true });
  mocha.addFile(join(__dirname, 'features.e2e.js'));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test-electron checks failed`)) : resolve()));
  });
}
