// chrome-dom.js CHROME URL MARKER SECONDS: load URL in headless Chromium
// (driven over --remote-debugging-pipe, in real time) and print the page's
// DOM once the player's screen shows MARKER, or when SECONDS have passed.
// Virtual time (--virtual-time-budget) would race the player's WebAssembly
// start, which runs in real time: this waits for the page itself.
'use strict';
const { spawn } = require('child_process');
const [chrome, url, marker, seconds] = process.argv.slice(2);
const profile = process.env.CHROME_PROFILE || '/tmp/sshbox-chrome';
const p = spawn(chrome, ['--headless=new', '--no-sandbox', '--disable-gpu',
	'--no-first-run', '--remote-debugging-pipe',
	'--user-data-dir=' + profile, 'about:blank'],
	{ stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
const toChrome = p.stdio[3], fromChrome = p.stdio[4];
const pending = new Map();
let id = 0, buf = '';
fromChrome.on('data', (d) => {
	buf += d;
	for (let i; (i = buf.indexOf('\0')) >= 0; buf = buf.slice(i + 1)) {
		const m = JSON.parse(buf.slice(0, i));
		if (m.id && pending.has(m.id)) {
			pending.get(m.id)(m);
			pending.delete(m.id);
		}
	}
});
function send(method, params, sessionId) {
	return new Promise((resolve) => {
		const m = { id: ++id, method, params: params || {} };
		if (sessionId)
			m.sessionId = sessionId;
		pending.set(m.id, resolve);
		toChrome.write(JSON.stringify(m) + '\0');
	});
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const probe = '(function () { var t = document.querySelector(' +
	'"pre.ap-term-text"); return t !== null && t.textContent.indexOf(' +
	JSON.stringify(marker) + ') >= 0; })()';
(async () => {
	const t = await send('Target.createTarget', { url: 'about:blank' });
	const a = await send('Target.attachToTarget',
	    { targetId: t.result.targetId, flatten: true });
	const s = a.result.sessionId;
	await send('Page.navigate', { url }, s);
	const end = Date.now() + Number(seconds) * 1000;
	while (Date.now() < end) {
		const r = await send('Runtime.evaluate',
		    { expression: probe, returnByValue: true }, s);
		if (r.result && r.result.result && r.result.result.value === true)
			break;
		await sleep(200);
	}
	const r = await send('Runtime.evaluate', { expression:
	    'document.documentElement.outerHTML', returnByValue: true }, s);
	process.stdout.write(r.result.result.value + '\n');
	p.on('exit', () => process.exit(0));
	p.kill();
	setTimeout(() => process.exit(0), 5000);
})();
