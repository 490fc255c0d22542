// Two socket.io-client 4.8.1 clients of examples/cluster, one per server:
// each hears which server it is on and the cluster's online count, then
// each says something that the other must hear. Prints what they saw.
//   node cluster_demo_client.js <urlA> <urlB>
const { io } = require("socket.io-client");

const [urlA, urlB] = process.argv.slice(2);
const seen = { welcome: [], online: [], messages: [] };
const finish = (code) => {
  console.log(JSON.stringify(seen));
  process.exit(code);
};
setTimeout(() => finish(1), 10000);

function client(url) {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  const welcome = new Promise((r) => socket.once("welcome", r));
  return { socket, welcome };
}

const waitOnline = (socket, n) =>
  new Promise((resolve) => {
    const check = (count) => {
      if (count === n) {
        socket.off("online", check);
        resolve(count);
      }
    };
    socket.on("online", check);
  });

(async () => {
  const a = client(urlA);
  const aOnline = waitOnline(a.socket, 2);
  seen.welcome.push(await a.welcome);
  const b = client(urlB);
  seen.welcome.push(await b.welcome);
  seen.online.push(await aOnline);
  const heardByB = new Promise((r) => b.socket.on("message", r));
  a.socket.emit("message", "hello from a");
  seen.messages.push(await heardByB);
  const heardByA = new Promise((r) => a.socket.on("message", (m) => m.text === "hello from b" && r(m)));
  b.socket.emit("message", "hello from b");
  seen.messages.push(await heardByA);
  finish(0);
})();
