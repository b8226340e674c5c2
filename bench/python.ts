// Python (PyTorch) frontend bench (run by `npm run bench -- python`, or `node --import tsx bench/python.ts`).
// A generated 2,000-line PyTorch file of nn.Module classes written like test/fixtures/python/
// (conv / batch-norm / ReLU blocks, `_make_layer` helpers with a for loop, config lists,
// Sequential, a DCGAN generator, LSTM language models), each built and called on an example
// input at module level: one keystroke (incremental re-parse + evaluation + graphs + analyses)
// median / p95 after warm-up, through analyzeDocument as the server calls it and through the
// frontend alone (analyzePython), and a cold open (a fresh document key, first analysis).
// Prints plain numbers, no pass/fail.
import { analyzeDocument } from '../server/src/core/analyze';
import { BUILTIN_DEFAULTS } from '../server/src/core/config';
import { analyzePython } from '../server/src/core/python/frontend';
import { forgetDocument, initTfjsFrontend } from '../server/src/core/tfjs/parse';
import { ms, printTable, summarize, type Summary } from './stats';

/** one model class and its example call; `m` makes every name and most widths differ */
type ModelWriter = (m: number, out: string[]) => void;

/** a ResNet-style network over the shared BasicBlock: `_make_layer` with a for loop over strides */
const resnet: ModelWriter = (m, out) => {
  const width = 16 + 8 * (m % 4);
  out.push(
    `class ResNet${m}(nn.Module):`,
    `    """CIFAR ResNet variant ${m}: a stem, three stages of BasicBlocks, a linear head."""`,
    '',
    '    def __init__(self, block, num_blocks, num_classes=NUM_CLASSES):',
    '        super().__init__()',
    `        self.in_planes = ${width}`,
    '',
    `        self.conv1 = nn.Conv2d(3, ${width}, kernel_size=3, stride=1, padding=1, bias=False)`,
    `        self.bn1 = nn.BatchNorm2d(${width})`,
    `        self.layer1 = self._make_layer(block, ${width}, num_blocks[0], stride=1)`,
    `        self.layer2 = self._make_layer(block, ${width * 2}, num_blocks[1], stride=2)`,
    `        self.layer3 = self._make_layer(block, ${width * 4}, num_blocks[2], stride=2)`,
    `        self.linear = nn.Linear(${width * 4} * block.expansion, num_classes)`,
    '',
    '    def _make_layer(self, block, planes, num_blocks, stride):',
    '        strides = [stride] + [1] * (num_blocks - 1)',
    '        layers = []',
    '        for stride in strides:',
    '            layers.append(block(self.in_planes, planes, stride))',
    '            self.in_planes = planes * block.expansion',
    '        return nn.Sequential(*layers)',
    '',
    '    def forward(self, x):',
    '        out = F.relu(self.bn1(self.conv1(x)))',
    '        out = self.layer1(out)',
    '        out = self.layer2(out)',
    '        out = self.layer3(out)',
    '        out = F.avg_pool2d(out, 8)',
    '        out = out.view(out.size(0), -1)',
    '        out = self.linear(out)',
    '        return out',
    '',
    '',
    `model_${m} = ResNet${m}(BasicBlock, [${1 + (m % 2)}, ${1 + (m % 3)}, 2])`,
    `x_${m} = torch.randn(BATCH_SIZE, 3, IMAGE_SIZE, IMAGE_SIZE)`,
    `y_${m} = torch.randint(0, NUM_CLASSES, (BATCH_SIZE,))`,
    `out_${m} = model_${m}(x_${m})`,
    `loss_${m} = F.cross_entropy(out_${m}, y_${m})`,
    `loss_${m}.backward()`,
  );
};

