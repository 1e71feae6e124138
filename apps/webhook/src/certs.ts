import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ServingCertificate {
  caFile: string;
  certFile: string;
  keyFile: string;
  caPem: string;
}

/**
 * A throwaway CA and a serving certificate it signs, for `--dev` and tests. openssl (installed wherever the
 * control-plane scripts run) does the cryptography; certificates expire after `days`.
 */
export async function makeServingCertificate(
  dir: string,
  options: { commonName?: string; hosts?: readonly string[]; days?: number; prefix?: string } = {},
): Promise<ServingCertificate> {
  const prefix = options.prefix ?? "";
  const days = String(options.days ?? 2);
  const hosts = options.hosts ?? ["localhost", "127.0.0.1", "::1"];
  const caKey = join(dir, `${prefix}ca.key`);
  const caFile = join(dir, `${prefix}ca.crt`);
  const keyFile = join(dir, `${prefix}tls.key`);
  const csr = join(dir, `${prefix}tls.csr`);
  const certFile = join(dir, `${prefix}tls.crt`);
  const ext = join(dir, `${prefix}tls.ext`);
  await selfSignedCa(caKey, caFile, days, `/CN=l5d-injector webhook CA ${prefix}`.trim(), "CA:TRUE");
  await run("openssl", [
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    csr,
    "-subj",
    `/CN=${options.commonName ?? "localhost"}`,
  ]);
  const sans = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
  await writeFile(
    ext,
    `subjectAltName=${sans}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    caFile,
    "-CAkey",
    caKey,
    "-CAcreateserial",
    "-out",
    certFile,
    "-days",
    days,
    "-extfile",
    ext,
  ]);
  return { caFile, certFile, keyFile, caPem: await readFile(caFile, "utf8") };
}

/**
 * A self-signed identity trust anchor like `linkerd install` makes (ECDSA P-256, `identity.linkerd.cluster.local`).
 * Its key is discarded: it only gives `identityTrustAnchorsPEM` a well-formed value, so nothing it anchors can work.
 */
export async function makeThrowawayTrustAnchor(dir: string): Promise<string> {
  const file = join(dir, "trust-anchor.crt");
  await selfSignedCa(
    join(dir, "trust-anchor.key"),
    file,
    "365",
    "/CN=identity.linkerd.cluster.local",
    "CA:TRUE,pathlen:1",
  );
  return readFile(file, "utf8");
}

/** A self-signed ECDSA P-256 CA certificate, as `linkerd install` makes its trust anchor. */
async function selfSignedCa(
  keyFile: string,
  certFile: string,
  days: string,
  subject: string,
  ca: string,
): Promise<void> {
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    days,
    "-subj",
    subject,
    "-addext",
    `basicConstraints=critical,${ca}`,
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}
