// Node's socket.io 4.8 answering the bench protocol of
// examples/bench_server: `echo`, `echo_ack` and `broadcast` on `/`, default
// options otherwise. Listens on 127.0.0.1:$PORT (default 3000). With
// REDIS_URL set, it joins that Redis's cluster (@socket.io/redis-adapter,
// the redis 4.7 client): ADAPTER=classic (the default) or sharded.
const { createServer } = require("node:http");
const { Server } = require("socket.io");
const { createClient } = require("redis");
const { createAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");

const httpServer = createServer();
const io = new Server(httpServer);

async function cluster(url) {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(process.env.ADAPTER === "sharded" ? createShardedAdapter(pub, sub) : createAdapter(pub, sub));
}

io.on("connection", (socket) => {
  socket.on("echo", (data) => socket.emit("echo", data));
  socket.on("echo_ack", (data, ack) => ack(data));
  socket.on("broadcast", (data) => io.emit("broadcast", data));
});

(process.env.REDIS_URL ? cluster(process.env.REDIS_URL) : Promise.resolve()).then(() =>
  httpServer.listen(Number(process.env.PORT || 3000), "127.0.0.1")
);
