// The floor: the least an admission server must do for each review on this machine (TLS, read the body, parse the
// JSON, answer). The webhook's throughput is measured against it.
//
//   node floor-server.mjs PORT CERT KEY [PATCH]
//
// PATCH: a file holding a base64 JSON patch (the webhook's answer to the bench's review), sent in every answer: what
// the least an injecting server must send costs, apart from working it out.
import { readFileSync } from "node:fs";
import https from "node:https";

const [port, cert, key, patchFile] = process.argv.slice(2);
const patch = patchFile !== undefined ? readFileSync(patchFile, "latin1").trim() : undefined;
const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const review = JSON.parse(Buffer.concat(chunks).toString());
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        apiVersion: review.apiVersion,
        kind: review.kind,
        response:
          patch === undefined
            ? { uid: review.request.uid, allowed: true }
            : { uid: review.request.uid, allowed: true, patchType: "JSONPatch", patch },
      }),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
