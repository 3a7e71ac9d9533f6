// Drives Debian's Chromium (headless, through playwright-core) through
// tenderlog's pages, as a bidder's clerk, a regulator and an arbitrator
// would use them. Started by tools/tests/browser.rs, which makes the logs,
// serves them and passes what to expect in a JSON file (argv[2]):
//
//   base, sealed_base      the demo's server, and a log holding a sealed bid
//   chromium               the browser's path
//   bid_file, changed_file the demo's bid, and a copy with one byte changed
//   bid_signer             text the verified bid's report must show
//   receipt                a receipt file; mutants: the same, one byte changed
//   sealed_file, sealed_secrets, sealed_index
//   console_token, violation_tender, violation_rule
//   cases                  in-browser checks with the Rust verifier's answers
//   big_file               a 100 MB file, hashed in the page (time reported)
//
// Prints one JSON line per finding; exits 1 at the first failure.

import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = {};

function check(ok, what, detail) {
  if (!ok) {
    console.log(JSON.stringify({ failed: what, detail }));
    process.exit(1);
  }
  console.log(JSON.stringify({ ok: what }));
}

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ locale: 'zh-CN' });

// Waits for the page's script to settle after a drop or a click.
async function settled(page) {
  await page.waitForFunction(() => !['working', undefined, ''].includes(document.body.dataset.state) && document.body.dataset.state !== 'ready', null, { timeout: 60000 });
  return page.evaluate(() => document.body.dataset.state);
}

// A new tab at `url`; pages with script are ready once it has set up.
async function fresh(url, scripted = true) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  if (scripted) await page.waitForFunction(() => document.body.dataset.state === 'ready');
  return { page, errors };
}

// 1. The page's weight before anything is dropped: every byte it loads
// (the document and each resource, as the browser decoded them).
{
  const page = await context.newPage();
  await page.goto(cfg.base + '/verify', { waitUntil: 'networkidle' });
  const loaded = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    return {
      bytes: nav.decodedBodySize + res.reduce((n, r) => n + r.decodedBodySize, 0),
      urls: [nav.name, ...res.map((r) => `${r.name} ${r.decodedBodySize}`)],
    };
  });
  results.page_weight_bytes = loaded.bytes;
  results.page_resources = loaded.urls;
  check(loaded.urls.length >= 3, 'the page loaded its style and script', loaded.urls);
  check(loaded.bytes <= 300 * 1024, `/verify weighs ${loaded.bytes} bytes before a drop (at most 300 KB)`, loaded.urls);
  check(!loaded.urls.some((u) => u.includes('.wasm') || u.includes('tenderlog_web')), 'the verifier is not loaded before a drop', loaded.urls);
  await page.close();
}

// 2. The demo's bid: found, its signer and time shown, the proof verified in the page.
{
  const { page, errors } = await fresh(cfg.base + '/verify');
  await page.setInputFiles('#file', cfg.bid_file);
  const state = await settled(page);
  const text = await page.locator('#result').innerText();
  check(state === 'found', 'the demo bid is found and verified in the browser', { state, text: text.slice(0, 2000), errors });
  check(await page.locator('#result section.verdict.ok[data-verified="true"]').count() === 1, 'the verdict says VERIFIED', text.slice(0, 500));
  for (const want of cfg.bid_signer) {
    check(text.includes(want), `the report shows ${JSON.stringify(want)}`, text.slice(0, 3000));
  }
  const all = await page.locator('#result details.checks').textContent();
  check(/inclusion\s*entry 30\s*通过 pass/.test(all) && /checkpoint signature.*通过 pass/.test(all), 'the inclusion proof and the checkpoint signatures passed in the page', all.slice(0, 1500));
  check(/witness quorum\s*checkpoint \d+\s*通过 pass/.test(all) && all.includes(cfg.witness), 'the witness quorum the bundle proposes is met in the page', all.slice(0, 3000));
  check(errors.length === 0, 'no script errors (and no CSP violations)', errors);
  await page.screenshot({ path: cfg.screenshots + '/verify-found.png', fullPage: true });
  await page.close();
}

// 3. The same file with one byte changed: not found.
{
  const { page } = await fresh(cfg.base + '/verify');
  await page.setInputFiles('#file', cfg.changed_file);
  const state = await settled(page);
  check(state === 'not-found', 'the bid with one byte changed is not found', state);
  await page.close();
}

// 4. A receipt: verified; with one byte changed: refused.
{
  const { page } = await fresh(cfg.base + '/receipt');
  await page.setInputFiles('#file', cfg.receipt);
  const state = await settled(page);
  check(state === 'verified', 'the receipt verifies in the browser', { state, text: (await page.locator('#result').innerText()).slice(0, 1500) });
  await page.screenshot({ path: cfg.screenshots + '/receipt.png', fullPage: true });
  for (const [i, mutant] of cfg.receipt_mutants.entries()) {
    await page.evaluate(() => { document.body.dataset.state = 'working'; });
    await page.setInputFiles('#file', { name: `receipt-${i}.json`, mimeType: 'application/json', buffer: Buffer.from(mutant, 'base64') });
    const s = await settled(page);
    check(s === 'refused', `receipt mutant ${i} is refused`, s);
  }
  // Every byte of the receipt, one bit flipped, through the page's verifier.
  const accepted = await page.evaluate(async ({ receipt, keys }) => {
    const w = await import('/assets/tenderlog_web.js');
    await w.default({ module_or_path: '/assets/tenderlog_web_bg.wasm' });
    const bytes = Uint8Array.from(atob(receipt), (c) => c.charCodeAt(0));
    const history = '';
    let accepted = [];
    if (!JSON.parse(w.verify_receipt(bytes, keys, history)).verified) return ['the original did not verify'];
    for (let i = 0; i < bytes.length; i++) {
      const m = bytes.slice();
      m[i] ^= 1 << (i % 8);
      if (JSON.parse(w.verify_receipt(m, keys, history)).verified) accepted.push(i);
    }
    return accepted;
  }, { receipt: readFileSync(cfg.receipt).toString('base64'), keys: cfg.keys });
  check(accepted.length === 0, `every byte of the receipt with one bit flipped is refused in the browser (${readFileSync(cfg.receipt).length} mutants)`, accepted.slice(0, 20));
  await page.close();
}

