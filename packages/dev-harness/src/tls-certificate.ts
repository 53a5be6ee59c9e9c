// A throwaway TLS certificate for a loopback test server (dev-idp over HTTPS), made with the
// `openssl` command line: Node can use certificates but not make them. Never a real certificate.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** A PEM private key and its self-signed certificate. */
export interface TestCertificate {
  key: string;
  cert: string;
}

/**
 * A self-signed P-256 certificate for 127.0.0.1 and localhost, valid for one day: its own CA, so
 * a client trusts it by adding `cert` to its CA list (Node: `tls.setDefaultCACertificates`;
 * `wrangler dev`: a file named by NODE_EXTRA_CA_CERTS). Needs `openssl` on the PATH.
 */
export async function selfSignedCertificate(): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-auth-tls-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    await promisify(execFile)("openssl", [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
      ...["-keyout", key, "-out", cert],
    ]);
    return { key: await readFile(key, "utf8"), cert: await readFile(cert, "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