/** a VGG-style network from a config list: `_make_layers` appends conv / bn / relu in a loop */
const vgg: ModelWriter = (m, out) => {
  const a = 32 + 16 * (m % 3);
  out.push(
    `cfg_${m} = [${a}, 'M', ${a * 2}, 'M', ${a * 4}, ${a * 4}, 'M', ${a * 8}, 'M']`,
    '',
    '',
    `class VGG${m}(nn.Module):`,
    `    # VGG-style feature extractor ${m}: numbers are conv widths, 'M' a 2x2 max-pool`,
    '    def __init__(self, cfg, num_classes=NUM_CLASSES):',
    '        super().__init__()',
    '        self.features = self._make_layers(cfg)',
    '        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))',
    '        self.classifier = nn.Sequential(',
    `            nn.Linear(${a * 8}, 256),`,
    '            nn.ReLU(inplace=True),',
    '            nn.Dropout(0.5),',
    '            nn.Linear(256, num_classes),',
    '        )',
    '',
    '    def _make_layers(self, cfg):',
    '        layers = []',
    '        in_channels = 3',
    '        for v in cfg:',
    "            if v == 'M':",
    '                layers += [nn.MaxPool2d(kernel_size=2, stride=2)]',
    '            else:',
    '                layers += [nn.Conv2d(in_channels, v, kernel_size=3, padding=1),',
    '                           nn.BatchNorm2d(v),',
    '                           nn.ReLU(inplace=True)]',
    '                in_channels = v',
    '        return nn.Sequential(*layers)',
    '',
    '    def forward(self, x):',
    '        out = self.features(x)',
    '        out = self.avgpool(out)',
    '        out = torch.flatten(out, 1)',
    '        out = self.classifier(out)',
    '        return out',
    '',
    '',
    `model_${m} = VGG${m}(cfg_${m})`,
    `x_${m} = torch.randn(8, 3, 32, 32)`,
    `out_${m} = model_${m}(x_${m})`,
  );
};

/** LeNet: modules made in __init__, F.relu in forward, one pool module called twice */
const lenet: ModelWriter = (m, out) => {
  const c = 6 + (m % 4) * 2;
  out.push(
    `class LeNet${m}(nn.Module):`,
    `    # LeNet-5 style CNN ${m} for 1x28x28 inputs`,
    '    def __init__(self, num_classes=10):',
    '        super().__init__()',
    `        self.conv1 = nn.Conv2d(1, ${c}, kernel_size=5)`,
    '        self.pool = nn.MaxPool2d(2, 2)',
    `        self.conv2 = nn.Conv2d(${c}, 16, kernel_size=5)`,
    '        self.fc1 = nn.Linear(16 * 4 * 4, 120)',
    '        self.fc2 = nn.Linear(120, 84)',
    '        self.fc3 = nn.Linear(84, num_classes)',
    '',
    '    def forward(self, x):',
    '        x = self.pool(F.relu(self.conv1(x)))',
    '        x = self.pool(F.relu(self.conv2(x)))',
    '        x = x.view(x.size(0), -1)',
    '        x = F.relu(self.fc1(x))',
    '        x = F.relu(self.fc2(x))',
    '        return self.fc3(x)',
    '',
    '',
    `model_${m} = LeNet${m}()`,
    `x_${m} = torch.randn(8, 1, 28, 28)`,
    `out_${m} = model_${m}(x_${m})`,
  );
};

/** a DCGAN generator: one nn.Sequential of transposed convolutions written out */
const dcgan: ModelWriter = (m, out) => {
  const ngf = 16 * (1 + (m % 3));
  out.push(
    `class Generator${m}(nn.Module):`,
    '    def __init__(self, nz=NZ, ngf=' + ngf + ', nc=3):',
    '        super().__init__()',
    '        self.main = nn.Sequential(',
    '            # z: nz x 1 x 1 -> (ngf*8) x 4 x 4',
    '            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),',
    '            nn.BatchNorm2d(ngf * 8),',
    '            nn.ReLU(True),',
    '            # -> (ngf*4) x 8 x 8',
    '            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),',
    '            nn.BatchNorm2d(ngf * 4),',
    '            nn.ReLU(True),',
    '            # -> (ngf*2) x 16 x 16',
    '            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),',
    '            nn.BatchNorm2d(ngf * 2),',
    '            nn.ReLU(True),',
    '            # -> ngf x 32 x 32',
    '            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),',
    '            nn.BatchNorm2d(ngf),',
    '            nn.ReLU(True),',
    '            # -> nc x 64 x 64',
    '            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),',
    '            nn.Tanh(),',
    '        )',
    '',
    '    def forward(self, input):',
    '        return self.main(input)',
    '',
    '',
    `netG_${m} = Generator${m}()`,
    `noise_${m} = torch.randn(BATCH_SIZE, NZ, 1, 1)`,
    `fake_${m} = netG_${m}(noise_${m})`,
  );
};

