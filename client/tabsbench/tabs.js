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
let running = false, loops = [], seq = 0;
async function pump(prefix) {
	while (running) {
		const k = prefix + "." + ++seq;
		sent.push(k);
		try {
			await liveTemplate.pushEvent("tick", {k});
			acked.push(k);
		} catch (e) {
			failed.push(k + " " + e.code);
		}
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
