// tenderlog's pages: hash a dropped file and verify evidence in the browser.
//
// The in-browser verifier (WebAssembly, built from the project's `web/`
// crate) is loaded on the first drop only, so the page itself stays small.
// Files are read in chunks and never leave the browser; what the server
// sends back (a bundle, a receipt) is verified here against the keys shown
// in the page. The report's HTML is rendered by the verifier itself, which
// escapes every value.

const CHUNK = 8 << 20;
const $ = (id) => document.getElementById(id);
let loading = null;

function verifier() {
  if (!loading) {
    loading = import('/assets/tenderlog_web.js').then(async (m) => {
      await m.default({ module_or_path: '/assets/tenderlog_web_bg.wasm' });
      return m;
    });
  }
  return loading;
}

function keys() {
  const k = $('log-keys');
  return k ? k.value : '';
}

function status(text) {
  const p = $('progress');
  if (!p) return;
  p.hidden = !text;
  p.textContent = text || '';
}

// A message of our own (text only, never markup).
function say(kind, zh, en, detail) {
  const s = document.createElement('section');
  s.className = 'answer ' + kind;
  const h = document.createElement('h2');
  h.textContent = zh;
  const p = document.createElement('p');
  p.textContent = en;
  s.append(h, p);
  if (detail) {
    const d = document.createElement('p');
    d.className = 'detail';
    d.textContent = detail;
    s.append(d);
  }
  return s;
}

function finish(nodes, state) {
  const r = $('result');
  r.replaceChildren(...nodes);
  document.body.dataset.state = state;
}

// The verifier's answer: its report (rendered by the verifier), or why the
// input could not be read.
function report(answer) {
  const a = JSON.parse(answer);
  if (a.error) {
    return { nodes: [say('bad', '无法验证 NOT VERIFIED', 'The evidence could not be read.', a.error)], state: 'refused' };
  }
  const t = document.createElement('template');
  t.innerHTML = a.html;
  return { nodes: [t.content], state: a.verified ? 'verified' : 'refused' };
}

function download(bytes, name, label) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/zip' }));
  a.download = name;
  a.textContent = label;
  const p = document.createElement('p');
  p.className = 'downloads';
  p.append(a);
  return p;
}

async function digests(w, file) {
  const d = new w.Digests();
  const started = performance.now();
  for (let off = 0; off < file.size; off += CHUNK) {
    const chunk = new Uint8Array(await file.slice(off, off + CHUNK).arrayBuffer());
    d.update(chunk);
    status(`正在计算摘要 Hashing… ${Math.round(((off + chunk.length) / file.size) * 100)}%`);
  }
  const out = JSON.parse(d.finish());
  out.ms = Math.round(performance.now() - started);
  document.body.dataset.hashMs = String(out.ms);
  return out;
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function checkDocument(w, file) {
  const d = await digests(w, file);
  status(`摘要已算出（${d.ms} ms），正在查询日志 Hashed in ${d.ms} ms; asking the log…`);
  const bundle = await fetchBytes('/v1/bundles?document=' + d.sha256);
  const facts = say('', '您的文件 Your file', `${file.name} · ${d.size} bytes · SHA-256 ${d.sha256} · SM3 ${d.sm3}`);
  facts.className = 'answer file';
  if (!bundle) {
    finish([say('bad', '未找到 NOT FOUND', 'No entry of this log records a document with these digests. (A sealed bid can be found only once it has been opened.)'), facts], 'not-found');
    return;
  }
  status('正在浏览器中验证 Verifying in your browser…');
  const r = report(w.verify_bundle(bundle, keys(), file.name, d.sha256, d.sm3));
  finish([...r.nodes, download(bundle, `evidence-${d.sha256.slice(0, 12)}.zip`, '下载证据包 Download the evidence bundle')], r.state === 'verified' ? 'found' : r.state);
}

async function checkBundle(w, bytes) {
  const r = report(w.verify_bundle(bytes, keys(), '', '', ''));
  finish(r.nodes, r.state);
}

async function checkReceipt(w, bytes) {
  const history = await fetchBytes('/key-history.json');
  const r = report(w.verify_receipt(bytes, keys(), history ? new TextDecoder().decode(history) : ''));
  finish(r.nodes, r.state);
}

async function dropped(file) {
  document.body.dataset.state = 'working';
  status('正在载入验证程序 Loading the verifier…');
  try {
    const w = await verifier();
    const kind = $('drop').dataset.kind;
    const small = file.size <= 64 << 20;
    const head = small ? new Uint8Array(await file.arrayBuffer()) : null;
    if (kind === 'receipt') {
      await checkReceipt(w, head || new Uint8Array());
    } else if (head && w.is_bundle(head)) {
      await checkBundle(w, head);
    } else if (head && w.is_receipt(head)) {
      await checkReceipt(w, head);
    } else {
      await checkDocument(w, file);
    }
  } catch (e) {
    finish([say('bad', '出错了 Something went wrong', String(e))], 'error');
  }
  status('');
}

async function verifyEntries(button) {
  document.body.dataset.state = 'working';
  status('正在浏览器中验证 Verifying in your browser…');
  try {
    const w = await verifier();
    const q = button.dataset.indexes.split(',').map((i) => 'index=' + encodeURIComponent(i)).join('&');
    const bundle = await fetchBytes('/v1/bundles?' + q);
    if (!bundle) throw new Error('the log has no such entries');
    const r = report(w.verify_bundle(bundle, keys(), '', '', ''));
    finish(r.nodes, r.state);
  } catch (e) {
    finish([say('bad', '出错了 Something went wrong', String(e))], 'error');
  }
  status('');
}

function setUp() {
  const drop = $('drop');
  const input = $('file');
  if (drop && input) {
    input.addEventListener('change', () => input.files[0] && dropped(input.files[0]));
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      const f = e.dataTransfer.files[0];
      if (f) dropped(f);
    });
  }
  const button = $('verify-entries');
  if (button) button.addEventListener('click', () => verifyEntries(button));
  document.body.dataset.state = 'ready';
}

setUp();
