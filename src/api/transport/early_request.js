// The API requests the console's first page will make, sent by the page itself while the
// wasm downloads and compiles. Served builds only: `cargo xtask` writes this into index.html,
// and it acts only where console-server wrote its config into the page. The URLs follow the
// console's own rules (the route's query, the remembered page size, the API base); the
// browser tests of `early.rs` check this file's answers against the console's. The console
// takes an answer whose URL and token match its request (`early.rs`) and lets the rest go.

// A paging query as `PageQuery::parse` reads it: any bad value makes the whole query default.
function consolePageQuery(search) {
  const out = {};
  for (const [name, value] of new URLSearchParams(search)) {
    if (name === 'PageSize' || name === 'Page') {
      const number = /^\+?[0-9]+$/.test(value) ? Number(value) : NaN;
      const fits = name === 'PageSize' ? number >= 1 && number <= 1000 : number <= 4294967295;
      if (!fits) return {};
      out[name] = String(number);
    } else if (name === 'PageToken') {
      if (value === '') return {};
      out[name] = value;
    }
  }
  return out;
}

// The remembered page size, if it is one the console offers (`parse_page_size_choice`).
function consolePageSize(stored) {
  const text = stored === null ? '' : stored.trim();
  const size = /^\+?[0-9]+$/.test(text) ? Number(text) : NaN;
  return [10, 25, 50, 100, 250, 500, 1000].includes(size) ? size : 50;
}

// One path segment as `encode_segment` writes it: all but A-Z a-z 0-9 - _ . ~ escaped.
function consoleSegment(text) {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

// The URLs the page at `path` (under the site's base) asks for first, the rows' own first.
function consoleEarlyUrls(path, search, storedPageSize, apiBase, origin) {
  if (!apiBase.startsWith('/') || apiBase.startsWith('//') || /[?#]/.test(apiBase)) return [];
  const api = origin + apiBase.replace(/\/+$/, '');
  const apps = api + '/Apps?PageSize=1000&Page=0';
  if (path === '/' || path === '/devices') {
    // `/` sends the reader to `/devices` without its query.
    const query = consolePageQuery(path === '/' ? '' : search);
    if (query.PageSize === undefined) query.PageSize = String(consolePageSize(storedPageSize));
    const params = new URLSearchParams();
    for (const name of ['PageSize', 'Page', 'PageToken']) {
      if (query[name] !== undefined) params.append(name, query[name]);
    }
    return [api + '/Devices?' + params, apps];
  }
  const device = /^\/devices\/([^/]+)$/.exec(path);
  if (device) {
    try {
      return [api + '/Devices/' + consoleSegment(decodeURIComponent(device[1])), apps];
    } catch (_) {
      return [apps];
    }
  }
  return [];
}

// The connection chosen in Settings, read as `saved_choice` reads it.
function consoleSavedChoice() {
  const read = (storage) => {
    try {
      const choice = JSON.parse(storage.getItem('microvisor-console.connection'));
      return choice && ['server', 'demo', 'custom'].includes(choice.mode) ? choice : null;
    } catch (_) {
      return null;
    }
  };
  return read(sessionStorage) || read(localStorage);
}

function startConsoleEarlyRequests() {
  try {
    const element = document.getElementById('console-config');
    const choice = consoleSavedChoice();
    if (!element || (choice && choice.mode !== 'server')) return;
    const config = JSON.parse(element.textContent);
    const base = new URL(document.baseURI).pathname.replace(/\/+$/, '');
    let path = location.pathname;
    if (base && path.startsWith(base)) path = path.slice(base.length) || '/';
    const urls = consoleEarlyUrls(
      path,
      location.search,
      localStorage.getItem('microvisor-console.page-size'),
      typeof config.api_base === 'string' ? config.api_base : '/v1',
      location.origin,
    );
    const token = sessionStorage.getItem('microvisor-console.access-token') || null;
    const headers = { Accept: 'application/json' };
    if (token) headers['x-console-access-token'] = token;
    const early = urls.map((url) => {
      const controller = new AbortController();
      const answer = fetch(url, { headers, signal: controller.signal });
      // A request let go rejects unseen.
      answer.catch(() => {});
      return { url, token, controller, answer };
    });
    window.consoleEarly = early;
    // Whatever the console has not taken by then, it will not take.
    setTimeout(() => early.splice(0).forEach((entry) => entry.controller.abort()), 30000);
  } catch (_) {
    // Storage blocked or a garbled config: the console asks for itself.
  }
}