// 5. A sealed bid before its reveal: nothing about the bidder.
{
  const { page } = await fresh(cfg.sealed_base + '/verify');
  await page.setInputFiles('#file', cfg.sealed_file);
  const state = await settled(page);
  check(state === 'not-found', 'a sealed bid is not found before its reveal', state);
  // The page shows the dropped file's own digests (computed here); of the
  // bidder it shows nothing.
  const html = await page.content();
  for (const secret of cfg.sealed_secrets.filter((s) => !/^[0-9a-f]{64}$/.test(s))) {
    check(!html.includes(secret), `the page shows nothing of the sealed bid (${secret})`, null);
  }
  await page.goto(cfg.sealed_base + '/entries/' + cfg.sealed_index);
  const entry = await page.content();
  for (const secret of cfg.sealed_secrets) {
    check(!entry.includes(secret), `the sealed entry's page shows nothing of the bidder (${secret})`, null);
  }
  await page.close();
}

// 6. The console: sign in with a supervisor token; the demo's violation shows.
{
  // The console has no script at all.
  const { page, errors } = await fresh(cfg.base + '/console', false);
  check(await page.locator('script').count() === 0, 'the console page carries no script', null);
  await page.fill('#token', cfg.console_token);
  await Promise.all([page.waitForNavigation(), page.click('form.login button')]);
  const home = await page.locator('main').innerText();
  check(home.includes(cfg.violation_tender), 'the console lists the demo tender', home.slice(0, 1500));
  check(/日志状态 Log health/.test(home), 'the console shows the log health', home.slice(0, 800));
  await page.screenshot({ path: cfg.screenshots + '/console.png', fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click(`a[href="/console/tenders/${cfg.violation_tender}"]`)]);
  const rows = page.locator('tr.fail');
  const first = await rows.first().innerText();
  check(first.includes(cfg.violation_rule) || (await page.locator('main').innerText()).includes(cfg.violation_rule), `the tender page shows the violation of ${cfg.violation_rule}`, first);
  check(first.includes('违反 FAIL'), 'violations come first', first);
  await page.screenshot({ path: cfg.screenshots + '/console-tender.png', fullPage: true });
  check(errors.length === 0, 'the console raised no script errors', errors);
  // Signed out, the console is a sign-in form again.
  await Promise.all([page.waitForNavigation(), page.click('form.session button')]);
  check(await page.locator('form.login').count() === 1, 'signing out ends the session', null);
  await page.close();
}

// 7. The in-browser checks agree with the Rust verifier on shared vectors.
{
  const { page } = await fresh(cfg.base + '/verify');
  const cases = JSON.parse(readFileSync(cfg.cases, 'utf8'));
  const disagreements = await page.evaluate(async (cases) => {
    const w = await import('/assets/tenderlog_web.js');
    await w.default({ module_or_path: '/assets/tenderlog_web_bg.wasm' });
    const bytes = (hex) => Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));
    const out = [];
    for (const c of cases) {
      let got;
      const a = c.args;
      switch (c.fn) {
        case 'sha256': got = w.sha256_hex(bytes(a.hex)); break;
        case 'sm3': got = w.sm3_hex(bytes(a.hex)); break;
        case 'leaf_hash': got = w.leaf_hash_hex(bytes(a.hex)); break;
        case 'inclusion': got = JSON.parse(w.check_inclusion(BigInt(a.index), BigInt(a.size), a.leaf_hash, JSON.stringify(a.proof), a.root)).ok; break;
        case 'consistency': got = JSON.parse(w.check_consistency(BigInt(a.size1), BigInt(a.size2), a.root1, a.root2, JSON.stringify(a.proof))).ok; break;
        case 'note': { const r = JSON.parse(w.check_note(bytes(a.note), a.vkey)); got = r.ok ? r.detail : false; break; }
        case 'checkpoint': { const r = JSON.parse(w.check_checkpoint(bytes(a.note), a.keys)); got = r.ok ? r.detail : false; break; }
        default: got = 'unknown case ' + c.fn;
      }
      if (JSON.stringify(got) !== JSON.stringify(c.expect)) out.push({ name: c.name, got, expect: c.expect });
    }
    return out;
  }, cases);
  check(disagreements.length === 0, `the page's SHA-256, SM3, leaf hash, proof and signature checks agree with the Rust verifier on ${cases.length} cases`, disagreements.slice(0, 10));
  results.vector_cases = cases.length;
  await page.close();
}

// 8. Hashing a 100 MB file in the page (reported, not asserted).
if (cfg.big_file) {
  const { page } = await fresh(cfg.base + '/verify');
  await page.setInputFiles('#file', cfg.big_file);
  const state = await settled(page);
  const ms = Number(await page.evaluate(() => document.body.dataset.hashMs));
  check(state === 'not-found', 'the 100 MB file was hashed and looked up', state);
  results.hash_100mb_ms = ms;
  await page.close();
}

console.log(JSON.stringify({ results }));
await browser.close();
