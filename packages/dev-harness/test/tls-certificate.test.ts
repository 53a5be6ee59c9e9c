import { X509Certificate } from "node:crypto";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { describe, expect, it } from "vitest";
import { selfSignedCertificate } from "../src/tls-certificate.ts";

describe("selfSignedCertificate", () => {
  it("makes a certificate for 127.0.0.1 and localhost that fetch accepts once trusted, and only then", async () => {
    const tls = await selfSignedCertificate();
    const x509 = new X509Certificate(tls.cert);
    expect(x509.subjectAltName).toBe("IP Address:127.0.0.1, DNS:localhost");
    expect(x509.checkIP("127.0.0.1")).toBe("127.0.0.1");
    const server = createServer(tls, (_req, res) => res.end("hello over tls"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      // Untrusted first: the certificate is nobody's but this test's.
      await expect(fetch(url)).rejects.toThrow();
      setDefaultCACertificates([...getCACertificates("default"), tls.cert]);
      expect(await (await fetch(url)).text()).toBe("hello over tls");
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
