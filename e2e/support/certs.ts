import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { runOk } from "./process.js";

export interface CertFiles {
  certFile: string;
  keyFile: string;
}

const OPENSSL_TIMEOUT = { timeoutMs: 30_000 };

/** A throwaway self-signed CA, when the cluster's own CA key is not at hand (a cluster the suite did not start). */
export async function makeCa(dir: string, name: string): Promise<CertFiles> {
  const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  await runOk(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      files.keyFile,
      "-out",
      files.certFile,
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    OPENSSL_TIMEOUT,
  );
  return files;
}

/**
 * A throwaway identity trust anchor shaped like the one `linkerd install` expects: an ECDSA P-256 root named
 * `identity.linkerd.cluster.local`. Returns the PEM, which becomes `identityTrustAnchorsPEM`.
 */
export async function makeTrustAnchor(dir: string): Promise<string> {
  const certFile = join(dir, "trust-anchor.crt");
  await runOk(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, "trust-anchor.key"),
      "-out",
      certFile,
      "-days",
      "1",
      "-subj",
      "/CN=identity.linkerd.cluster.local",
      "-addext",
      "basicConstraints=critical,CA:TRUE,pathlen:1",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    OPENSSL_TIMEOUT,
  );
  return readFile(certFile, "utf8");
}

/**
 * A serving certificate for `host` signed by `ca`. The API server (Go ≥ 1.15) ignores the common name, so the host
 * goes into the subjectAltName as an IP or a DNS name.
 */
export async function signServingCert(dir: string, ca: CertFiles, host: string, name: string): Promise<CertFiles> {
  const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const san = isIP(host) !== 0 ? `IP:${host}` : `DNS:${host}`;
  await writeFile(
    ext,
    `[ext]\nsubjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
  );
  await runOk(
    "openssl",
    ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", files.keyFile, "-out", csr, "-subj", `/CN=${name}`],
    OPENSSL_TIMEOUT,
  );
  // An explicit serial: `-CAcreateserial` would write a serial file next to the CA, inside the cluster's folder.
  await runOk(
    "openssl",
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.certFile,
      "-CAkey",
      ca.keyFile,
      "-set_serial",
      `0x${randomBytes(8).toString("hex")}`,
      "-days",
      "1",
      "-out",
      files.certFile,
      "-extfile",
      ext,
      "-extensions",
      "ext",
    ],
    OPENSSL_TIMEOUT,
  );
  return files;
}
