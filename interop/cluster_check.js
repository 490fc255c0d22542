// Checks two cluster nodes (shared/CLUSTER_NODE.md) from real
// socket.io-client 4.8 clients: every cross-server operation, started on
// each node in turn, in "/" and "/custom". Prints {results: [{check, from,
// nsp, ok, detail}]} and exits 1 if any failed.
//   node cluster_check.js <urlA> <nameA> <urlB> <nameB> [all-rooms|streams]
// With `streams` (the streams adapter, connection state recovery on), the
// offset that ends each broadcast is set aside, and a client that loses its
// connection to one node recovers its session on the other.
const { io } = require("socket.io-client");

const [urlA, nameA, urlB, nameB, mode] = process.argv.slice(2);
const withAllRooms = mode === "all-rooms";
const streams = mode === "streams";
const OFFSET = /^[0-9]+-[0-9]+$/;
const WAIT = 5000;
const results = [];

function within(ms, promise, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms)),
  ]);
}

async function client(url, nsp, name) {
  const socket = io(url + nsp, { transports: ["websocket"], auth: { name }, forceNew: true, reconnection: false });
  const inbox = [];
  const waiting = [];
  socket.on("message-back", (...args) => {
    if (streams && OFFSET.test(args[args.length - 1])) args.pop();
    const w = waiting.shift();
    if (w) w(args);
    else inbox.push(args);
  });
  const node = await within(WAIT, new Promise((resolve, reject) => {
    socket.once("hello", resolve);
    socket.once("connect_error", reject);
  }), `hello from ${url}${nsp}`);
  const next = () =>
    within(WAIT, inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiting.push(r)), `message-back on ${name}`);
  return { socket, node, next, name };
}

const ask = (c, ...args) => within(WAIT, c.socket.emitWithAck(...args), args[0]);
const once = (c, event) => within(WAIT, new Promise((r) => c.socket.once(event, (...a) => r(a))), event);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function check(name, ctx, body) {
  try {
    const detail = await body();
    results.push({ check: name, from: ctx.from, nsp: ctx.nsp, ok: true, detail });
  } catch (e) {
    results.push({ check: name, from: ctx.from, nsp: ctx.nsp, ok: false, detail: String(e && e.message || e) });
  }
}

function expect(ok, detail) {
  if (!ok) throw new Error(JSON.stringify(detail));
  return detail;
}

