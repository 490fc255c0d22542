// The real socket.io-client 4.x against examples/chat_port.rs: a client
// without a token is refused; two clients with one join a room in /chat,
// one says something, the other hears it (the sender does not); whoami
// answers by ack; the REST route counts messages; the page and the browser
// bundle are served. Prints what it saw as JSON.
// Usage: node chat_client.js <url>
"use strict";
const { io } = require("socket.io-client");
const clients = require("./clients");
const [url] = process.argv.slice(2);
const seen = { refused: null, whoami: null, heard: [], senderHeard: [], stats: null, page: null, bundle: null };
setTimeout(() => clients.finish(seen, 1), 10000);

const next = (socket, event) => new Promise((resolve) => socket.once(event, (...a) => resolve(a)));

(async () => {
  const stranger = io(url, { reconnection: false });
  seen.refused = (await next(stranger, "connect_error"))[0].message;
  stranger.close();

  const a = io(url + "/chat", { auth: { token: "a" }, forceNew: true });
  const b = io(url + "/chat", { auth: { token: "b" }, forceNew: true });
  await Promise.all([next(a, "connect"), next(b, "connect")]);
  seen.whoami = (await a.emitWithAck("whoami")) === a.id;
  a.on("said", (...args) => seen.senderHeard.push(args));
  b.on("said", (...args) => seen.heard.push([args[0] === a.id, args[1], args[2]]));
  // Each join is handled before the client's next packet; a round trip
  // (whoami) tells that b's join is done before a speaks.
  a.emit("join", "r");
  b.emit("join", "r");
  await b.emitWithAck("whoami");
  await a.emitWithAck("whoami");
  const heard = next(b, "said");
  a.emit("say", { room: "r", text: "hi" });
  await heard;
  seen.stats = await (await fetch(`${url}/stats`)).json();
  seen.page = (await (await fetch(url + "/")).text()).includes('src="/socket.io/socket.io.js"');
  seen.bundle = (await fetch(`${url}/socket.io/socket.io.js`)).status;
  clients.finish(seen, 0);
})();
