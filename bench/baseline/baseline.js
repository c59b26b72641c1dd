// The practical floor for `cargo xtask bench`: the same API calls and the same table as the
// console's device list, by hand, with no framework. Timings are read the same way on both
// pages, from the Element Timing entries of each row's name link.

const rows = document.getElementById("rows");
const pager = document.querySelector(".pager");
let appNames = new Map();

function relative(timestamp, now) {
  if (!timestamp) return "—";
  const seconds = Math.max(0, Math.round(now - Date.parse(timestamp) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

function logging(device, now) {
  const until = device.logging && device.logging.date_expires;
  const left = until ? Date.parse(until) / 1000 - now : 0;
  return left > 0 ? `on · ${Math.floor(left / 3600)} h left` : "off";
}

function cell(tr, text) {
  const td = document.createElement("td");
  td.textContent = text;
  tr.appendChild(td);
  return td;
}

function render(page) {
  const now = Date.now() / 1000;
  const fragment = document.createDocumentFragment();
  for (const device of page.devices) {
    const tr = document.createElement("tr");
    cell(tr, device.sid);
    const name = document.createElement("td");
    const link = document.createElement("a");
    link.setAttribute("elementtiming", "device-row");
    link.href = `/devices/${encodeURIComponent(device.unique_name || device.sid)}`;
    link.textContent = device.unique_name || "(no name)";
    name.appendChild(link);
    tr.appendChild(name);
    const app = device.app || {};
    cell(tr, app.update_status || "—");
    cell(tr, appNames.get(app.target_sid) || app.target_sid || "—");
    cell(tr, appNames.get(app.reported_sid) || app.reported_sid || "—");
    cell(tr, logging(device, now));
    cell(tr, relative(device.date_updated, now));
    fragment.appendChild(tr);
  }
  rows.replaceChildren(fragment);
  performance.mark("device-rows-drawn");
  const meta = page.meta;
  pager.replaceChildren();
  for (const [label, url] of [["First", meta.first_page_url], ["Previous", meta.previous_page_url], ["Next", meta.next_page_url]]) {
    const button = document.createElement("button");
    button.textContent = label;
    button.disabled = !url;
    if (url) button.onclick = () => go(new URL(url).search);
    pager.appendChild(button);
  }
  const summary = document.createElement("span");
  const first = meta.page * meta.page_size + 1;
  summary.textContent = `Page ${meta.page + 1} · devices ${first}–${first + page.devices.length - 1}`;
  pager.appendChild(summary);
}

async function load(search) {
  const response = await fetch(`/v1/Devices${search}`);
  const text = await response.text();
  performance.mark("api:/v1/Devices");
  render(JSON.parse(text));
}

function go(search) {
  history.pushState(null, "", `/baseline/${search}`);
  load(search);
}

const apps = fetch("/v1/Apps?PageSize=1000").then((response) => response.json());
const search = location.search || "?PageSize=50";
const devices = fetch(`/v1/Devices${search}`)
  .then((response) => response.text())
  .then((text) => {
    performance.mark("api:/v1/Devices");
    return JSON.parse(text);
  });
Promise.all([apps, devices]).then(([apps, page]) => {
  appNames = new Map(apps.apps.map((app) => [app.sid, app.unique_name || app.sid]));
  render(page);
});
addEventListener("popstate", () => load(location.search));