/** a conv / bn / relu helper function at module level, and a plain CNN built from it */
const convNet: ModelWriter = (m, out) => {
  const w = 24 + 8 * (m % 3);
  out.push(
    `def conv_bn_relu_${m}(cin, cout, stride=1):`,
    '    return nn.Sequential(',
    '        nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False),',
    '        nn.BatchNorm2d(cout),',
    '        nn.ReLU(inplace=True),',
    '    )',
    '',
    '',
    `class ConvNet${m}(nn.Module):`,
    `    def __init__(self, width=${w}, depth=3, num_classes=NUM_CLASSES):`,
    '        super().__init__()',
    `        blocks = [conv_bn_relu_${m}(3, width)]`,
    '        channels = width',
    '        for i in range(depth):',
    `            blocks.append(conv_bn_relu_${m}(channels, channels * 2, stride=2))`,
    `            blocks.append(conv_bn_relu_${m}(channels * 2, channels * 2))`,
    '            channels = channels * 2',
    '        self.body = nn.Sequential(*blocks)',
    '        self.pool = nn.AdaptiveAvgPool2d(1)',
    '        self.drop = nn.Dropout(0.25)',
    '        self.head = nn.Linear(channels, num_classes)',
    '',
    '    def forward(self, x):',
    '        x = self.body(x)',
    '        x = self.pool(x).flatten(1)',
    '        return self.head(self.drop(x))',
    '',
    '',
    `model_${m} = ConvNet${m}()`,
    `x_${m} = torch.randn(8, 3, 32, 32)`,
    `out_${m} = model_${m}(x_${m})`,
  );
};

/** a word-level language model: embedding -> LSTM -> linear decoder */
const lstm: ModelWriter = (m, out) => {
  const hid = 128 + 64 * (m % 3);
  out.push(
    `class RNNModel${m}(nn.Module):`,
    '    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5):',
    '        super().__init__()',
    '        self.ntoken = ntoken',
    '        self.drop = nn.Dropout(dropout)',
    '        self.encoder = nn.Embedding(ntoken, ninp)',
    '        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout, batch_first=True)',
    '        self.decoder = nn.Linear(nhid, ntoken)',
    '',
    '    def forward(self, input):',
    '        emb = self.drop(self.encoder(input))',
    '        output, hidden = self.rnn(emb)',
    '        decoded = self.decoder(self.drop(output))',
    '        return decoded, hidden',
    '',
    '',
    `model_${m} = RNNModel${m}(NTOKENS, ${hid}, ${hid}, 2, 0.2)`,
    `data_${m} = torch.randint(0, NTOKENS, (BATCH_SIZE, 35))`,
    `output_${m}, hidden_${m} = model_${m}(data_${m})`,
  );
};

const WRITERS: readonly ModelWriter[] = [resnet, vgg, lenet, convNet, dcgan, resnet, lstm, convNet];

/** a PyTorch file of model classes, each built and run on an example input at module level */
export function generatePythonFile(targetLines: number): string {
  const out = [
    '# Generated by bench/python.ts: many nn.Module classes, each called on an example input.',
    'import torch',
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    '',
    'NUM_CLASSES = 10',
    'BATCH_SIZE = 8',
    'IMAGE_SIZE = 32',
    'NZ = 100',
    'NTOKENS = 1000',
    '',
    '',
    'class BasicBlock(nn.Module):',
    '    """Two 3x3 convolutions with a residual connection; the shortcut is an empty',
    '    nn.Sequential (identity) unless the block changes resolution or width."""',
    '    expansion = 1',
    '',
    '    def __init__(self, in_planes, planes, stride=1):',
    '        super().__init__()',
    '        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)',
    '        self.bn1 = nn.BatchNorm2d(planes)',
    '        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)',
    '        self.bn2 = nn.BatchNorm2d(planes)',
    '',
    '        self.shortcut = nn.Sequential()',
    '        if stride != 1 or in_planes != self.expansion * planes:',
    '            self.shortcut = nn.Sequential(',
    '                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),',
    '                nn.BatchNorm2d(self.expansion * planes),',
    '            )',
    '',
    '    def forward(self, x):',
    '        out = F.relu(self.bn1(self.conv1(x)))',
    '        out = self.bn2(self.conv2(out))',
    '        out += self.shortcut(x)',
    '        out = F.relu(out)',
    '        return out',
  ];
  for (let m = 0; out.length < targetLines; m++) {
    out.push('', '');
    WRITERS[m % WRITERS.length]!(m, out);
  }
  return out.join('\n') + '\n';
}

interface Edits {
  /** the text with one character typed, then the text again (the keystroke deleted) */
  readonly comment: readonly [string, string];
  readonly number: readonly [string, string];
}

/** one digit typed into a comment mid-file, and into a number literal (a Dropout rate: no shape changes) mid-file */
function edits(text: string): Edits {
  const half = Math.floor(text.length / 2);
  const typeAt = (needle: string, offset: number): readonly [string, string] => {
    const i = text.indexOf(needle, half);
    if (i < 0) throw new Error(`generated file has no ${needle} in its second half`);
    const at = i + offset;
    return [text.slice(0, at) + '7' + text.slice(at), text];
  };
  return { comment: typeAt('# -> (ngf*4)', '# -> (ngf*'.length), number: typeAt('nn.Dropout(0.5)', 'nn.Dropout(0.'.length) };
}

