// Loaded after the client's script tag (both deferred) in every tab of the
// tabs suite and of the client's tab tests. It records the times (Date.now)
// of the client's connected events in conns, and runs pumps: loops that push
// "tick" events with keys unique among all tabs ({k}), recording every key
// sent, acknowledged and failed.
window.conns = [];
window.errs = [];
liveTemplate.on("connected", () => conns.push(Date.now()));
liveTemplate.on("error", (e) => errs.push(e.code));
window.sent = [];
window.acked = [];
window.failed = [];
window.waits = []; // ms from each push to its ack or failure
window.clicks = []; // ms from each click of #b to the change it made (see clicks)
let running = false, loops = [], seq = 0;
async function pump(prefix) {
	while (running) {
		const k = prefix + "." + ++seq;
		sent.push(k);
		const t0 = performance.now();
		try {
			await liveTemplate.pushEvent("tick", {k});
			acked.push(k);
		} catch (e) {
			failed.push(k + " " + e.code);
		}
		waits.push(performance.now() - t0);
		await new Promise((r) => setTimeout(r, 10));
	}
}
window.startPumps = (n) => {
	running = true;
	for (let i = 0; i < n; i++) loops.push(pump(liveTemplate.leader.tab));
	return true;
};
// stopPumps ends the pumps and waits for their pushes to settle, 15 s at most.
window.stopPumps = async () => {
	running = false;
	await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 15000))]);
	return {sent, acked, failed};
};
// flood pushes n "flood" events with keys {k} unique among all tabs, one
// every ms milliseconds, without waiting for their acks, then waits for them
// to settle (60 s at most).
window.flood = async (n, ms) => {
	const prefix = liveTemplate.leader.tab, ps = [];
	for (let i = 1; i <= n; i++) {
		const k = prefix + "." + i;
		sent.push(k);
		ps.push(liveTemplate.pushEvent("flood", {k}).then(() => acked.push(k), (e) => failed.push(k + " " + e.code)));
		await new Promise((r) => setTimeout(r, ms));
	}
	await Promise.race([Promise.all(ps), new Promise((r) => setTimeout(r, 60000))]);
	return {sent, acked, failed};
};
// click clicks the button #b (lvt-click) n times, one at a time, and records
// in clicks the time from each click to the change of the page it made.
window.click = async (n) => {
	for (let i = 0; i < n; i++) {
		const t0 = performance.now();
		const done = new Promise((r) => { const off = liveTemplate.on("updated", () => { off(); r(); }); });
		document.getElementById("b").click();
		await done;
		clicks.push(performance.now() - t0);
		await new Promise((r) => setTimeout(r, 20));
	}
	return clicks;
};
