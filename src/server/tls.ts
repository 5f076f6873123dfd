import { generateKeyPairSync, randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import forge from 'node-forge';
import { UserError } from '../errors.js';

/** PEM-encoded material for a development CA and the serving certificate it signed. */
export interface DevelopmentCertificates {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export interface DevelopmentCertificateOptions {
  /** Service name; the API server connects to `<service>.<namespace>.svc`. */
  service: string;
  namespace: string;
  /** Extra DNS names or IP addresses for the serving certificate. */
  hosts?: readonly string[];
  /** Validity start; tests may pin it. Defaults to now. */
  now?: Date;
}

const VALIDITY_DAYS = 365;
/** Backdate notBefore so a client whose clock is slightly behind still accepts the cert. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Every name the serving certificate must be valid for: loopback for local use and
 * each form of the in-cluster service name (the API server uses `<svc>.<ns>.svc` as
 * SNI and checks the SAN; CN-only certificates fail Go verification).
 */
export function servingCertificateHosts(options: DevelopmentCertificateOptions): string[] {
  const { service, namespace } = options;
  const names = [
    'localhost',
    '127.0.0.1',
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
    ...(options.hosts ?? []),
  ];
  return [...new Set(names)];
}

/**
 * Generates a throw-away CA and a serving certificate signed by it, for `npm start`
 * and tests. Node's crypto can generate keys and parse certificates but cannot issue
 * them, hence node-forge for the X.509 part. Keys are RSA 2048 made by Node's native
 * generator (fast); forge's certificate API only signs with RSA keys.
 */
export function generateDevelopmentCertificates(
  options: DevelopmentCertificateOptions,
): DevelopmentCertificates {
  const now = options.now ?? new Date();
  return issueCaAndServingCertificate({
    caName: `cronguard development CA (${options.service})`,
    commonName: `${options.service}.${options.namespace}.svc`,
    hosts: servingCertificateHosts(options),
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + VALIDITY_DAYS * 24 * 60 * 60 * 1000),
  });
}

export interface CertificateRequest {
  /** Common name of the new CA. */
  caName: string;
  /** Common name of the serving certificate (clients check SANs, never this). */
  commonName: string;
  /** DNS names and IPv4 addresses for subjectAltName. */
  hosts: readonly string[];
  notBefore: Date;
  notAfter: Date;
}

/**
 * A new CA (path length 0) and a serving certificate it signs, for `hosts`. Used by
 * the development certificate and by `cronguard certs`; the caller decides whether
 * the CA key is kept.
 */
export function issueCaAndServingCertificate(request: CertificateRequest): DevelopmentCertificates {
  const caKeys = newRsaKeyPair();
  const caSubject = [{ name: 'commonName', value: request.caName }];
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = randomSerialNumber();
  ca.validity.notBefore = request.notBefore;
  ca.validity.notAfter = request.notAfter;
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = newRsaKeyPair();
  const server = forge.pki.createCertificate();
  server.publicKey = serverKeys.publicKey;
  server.serialNumber = randomSerialNumber();
  server.validity.notBefore = request.notBefore;
  server.validity.notAfter = request.notAfter;
  server.setSubject([{ name: 'commonName', value: request.commonName }]);
  server.setIssuer(caSubject);
  server.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      // type 2 = dNSName, type 7 = iPAddress (RFC 5280 GeneralName tags).
      altNames: request.hosts.map((host) =>
        IPV4.test(host) ? { type: 7, ip: host } : { type: 2, value: host },
      ),
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  server.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    caCert: forge.pki.certificateToPem(ca),
    caKey: caKeys.privateKeyPem,
    cert: forge.pki.certificateToPem(server),
    key: serverKeys.privateKeyPem,
  };
}

interface RsaKeyPair {
  publicKey: forge.pki.rsa.PublicKey;
  privateKey: forge.pki.rsa.PrivateKey;
  privateKeyPem: string;
}

/** Node's native generator (fast); node-forge signs certificates with RSA keys only. */
function newRsaKeyPair(): RsaKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    privateKeyPem: privateKey,
  };
}

/** A positive 128-bit serial (RFC 5280: positive, at most 20 octets, unpredictable). */
function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/** A serving certificate chain and its key, as PEM, read from disk. */
export interface CertificateFiles {
  cert: string;
  key: string;
}

/**
 * Reads a PEM certificate (chain) and key and checks that they parse and belong
 * together, so a wrong mount fails at start with a message naming the file rather
 * than at the first TLS handshake.
 */
export async function loadCertificateFiles(
  certPath: string,
  keyPath: string,
): Promise<CertificateFiles> {
  const cert = await readPem(certPath, '--tls-cert');
  const key = await readPem(keyPath, '--tls-key');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new UserError(`--tls-cert ${certPath} is not a PEM certificate: ${messageOf(error)}`);
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(key))) {
      throw new UserError(
        `--tls-key ${keyPath} does not match the certificate in --tls-cert ${certPath}`,
      );
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`--tls-key ${keyPath} is not a PEM private key: ${messageOf(error)}`);
  }
  return { cert, key };
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${flag} ${path}: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