type Analyze = (text: string, key: string) => void;

/** keystrokes on one document: alternate the edited and the original text, after untimed ones */
function timeKeystrokes(versions: readonly [string, string], analyze: Analyze, warmup: number, runs: number): Summary {
  const key = 'file:///bench/generated_keystroke.py';
  forgetDocument(key);
  analyze(versions[1], key);
  const samples: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    analyze(versions[i % 2]!, key);
    if (i >= warmup) samples.push(performance.now() - t0);
  }
  forgetDocument(key);
  return summarize(samples);
}

/** a document opened for the first time: a key the parser cache has never seen */
let opened = 0;
function timeColdOpens(text: string, analyze: Analyze, runs: number): Summary {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const key = `file:///bench/opened_${opened++}.py`;
    const t0 = performance.now();
    analyze(text, key);
    samples.push(performance.now() - t0);
    forgetDocument(key);
  }
  return summarize(samples);
}

const full: Analyze = (t, key) => void analyzeDocument(t, 'python', { documentKey: key });
const frontend: Analyze = (t, key) => void analyzePython(t, { defaults: BUILTIN_DEFAULTS, documentKey: key });

async function main(): Promise<void> {
  await initTfjsFrontend();
  const text = generatePythonFile(2000);
  const lines = text.split('\n').length - 1;
  const classes = (text.match(/^class /gm) ?? []).length;

  // the first analysis in this process: nothing compiled yet, as after the server starts
  const t0 = performance.now();
  const first = analyzeDocument(text, 'python', { documentKey: 'file:///bench/first.py' });
  const firstMs = performance.now() - t0;
  forgetDocument('file:///bench/first.py');
  const python = analyzePython(text, { defaults: BUILTIN_DEFAULTS });
  const ops = first.models.reduce((n, m) => n + m.graph.ops.length, 0);
  // every diagnostic, by code and severity: the frontend's (none expected) and the rules' findings
  const counts = new Map<string, number>();
  for (const d of first.diagnostics) counts.set(`${d.code} ${d.severity}`, (counts.get(`${d.code} ${d.severity}`) ?? 0) + 1);
  const diagnostics = [...counts].map(([k, n]) => `${k} x${n}`).join(', ') || 'none';
  console.log(
    `\ngenerated PyTorch file: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB, ${classes} classes, ${python.graphs.length} graphs (${ops} ops);` +
      ` diagnostics: ${python.diagnostics.length} from the frontend, ${diagnostics} in all; first analysis in the process ${ms(firstMs)} ms`,
  );
  const frontendDiagnostics = python.diagnostics.map((d) => `  ${d.code} line ${d.range.start.line + 1}: ${d.message}`);
  if (frontendDiagnostics.length > 0) console.log(`frontend diagnostics:\n${frontendDiagnostics.slice(0, 10).join('\n')}`);

  const { comment, number } = edits(text);
  // warm-up: V8 settles the interpreter's code over the first analyses
  for (let i = 0; i < 10; i++) full(i % 2 ? comment[0] : text, 'file:///bench/warmup.py');
  forgetDocument('file:///bench/warmup.py');
  const rows: string[][] = [];
  const row = (name: string, s: Summary, target: string): void => void rows.push([name, String(s.runs), ms(s.median), ms(s.p95), ms(s.min), target]);
  row('cold open: frontend (parse + evaluation + graphs)', timeColdOpens(text, frontend, 20), '300');
  row('cold open: analyzeDocument (frontend + analyses + rules)', timeColdOpens(text, full, 20), '300');
  row('keystroke in a comment: frontend (incremental parse + evaluation + graphs)', timeKeystrokes(comment, frontend, 10, 60), '30');
  row('keystroke in a comment: analyzeDocument', timeKeystrokes(comment, full, 10, 60), '30');
  row('keystroke in a number: frontend', timeKeystrokes(number, frontend, 10, 60), '30');
  row('keystroke in a number: analyzeDocument', timeKeystrokes(number, full, 10, 60), '30');
  printTable(['measure', 'runs', 'median ms', 'p95 ms', 'min ms', 'target ms'], rows);
}

// run as a script (bench/python.ts through tsx, or its bundle python.js), not when imported, bundled or not
if (require.main === module && /[\\/]python\.[jt]s$/.test(process.argv[1] ?? '')) main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
