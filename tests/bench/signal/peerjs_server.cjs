// The PeerJS server (npm `peer` 1.0.2, installed by ./run under the build dir and found through
// NODE_PATH) on 127.0.0.1:PORT, path "/", key "peerjs", with the connection cap lifted so the
// idle load is not refused. Prints "listening PORT" once it accepts connections.
//   node peerjs_server.cjs PORT
const { PeerServer } = require("peer");
const port = Number(process.argv[2]);
PeerServer({ host: "127.0.0.1", port, path: "/", key: "peerjs", concurrent_limit: 1000000 }, () =>
  console.log("listening " + port),
);
