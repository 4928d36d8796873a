#!/usr/bin/env bash
# The OpenSSL command-line equivalent of certbatch's issue stage, for `benches/issuance.rs`.
#
#   scripts/openssl-issue.sh N OUTDIR [JOBS]
#
# Makes a throw-away CA (RSA-3072 root and issuing CA, as certbatch's demo CA), prints
# `ca-ready`, then issues N AOSign-like signing certificates, JOBS at a time (default: the
# number of cores), and prints `issued N`. Per certificate:
#
#   openssl genrsa 2048                 the subscriber key
#   openssl req -new                    a CSR for it (the subject certbatch writes)
#   openssl x509 -req                   signed by the issuing CA, sha256WithRSAEncryption, with
#                                       certbatch's end-entity extensions: basicConstraints
#                                       CA:FALSE and keyUsage digitalSignature,nonRepudiation
#                                       (both critical), certificatePolicies, subjectAltName,
#                                       CRL distribution point, AIA caIssuers, SKI, AKI
#   openssl pkcs12 -export              key + certificate + CA chain under a random PIN,
#                                       PBES2 AES-256-CBC / PBKDF2-SHA256, SHA-256 MAC,
#                                       2048 iterations (certbatch's "modern" profile)
#
# leaving OUTDIR/certs/<id>/cert.pem and cert.p12 (0600); the key and CSR are removed.
set -euo pipefail

usage() {
    echo "usage: $0 N OUTDIR [JOBS]" >&2
    exit 2
}
[[ $# -ge 2 && $# -le 3 ]] || usage
n=$1
[[ $n =~ ^[0-9]+$ ]] || usage
jobs=${3:-$(nproc)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage
command -v openssl >/dev/null || {
    echo "$0: openssl is not installed" >&2
    exit 1
}
mkdir -p "$2"
out=$(cd "$2" && pwd)
ca="$out/ca"
mkdir -p "$ca" "$out/certs"
umask 077

# --- The throw-away CA: a root, and the issuing CA it signs (not timed per certificate). ---
cat >"$ca/ca.cnf" <<'EOF'
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[issuing]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
certificatePolicies = 2.5.29.32.0
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
openssl genrsa -out "$ca/root.key" 3072 2>/dev/null
openssl req -new -x509 -key "$ca/root.key" -sha256 -days 7300 -utf8 \
    -subj "/C=JP/O=openssl-issue demo/CN=openssl-issue DEMO Root CA - NOT FOR PRODUCTION" \
    -config "$ca/ca.cnf" -extensions root -out "$ca/root.pem" 2>/dev/null
openssl genrsa -out "$ca/issuing.key" 3072 2>/dev/null
openssl req -new -key "$ca/issuing.key" -utf8 \
    -subj "/C=JP/O=openssl-issue demo/CN=openssl-issue DEMO Issuing CA - NOT FOR PRODUCTION" \
    -out "$ca/issuing.csr"
openssl x509 -req -in "$ca/issuing.csr" -CA "$ca/root.pem" -CAkey "$ca/root.key" -set_serial 1 \
    -sha256 -days 3650 -extfile "$ca/ca.cnf" -extensions issuing -out "$ca/issuing.pem" 2>/dev/null
cat "$ca/issuing.pem" "$ca/root.pem" >"$ca/chain.pem"

# certbatch's AOSign end-entity profile. The subjectAltName is a directoryName holding the
# kanji name as a UTF8String (CN=山田 太郎), given as DER because OpenSSL's config parser
# would re-encode the UTF-8 bytes of a dirName section as Latin-1 characters.
cat >"$ca/ee.cnf" <<'EOF'
[ee]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
certificatePolicies = 1.3.6.1.5.5.7.13.3
subjectAltName = DER:301CA41A30183116301406035504030C0DE5B1B1E794B020E5A4AAE9838E
crlDistributionPoints = URI:http://demo-ca.certbatch.example/crl/issuing.crl
authorityInfoAccess = caIssuers;URI:http://demo-ca.certbatch.example/issuing.crt
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
echo "ca-ready"

# --- One certificate; run JOBS at a time by xargs. ---
issue_one() {
    local i=$1 ca=$2 certs=$3
    local id
    id=$(printf 'A%06d' "$i")
    local dir="$certs/$id"
    mkdir -p "$dir"
    # A positive 127-bit serial (top bit clear, next set), like certbatch's random_serial().
    local serial
    serial=$(printf '0x%08x%08x%08x%08x' $(((SRANDOM & 0x3fffffff) | 0x40000000)) "$SRANDOM" "$SRANDOM" "$SRANDOM")
    # A 12-character PIN; it only has to be random for the benchmark.
    local pin
    pin=$(printf '%08x%04x' "$SRANDOM" $((SRANDOM & 0xffff)))
    openssl genrsa -out "$dir/key.pem" 2048 2>/dev/null
    openssl req -new -key "$dir/key.pem" -utf8 \
        -subj "/C=JP/O=セコム株式会社/organizationIdentifier=NTRJP-4011001040781/CN=YAMADA TARO" \
        -out "$dir/req.csr"
    openssl x509 -req -in "$dir/req.csr" -CA "$ca/issuing.pem" -CAkey "$ca/issuing.key" -set_serial "$serial" \
        -sha256 -days 395 -extfile "$ca/ee.cnf" -extensions ee -out "$dir/cert.pem" 2>/dev/null
    PIN=$pin openssl pkcs12 -export -inkey "$dir/key.pem" -in "$dir/cert.pem" -certfile "$ca/chain.pem" \
        -name "YAMADA TARO ($id)" -passout env:PIN \
        -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 -iter 2048 -out "$dir/cert.p12"
    chmod 644 "$dir/cert.pem"
    rm -f "$dir/key.pem" "$dir/req.csr"
}
export -f issue_one

if ((n > 0)); then
    seq 1 "$n" | xargs -P "$jobs" -I{} bash -c 'issue_one "$@"' _ {} "$ca" "$out/certs"
fi
echo "issued $n"
