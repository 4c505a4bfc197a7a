#!/usr/bin/env bash
# Regenerates fixtures/ with real tools: keytool/jarsigner (JDK 17), mingw-w64, openssl, osslsigncode.
# The committed files were made once with this script; rerunning it makes new keys and new digests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/fixtures"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/jar" "$out/pe" "$out/other"

# --- a small CA with a code-signing leaf and a timestamping certificate (openssl) ---
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
  -subj "/C=US/O=Sigscan Fixtures/CN=Sigscan Fixture Root CA" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr \
  -subj "/C=US/ST=Washington/L=Seattle/O=Sigscan Fixtures/OU=Release Engineering/CN=Sigscan Fixture Code Signing" 2>/dev/null
printf 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile leaf.ext -out leaf.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout tsa.key -out tsa.csr -subj "/C=US/O=Sigscan Fixtures/CN=Sigscan Fixture TSA" 2>/dev/null
printf 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' > tsa.ext
openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile tsa.ext -out tsa.pem 2>/dev/null
cp ca.pem "$out/fixture-root-ca.pem"

# --- JARs (jar, keytool, jarsigner) ---
mkdir -p classes/com/example
printf 'hello from sigscan fixtures\n' > classes/com/example/hello.txt
jar --create --file hello-unsigned.jar -C classes .
cp hello-unsigned.jar "$out/jar/hello-unsigned.jar"
openssl pkcs12 -export -inkey leaf.key -in leaf.pem -certfile ca.pem -name release -out leaf.p12 -passout pass:changeit
cp hello-unsigned.jar hello-signed.jar
jarsigner -keystore leaf.p12 -storetype PKCS12 -storepass changeit hello-signed.jar release >/dev/null
cp hello-signed.jar "$out/jar/hello-signed.jar"

# --- PE files (mingw-w64, osslsigncode with an offline RFC 3161 timestamp) ---
printf 'int main(void){return 0;}\n' > hello.c
x86_64-w64-mingw32-gcc -O2 -s -o hello.exe hello.c
cp hello.exe "$out/pe/hello-unsigned.exe"
cat tsa.pem ca.pem > tsa-chain.pem
osslsigncode sign -certs leaf.pem -key leaf.key -ac ca.pem -h sha256 -n "sigscan fixture" -i https://example.invalid/sigscan \
  -TSA-certs tsa-chain.pem -TSA-key tsa.key -TSA-time "$(date -u +%s)" -in hello.exe -out hello-signed.exe >/dev/null
cp hello-signed.exe "$out/pe/hello-signed.exe"

# --- files that are not signable formats, and one that only pretends to be ---
printf 'plain text: skipped and counted\n' > "$out/other/notes.txt"
echo "fixtures written to $out"