async function direction(nsp, [xUrl, xName], [yUrl, yName]) {
  const ctx = { from: xName, nsp };
  const tag = `${xName}-${nsp.replace("/", "")}`;
  const x = await client(xUrl, nsp, `x-${tag}`);
  const y = await client(yUrl, nsp, `y-${tag}`);
  const room = `room-${tag}`;
  await check("hello", ctx, async () => expect(x.node === xName && y.node === yName, [x.node, y.node]));
  await check("broadcast", ctx, async () => {
    x.socket.emit("broadcast", "b", 1, { k: [true, null] });
    const seen = [await x.next(), await y.next()];
    return expect(seen.every((s) => same(s, ["b", 1, { k: [true, null] }])), seen);
  });
  await check("broadcast-local", ctx, async () => {
    x.socket.emit("broadcast-local", "l");
    x.socket.emit("broadcast", "end");
    const seen = [await x.next(), await x.next(), await y.next()];
    return expect(same(seen, [["l"], ["end"], ["end"]]), seen);
  });
  await check("join + to-room", ctx, async () => {
    await ask(y, "join", room);
    x.socket.emit("to-room", room, "r");
    x.socket.emit("broadcast", "end");
    const seen = [await y.next(), await y.next(), await x.next()];
    return expect(same(seen, [["r"], ["end"], ["end"]]), seen);
  });
  await check("except-room", ctx, async () => {
    x.socket.emit("except-room", room, "e");
    x.socket.emit("broadcast", "end");
    const seen = [await x.next(), await x.next(), await y.next()];
    return expect(same(seen, [["e"], ["end"], ["end"]]), seen);
  });
  await check("fetch-sockets", ctx, async () => {
    const all = await ask(x, "fetch-sockets", null);
    const expected = [
      { id: x.socket.id, rooms: [], data: { node: xName, name: x.name } },
      { id: y.socket.id, rooms: [room], data: { node: yName, name: y.name } },
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    const inRoom = await ask(x, "fetch-sockets", room);
    return expect(same(all, expected) && same(inRoom.map((s) => s.id), [y.socket.id]), { all, inRoom });
  });
  await check("count", ctx, async () => {
    const count = await ask(x, "count");
    return expect(count === 2, count);
  });
  if (withAllRooms) {
    await check("all-rooms", ctx, async () => {
      const rooms = await ask(x, "all-rooms");
      return expect([room, x.socket.id, y.socket.id].every((r) => rooms.includes(r)), rooms);
    });
  }
  // Node applies its own socketsJoin/Leave when its request comes back
  // from Redis, after the ack: the check asks until fetch-sockets shows it.
  const until = async (room, count) => {
    const deadline = Date.now() + WAIT;
    for (;;) {
      const all = await ask(x, "fetch-sockets", room);
      if (all.length === count || Date.now() > deadline) return all;
    }
  };
  await check("sockets-join", ctx, async () => {
    await ask(x, "sockets-join", null, `joined-${tag}`);
    const all = await until(`joined-${tag}`, 2);
    return expect(all.length === 2, all);
  });
  await check("sockets-leave", ctx, async () => {
    await ask(x, "sockets-leave", `joined-${tag}`, `joined-${tag}`);
    const all = await until(`joined-${tag}`, 0);
    return expect(all.length === 0, all);
  });
  await check("server-side-emit", ctx, async () => {
    const seen = once(y, "server-side-seen");
    x.socket.emit("server-side-emit", "s1", 2);
    const args = await seen;
    return expect(same(args, [xName, "s1", 2]), args);
  });
  await check("server-side-emit with ack", ctx, async () => {
    const seen = once(y, "server-side-seen");
    const answers = await ask(x, "server-side-emit", "s2");
    const args = await seen;
    return expect(same(answers, [yName]) && same(args, [xName, "s2"]), { answers, args });
  });
  await check("broadcast-with-ack", ctx, async () => {
    for (const c of [x, y]) c.socket.on("question", (q, cb) => cb(`${c.node}:${q}`));
    const answers = await ask(x, "broadcast-with-ack", "q?");
    return expect(same(answers, [`${xName}:q?`, `${yName}:q?`].sort()), answers);
  });
  if (streams) {
    await check("recovery on the other node", ctx, async () => {
      const r = await client(xUrl, nsp, `r-${tag}`);
      const { id, _pid: pid, _lastOffset: offset } = r.socket;
      // The transport closes: x keeps the session, then lets the socket go.
      r.socket.io.engine.close();
      const deadline = Date.now() + WAIT;
      while ((await ask(y, "fetch-sockets", null)).some((s) => s.id === id)) {
        if (Date.now() > deadline) throw new Error("the socket stays listed");
      }
      y.socket.emit("broadcast", "missed");
      await Promise.all([x.next(), y.next()]);
      // A client that moved to y: the session's ids, as the client keeps them.
      const back = io(yUrl + nsp, { transports: ["websocket"], forceNew: true, reconnection: false, autoConnect: false });
      Object.assign(back, { _pid: pid, _lastOffset: offset });
      back.connect();
      const missed = await within(WAIT, new Promise((res) => back.on("message-back", (...a) => res(a))), "the missed packet");
      if (!back.connected) await within(WAIT, new Promise((res) => back.once("connect", res)), "connect");
      const seen = { recovered: back.recovered, sameId: back.id === id, missed: missed[0], offset: OFFSET.test(missed[1]) };
      back.close();
      return expect(seen.recovered && seen.sameId && seen.missed === "missed" && seen.offset, seen);
    });
  }
  await check("disconnect-sockets", ctx, async () => {
    const gone = once(y, "disconnect");
    await ask(x, "disconnect-sockets", room);
    const [reason] = await gone;
    return expect(reason === "io server disconnect", reason);
  });
  x.socket.close();
  y.socket.close();
}

(async () => {
  for (const nsp of ["/", "/custom"]) {
    await direction(nsp, [urlA, nameA], [urlB, nameB]);
    await direction(nsp, [urlB, nameB], [urlA, nameA]);
  }
  console.log(JSON.stringify({ results }));
  process.exit(results.every((r) => r.ok) ? 0 : 1);
})().catch((e) => {
  console.log(JSON.stringify({ results, fatal: String(e && e.message || e) }));
  process.exit(1);
});
